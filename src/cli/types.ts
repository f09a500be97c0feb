/** What the command line of `kafkajs-dr` asks for: the commands and each one's options. */
import type { ClusterAddress } from '../flags/values.js'
import type { MissingCheckpointPolicy } from '../offsets/translation-types.js'

/** The commands. */
export const COMMANDS = ['status', 'translate', 'declare', 'drill'] as const
/** One of {@link COMMANDS}. */
export type CommandName = (typeof COMMANDS)[number]

export type { ClusterAddress } from '../flags/values.js'

/** Flags every command (but `drill`) takes. */
export interface GlobalOptions {
  /** `--cluster`, in the order given (most preferred first). */
  clusters: ClusterAddress[]
  /** `--config FILE`. */
  config: string | undefined
  /** `--json`: one JSON document on stdout. */
  json: boolean
  /** `--debug`: stack traces and the library's debug log on stderr. */
  debug: boolean
  /** `--timeout T`: bound on each cluster's part of the command, in ms. */
  timeoutMs: number
}

/** `status` options. */
export interface StatusOptions {
  /** `--group G` (repeatable). */
  groups: string[]
  /** `--checkpoint-topic`: the kafkajs-dr checkpoint topic's logical name. */
  checkpointTopic: string | undefined
  /** `--control-topic`: the declared policy's control topic. */
  controlTopic: string | undefined
}

/** `translate` options. */
export interface TranslateOptions {
  group: string
  from: string
  to: string
  /** `--topics` (logical names); undefined: the group's own topics. */
  topics: string[] | undefined
  /** `--apply`: commit the translated offsets. */
  apply: boolean
  /** `--on-missing`: what a partition without a usable checkpoint gets. */
  onMissing: MissingCheckpointPolicy
  checkpointTopic: string | undefined
}

/** `declare` options. */
export interface DeclareOptions {
  /** `--active`: the cluster to declare active. */
  active: string
  /** `--reason`. */
  reason: string | undefined
  controlTopic: string | undefined
}

/** What the command line asks for. */
export type CommandLine =
  | { kind: 'help'; command: CommandName | undefined }
  | { kind: 'version' }
  | { kind: 'drill'; argv: string[] }
  | { kind: 'status'; global: GlobalOptions; options: StatusOptions }
  | { kind: 'translate'; global: GlobalOptions; options: TranslateOptions }
  | { kind: 'declare'; global: GlobalOptions; options: DeclareOptions }

/** Default of `--timeout`. */
export const DEFAULT_TIMEOUT_MS = 10_000
