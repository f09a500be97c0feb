/**
 * Topology: how logical topics are named on each cluster, the provenance headers stamped on
 * every produced record, and the filter that drops copies by those headers.
 *
 * @module
 */
export {
  DEFAULT_SEPARATOR,
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  createReplicationPolicy,
  translatePhysicalTopic,
} from './replication-policy.js'
export type {
  ParsedTopic,
  PrefixReplicationOption,
  PrefixReplicationPolicyOptions,
  ReplicationOption,
  ReplicationPolicy,
} from './replication-policy.js'
export { MM2_DEFAULT_TOPICS_EXCLUDE, isExcludedByMm2Defaults, mm2DefaultExclusion } from './mm2-exclusions.js'
export { DEFAULT_PROVENANCE_HEADER, ProvenanceStamper, readProvenance } from './provenance.js'
export type { Provenance, ProvenanceStamperOptions } from './provenance.js'
export { DuplicateFilter } from './duplicate-filter.js'
export type { DuplicateFilterOptions } from './duplicate-filter.js'
