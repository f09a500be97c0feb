/**
 * An error and the errors it wraps, outermost first. kafkajs wraps the real cause when its own
 * retries give up (`KafkaJSNonRetriableError` with `cause`, `KafkaJSNumberOfRetriesExceeded` with
 * `originalError`), and what a handler threw ends up inside such a wrapper.
 *
 * @param maxDepth - errors looked at, at most (a chain could loop)
 */
export function causeChain(error: unknown, maxDepth = 5): unknown[] {
  const chain: unknown[] = []
  for (let current: unknown = error; current !== undefined && current !== null && chain.length < maxDepth;) {
    chain.push(current)
    const next = current as { cause?: unknown; originalError?: unknown }
    const deeper = next.cause ?? next.originalError
    if (deeper === current) break
    current = deeper
  }
  return chain
}
