import { describe, expect, it } from 'vitest'
import { ago, cell, duration, json, short, table } from '../../../src/cli/output.js'

describe('CLI output', () => {
  it('aligns table columns and trims trailing spaces', () => {
    expect(
      table(
        ['A', 'LONG HEADER', 'C'],
        [
          ['x', '1', 'last'],
          ['yyyy', '22', ''],
        ],
      ),
    ).toBe(['  A     LONG HEADER  C', '  x     1            last', '  yyyy  22'].join('\n'))
  })

  it('writes durations and ages for people', () => {
    expect(duration(850)).toBe('850 ms')
    expect(duration(4240)).toBe('4.2 s')
    expect(duration(185_000)).toBe('3 min 5 s')
    expect(duration(7_800_000)).toBe('2 h 10 min')
    expect(duration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h')
    expect(ago(1000, 5200)).toBe('4.2 s ago')
    expect(ago(9000, 5000)).toBe('0 ms ago')
  })

  it('fills empty cells, shortens long text to one line, and prints bigints in JSON', () => {
    expect(cell(undefined)).toBe('-')
    expect(cell(null)).toBe('-')
    expect(cell('')).toBe('-')
    expect(cell(0)).toBe('0')
    expect(short('a\n  b', 80)).toBe('a b')
    expect(short('x'.repeat(10), 5)).toBe('xxxx…')
    expect(json({ offset: 12n })).toBe('{\n  "offset": "12"\n}\n')
  })
})
