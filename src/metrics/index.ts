export { instrumentMetrics } from './instrument.js'
export type { DRMetrics, MetricsOptions } from './instrument.js'
