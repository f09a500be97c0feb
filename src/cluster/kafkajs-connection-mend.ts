/**
 * Mends kafkajs 2.2.4's `Connection` (kafkajs/src/network/connection.js) where a broker that dies
 * or hangs leaves it reading the wrong bytes, or piling listeners on a dead socket. kafkajs keeps
 * one read buffer per `Connection` across reconnects, and never detaches a socket it closed:
 *
 * - A response cut short by a killed broker stays in the buffer, and the next socket's responses
 *   are read on top of it: requests time out, or a length read from the wrong bytes throws in the
 *   socket's `data` handler and ends the process (`ERR_BUFFER_OUT_OF_BOUNDS`).
 * - A hung broker that wakes up answers, on the socket kafkajs closed, requests that timed out;
 *   those bytes land in the same buffer as the new socket's.
 * - Each `disconnect()` calls `unref()` on the socket, and Node answers that on a socket already
 *   closed by adding a `connect` listener that never fires: a cluster down for a while collects
 *   them until Node warns `MaxListenersExceededWarning` (seen in a soak after a kill -9).
 *
 * The mend empties the buffer and detaches the old socket whenever a new one opens, turns a
 * response that cannot be read into a connection error, which kafkajs retries like any other,
 * and makes `unref()` on a closed socket do nothing.
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
export interface KafkajsConnectionClass {
  prototype: KafkajsConnection
}

const MENDED = Symbol.for('kafkajs-dr.connection-mended')

/** The size field that starts every Kafka response. */
const SIZE_BYTES = 4

function emptyReadBuffer(connection: KafkajsConnection): void {
  connection.chunks = []
  connection.bytesBuffered = 0
  connection.bytesNeeded = SIZE_BYTES
}

const QUIET_UNREF = Symbol('kafkajs-dr.quiet-unref')

/** Makes `socket.unref()` do nothing once the socket is closed (see the module description). */
function quietUnref(socket: Socket & { [QUIET_UNREF]?: true }): void {
  if (socket[QUIET_UNREF]) return
  const unref = socket.unref.bind(socket)
  socket.unref = () => (socket.destroyed ? socket : unref())
  socket[QUIET_UNREF] = true
}

/**
 * Applies the mend to kafkajs' `Connection` (or to `connectionClass`, for tests). Returns whether
 * the class is mended; applying it again changes nothing.
 */
export function mendKafkajsConnection(connectionClass = ConnectionClass as KafkajsConnectionClass | undefined): boolean {
  const proto: (Partial<KafkajsConnection> & { [MENDED]?: true }) | undefined = connectionClass?.prototype
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
    const connecting = connect.call(this)
    if (this.socket !== undefined) quietUnref(this.socket)
    return connecting
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
