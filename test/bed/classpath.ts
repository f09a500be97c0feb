/**
 * Finds Java and Maven, and resolves the bed's jars from Maven Central once: the classpath that
 * `mvn dependency:build-classpath` prints is cached per Kafka version in the user's cache folder,
 * and the jars themselves stay in Maven's local repository (~/.m2), so a fresh clone pays only
 * for what is not cached yet.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))

/** The Kafka version the bed runs unless `KAFKA_VERSION` says otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.3.1'

/** Files of the bed that ship with the project. */
export const BED_FILES = {
  pom: join(here, 'pom.xml'),
  log4j: join(here, 'log4j2.properties'),
  supervisor: join(here, 'supervisor-main.ts'),
}

/** Thrown when a prerequisite (java, mvn) is missing: the message says what to install. */
export class MissingPrerequisiteError extends Error {
  override name = 'MissingPrerequisiteError'
}

async function which(command: string, versionArgs: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, versionArgs, { timeout: 30_000 })
    return `${stdout}${stderr}`
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const what =
        command === 'java'
          ? 'Java 17 or newer (e.g. `apt-get install openjdk-17-jre-headless`)'
          : 'Apache Maven (e.g. `apt-get install maven`)'
      throw new MissingPrerequisiteError(`\`${command}\` was not found on PATH: the local Kafka bed needs ${what}.`)
    }
    throw error
  }
}

/** Checks that Java 17+ is installed; returns its major version. */
export async function checkJava(): Promise<number> {
  const out = await which('java', ['-version'])
  const match = /version "(\d+)(?:\.(\d+))?/.exec(out)
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0
  if (major < 17) throw new MissingPrerequisiteError(`Java ${major || '(unknown version)'} found, but Kafka 4 needs Java 17 or newer.`)
  return major
}

/** kafkajs-dr's cache folder for what the tests fetch (jar classpaths, Node.js binaries). */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
  return join(base, 'kafkajs-dr')
}

/**
 * Returns the Java classpath (joined with ':') holding the Kafka broker and MirrorMaker 2 of
 * `version`, fetching the jars with Maven on first use.
 */
export async function resolveClasspath(version = DEFAULT_KAFKA_VERSION): Promise<string> {
  const pom = await readFile(BED_FILES.pom)
  const key = createHash('sha256').update(pom).update(version).digest('hex').slice(0, 12)
  const file = join(cacheDir(), `classpath-${version}-${key}.txt`)
  if (existsSync(file)) {
    const cached = (await readFile(file, 'utf8')).trim()
    // The cache is only a list of paths into ~/.m2: trust it only while every jar is still there.
    if (cached && cached.split(':').every((jar) => existsSync(jar))) return cached
  }
  await which('mvn', ['--version'])
  await mkdir(dirname(file), { recursive: true })
  try {
    await run(
      'mvn',
      ['-q', '-B', '-f', BED_FILES.pom, `-Dkafka.version=${version}`, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`],
      {
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    )
  } catch (error) {
    const out = error as { stdout?: string; stderr?: string }
    const tail = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`Maven could not resolve Kafka ${version} from Maven Central:\n${tail}`)
  }
  return (await readFile(file, 'utf8')).trim()
}
