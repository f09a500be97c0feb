/**
 * The usage texts of `kafkajs-dr --help` and `kafkajs-dr <command> --help`.
 *
 * @module
 */
import { USAGE as DRILL_USAGE } from '../drill/options.js'
import { DEFAULT_TIMEOUT_MS, type CommandName } from './types.js'

const CLUSTER_FLAGS = `Clusters (one of):
  --cluster NAME=HOST:PORT[,HOST:PORT]
                        a cluster, most preferred first (repeat for each)
  --config FILE         the MultiClusterKafka options: a .json file, or a JS module whose default
                        export is the options object (or a function returning it), so that TLS
                        and SASL are set as in code

Every command also takes:
  --json                one JSON document on stdout instead of tables
  --timeout T           bound on each cluster's part of the command (default ${DEFAULT_TIMEOUT_MS / 1000}s)
  --debug               stack traces and the library's debug log on stderr (never a secret)
  -h, --help            help of the command`

/** Usage of each command, and of the whole CLI. */
export const USAGE: Readonly<Record<CommandName | 'main', string>> = {
  main: `kafkajs-dr <command> [options]

Operator's tool for kafkajs-dr: multi-datacenter disaster recovery for kafkajs.

Commands:
  status      each cluster's health and id, the declared and the discovered active cluster,
              replication lag per flow; with --group, each group's position and checkpoints
  translate   a consumer group's positions on another cluster (--apply commits them)
  declare     declares the active cluster (declared policy) on every reachable cluster
  drill       the disaster drill on your clusters: you stop a datacenter when asked, and it
              counts what was lost (kafkajs-dr drill --help)

${CLUSTER_FLAGS}

Exit codes: 0 done, 1 failed (unreachable cluster, unknown group, refused commit), 2 wrong
command line or configuration, 130 interrupted.

Examples:
  kafkajs-dr status --cluster dc1=kafka-a:9092 --cluster dc2=kafka-b:9092
  kafkajs-dr status --config dr.config.js --group billing --json
  kafkajs-dr translate --config dr.config.js --group billing --from dc1 --to dc2 --apply
  kafkajs-dr declare --config dr.config.js --active dc2 --reason "dc1 maintenance"
  kafkajs-dr drill --config dr.config.js --topic drill-test
  kafkajs-dr <command> --help
`,
  status: `kafkajs-dr status [options]

Each cluster's health and cluster id, the active cluster the client's discovery policy chooses,
the declaration in force (declared policy) on each cluster, and the replication lag of every
MirrorMaker 2 flow (the age of the newest heartbeat of the source on the target). With --group,
per cluster: the group's state and members, its committed positions and lag, and the age of the
newest kafkajs-dr checkpoint of the group visible there.

Options:
  --group G             a consumer group to report on (repeat for several)
  --checkpoint-topic T  kafkajs-dr's checkpoint topic (default kafkajs-dr.checkpoints)
  --control-topic T     the declared policy's control topic (default: the configuration's
                        discovery.controlTopic, else kafkajs-dr.control)

${CLUSTER_FLAGS}
`,
  translate: `kafkajs-dr translate --group G --from CLUSTER --to CLUSTER [options]

Where consumer group G should resume on --to: per partition of the group's topics there, the
source position (the newest checkpoint) and the offset it translates to, and which translator gave
it (native, timestamp, mm2, or the missing-checkpoint policy). Nothing is committed without
--apply; --apply commits the offsets to the group on --to, and refuses while the group has members
there.

Options:
  --topics A,B          logical topics to translate (default: the topics the group has committed
                        offsets for on --from; when --from cannot be reached or has none, the
                        topics of the group's checkpoints visible on --to)
  --apply               commit the translated offsets to the group on --to
  --on-missing P        a partition without a usable checkpoint: earliest (default), latest, error
  --checkpoint-topic T  kafkajs-dr's checkpoint topic (default kafkajs-dr.checkpoints)

${CLUSTER_FLAGS}
`,
  declare: `kafkajs-dr declare --active CLUSTER [--reason TEXT]

Declares CLUSTER active for every instance on the declared policy: writes the declaration to the
control topic of every reachable cluster and reports which ones took it. Its epoch is above the
newest declaration found, whatever this host's clock says. Succeeds when at least one cluster took
it (a dead datacenter cannot; instances there read it once it is back through the others).

Options:
  --active CLUSTER      the cluster to make active
  --reason TEXT         why, for whoever reads the declaration
  --control-topic T     the control topic (default: the configuration's discovery.controlTopic,
                        else kafkajs-dr.control)

${CLUSTER_FLAGS}
`,
  drill: DRILL_USAGE,
}
