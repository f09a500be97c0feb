/**
 * Topology: how logical topics are named on each cluster, and the provenance headers stamped on
 * every produced record.
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
export {
  DEFAULT_PROVENANCE_HEADER,
  DuplicateFilter,
  ProvenanceStamper,
  readProvenance,
} from './provenance.js'
export type {
  DuplicateFilterOptions,
  Provenance,
  ProvenanceStamperOptions,
} from './provenance.js'
