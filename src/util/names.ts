/**
 * The naming rules of Kafka topics and kafkajs-dr clusters, in one place for the library's option
 * checks and the command lines' flags.
 */

/** Characters Kafka accepts in a topic name (`org.apache.kafka.common.internals.Topic`). */
export const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/

/** The longest topic name Kafka accepts. */
export const MAX_TOPIC_NAME_LENGTH = 249

/** Kafka's rule for topic names: 1 to `maxLength` (at most 249) of {@link LEGAL_TOPIC_CHARS}, not `.` or `..`. */
export function isLegalTopicName(name: string, maxLength = MAX_TOPIC_NAME_LENGTH): boolean {
  return (
    name.length >= 1 &&
    name.length <= Math.min(maxLength, MAX_TOPIC_NAME_LENGTH) &&
    LEGAL_TOPIC_CHARS.test(name) &&
    name !== '.' &&
    name !== '..'
  )
}

/**
 * A cluster's name: letters, digits, `_` and `-`, 1 to 64 of them. It becomes a topic prefix
 * (`dc1.orders`) and MirrorMaker 2's alias, so no separator and no length that eats the topic's.
 */
export const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/
