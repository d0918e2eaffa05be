// AWS Signature Version 4, verified: a request signed with a whohad key's secret (access key id = the
// key's id) is what SDKs and the AWS CLI send when they are pointed at whohad. The canonical request is
// built exactly as AWS specifies it for services other than S3 (path segments normalised and encoded
// twice, query parameters decoded, re-encoded and sorted, headers named in SignedHeaders with their
// values trimmed), so that any SDK's signer agrees with it. Pure: the caller hashes the body and gives
// the clock and the secrets.
import { createHmac, hash, timingSafeEqual } from 'node:crypto'

export const ALGORITHM = 'AWS4-HMAC-SHA256'
/** AWS refuses a signature more than 15 minutes from its clock, either way. */
export const MAX_SKEW_MS = 15 * 60_000
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export interface SignedRequest {
  readonly method: string
  /** The request target as received: path and query string, still percent-encoded. */
  readonly url: string
  /** Header names in lower case (as Node gives them). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** sha256 of the body as received, hex. */
  readonly bodySha256: string
}

export type Verification =
  | { readonly ok: true; readonly accessKeyId: string; readonly region: string; readonly service: string }
  | { readonly ok: false; readonly failure: SigV4Failure; readonly reason: string }

/**
 * Why a signature was refused, in the classes AWS's own errors tell apart (EC2 answers each with its
 * own code): the request is not a complete signature, it was signed too long ago (or ahead), its key is
 * unknown, or the signature is not the request's.
 */
export type SigV4Failure = 'incomplete' | 'expired' | 'unknown-key' | 'mismatch'

/** Whether a request carries a SigV4 Authorization header at all (else another scheme applies). */
export function isSigV4(authorization: string | undefined): boolean {
  return authorization !== undefined && authorization.startsWith(`${ALGORITHM} `)
}

/** The region and service a SigV4 Authorization header names, unverified (for a server running open). */
export function credentialScope(authorization: string | undefined): { region: string; service: string } | undefined {
  const auth = parseAuthorization(authorization)
  if (typeof auth === 'string') return undefined
  const [, , region, service] = auth.credential.split('/')
  return region && service ? { region, service } : undefined
}

/**
 * Verifies `req` against the secret of the access key it names. The reasons never contain a secret
 * (and never the expected signature, which would let a caller forge one for a tampered request).
 */
export function verifySigV4(req: SignedRequest, secretOf: (accessKeyId: string) => string | undefined, now: number): Verification {
  const auth = parseAuthorization(header(req.headers, 'authorization'))
  if (typeof auth === 'string') return fail('incomplete', auth)
  const [accessKeyId, date, region, service, terminator, ...extra] = auth.credential.split('/')
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request' || extra.length > 0) {
    return fail('incomplete', 'the Credential must be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request')
  }
  const amzDate = header(req.headers, 'x-amz-date')
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) return fail('incomplete', 'an x-amz-date header like 20260102T030405Z is required')
  if (amzDate.slice(0, 8) !== date) return fail('incomplete', "the Credential's date is not the x-amz-date's")
  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15))
  if (!Number.isFinite(signedAt) || Math.abs(now - signedAt) > MAX_SKEW_MS) return fail('expired', 'the request was signed more than 15 minutes from this server\'s time (check the clock)')
  if (!auth.signedHeaders.includes('host')) return fail('incomplete', 'SignedHeaders must include host')
  const secret = secretOf(accessKeyId)
  if (secret === undefined) return fail('unknown-key', 'that access key id is not known to this server')

  const declared = header(req.headers, 'x-amz-content-sha256')
  if (declared !== undefined && declared.toLowerCase() !== req.bodySha256) return fail('mismatch', 'x-amz-content-sha256 is not the hash of the body (an unsigned payload is not accepted)')
  const canonical = canonicalRequest(req, auth.signedHeaders, declared ?? req.bodySha256)
  if (typeof canonical !== 'string') return fail('incomplete', canonical.reason)
  const scope = `${date}/${region}/${service}/aws4_request`
  const toSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`
  const key = signingKey(secret, date, region, service)
  const want = createHmac('sha256', key).update(toSign).digest()
  const got = Buffer.from(auth.signature, 'hex')
  if (got.length !== want.length || !timingSafeEqual(got, want)) return fail('mismatch', 'the signature does not match the request (wrong secret, or the request was changed after signing)')
  return { ok: true, accessKeyId, region, service }
}

const fail = (failure: SigV4Failure, reason: string): Verification => ({ ok: false, failure, reason })

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name]
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join(',')
}

interface Authorization {
  readonly credential: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
}

function parseAuthorization(value: string | undefined): Authorization | string {
  if (!value || !isSigV4(value)) return `the Authorization header must start with ${ALGORITHM}`
  const parts = new Map<string, string>()
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const credential = parts.get('Credential')
  const signed = parts.get('SignedHeaders')
  const signature = parts.get('Signature')
  if (!credential || !signed || !signature) return 'the Authorization header needs Credential=, SignedHeaders= and Signature='
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'the Signature must be 64 lower-case hex digits'
  const signedHeaders = signed.split(';')
  // AWS's order: lower case, sorted, each once. A list in another order would sign another request.
  const sorted = [...new Set(signedHeaders.map((h) => h.toLowerCase()))].sort()
  if (sorted.join(';') !== signed) return 'SignedHeaders must be lower-case header names, sorted, separated by ;'
  return { credential, signedHeaders, signature }
}

/** The canonical request, or why the request cannot have one (a malformed escape, a missing signed header). */
export function canonicalRequest(req: Pick<SignedRequest, 'method' | 'url' | 'headers'>, signedHeaders: readonly string[], payloadHash: string): string | { reason: string } {
  const q = req.url.indexOf('?')
  const path = q < 0 ? req.url : req.url.slice(0, q)
  if (normalisedPath(path) !== path) return { reason: 'the path must be normalised (no empty, . or .. segments)' }
  const query = canonicalQuery(q < 0 ? '' : req.url.slice(q + 1))
  if (query === undefined) return { reason: 'the query string has a malformed percent-escape' }
  const lines: string[] = []
  for (const name of signedHeaders) {
    const value = header(req.headers, name)
    if (value === undefined) return { reason: `the signed header ${name} is missing` }
    lines.push(`${name}:${value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '')}`)
  }
  return [req.method.toUpperCase(), canonicalPath(path), query, ...lines, '', signedHeaders.join(';'), payloadHash].join('\n')
}

/** Segments normalised (empty ones and `.` dropped, `..` up one) and the path as received encoded again. */
export function canonicalPath(path: string): string {
  return uriEncode(normalisedPath(path)).replace(/%2F/g, '/')
}

/**
 * The path with empty and `.` segments dropped and `..` taking one off. A request whose path is not
 * already normalised is refused: the router does not normalise, so `/v1/x/../ec2/` would be signed as one
 * path and routed as another.
 */
export function normalisedPath(path: string): string {
  const segments: string[] = []
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue
    if (s === '..') segments.pop()
    else segments.push(s)
  }
  return `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`
}

/** Parameters decoded, then encoded as RFC 3986 says, sorted by name and, for a repeated name, by value. */
export function canonicalQuery(query: string): string | undefined {
  const pairs: [string, string][] = []
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = decode(eq < 0 ? part : part.slice(0, eq))
    const value = decode(eq < 0 ? '' : part.slice(eq + 1))
    if (name === undefined || value === undefined) return undefined
    if (name.toLowerCase() === 'x-amz-signature') continue
    pairs.push([uriEncode(name), uriEncode(value)])
  }
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  return pairs.map(([k, v]) => `${k}=${v}`).join('&')
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/** RFC 3986 encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XX, upper-case hex. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot: a request is hashed whole, and a Hash object costs more than hashing 2 KB.
  return hash('sha256', data, 'hex')
}

/**
 * Derived keys by (secret, date, region, service): a key signs every request of a day in one region
 * with the same derived key, so four of the five HMACs a verification costs are done once a day. The
 * map is emptied when it grows past a bound (a derived key is as secret as the key, and stays in this
 * process as the key does).
 */
const derivedKeys = new Map<string, Buffer>()
const MAX_DERIVED_KEYS = 1_000

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}/${region}/${service}/${secret}`
  let key = derivedKeys.get(id)
  if (!key) {
    if (derivedKeys.size >= MAX_DERIVED_KEYS) derivedKeys.clear()
    derivedKeys.set(id, (key = deriveKey(secret, date, region, service)))
  }
  return key
}

function deriveKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest()
  const kRegion = createHmac('sha256', kDate).update(region).digest()
  const kService = createHmac('sha256', kRegion).update(service).digest()
  return createHmac('sha256', kService).update('aws4_request').digest()
}
