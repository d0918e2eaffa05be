// Who is calling. Signatures are not verified (the SDK signs correctly; checking would test the SDK),
// but the access key must be one the fake issued: the management key, or keys from its own AssumeRole,
// which carry the account, role and expiry. Requests are routed by the SigV4 credential scope.
import { randomBytes } from 'node:crypto'
import { Rng } from './rng.ts'

export interface CredentialScope {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261120/us-east-1/ec2/aws4_request, SignedHeaders=…, Signature=…` */
export function parseAuthorization(header: string | undefined): CredentialScope | undefined {
  if (!header) return undefined
  const m = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(header)
  if (!m) return undefined
  return { accessKeyId: m[1] as string, date: m[2] as string, region: m[3] as string, service: m[4] as string }
}

export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
  /** Epoch ms (virtual time) after which the fake answers ExpiredToken. */
  readonly expiration?: number
}

export interface Principal extends Credentials {
  readonly accountId: string
  readonly arn: string
  readonly userId: string
  readonly kind: 'management-user' | 'assumed-role'
  readonly roleName?: string
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'token-mismatch' }

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export class CredentialStore {
  private readonly byKey = new Map<string, Principal>()
  readonly management: Principal

  constructor(seed: number, managementAccountId: string) {
    // Deterministic per seed, so the CLI prints the same management keys for the same seed.
    const rng = new Rng('management-credentials', seed)
    const akid = `AKIA${Array.from({ length: 16 }, () => BASE32[rng.int(32)]).join('')}`
    const secret = Array.from({ length: 40 }, () => BASE32[rng.int(32)]).join('')
    this.management = {
      accessKeyId: akid,
      secretAccessKey: secret,
      accountId: managementAccountId,
      arn: `arn:aws:iam::${managementAccountId}:user/whohad-collector`,
      userId: `AIDA${akid.slice(4)}`,
      kind: 'management-user',
    }
    this.byKey.set(akid, this.management)
  }

  /** Issues session credentials for a role (what AssumeRole hands out). */
  issue(accountId: string, roleName: string, sessionName: string, expiration: number): Principal {
    const akid = `ASIA${base32(randomBytes(10)).slice(0, 16)}`
    const roleId = `AROA${base32(randomBytes(10)).slice(0, 17)}`
    const principal: Principal = {
      accessKeyId: akid,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `FakeSessionToken/${randomBytes(48).toString('base64')}`,
      expiration,
      accountId,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId}:${sessionName}`,
      kind: 'assumed-role',
      roleName,
    }
    this.byKey.set(akid, principal)
    return principal
  }

  authenticate(accessKeyId: string, sessionToken: string | undefined, now: number): AuthResult {
    const principal = this.byKey.get(accessKeyId)
    if (!principal) return { ok: false, reason: 'unknown' }
    if (principal.sessionToken !== undefined && principal.sessionToken !== sessionToken) return { ok: false, reason: 'token-mismatch' }
    if (principal.expiration !== undefined && now >= principal.expiration) return { ok: false, reason: 'expired' }
    return { ok: true, principal }
  }
}

function base32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}
