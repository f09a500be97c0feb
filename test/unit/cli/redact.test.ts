import { describe, expect, it } from 'vitest'
import { installRedaction, MIN_SECRET_LENGTH, REDACTED, Redactor } from '../../../src/cli/redact.js'

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n'

describe('CLI output scrubber', () => {
  it('replaces each secret, as it is, inside JSON strings, and line by line for multi-line secrets', () => {
    const r = new Redactor(['hunter2-long', 'pa"ss\\word', KEY])
    expect(r.redact('login with hunter2-long failed; hunter2-long again')).toBe(`login with ${REDACTED} failed; ${REDACTED} again`)
    expect(r.redact(JSON.stringify({ password: 'pa"ss\\word' }))).toBe(`{"password":"${REDACTED}"}`)
    expect(r.redact(`key: ${KEY}`)).toBe(`key: ${REDACTED}`)
    expect(r.redact(JSON.stringify(KEY))).toBe(`"${REDACTED}"`)
    expect(r.redact('line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj')).toBe(`line: ${REDACTED}`)
    expect(r.redact('nothing secret here')).toBe('nothing secret here')
  })

  it(`leaves secrets shorter than ${MIN_SECRET_LENGTH} characters alone (the output would be unreadable)`, () => {
    const r = new Redactor(['dc', 'abc'])
    expect(r.empty).toBe(true)
    expect(r.redact('dc1 abc')).toBe('dc1 abc')
  })

  it('scrubs every write to stdout and stderr, strings and buffers, until uninstalled', () => {
    const written: string[] = []
    const originals = [process.stdout.write, process.stderr.write]
    const capture = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      const done = typeof encoding === 'function' ? encoding : cb
      if (typeof done === 'function') (done as () => void)()
      return true
    }) as typeof process.stdout.write
    process.stdout.write = capture
    process.stderr.write = capture
    try {
      const uninstall = installRedaction(new Redactor(['s3cr3t-value']))
      let called = false
      process.stdout.write('a s3cr3t-value\n', () => {
        called = true
      })
      process.stderr.write(Buffer.from('b s3cr3t-value\n'))
      process.stdout.write('c s3cr3t-value\n', 'utf8')
      uninstall()
      process.stdout.write('d s3cr3t-value\n')
      expect(written).toEqual([`a ${REDACTED}\n`, `b ${REDACTED}\n`, `c ${REDACTED}\n`, 'd s3cr3t-value\n'])
      expect(called).toBe(true)
    } finally {
      process.stdout.write = originals[0]!
      process.stderr.write = originals[1]!
    }
  })
})
