/**
 * The first start of the local bed downloads Apache Kafka and MirrorMaker 2 (about 65 MB)
 * with Maven. The bed runs Maven quietly; on a machine without the jars the drill runs it first
 * in the open, so the user sees what is downloaded instead of a minute of silence: one line per
 * jar with its size, and a running total. The bed's own (quiet) run then finds everything in
 * Maven's local repository.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BED_FILES, MissingPrerequisiteError } from '../test/bed/classpath.js'

/**
 * Whether the bed's classpath is cached and every jar on it is present. The cache file's name
 * follows test/bed/classpath.ts (`resolveClasspath`): if that ever changes, the only effect here
 * is one visible Maven run that finds everything present.
 */
export function bedJarsPresent(version: string): boolean {
  const key = createHash('sha256').update(readFileSync(BED_FILES.pom)).update(version).digest('hex').slice(0, 12)
  const file = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kafkajs-dr', `classpath-${version}-${key}.txt`)
  if (!existsSync(file)) return false
  const jars = readFileSync(file, 'utf8').trim()
  return jars !== '' && jars.split(':').every((jar) => existsSync(jar))
}

/** Sizes as Maven prints them ("12 kB", "6.5 MB") in bytes. */
function bytesOf(size: string, unit: string): number {
  const factor = unit === 'B' ? 1 : unit === 'kB' ? 1e3 : unit === 'MB' ? 1e6 : 1e9
  return Number(size) * factor
}

function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`
}

/**
 * Downloads the bed's jars with Maven (`dependency:resolve` on the bed's pom), printing one line
 * per jar and per build phase through `log`. Rejects with Maven's last lines when it fails.
 */
export async function downloadBedJars(version: string, log: (line: string) => void): Promise<void> {
  log(
    `downloading Apache Kafka ${version} and MirrorMaker 2 from Maven Central into ~/.m2 (first run only; about 65 MB with Maven's plugins)`,
  )
  const started = Date.now()
  let files = 0
  let total = 0
  const tail: string[] = []
  const child = spawn('mvn', ['-B', '-f', BED_FILES.pom, `-Dkafka.version=${version}`, 'dependency:resolve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const onLine = (line: string): void => {
    tail.push(line)
    if (tail.length > 20) tail.shift()
    // "Downloaded from central: https://.../kafka_2.13-4.3.1.jar (6.5 MB at 3.1 MB/s)"
    const done = /^\[INFO\] Downloaded from [^:]+: (\S+) \(([\d.]+) (B|kB|MB|GB)/.exec(line)
    if (done) {
      files++
      total += bytesOf(done[2]!, done[3]!)
      const name = done[1]!.slice(done[1]!.lastIndexOf('/') + 1)
      // Jars are what weighs; the many small poms only count towards the total.
      if (name.endsWith('.jar'))
        log(
          `  ${name} ${done[2]} ${done[3]}  (${files} files, ${formatBytes(total)} so far, ${Math.round((Date.now() - started) / 1000)} s)`,
        )
      return
    }
    // "[INFO] --- dependency:3.7.0:resolve (default-cli) @ kafkajs-dr-bed ---": a phase of the build.
    const phase = /^\[INFO\] --- (\S+)/.exec(line)
    if (phase) log(`  maven: ${phase[1]}`)
  }
  createInterface({ input: child.stdout }).on('line', onLine)
  createInterface({ input: child.stderr }).on('line', onLine)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new MissingPrerequisiteError(
              '`mvn` was not found on PATH: the local Kafka bed needs Apache Maven (e.g. `apt-get install maven`).',
            )
          : error,
      )
    })
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`Maven could not download Kafka ${version} (exit ${code}):\n${tail.join('\n')}`)
  log(`downloaded ${files} files, ${formatBytes(total)}, in ${Math.round((Date.now() - started) / 1000)} s`)
}
