/**
 * Defaults and validation of {@link FailoverConsumerConfig}: every option is checked when the
 * consumer is created, and unknown keys are rejected with the nearest known name. kafkajs checks
 * some of these options only when it creates a consumer, and the failover consumer creates one on
 * every switch. A bad option found then would break the failover itself.
 *
 * @module
 */
import type { ConsumerConfig } from 'kafkajs'
import { DEFAULT_CHECKPOINT_TOPIC } from '../offsets/checkpoint-codec.js'
import { expectMissingCheckpointPolicy, expectTranslators } from '../offsets/translation-options.js'
import type { MissingCheckpointPolicy, TranslatorName } from '../offsets/translation-types.js'
import { mm2DefaultExclusion } from '../topology/mm2-exclusions.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { isLegalTopicName } from '../util/names.js'
import { expectBoolean, expectInt, expectList, expectObject, expectOneOf, expectString, invalid, MAX_TIMER_MS } from '../util/validate.js'
import { InvalidOptionError } from '../errors/index.js'
import { KAFKAJS_KEYS, kafkajsConfig } from './kafkajs-config.js'
import type { CheckpointOptions, DedupeOptions, DualReadMode, FailoverConsumerConfig, GroupSplitOptions } from './config.js'
import type { FailoverRunConfig, FailoverSubscribeOptions } from './run-config.js'

/** kafkajs-dr's own keys. */
const OWN_KEYS = [
  'checkpoint',
  'translators',
  'onMissingCheckpoint',
  'timestampSafetyMarginMs',
  'newCopyCheckIntervalMs',
  'teardownTimeoutMs',
  'groupSplit',
  'origins',
  'dualRead',
  'dedupe',
  'instanceId',
] as const satisfies ReadonlyArray<keyof FailoverConsumerConfig>

const KEYS: readonly string[] = [...KAFKAJS_KEYS, ...OWN_KEYS]
const CHECKPOINT_KEYS = ['topic', 'intervalMs', 'writeToAllClusters'] as const satisfies ReadonlyArray<keyof CheckpointOptions>
const GROUP_SPLIT_KEYS = ['yield', 'yieldAfterMs'] as const satisfies ReadonlyArray<keyof GroupSplitOptions>
const DEDUPE_KEYS = ['windowSize', 'maxProducers'] as const satisfies ReadonlyArray<keyof DedupeOptions>

// The build fails when an option is added to a config type but not to the lists above (it would
// otherwise be rejected as unknown at run time): the default must satisfy the constraint `never`.
// (A tuple's elements rather than a union: each member is `never` while all is well, which the
// linter would report as a redundant union.) Underscored: only the compiler reads it.
type Unlisted = [
  Exclude<keyof FailoverConsumerConfig, (typeof KAFKAJS_KEYS)[number] | (typeof OWN_KEYS)[number]>,
  Exclude<keyof CheckpointOptions, (typeof CHECKPOINT_KEYS)[number]>,
  Exclude<keyof GroupSplitOptions, (typeof GROUP_SPLIT_KEYS)[number]>,
  Exclude<keyof DedupeOptions, (typeof DEDUPE_KEYS)[number]>,
][number]
type _EveryOptionListed<Missing extends never = Unlisted> = Missing

// Pod and host names fit, and the id stays readable in logs and events; ':' for `zone:pod` ids.
const LEGAL_INSTANCE_ID = /^[a-zA-Z0-9._:-]{1,249}$/

/** What {@link validateConsumerConfig} needs to know about the client the consumer belongs to. */
export interface ConsumerOptionsContext {
  /** How topics are named on each cluster: the client's `replicationPolicy`. */
  replicationPolicy: ReplicationPolicy
  /** The client's cluster names. */
  clusters: readonly string[]
  /** Whether the client's producers stamp the provenance header (the client's `provenance` is not `false`). */
  provenance: boolean
}

/** A consumer's checkpointing after defaults and validation. */
export interface ValidCheckpointOptions {
  /**
   * The compacted checkpoint topic.
   *
   * @default 'kafkajs-dr.checkpoints'
   */
  topic: string
  /**
   * Checkpoints are written at most this often, in ms (10 at least).
   *
   * @default 1000
   */
  intervalMs: number
  /**
   * Whether checkpoints are also written straight to every other cluster that is up.
   *
   * @default true
   */
  writeToAllClusters: boolean
}

/** A {@link FailoverConsumerConfig} after defaults and validation. */
export interface ValidConsumerOptions {
  /** The consumer group. */
  groupId: string
  /**
   * What to pass to kafkajs' `kafka.consumer()` on each cluster: only kafkajs' keys, only those
   * given (kafkajs applies its own defaults to the rest), except `allowAutoTopicCreation`, which
   * defaults to `false`: the consumer subscribes to physical copies that may not exist yet on a
   * cluster, and creating them there would be wrong.
   */
  kafkajs: ConsumerConfig
  /** Checkpointing. */
  checkpoint: ValidCheckpointOptions
  /**
   * Translators used on a switch.
   *
   * @default ['timestamp', 'mm2']
   */
  translators: TranslatorName[]
  /**
   * For a partition without any checkpoint on a switch.
   *
   * @default 'earliest'
   */
  onMissingCheckpoint: MissingCheckpointPolicy
  /**
   * Rewind of timestamp translation, in ms.
   *
   * @default 0
   */
  timestampSafetyMarginMs: number
  /**
   * How often the active cluster is checked for new physical copies, in ms; 0 turns it off.
   *
   * @default 5000
   */
  newCopyCheckIntervalMs: number
  /**
   * Bound on tearing down the consumer of the cluster being left, in ms.
   *
   * @default 3000
   */
  teardownTimeoutMs: number
  /** What the instance does when its group is split across clusters. */
  groupSplit: Required<GroupSplitOptions>
  /**
   * The origins read, in the client's cluster order; every cluster for `'all'`.
   *
   * @default every cluster
   */
  origins: string[]
  /**
   * Where records of other origins are read.
   *
   * @default 'replicas'
   */
  dualRead: DualReadMode
  /** De-duplication by provenance id; undefined when off. */
  dedupe: Required<DedupeOptions> | undefined
  /**
   * This instance's stable id in its group.
   *
   * @default undefined
   */
  instanceId: string | undefined
}

/**
 * Validates a failover consumer's config and fills in the defaults. Every option is checked:
 * types, ranges and choices; `heartbeatInterval` below `sessionTimeout` (kafkajs refuses
 * otherwise, but only when it creates a consumer, which is on a switch); the checkpoint topic a
 * legal Kafka topic name that MirrorMaker 2 replicates. Unknown keys are rejected with the nearest
 * known name ("did you mean `onMissingCheckpoint`?"). Paths in messages start with `consumer.`.
 *
 * MirrorMaker 2's default exclusions (`topics.exclude` = `.*[\-\.]internal, .*\.replica, __.*`,
 * and names starting with `.`) are enforced on the checkpoint topic only when topics are
 * prefix-named (any replication policy not named `identity`): with MM2, the replicator that
 * names copies `dc1.orders`, a checkpoint topic such as `app.internal` would silently never reach
 * the other clusters. With identity naming (`replicationPolicy.name === 'identity'`: Cluster
 * Linking, MSK Replicator, Confluent Replicator, Redpanda shadowing) the replicator is not MM2 with
 * its default filter. It selects topics by its own configuration, so the rule is not applied. MM2
 * run with its own `IdentityReplicationPolicy` does apply `topics.exclude`; it cannot be told apart
 * here, and only the checkpoint writer's log line warns about it then.
 *
 * @param config - the consumer's config, as given to `MultiClusterKafka.consumer()`
 * @param context - the client's replication policy
 * @returns the options with defaults applied; `kafkajs` is ready for `kafka.consumer()`
 * @throws `InvalidOptionError` naming the option's path and the fix
 * @example
 * ```ts
 * const options = validateConsumerConfig({ groupId: 'billing', onMissingCheckpoint: 'error' }, { replicationPolicy })
 * options.checkpoint.topic // 'kafkajs-dr.checkpoints'
 * ```
 */
export function validateConsumerConfig(config: unknown, context: ConsumerOptionsContext): ValidConsumerOptions {
  const c = expectObject(config, 'consumer', KEYS)
  const groupId = expectString(c.groupId, 'consumer.groupId')
  return {
    groupId,
    kafkajs: kafkajsConfig(c, groupId),
    checkpoint: checkpointOptions(c.checkpoint, context),
    translators: expectTranslators(c.translators, 'consumer.translators'),
    onMissingCheckpoint: expectMissingCheckpointPolicy(c.onMissingCheckpoint, 'consumer.onMissingCheckpoint'),
    timestampSafetyMarginMs: expectInt(c.timestampSafetyMarginMs, 'consumer.timestampSafetyMarginMs', 0, { min: 0 }),
    newCopyCheckIntervalMs: expectInt(c.newCopyCheckIntervalMs, 'consumer.newCopyCheckIntervalMs', 5000, { min: 0, max: MAX_TIMER_MS }),
    teardownTimeoutMs: expectInt(c.teardownTimeoutMs, 'consumer.teardownTimeoutMs', 3000, { min: 1, max: MAX_TIMER_MS }),
    groupSplit: groupSplitOptions(c.groupSplit),
    ...dualReadOptions(c, context),
    instanceId: expectInstanceId(c),
  }
}

/** `instanceId`: a short printable id, and the consumer's own assigner (whose metadata carries it). */
function expectInstanceId(c: Record<string, unknown>): string | undefined {
  if (c.instanceId === undefined) return undefined
  const path = 'consumer.instanceId'
  const id = expectString(c.instanceId, path)
  if (!LEGAL_INSTANCE_ID.test(id))
    invalid(path, "at most 249 letters, digits, '.', '_', '-' or ':'", id, 'e.g. a StatefulSet pod name or a host name')
  if (c.partitionAssigners !== undefined) {
    invalid(
      'consumer.partitionAssigners',
      'not set with `consumer.instanceId`',
      '(given)',
      "the instance id travels in the metadata of kafkajs-dr's own assigner, which the other members read",
    )
  }
  return id
}

/** `origins`, `dualRead` and `dedupe`, checked against the client's clusters, naming and provenance. */
function dualReadOptions(
  c: Record<string, unknown>,
  context: ConsumerOptionsContext,
): Pick<ValidConsumerOptions, 'origins' | 'dualRead' | 'dedupe'> {
  let origins = [...context.clusters]
  if (c.origins !== undefined && c.origins !== 'all') {
    const list = expectList(c.origins, 'consumer.origins', "cluster names (or the string 'all')", { nonEmpty: true })
    list.forEach((o, i) => {
      const name = expectString(o, `consumer.origins[${i}]`)
      if (!context.clusters.includes(name))
        invalid(`consumer.origins[${i}]`, `one of the client's clusters (${context.clusters.join(', ')})`, name)
    })
    origins = context.clusters.filter((name) => list.includes(name))
  }
  const dualRead = expectOneOf(c.dualRead, 'consumer.dualRead', ['replicas', 'direct'] as const, 'replicas')
  if (dualRead === 'direct') {
    if (context.replicationPolicy.name === 'identity') {
      invalid(
        'consumer.dualRead',
        "'replicas' with identity topic naming",
        dualRead,
        "with the same topic name on every cluster, a cluster's topic holds every origin's records, so no origin can be read from its own cluster alone",
      )
    }
    if (c.partitionAssigners !== undefined) {
      invalid(
        'consumer.partitionAssigners',
        "not set with dualRead 'direct'",
        '(given)',
        "each origin is read by its own member in the group, and only kafkajs-dr's assigner gives each member the topics it subscribed to",
      )
    }
  }
  let dedupe: Required<DedupeOptions> | undefined
  // Identity naming lets a record come back to the cluster it was written in through a replica
  // (a replicator running both ways): dedupe is on by default there, when there is provenance.
  const identity = context.replicationPolicy.name === 'identity'
  const wanted = c.dedupe ?? (identity && context.provenance)
  if (wanted !== false) {
    const d = wanted === true ? {} : expectObject(wanted, 'consumer.dedupe', DEDUPE_KEYS)
    if (!context.provenance) {
      invalid(
        'consumer.dedupe',
        "off while the client's provenance is off",
        wanted,
        'dedupe drops records by their provenance id, which producers stamp only with provenance on: remove `provenance: false` from the client, or turn dedupe off',
      )
    }
    dedupe = {
      windowSize: expectInt(d.windowSize, 'consumer.dedupe.windowSize', 1_048_576, { min: 1 }),
      maxProducers: expectInt(d.maxProducers, 'consumer.dedupe.maxProducers', 1000, { min: 1 }),
    }
  }
  return { origins, dualRead, dedupe }
}

function groupSplitOptions(value: unknown): Required<GroupSplitOptions> {
  const g = value === undefined ? {} : expectObject(value, 'consumer.groupSplit', GROUP_SPLIT_KEYS)
  return {
    yield: expectBoolean(g.yield, 'consumer.groupSplit.yield', true),
    yieldAfterMs: expectInt(g.yieldAfterMs, 'consumer.groupSplit.yieldAfterMs', 20_000, { min: 0, max: MAX_TIMER_MS }),
  }
}

function checkpointOptions(value: unknown, context: ConsumerOptionsContext): ValidCheckpointOptions {
  const cp = value === undefined ? {} : expectObject(value, 'consumer.checkpoint', CHECKPOINT_KEYS)
  return {
    topic: expectCheckpointTopic(cp.topic, context),
    intervalMs: expectInt(cp.intervalMs, 'consumer.checkpoint.intervalMs', 1000, { min: 10, max: MAX_TIMER_MS }),
    writeToAllClusters: expectBoolean(cp.writeToAllClusters, 'consumer.checkpoint.writeToAllClusters', true),
  }
}

/** A legal topic name that the replicator carries (see {@link validateConsumerConfig} for when MM2's rules apply). */
function expectCheckpointTopic(value: unknown, context: ConsumerOptionsContext): string {
  const path = 'consumer.checkpoint.topic'
  const topic = expectString(value, path, DEFAULT_CHECKPOINT_TOPIC)
  if (!isLegalTopicName(topic)) {
    invalid(path, "a legal Kafka topic name (at most 249 letters, digits, '.', '_' or '-'; not '.' or '..')", topic)
  }
  if (context.replicationPolicy.name === 'identity') return topic
  const rule = mm2DefaultExclusion(topic)
  if (rule !== undefined) {
    invalid(
      path,
      'a topic that MirrorMaker 2 replicates',
      topic,
      `it matches MM2's default ${rule}, so its checkpoints would never reach the other clusters; choose another name, e.g. the default '${DEFAULT_CHECKPOINT_TOPIC}'`,
    )
  }
  return topic
}

/**
 * Validates `subscribe()`'s argument and merges it into the subscription so far (topics add up,
 * as kafkajs' repeated `subscribe()` calls do; `fromBeginning` is the latest call's).
 */
export function validateSubscription(subscription: unknown, previous: FailoverSubscribeOptions | undefined): FailoverSubscribeOptions {
  const s = expectObject(subscription, 'subscribe', ['topics', 'fromBeginning'])
  if (!Array.isArray(s.topics) || s.topics.length === 0)
    throw new InvalidOptionError(
      'subscribe.topics',
      'Expected `subscribe.topics` to be a non-empty list of logical topic names (regular expressions are not supported: names map to physical copies)',
    )
  s.topics.forEach((t, i) => expectString(t, `subscribe.topics[${i}]`))
  const topics = [...new Set([...(previous?.topics ?? []), ...(s.topics as string[])])]
  return { topics, fromBeginning: expectBoolean(s.fromBeginning, 'subscribe.fromBeginning', false) }
}

/** Checks `run()`'s argument: exactly one of `eachMessage` and `eachBatch`. */
export function validateRunConfig(config: FailoverRunConfig): FailoverRunConfig {
  if (!config.eachMessage === !config.eachBatch)
    throw new InvalidOptionError('run', 'Expected `run` to have exactly one of `eachMessage` or `eachBatch`')
  return config
}
