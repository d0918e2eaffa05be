// API keys: /v1/ and /ec2/ need the "lookup" scope and /metrics the "metrics" scope ("admin" grants
// both); the page, /docs and the health routes stay open. With no keys configured the API runs open.
// Two kinds of key: Bearer keys, kept as sha256 digests and compared in constant time, and signing keys,
// whose secret verifies AWS Signature Version 4 (sigv4.ts) so that SDKs and the AWS CLI use them as
// ordinary credentials. Either kind may be limited to accounts: visibleAccounts() gives routes the set.
// A refusal is a problem on /v1 and /metrics and EC2's own error on /ec2/ (ec2/refusals.ts).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { Transform } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AwsError, ec2ErrorBody } from '../../protocol/errors.ts'
import { EC2_REFUSALS, type RefusalKind } from '../ec2/refusals.ts'
import { Problem } from '../problem.ts'
import { credentialScope, EMPTY_SHA256, isSigV4, sha256Hex, verifySigV4 } from '../sigv4.ts'
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

type Routed = Pick<FastifyRequest, 'url' | 'routeOptions'>
const routed = (req: Routed) => req.routeOptions.url ?? req.url
const isEc2 = (req: Routed) => {
  const url = routed(req)
  return url === '/ec2' || url.startsWith('/ec2/') || url.startsWith('/ec2?')
}

/**
 * The scope a request needs, decided by the route it was routed to: the router decodes the path, so
 * `/%761/ips/…` reaches `/v1/ips/:ip` and a check of the path as sent would let it through unasked.
 * A request routed nowhere (a 404) is judged by its path.
 */
export function scopeNeeded(req: Routed): 'lookup' | 'metrics' | undefined {
  const url = routed(req)
  if (url.startsWith('/v1/') || isEc2(req)) return 'lookup'
  return url.startsWith('/metrics') ? 'metrics' : undefined
}


/** A refused request: a problem on /v1 and /metrics, EC2's error (refusals.ts) on /ec2/. */
class Refusal extends Problem {
  constructor(
    status: number,
    detail: string,
    readonly kind: RefusalKind,
  ) {
    super(status, detail)
  }
}

/** Answers a refusal of an /ec2/ request in EC2's XML; anything else goes on to the problem handler. */
function refuse(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof Refusal) || !isEc2(req)) throw err
  const { code, status } = EC2_REFUSALS[err.kind]
  const requestId = randomUUID()
  return reply.code(status).header('x-amzn-requestid', requestId).type('text/xml;charset=UTF-8').send(ec2ErrorBody(new AwsError(code, err.detail, status), requestId))
}

/**
 * A route's content-type parser that reads a signed body whole sets `sigv4BodySha256` itself (with
 * `hashSignedBody`) for the media types it names in its config's `hashesBody`.
 */
function hashesBody(req: FastifyRequest): boolean {
  const types = req.routeOptions.config?.hashesBody
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  return types !== undefined && type !== undefined && types.includes(type)
}

/** For a parser that reads the whole body: the hash a signed request is verified against. */
export function hashSignedBody(req: FastifyRequest, body: Buffer): void {
  if (req.sigv4Pending) req.sigv4BodySha256 = sha256Hex(body)
}

const hasBody = (req: FastifyRequest) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined

declare module 'fastify' {
  interface FastifyRequest {
    /** A SigV4 request with a body: verified once the body has been read and hashed. */
    sigv4Pending?: boolean
    sigv4BodySha256?: string
  }
  interface FastifyContextConfig {
    /** Media types this route's own parser reads whole and hashes for SigV4 (`hashSignedBody`). */
    hashesBody?: readonly string[]
  }
}

export const auth = fp<{
  apiKeys: readonly ApiKey[]
  signingKeys?: readonly SigningKey[]
  /** Requests without credentials are served as on an open server; those with credentials are verified (the demo). */
  admitAnonymous?: boolean
}>(
  async (app, { apiKeys: keys, signingKeys = [], admitAnonymous = false }) => {
    const byAccessKeyId = new Map(signingKeys.map((k) => [k.accessKeyId, k]))
    const open = keys.length === 0 && signingKeys.length === 0

    const admit = (req: FastifyRequest, key: { name: string; scopes: readonly string[]; accounts?: readonly string[] }, needs: string) => {
      if (!key.scopes.includes(needs) && !key.scopes.includes('admin')) throw new Refusal(403, `key "${key.name}" lacks the "${needs}" scope`, 'scope')
      req.whohadKey = key.name
      if (key.accounts) req.whohadAccounts = new Set(key.accounts)
    }

    const verify = (req: FastifyRequest, bodySha256: string, needs: string) => {
      const v = verifySigV4({ method: req.method, url: req.url, headers: req.headers, bodySha256 }, (id) => byAccessKeyId.get(id)?.secret, Date.now())
      if (!v.ok) throw new Refusal(401, `SigV4: ${v.reason}`, v.failure)
      req.whohadScope = { region: v.region, service: v.service }
      admit(req, byAccessKeyId.get(v.accessKeyId)!, needs)
    }

    const check = (req: FastifyRequest) => {
      const needs = scopeNeeded(req)
      if (!needs) return
      const header = req.headers.authorization ?? ''
      if (open || (admitAnonymous && !header)) {
        // Open (loopback, no keys): any credentials are accepted, and an SDK's region is still its region.
        // The demo admits requests without credentials (its page needs none) but verifies its key's.
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
      if (!token) throw new Refusal(401, 'send an API key as "Authorization: Bearer <key>", or sign the request with AWS Signature Version 4', 'missing')
      const digest = createHash('sha256').update(token).digest()
      const key = keys.find((k) => {
        const want = Buffer.from(k.sha256, 'hex')
        return want.length === digest.length && timingSafeEqual(want, digest)
      })
      if (!key) throw new Refusal(401, 'that API key is not known to this server', 'unknown-bearer')
      admit(req, key, needs)
    }

    app.addHook('onRequest', async (req, reply) => {
      try {
        check(req)
      } catch (err) {
        return refuse(req, reply, err)
      }
    })

    app.addHook('preParsing', async (req, _reply, payload) => {
      // A route whose parser hashes the body it reads whole (hashesBody) needs no stream in between.
      if (!req.sigv4Pending || hashesBody(req)) return payload
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

    app.addHook('preValidation', async (req, reply) => {
      if (!req.sigv4Pending) return
      req.sigv4Pending = false
      try {
        // No parser read the body (a route without one): it cannot have been checked against the signature.
        if (req.sigv4BodySha256 === undefined) throw new Refusal(401, 'SigV4: this route does not read a request body, so a signed body cannot be verified; send none', 'incomplete')
        verify(req, req.sigv4BodySha256, scopeNeeded(req)!)
      } catch (err) {
        return refuse(req, reply, err)
      }
    })
  },
  { name: 'whohad-auth' },
)
