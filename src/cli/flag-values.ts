/** The values only the CLI's commands take: group ids and topic lists (the shared ones are in `src/flags/`). */
import { topicName } from '../flags/values.js'
import { CliUsageError } from './errors.js'

/** Each element once, in the order first given. */
export function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}

/** A `--group` value: any non-blank consumer group id. */
export function groupId(value: string): string {
  if (value.trim() === '') throw new CliUsageError('--group needs a consumer group id')
  return value
}

/** A topic name given to `flag`, when given. */
export function optionalTopic(flag: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : topicName(flag, value)
}

/** `--topics a,b --topics c`: the logical topics, each once, in order. */
export function topicList(values: readonly string[]): string[] {
  const topics = values
    .flatMap((v) => v.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '')
  if (topics.length === 0) throw new CliUsageError('--topics needs at least one topic name (comma-separated)')
  for (const topic of topics) topicName('--topics', topic)
  return unique(topics)
}
