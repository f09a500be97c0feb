/** Map key of a topic-partition: one format for every map that is written in one place and read in another. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}
