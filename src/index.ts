/**
 * kafkajs-dr: multi-datacenter disaster recovery for kafkajs.
 *
 * @packageDocumentation
 */
export {
  KafkaDRError,
  InvalidOptionError,
  UnknownClusterError,
  NoActiveClusterError,
  ClusterIdChangedError,
  NotConnectedError,
  SendFailedError,
  FailoverError,
  MissingCheckpointError,
  TranslationRefusedError,
  CodecError,
  TimeoutError,
} from './errors.js'
export type { KafkaDRErrorCode, KafkaDRErrorContext, KafkaDRErrorOptions } from './errors.js'
