import { describe, expect, it } from 'vitest'
import { parseChaosArgs } from '../../../chaos/cli.js'

describe('npm run chaos flags', () => {
  it('reads --quick, --only, --out and --markdown, and --help', () => {
    expect(parseChaosArgs([])).toEqual({ quick: false, only: [], outDir: 'chaos-out', markdown: undefined })
    expect(parseChaosArgs(['--quick', '--only', '1,3', '--out=o', '--markdown', 'docs/chaos.md'])).toEqual({
      quick: true,
      only: [1, 3],
      outDir: 'o',
      markdown: 'docs/chaos.md',
    })
    expect(parseChaosArgs(['-h'])).toBe('help')
  })

  it('refuses a wrong flag, naming it', () => {
    expect(() => parseChaosArgs(['--only', '99'])).toThrow(/--only: no scenario '99'/)
    expect(() => parseChaosArgs(['--out'])).toThrow('--out needs a value')
    expect(() => parseChaosArgs(['--qiuck'])).toThrow("unknown option '--qiuck' (did you mean --quick?); see npm run chaos -- --help")
  })
})
