/**
 * Setup file of the integration projects: each file starts on the broker group settings the run
 * began with. A file that needs others (Kafka's defaults) switches in its own `beforeAll` and
 * leaves them; the next file that needs the run's settings switches back here. With those files
 * ordered last (see the sequencer in vitest.config.ts), a run restarts the brokers once for them
 * instead of twice per file (each switch is a graceful restart of both brokers and MirrorMaker 2,
 * 22-38 s on the bed).
 */
import { beforeAll, inject } from 'vitest'
import { bed } from './helpers.js'
import { isOnKafkaDefaults } from './kafka-defaults-files.js'

// vitest reads the first argument's destructuring for the fixtures it asks: none here.
// eslint-disable-next-line no-empty-pattern
beforeAll(async ({}, suite) => {
  // Those files switch to Kafka's defaults themselves: switching back first would cost a restart.
  if (isOnKafkaDefaults(suite.file.filepath)) return
  const profile = inject('brokerProfile')
  if (profile === 'external' || bed().brokerProfile === profile) return
  const { ms } = await bed().setBrokerProfile(profile)
  console.log(`[bed] brokers restarted with the run's group settings '${profile}' in ${ms} ms`)
}, 180_000)
