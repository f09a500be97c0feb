import type { Kafka, KafkaConfig } from 'kafkajs'

/** One datacenter's cluster as given by the user. */
export interface ClusterOptions {
  /**
   * The cluster's kafkajs client, or a kafkajs config to build one from. A config gets
   * failover-friendly defaults (short connection timeout, few in-cluster retries) for whatever it
   * leaves out; an instance is used as given, and kafkajs-dr tunes retries per producer and
   * consumer it creates from it.
   */
  kafka: Kafka | KafkaConfig
  /**
   * Preference: lower is preferred. The `priority` policy makes the healthy cluster with the
   * lowest number active.
   *
   * @default 1
   */
  priority?: number
}

/** Result of one health probe. */
export type ProbeResult =
  | { ok: true, clusterId: string, latencyMs: number }
  | { ok: false, error: Error, latencyMs: number }
