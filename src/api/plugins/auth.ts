// API keys: /v1/ and /ec2/ need the "lookup" scope and /metrics the "metrics" scope ("admin" grants
// both); the page, /docs and the health routes stay open. With no keys configured the API runs open.
// Two kinds of key: Bearer keys, kept as sha256 digests and compared in constant time, and signing keys,
// whose secret verifies AWS Signature Version 4 (sigv4.ts) so that SDKs and the AWS CLI use them as
// ordinary credentials. Either kind may be limited to accounts: visibleAccounts() gives routes the set.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Transform } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../problem.ts'
import { credentialScope, EMPTY_SHA256, isSigV4, verifySigV4 } from '../sigv4.ts'
import type { ApiKey, SigningKey, Visibility } from '../types.ts'

/** The accounts whose resources this request may see (`all` for an unlimited key, or an open server). */
export function visibleAccounts(req: FastifyRequest): Visibility {
  return req.whohadAccounts ?? 'all'
}

/** The request's accounts, sorted (a cache key tells scopes apart by them); undefined: every account. */
export function visibleList(req: FastifyRequest): readonly string[] | undefined {
  const visible = visibleAccounts(req)
  return visible === 'all' ? undefined : [...visible].sort()
}

function scopeNeeded(url: string): 'lookup' | 'metrics' | undefined {
  if (url.startsWith('/v1/') || url === '/ec2' || url.startsWith('/ec2/') || url.startsWith('/ec2?')) return 'lookup'
  return url.startsWith('/metrics') ? 'metrics' : undefined
}

const hasBody = (req: FastifyRequest) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined

declare module 'fastify' {
  interface FastifyRequest {
    /** A SigV4 request with a body: verified once the body has been read and hashed. */
    sigv4Pending?: boolean
    sigv4BodySha256?: string
  }
}

export const auth = fp<{ apiKeys: readonly ApiKey[]; signingKeys?: readonly SigningKey[] }>(
  async (app, { apiKeys: keys, signingKeys = [] }) => {
    const byAccessKeyId = new Map(signingKeys.map((k) => [k.accessKeyId, k]))
    const open = keys.length === 0 && signingKeys.length === 0

    const admit = (req: FastifyRequest, key: { name: string; scopes: readonly string[]; accounts?: readonly string[] }, needs: string) => {
      if (!key.scopes.includes(needs) && !key.scopes.includes('admin')) throw new Problem(403, `key "${key.name}" lacks the "${needs}" scope`)
      req.whohadKey = key.name
      if (key.accounts) req.whohadAccounts = new Set(key.accounts)
    }

    const verify = (req: FastifyRequest, bodySha256: string, needs: string) => {
      const v = verifySigV4({ method: req.method, url: req.url, headers: req.headers, bodySha256 }, (id) => byAccessKeyId.get(id)?.secret, Date.now())
      if (!v.ok) throw new Problem(401, `SigV4: ${v.reason}`)
      req.whohadScope = { region: v.region, service: v.service }
      admit(req, byAccessKeyId.get(v.accessKeyId)!, needs)
    }

    app.addHook('onRequest', async (req) => {
      const needs = scopeNeeded(req.url)
      if (!needs) return
      const header = req.headers.authorization ?? ''
      if (open) {
        // Open (loopback, no keys): any credentials are accepted, and an SDK's region is still its region.
        const scope = isSigV4(header) ? credentialScope(header) : undefined
        if (scope) req.whohadScope = scope
        return
      }
      if (isSigV4(header)) {
        // A body is hashed as it is read (preParsing) and the request verified before validation; a
        // request without one is verified now, so that its rate limit is its key's.
        if (hasBody(req)) req.sigv4Pending = true
        else verify(req, EMPTY_SHA256, needs)
        return
      }
      const token = header.startsWith('Bearer ') ? header.slice(7).trim() : ''
      if (!token) throw new Problem(401, 'send an API key as "Authorization: Bearer <key>", or sign the request with AWS Signature Version 4')
      const digest = createHash('sha256').update(token).digest()
      const key = keys.find((k) => {
        const want = Buffer.from(k.sha256, 'hex')
        return want.length === digest.length && timingSafeEqual(want, digest)
      })
      if (!key) throw new Problem(401, 'that API key is not known to this server')
      admit(req, key, needs)
    })

    app.addHook('preParsing', async (req, _reply, payload) => {
      if (!req.sigv4Pending) return payload
      const hash = createHash('sha256')
      return payload.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk)
            done(null, chunk)
          },
          flush(done) {
            req.sigv4BodySha256 = hash.digest('hex')
            done()
          },
        }),
      )
    })

    app.addHook('preValidation', async (req) => {
      if (!req.sigv4Pending) return
      req.sigv4Pending = false
      // No parser read the body (a route without one): it cannot have been checked against the signature.
      if (req.sigv4BodySha256 === undefined) throw new Problem(401, 'SigV4: this route does not read a request body, so a signed body cannot be verified; send none')
      verify(req, req.sigv4BodySha256, scopeNeeded(req.url)!)
    })
  },
  { name: 'whohad-auth' },
)
