/**
 * The package's command lines: flags read with `util.parseArgs`, the values they take, and the
 * usage error they share. Used by `kafkajs-dr` (its drill included) and the repository's tools.
 *
 * @module
 */
export { UsageError } from './errors.js'
export { readFlags, type FlagSpec, type FlagSpecs, type ReadFlags, type ReadOptions } from './read-flags.js'
export { clusterName, parseCluster, parseDuration, topicName, wholeNumber, type ClusterAddress } from './values.js'
