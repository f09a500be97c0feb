export { FailoverProducer } from './failover-producer.js'
export type { FailoverProducerConfig } from './types.js'
