/**
 * kafkajs' `Connection` against a fake broker on loopback that answers the way a killed or hung
 * broker does: half a response then a closed socket, an unreadable response, a late answer on a
 * socket kafkajs already closed. Each test loads its own copy of the class, so the mend (or its
 * absence) stays inside the test.
 */
import { createRequire } from 'node:module'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import kafkajs from 'kafkajs'
import { ClusterConnection } from '../../../src/cluster/index.js'
import { mendKafkajsConnection, type KafkajsConnectionClass } from '../../../src/cluster/kafkajs-connection-mend.js'

const require = createRequire(import.meta.url)

interface Connection {
  connect(): Promise<boolean>
  disconnect(): Promise<boolean>
  send(input: { request: unknown; response: unknown }): Promise<number>
}
type ConnectionClass = KafkajsConnectionClass & (new (options: Record<string, unknown>) => Connection)

const connectionPath = require.resolve('kafkajs/src/network/connection')
/** The class kafkajs' own clients use (loaded with kafkajs, through the imports above). */
const kafkajsConnection = require(connectionPath) as ConnectionClass

/** A copy of kafkajs' Connection class of its own (the module loaded afresh, kafkajs' own left in place). */
function freshConnectionClass(): ConnectionClass {
  const original = require.cache[connectionPath]
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a fresh copy of one module
  delete require.cache[connectionPath]
  try {
    return require(connectionPath) as ConnectionClass
  } finally {
    require.cache[connectionPath] = original
  }
}

const Encoder = require('kafkajs/src/protocol/encoder') as new () => unknown
const { createLogger, LEVELS } = require('kafkajs/src/loggers') as { createLogger: (o: unknown) => unknown; LEVELS: { NOTHING: number } }
const socketFactory = (require('kafkajs/src/network/socketFactory') as () => unknown)()

/** An ApiVersions request whose response is read as one int32. */
const request = { apiKey: 18, apiVersion: 0, apiName: 'ApiVersions', encode: () => Promise.resolve(new Encoder()) }
const response = { decode: (payload: Buffer) => Promise.resolve(payload.readInt32BE(0)), parse: (value: number) => Promise.resolve(value) }

/** A response frame: size, correlation id, then `body`. */
function frame(correlationId: number, body: Buffer, size = 4 + body.length): Buffer {
  const head = Buffer.alloc(8)
  head.writeInt32BE(size, 0)
  head.writeInt32BE(correlationId, 4)
  return Buffer.concat([head, body])
}
const int32 = (value: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(value)
  return b
}
/** A request's correlation id (after its size, api key and version). */
const correlationIdOf = (request: Buffer): number => request.readInt32BE(8)

let server: Server | undefined
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

/** A fake broker: the nth connection's requests go to `answers[n]`. */
async function fakeBroker(answers: Array<(socket: Socket, correlationId: number) => void>): Promise<number> {
  let connections = 0
  const broker = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket)
    const answer = answers[Math.min(connections++, answers.length - 1)]!
    socket.on('data', (bytes) => {
      answer(socket, correlationIdOf(bytes))
    })
    socket.on('error', () => {})
  })
  server = broker
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve))
  return (broker.address() as AddressInfo).port
}

function connectionTo(Connection: ConnectionClass, port: number): Connection {
  return new Connection({
    host: '127.0.0.1',
    port,
    socketFactory,
    connectionTimeout: 1000,
    requestTimeout: 1000,
    enforceRequestTimeout: true,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
  })
}

const answersFine = (socket: Socket, correlationId: number): void => {
  socket.write(frame(correlationId, int32(42)))
}
/** Half of a 100-byte response, then the broker is gone. */
const diesMidResponse = (socket: Socket, correlationId: number): void => {
  socket.end(frame(correlationId, Buffer.alloc(6), 100))
}

async function sendAfterReconnect(Connection: ConnectionClass, port: number): Promise<number> {
  const connection = connectionTo(Connection, port)
  await connection.connect()
  await expect(connection.send({ request, response })).rejects.toThrow(/Closed connection/)
  await connection.connect()
  try {
    return await connection.send({ request, response })
  } finally {
    await connection.disconnect()
  }
}

describe('the kafkajs Connection mend', () => {
  it("without it, a response cut short by a dying broker spoils the next socket's first answer (kafkajs 2.2.4)", async () => {
    const port = await fakeBroker([diesMidResponse, answersFine])
    await expect(sendAfterReconnect(freshConnectionClass(), port)).rejects.toThrow(/timed out/)
  })

  it('empties the read buffer when a new socket opens: the answer after a reconnect is read whole', async () => {
    const Connection = freshConnectionClass()
    expect(mendKafkajsConnection(Connection)).toBe(true)
    const port = await fakeBroker([diesMidResponse, answersFine])
    await expect(sendAfterReconnect(Connection, port)).resolves.toBe(42)
  })

  it('turns a response that cannot be read into a connection error, and the connection works again after', async () => {
    const Connection = freshConnectionClass()
    mendKafkajsConnection(Connection)
    // A size of 2 leaves no room for the correlation id: kafkajs' read throws in the socket's data handler.
    const unreadable = (socket: Socket): void => {
      socket.write(int32(2))
      socket.write(Buffer.alloc(2))
    }
    const port = await fakeBroker([unreadable, answersFine])
    const connection = connectionTo(Connection, port)
    await connection.connect()
    await expect(connection.send({ request, response })).rejects.toThrow(/unreadable response from 127\.0\.0\.1/)
    await connection.connect()
    await expect(connection.send({ request, response })).resolves.toBe(42)
    await connection.disconnect()
  })

  it("never reads a late answer on a socket kafkajs closed into the new socket's answers", async () => {
    const Connection = freshConnectionClass()
    mendKafkajsConnection(Connection)
    let wakeUp: (() => void) | undefined
    // The first connection hangs (its answer held back) until the second connection opens.
    const hangs = (socket: Socket, correlationId: number): void => {
      wakeUp = () => socket.write(frame(correlationId, int32(7), 100))
    }
    const answersAfterTheLateBytes = (socket: Socket, correlationId: number): void => {
      wakeUp?.()
      setTimeout(() => socket.write(frame(correlationId, int32(42))), 50)
    }
    const port = await fakeBroker([hangs, answersAfterTheLateBytes])
    const connection = connectionTo(Connection, port)
    await connection.connect()
    await expect(connection.send({ request, response })).rejects.toThrow(/timed out/)
    await connection.disconnect()
    await connection.connect()
    await expect(connection.send({ request, response })).resolves.toBe(42)
    await connection.disconnect()
  })

  it('lets a cluster that stays down be disconnected again and again without piling listeners on the closed socket', async () => {
    const closesAtOnce = (socket: Socket): void => {
      socket.destroy()
    }
    const listenersAfter = async (Connection: ConnectionClass): Promise<number> => {
      const port = await fakeBroker([closesAtOnce])
      const connection = connectionTo(Connection, port)
      await connection.connect()
      await expect(connection.send({ request, response })).rejects.toThrow()
      const socket = (connection as unknown as { socket: Socket }).socket
      if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve))
      // Counted, not warned about: kafkajs' own class would print Node's warning in the test output.
      socket.setMaxListeners(20)
      // kafkajs disconnects a broker's connections each time a retry gives up on it.
      for (let i = 0; i < 11; i++) await connection.disconnect()
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
      return socket.listenerCount('connect')
    }
    // kafkajs' own: one per disconnect, a MaxListenersExceededWarning at the eleventh.
    expect(await listenersAfter(freshConnectionClass())).toBe(11)
    const Connection = freshConnectionClass()
    mendKafkajsConnection(Connection)
    expect(await listenersAfter(Connection)).toBe(0)
  })

  it('is applied once, and leaves a Connection of another shape alone', () => {
    const Connection = freshConnectionClass()
    expect(mendKafkajsConnection(Connection)).toBe(true)
    const { connect, processData } = Connection.prototype
    expect(mendKafkajsConnection(Connection)).toBe(true)
    expect(Connection.prototype.connect).toBe(connect)
    expect(Connection.prototype.processData).toBe(processData)
    expect(mendKafkajsConnection({ prototype: {} as KafkajsConnectionClass['prototype'] })).toBe(false)
  })

  it('is applied to the kafkajs the application uses once a cluster connection is built', () => {
    new ClusterConnection('dc1', 1, new kafkajs.Kafka({ brokers: ['127.0.0.1:9'] }))
    expect(Object.getOwnPropertySymbols(kafkajsConnection.prototype).map((s) => s.description)).toContain('kafkajs-dr.connection-mended')
  })
})
