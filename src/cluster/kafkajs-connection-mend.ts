/**
 * Mends kafkajs 2.2.4's `Connection` (kafkajs/src/network/connection.js) where a broker that dies
 * or hangs mid-response leaves it reading the wrong bytes. kafkajs keeps one read buffer per
 * `Connection` across reconnects, and never detaches a socket it closed:
 *
 * - A response cut short by a killed broker stays in the buffer, and the next socket's responses
 *   are read on top of it: requests time out, or a length read from the wrong bytes throws in the
 *   socket's `data` handler and ends the process (`ERR_BUFFER_OUT_OF_BOUNDS`).
 * - A hung broker that wakes up answers, on the socket kafkajs closed, requests that timed out;
 *   those bytes land in the same buffer as the new socket's.
 *
 * The mend empties the buffer and detaches the old socket whenever a new one opens, and turns a
 * response that cannot be read into a connection error, which kafkajs retries like any other.
 * It patches the kafkajs this package resolves (a peer dependency: the application's own copy),
 * once; a kafkajs without that module is left as it is.
 *
 * @module
 */
import type { Socket } from 'node:net'
import kafkajs from 'kafkajs'
import { errorMessage, logger } from '../util/log.js'
import { ConnectionClass } from './kafkajs-internals.js'

const log = logger('cluster')

/** What the mend touches on a kafkajs `Connection`. */
interface KafkajsConnection {
  broker: string
  socket?: Socket
  chunks: Buffer[]
  bytesBuffered: number
  bytesNeeded: number
  isConnected: (this: KafkajsConnection) => boolean
  connect: (this: KafkajsConnection) => Promise<boolean>
  processData: (this: KafkajsConnection, data: Buffer) => void
}

/** kafkajs' `Connection` class, as far as the mend needs it. */
export interface KafkajsConnectionClass { prototype: KafkajsConnection }

const MENDED = Symbol.for('kafkajs-dr.connection-mended')

/** The size field that starts every Kafka response. */
const SIZE_BYTES = 4

function emptyReadBuffer(connection: KafkajsConnection): void {
  connection.chunks = []
  connection.bytesBuffered = 0
  connection.bytesNeeded = SIZE_BYTES
}

/**
 * Applies the mend to kafkajs' `Connection` (or to `connectionClass`, for tests). Returns whether
 * the class is mended; applying it again changes nothing.
 */
export function mendKafkajsConnection(connectionClass = ConnectionClass as KafkajsConnectionClass | undefined): boolean {
  const proto: Partial<KafkajsConnection> & { [MENDED]?: true } | undefined = connectionClass?.prototype
  if (proto === undefined || typeof proto.connect !== 'function' || typeof proto.processData !== 'function') return false
  if (proto[MENDED]) return true
  const { connect, processData } = proto

  proto.connect = function () {
    if (!this.isConnected()) {
      const previous = this.socket
      if (previous !== undefined) {
        previous.removeAllListeners('data')
        // kafkajs ended it (a hung broker never answers the FIN): let its descriptor go.
        if (previous.writableEnded) previous.destroy()
      }
      emptyReadBuffer(this)
    }
    return connect.call(this)
  }

  proto.processData = function (data) {
    try {
      processData.call(this, data)
    } catch (error) {
      emptyReadBuffer(this)
      log('unreadable response from %s, closing the connection: %s', this.broker, errorMessage(error))
      this.socket?.destroy(new kafkajs.KafkaJSConnectionError(`unreadable response from ${this.broker}: ${errorMessage(error)}`))
    }
  }

  Object.defineProperty(proto, MENDED, { value: true })
  return true
}
