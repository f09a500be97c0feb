import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'
import { isOnKafkaDefaults } from './test/integration/kafka-defaults-files.js'

// The examples import the package by its name (`kafkajs-dr`): the tests run them against the
// sources, not dist/ (tsconfig.json's `paths` does the same for the type check). Given to each
// project, since inline projects do not inherit the root's options.
const resolve = { alias: { 'kafkajs-dr': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } }

/**
 * Vitest's order, but the files on Kafka's default group settings last: they leave the brokers on
 * those settings, and a file after them that needs the run's own waits for a restart of both
 * brokers (test/integration/setup-broker-profile.ts).
 */
class KafkaDefaultsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const onDefaults = (f: TestSpecification): boolean => isOnKafkaDefaults(f.moduleId)
    return [...sorted.filter((f) => !onDefaults(f)), ...sorted.filter(onDefaults)]
  }
}

/** One bed, real faults: integration files must not run side by side and break each other's clusters. */
const integration = {
  globalSetup: ['test/bed/global-setup.ts'],
  setupFiles: ['test/integration/setup-broker-profile.ts'],
  fileParallelism: false,
  // A test that needs longer says so; none may wait on a broken bed for long (the watchdog of
  // global-setup.ts fails the run when the bed itself breaks).
  testTimeout: 120_000,
  hookTimeout: 120_000,
}

// Three projects, run one after the other by `npm test` (see package.json): fast unit tests of pure
// logic first, on their own; then, on the real two-datacenter bed (started once per run by the
// global setup), the per-change integration suite (`integration`: test/integration/ but full/),
// or the full one (`integration-full`: those and test/integration/full/, `npm run test:full`).
export default defineConfig({
  test: {
    // run-summary writes each file's time and the counts that .ci/run prints at the end.
    reporters: ['default', './test/reporters/run-summary.ts'],
    // Read from the root config only (vitest 4 ignores it in a project's).
    sequence: { sequencer: KafkaDefaultsLast },
    projects: [
      {
        resolve,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        resolve,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: ['test/integration/full/**'], ...integration },
      },
      {
        resolve,
        test: { name: 'integration-full', include: ['test/integration/**/*.test.ts'], ...integration },
      },
    ],
  },
})
