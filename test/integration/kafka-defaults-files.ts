/**
 * Whether a test file runs on Kafka's default group settings (its name says `kafka-defaults`):
 * such files run last (vitest.config.ts) and switch the brokers themselves
 * (setup-broker-profile.ts). No imports: the vitest config reads it too.
 */
export function isOnKafkaDefaults(file: string): boolean {
  return file.includes('kafka-defaults')
}
