/**
 * The bed's security mode (`npm run bed:up -- --security sasl_ssl`): besides the PLAINTEXT
 * listener every test uses, each broker gets a SASL_SSL listener (TLS with a certificate signed by
 * a CA made for this bed, SCRAM-SHA-512 logins) and Kafka's StandardAuthorizer; MirrorMaker 2
 * replicates through the SASL_SSL listeners.
 *
 * - Certificates: a CA and one server certificate for 127.0.0.1 and localhost (subject alternative
 *   names), EC P-256, made with openssl when the bed's storage is first formatted (a few ms; the
 *   JDK's keytool would take seconds). Kafka reads them as PEM files.
 * - Users: {@link BED_ADMIN_USER} (a super user: MirrorMaker 2 and tools) and {@link BED_APP_USER}
 *   (for applications; it holds no ACL until one is granted), SCRAM-SHA-512 with random passwords,
 *   written into the metadata by `kafka-storage format --add-scram` before the brokers first start.
 * - ACLs: the principal of the PLAINTEXT and controller listeners (`User:ANONYMOUS`) is a super
 *   user too, so that everything that uses the PLAINTEXT listener works as without security.
 * - Files: `<state dir>/security/` holds the keys, certificates and `credentials.json`;
 *   `<state dir>/client-config.json` holds, per cluster, the kafkajs `KafkaConfig` of
 *   {@link BED_APP_USER} (`brokers`, `ssl.ca` as PEM text, `sasl`), so a script connects with
 *   `new Kafka(config.dc1)`; `admin-client-config.json` the same for {@link BED_ADMIN_USER}.
 *   Passwords live there only (mode 0600), and in MirrorMaker 2's properties, also in the state
 *   folder; Kafka prints password settings as `[hidden]`.
 * - The identity flow's MirrorMaker 2 (`--identity`), the supervisor and the bed handle's own
 *   clients (`bed.kafka()`) keep using the PLAINTEXT listeners.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { KafkaConfig } from 'kafkajs'
import { MissingPrerequisiteError } from './classpath.js'

const run = promisify(execFile)

/** Security of the bed's brokers: `none` (PLAINTEXT only) or `sasl_ssl` (a SASL_SSL listener besides). */
export type BedSecurity = 'none' | 'sasl_ssl'

/** Reads a security mode (`none`, `sasl_ssl`); throws on anything else. */
export function parseBedSecurity(value: string): BedSecurity {
  const v = value.toLowerCase()
  if (v === 'none' || v === 'sasl_ssl') return v
  throw new Error(`unknown bed security '${value}': use 'sasl_ssl' or 'none'`)
}

/** The SCRAM mechanism of the bed's users, as Kafka names it. */
export const SCRAM_MECHANISM = 'SCRAM-SHA-512'

/** Super user of the secured bed: MirrorMaker 2 and tools log in with it. */
export const BED_ADMIN_USER = 'admin'

/** The applications' user of the secured bed: no ACL until one is granted (see docs/acls.md). */
export const BED_APP_USER = 'dr-app'

/** A user of the secured bed. */
export type BedUser = typeof BED_ADMIN_USER | typeof BED_APP_USER

/** Passwords of the bed's users (random, made at the bed's first start). */
export type BedCredentials = Record<BedUser, string>

/** Where the security material of a bed lives. */
export interface SecurityFiles {
  dir: string
  /** The CA's certificate (PEM): the trust store of every client. */
  caCert: string
  caKey: string
  /** The brokers' private key (unencrypted PKCS#8) followed by their certificate: a PEM key store. */
  serverKeystore: string
  /** The passwords, as JSON ({@link BedCredentials}). */
  credentials: string
}

/** The files of the security material in a bed's state folder. */
export function securityFiles(stateDir: string): SecurityFiles {
  const dir = join(stateDir, 'security')
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    serverKeystore: join(dir, 'server-keystore.pem'),
    credentials: join(dir, 'credentials.json'),
  }
}

/** `client-config.json` (the app user's configs) and `admin-client-config.json` of a bed. */
export function clientConfigFile(stateDir: string, user: BedUser = BED_APP_USER): string {
  return join(stateDir, user === BED_ADMIN_USER ? 'admin-client-config.json' : 'client-config.json')
}

/** A password of 32 hex digits: nothing that `--add-scram`'s or JAAS' syntax would read specially. */
function randomPassword(): string {
  return randomBytes(16).toString('hex')
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MissingPrerequisiteError(
        "`openssl` was not found on PATH: the bed's security mode makes its certificates with it (e.g. `apt-get install openssl`).",
      )
    }
    const out = error as { stderr?: string }
    throw new Error(`openssl ${args[0]} failed: ${out.stderr ?? String(error)}`)
  }
}

/**
 * Makes the CA, the server certificate and the passwords unless they exist; returns the
 * passwords. Idempotent: a bed keeps its material until `bed:down` removes the state folder.
 */
export async function ensureSecurityMaterial(stateDir: string): Promise<BedCredentials> {
  const files = securityFiles(stateDir)
  await mkdir(files.dir, { recursive: true, mode: 0o700 })
  if (![files.caCert, files.serverKeystore].every((f) => existsSync(f))) {
    const serverKey = join(files.dir, 'server.key')
    const csr = join(files.dir, 'server.csr')
    const cert = join(files.dir, 'server.pem')
    const ext = join(files.dir, 'server.ext')
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    await openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      files.caKey,
      '-out',
      files.caCert,
      '-days',
      '3650',
      '-subj',
      '/CN=kafkajs-dr bed CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
    await openssl(['req', ...ec, '-keyout', serverKey, '-out', csr, '-subj', '/CN=localhost'])
    await writeFile(
      ext,
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
    )
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      files.caCert,
      '-CAkey',
      files.caKey,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '825',
      '-extfile',
      ext,
      '-out',
      cert,
    ])
    await writeFile(files.serverKeystore, `${await readFile(serverKey, 'utf8')}${await readFile(cert, 'utf8')}`, { mode: 0o600 })
    await Promise.all([serverKey, csr, ext, cert].map((f) => rm(f, { force: true })))
  }
  if (!existsSync(files.credentials)) {
    const credentials: BedCredentials = { [BED_ADMIN_USER]: randomPassword(), [BED_APP_USER]: randomPassword() }
    await writeFile(files.credentials, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 })
  }
  return readCredentials(stateDir)
}

/** The passwords of a secured bed (throws when the bed has none). */
export function readCredentials(stateDir: string): BedCredentials {
  const file = securityFiles(stateDir).credentials
  if (!existsSync(file)) throw new Error(`the bed in ${stateDir} has no credentials (${file}): it was not started with --security sasl_ssl`)
  return JSON.parse(readFileSync(file, 'utf8')) as BedCredentials
}

/** `--add-scram` arguments of `kafka-storage format` that create both users. */
export function scramFormatArgs(credentials: BedCredentials): string[] {
  return Object.entries(credentials).flatMap(([name, password]) => [
    '--add-scram',
    `${SCRAM_MECHANISM}=[name=${name},password=${password}]`,
  ])
}

/** The JAAS line of a SCRAM login (MirrorMaker 2's clients). */
function scramJaas(user: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`
}

/** What server.properties gains in the security mode: the SASL_SSL listener's TLS, SCRAM and the authorizer. */
export function brokerSecurityProperties(files: SecurityFiles): Record<string, string> {
  return {
    'sasl.enabled.mechanisms': SCRAM_MECHANISM,
    // The server side of a SCRAM listener needs a JAAS entry, with no user of its own (brokers
    // talk to each other and to the controller over PLAINTEXT).
    [`listener.name.sasl_ssl.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]:
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': files.serverKeystore,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // ANONYMOUS: the PLAINTEXT and controller listeners, whose users (the tests, the bed, the
    // broker itself) keep every right they had without an authorizer.
    'super.users': `User:${BED_ADMIN_USER};User:ANONYMOUS`,
  }
}

/** What mm2.properties gains for one cluster alias in the security mode: its clients log in as {@link BED_ADMIN_USER} over SASL_SSL. */
export function mirrorMakerSecurityProperties(alias: string, files: SecurityFiles, credentials: BedCredentials): Record<string, string> {
  return {
    [`${alias}.security.protocol`]: 'SASL_SSL',
    [`${alias}.sasl.mechanism`]: SCRAM_MECHANISM,
    [`${alias}.sasl.jaas.config`]: scramJaas(BED_ADMIN_USER, credentials[BED_ADMIN_USER]),
    [`${alias}.ssl.truststore.type`]: 'PEM',
    [`${alias}.ssl.truststore.location`]: files.caCert,
  }
}

/** The kafkajs config of `user` for each cluster: the SASL_SSL listener, the bed's CA, SCRAM-SHA-512. */
export function secureClientConfigs(
  clusters: ReadonlyArray<{ name: string; securePort: number }>,
  caPem: string,
  credentials: BedCredentials,
  user: BedUser = BED_APP_USER,
): Record<string, KafkaConfig> {
  return Object.fromEntries(
    clusters.map((c) => [
      c.name,
      {
        clientId: `kafkajs-dr-bed-${user}`,
        brokers: [`127.0.0.1:${c.securePort}`],
        ssl: { ca: caPem },
        sasl: { mechanism: 'scram-sha-512', username: user, password: credentials[user] },
      } satisfies KafkaConfig,
    ]),
  )
}

/** Writes `client-config.json` and `admin-client-config.json` (mode 0600). */
export async function writeClientConfigs(
  stateDir: string,
  clusters: ReadonlyArray<{ name: string; securePort: number }>,
  credentials: BedCredentials,
): Promise<void> {
  const ca = await readFile(securityFiles(stateDir).caCert, 'utf8')
  for (const user of [BED_APP_USER, BED_ADMIN_USER] as const) {
    await writeFile(
      clientConfigFile(stateDir, user),
      `${JSON.stringify(secureClientConfigs(clusters, ca, credentials, user), null, 2)}\n`,
      { mode: 0o600 },
    )
  }
}
