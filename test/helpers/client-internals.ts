/**
 * The private parts of a {@link MultiClusterKafka} that white-box tests work with: the context
 * its producers and consumers are given (clusters, participants, waits for the active cluster)
 * and the emitter behind its `on`/`off`/`once`. The package has no accessor for them (nothing in
 * src exists for tests): they are read here from the client's private fields, checked at run
 * time, so that renaming a field fails every test that uses them with this message rather than
 * somewhere deep in a test.
 *
 * @module
 */
import type { MultiClusterEvents } from '../../src/client/events.js'
import { ClientContext } from '../../src/client/context.js'
import type { MultiClusterKafka } from '../../src/client/multi-cluster-kafka.js'
import { SafeEmitter } from '../../src/util/safe-emitter.js'

/** What {@link internalsOf} returns. */
export interface ClientInternals {
  /** What the client gives its producers and consumers. */
  readonly context: ClientContext
  /** The client's events: emit here to act as the client. */
  readonly events: SafeEmitter<MultiClusterEvents>
}

/** The context and emitter of `client`. */
export function internalsOf(client: MultiClusterKafka): ClientInternals {
  const { context, events } = client as unknown as Partial<ClientInternals>
  if (!(context instanceof ClientContext) || !(events instanceof SafeEmitter)) {
    throw new Error(
      'MultiClusterKafka no longer keeps its context and emitter in the fields `context` and `events`: update test/helpers/client-internals.ts',
    )
  }
  return { context, events }
}
