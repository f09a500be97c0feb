/**
 * Tells an authentication failure from the rest among the errors kafkajs raises: a refused SASL
 * login, or a TLS handshake that failed on the broker's certificate. Either is a configuration
 * problem that no retry fixes, and it must not look like a cluster that is merely down.
 *
 * @module
 */
import { causeChain } from './cause-chain.js'

/**
 * What failed: the SASL login (credentials, mechanism) or the TLS handshake (the broker's certificate).
 *
 * @group Errors
 */
export type AuthenticationFailureKind = 'sasl' | 'tls'

/** An authentication failure found in an error's cause chain. */
export interface AuthenticationFailure {
  kind: AuthenticationFailureKind
  /** The underlying error's message (kafkajs' or Node's; never holds a credential), with the TLS code when there is one. */
  detail: string
}

/**
 * Node's certificate verification errors (`tls` documentation, "X509 certificate error codes"),
 * and the host-name check: the broker's certificate is not trusted for this connection.
 */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** Kafka's own error types for a refused SASL exchange (kafkajs `KafkaJSProtocolError.type`). */
const SASL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE'])

/**
 * The authentication failure behind `error`, looking through the errors it wraps (kafkajs'
 * `cause` and `originalError`, kafkajs-dr's `cause`); `undefined` when there is none.
 *
 * - `sasl`: kafkajs' `KafkaJSSASLAuthenticationError` (wrong user or password, a mechanism the
 *   broker does not enable) or a Kafka SASL error type.
 * - `tls`: a connection error whose `code` is a certificate verification error
 *   (`SELF_SIGNED_CERT_IN_CHAIN`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`,
 *   `ERR_TLS_CERT_ALTNAME_INVALID`, ...) or an OpenSSL handshake error (`ERR_SSL_...`: the broker
 *   refused the client's certificate, or TLS spoken to a listener without it).
 */
export function authenticationFailureOf(error: unknown): AuthenticationFailure | undefined {
  for (const e of causeChain(error, 8)) {
    if (typeof e !== 'object' || e === null) continue
    const { name, code, type, message } = e as { name?: unknown; code?: unknown; type?: unknown; message?: unknown }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- another library's error: its own toString if it has one
    const text = typeof message === 'string' ? message : String(e)
    if (name === 'KafkaJSSASLAuthenticationError' || (typeof type === 'string' && SASL_TYPES.has(type)))
      return { kind: 'sasl', detail: text }
    if (typeof code === 'string' && (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_SSL_')))
      return { kind: 'tls', detail: `${text} (${code})` }
  }
  return undefined
}
