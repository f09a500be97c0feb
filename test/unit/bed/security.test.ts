import { describe, expect, it } from 'vitest'
import { BED_CLUSTERS, brokerProperties, mirrorMakerProperties } from '../../bed/config.js'
import { parseBedSecurity, scramFormatArgs, secureClientConfigs, securityFiles, type BedCredentials } from '../../bed/security.js'

describe("the bed's security mode (properties only; the bed itself runs in test/integration/security.test.ts)", () => {
  const dc1 = BED_CLUSTERS[0]!
  const files = securityFiles('/state')
  const credentials: BedCredentials = { admin: 'a'.repeat(32), 'dr-app': 'b'.repeat(32) }
  const props = (text: string): Map<string, string> =>
    new Map(
      text
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    )

  it('adds a SASL_SSL listener beside PLAINTEXT, SCRAM, the PEM key store and the StandardAuthorizer; PLAINTEXT stays as it was', () => {
    const plain = props(brokerProperties(dc1, '/data', 'bed'))
    const secured = props(brokerProperties(dc1, '/data', 'bed', files))
    expect(secured.get('listeners')).toBe(
      `PLAINTEXT://127.0.0.1:${dc1.port},SASL_SSL://127.0.0.1:${dc1.securePort},CONTROLLER://127.0.0.1:${dc1.controllerPort}`,
    )
    expect(secured.get('advertised.listeners')).toBe(`PLAINTEXT://127.0.0.1:${dc1.port},SASL_SSL://127.0.0.1:${dc1.securePort}`)
    expect(secured.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT')
    expect(secured.get('inter.broker.listener.name')).toBe('PLAINTEXT')
    expect(secured.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512')
    expect(secured.get('listener.name.sasl_ssl.ssl.keystore.location')).toBe(files.serverKeystore)
    expect(secured.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer')
    expect(secured.get('super.users')).toBe('User:admin;User:ANONYMOUS')
    // No password in server.properties: the users' are in the metadata, the key is not encrypted.
    expect([...secured.values()].join('\n')).not.toMatch(/a{32}|b{32}/)
    for (const [key, value] of plain)
      if (!['listeners', 'advertised.listeners', 'listener.security.protocol.map'].includes(key)) expect(secured.get(key), key).toBe(value)
    expect(plain.get('listeners')).toBe(`PLAINTEXT://127.0.0.1:${dc1.port},CONTROLLER://127.0.0.1:${dc1.controllerPort}`)
  })

  it('makes MirrorMaker 2 log in as the super user over SASL_SSL', () => {
    const mm2 = props(mirrorMakerProperties(BED_CLUSTERS, { files, credentials }))
    for (const c of BED_CLUSTERS) {
      expect(mm2.get(`${c.name}.bootstrap.servers`)).toBe(`127.0.0.1:${c.securePort}`)
      expect(mm2.get(`${c.name}.security.protocol`)).toBe('SASL_SSL')
      expect(mm2.get(`${c.name}.sasl.mechanism`)).toBe('SCRAM-SHA-512')
      expect(mm2.get(`${c.name}.sasl.jaas.config`)).toBe(
        `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${'a'.repeat(32)}";`,
      )
      expect(mm2.get(`${c.name}.ssl.truststore.location`)).toBe(files.caCert)
    }
    expect(props(mirrorMakerProperties(BED_CLUSTERS)).get('dc1.bootstrap.servers')).toBe(`127.0.0.1:${dc1.port}`)
  })

  it('gives each cluster the kafkajs config of a user, and the storage tool both users', () => {
    const configs = secureClientConfigs(BED_CLUSTERS, '-----BEGIN CERTIFICATE-----\n...', credentials)
    expect(configs.dc2).toEqual({
      clientId: 'kafkajs-dr-bed-dr-app',
      brokers: [`127.0.0.1:${BED_CLUSTERS[1]!.securePort}`],
      ssl: { ca: '-----BEGIN CERTIFICATE-----\n...' },
      sasl: { mechanism: 'scram-sha-512', username: 'dr-app', password: 'b'.repeat(32) },
    })
    expect(secureClientConfigs(BED_CLUSTERS, 'ca', credentials, 'admin').dc1!.sasl).toMatchObject({ username: 'admin' })
    expect(scramFormatArgs(credentials)).toEqual([
      '--add-scram',
      `SCRAM-SHA-512=[name=admin,password=${'a'.repeat(32)}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=dr-app,password=${'b'.repeat(32)}]`,
    ])
  })

  it('reads the mode by name', () => {
    expect(parseBedSecurity('SASL_SSL')).toBe('sasl_ssl')
    expect(parseBedSecurity('none')).toBe('none')
    expect(() => parseBedSecurity('ssl')).toThrow(/unknown bed security/)
  })
})
