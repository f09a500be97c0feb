import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerJudge, brokerAnswers } from '../../bed/watchdog.js'

const LIMITS = { diedMs: 10_000, pausedMs: 80_000, silentMs: 75_000 }

describe('BrokerJudge', () => {
  it('fails a broker that died on its own once it has stayed dead past the limit', () => {
    const judge = new BrokerJudge(LIMITS)
    expect(judge.judge('dc1', 'died', 0)).toBeUndefined()
    expect(judge.judge('dc1', 'died', 9_999)).toBeUndefined()
    expect(judge.judge('dc1', 'died', 10_000)).toMatch(/^dc1 died on its own .* 10 s ago$/)
  })

  it('leaves alone a broker the bed stopped, however long, and one that answers', () => {
    const judge = new BrokerJudge(LIMITS)
    for (let t = 0; t <= 600_000; t += 5000) {
      expect(judge.judge('dc1', 'stopped', t)).toBeUndefined()
      expect(judge.judge('dc2', 'answering', t)).toBeUndefined()
    }
  })

  it('tolerates the pauses and silences tests cause, and fails those that outlast them', () => {
    const judge = new BrokerJudge(LIMITS)
    expect(judge.judge('dc1', 'paused', 0)).toBeUndefined()
    expect(judge.judge('dc1', 'paused', 30_000)).toBeUndefined()
    expect(judge.judge('dc1', 'paused', 80_000)).toMatch(/hung \(SIGSTOP\) for 80 s/)
    expect(judge.judge('dc2', 'silent', 0)).toBeUndefined()
    expect(judge.judge('dc2', 'silent', 74_999)).toBeUndefined()
    expect(judge.judge('dc2', 'silent', 75_000)).toMatch(/has not answered a request for 75 s/)
  })

  it('starts the clock again whenever the state changes', () => {
    const judge = new BrokerJudge(LIMITS)
    expect(judge.judge('dc1', 'silent', 0)).toBeUndefined()
    expect(judge.judge('dc1', 'answering', 70_000)).toBeUndefined()
    expect(judge.judge('dc1', 'silent', 71_000)).toBeUndefined()
    expect(judge.judge('dc1', 'silent', 145_000)).toBeUndefined()
    expect(judge.judge('dc1', 'silent', 146_000)).toMatch(/75 s/)
  })
})

describe('brokerAnswers', () => {
  let server: Server | undefined
  afterEach(() => server?.close())

  async function listen(onData: (socket: import('node:net').Socket) => void): Promise<number> {
    server = createServer((socket) => socket.once('data', () => onData(socket)))
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  it('is true when the broker sends anything back', async () => {
    const port = await listen((socket) => socket.write(Buffer.alloc(8)))
    expect(await brokerAnswers(port, 1000)).toBe(true)
  })

  it('is false when the broker accepts the connection and says nothing (hung)', async () => {
    const port = await listen(() => {})
    expect(await brokerAnswers(port, 200)).toBe(false)
  })

  it('is false when nothing listens', async () => {
    const port = await listen(() => {})
    server!.close()
    server = undefined
    expect(await brokerAnswers(port, 1000)).toBe(false)
  })
})
