import type { Consumer } from 'kafkajs'
import type { ProcessedPositions } from '../positions.js'
import type { CopyCatchUp } from './copy-catch-up.js'
import type { DeliveryFilter } from './delivery-filter.js'

/** kafkajs' `eachBatch` handler, as `consumer.run()` takes it. */
export type KafkajsEachBatch = NonNullable<NonNullable<Parameters<Consumer['run']>[0]>['eachBatch']>

/** What the delivery loops need of the session they deliver for (a `ConsumerSession`). */
export interface DeliveringSession {
  readonly cluster: string
  /** False once the session is deactivated or stopped: nothing more may reach the handler. */
  readonly isActive: boolean
  /** `autoCommit: false`: checkpoints follow the application's commits, not the processed records. */
  readonly manualCommits: boolean
  /** Where processed records (or manual commits) are noted, for checkpoints and translation. */
  readonly positions: ProcessedPositions
  /** Provenance reading, origin filtering and dedupe; undefined when provenance is off. */
  readonly filter: DeliveryFilter | undefined
  /** Partitions started on a copy behind the group's position: their records below it are skipped. */
  readonly catchUp: CopyCatchUp
  /** Bumped by every pause, so that the record loop looks up pauses only when one happened. */
  readonly pauses: number
  /** Logical topic and origin of a physical topic read by the session. */
  source(physicalTopic: string): { topic: string; originCluster: string }
  /** Pauses for the application, as kafkajs' `pause`. */
  pause(topics: Parameters<Consumer['pause']>[0]): void
  /** Resumes for the application, as kafkajs' `resume`. */
  resume(topics: Parameters<Consumer['resume']>[0]): void
  /** Whether kafkajs holds the partition paused now. */
  isPaused(topic: string, partition: number): boolean
}
