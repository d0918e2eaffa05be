// The HTTP API: buildApp() gives the same Fastify instance to tests (inject) and to `whohad serve`.
// Requests are validated by the zod schemas in schemas.ts (also the source of /docs). Bad input is a 4xx
// RFC 9457 problem that says how to fix it; never a 5xx, never a guess.
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { LocalCache } from '../cache/local.ts'
import type { AnswerCache } from '../cache/types.ts'
import type { TargetState } from '../model/target.ts'
import type { Store } from '../store/open.ts'
import { Answers } from './answers.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { registerCurrentRoutes } from './routes-current.ts'
import { registerLookupRoutes } from './routes-lookup.ts'

export interface ApiKey {
  readonly name: string
  readonly scopes: readonly string[]
  /** sha256 of the key, hex. */
  readonly sha256: string
}

export interface AppOptions {
  readonly store: Pick<Store, 'holdings' | 'instances' | 'targets'>
  readonly apiKeys?: readonly ApiKey[]
  /** Complete polls further apart than this leave a target unwatched in between (coverage). */
  readonly maxGapMs?: number
  /** Request logs (pino): off by default; the Authorization header is always redacted. */
  readonly logger?: boolean | { readonly level?: string; readonly stream?: NodeJS.WritableStream }
  /** Defaults to an in-process LRU. */
  readonly cache?: AnswerCache
  /** The staleness bound: how long an answer touching the present may be served from the cache. */
  readonly staleMs?: number
  /**
   * How long an answer wholly before every target's last complete poll may be cached (its holdings are
   * still guarded by invalidation). Set it to `staleMs` when no collector can reach this process's cache.
   */
  readonly settledMs?: number
  /** Requests per minute per API key (per client address when the API runs open). */
  readonly rateLimitPerMinute?: number
  /** The largest CIDR block /v1/cidrs answers, in addresses. */
  readonly maxCidrAddresses?: number
}

/** A 4xx or 5xx answer; its title is the status's own phrase (RFC 9457 4.2.1, for type about:blank). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail)
  }
}

// The methods a wrong-method request is checked against: a 405 names those the path answers.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const BATCH_EXAMPLE = '{"lookups": [{"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}]}'

const UI_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ui')
const UI_FILES: Record<string, string> = { 'app.js': 'text/javascript', 'style.css': 'text/css', 'index.html': 'text/html' }

export interface App {
  readonly fastify: FastifyInstance
  readonly metrics: Metrics
  readonly cache: AnswerCache
  /** The collector wrote holdings of these addresses (in this process): drop answers built on them. */
  invalidate(addresses: readonly string[]): Promise<void>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the API key the request was made with. */
    whohadKey?: string
  }
}

export type WhohadFastify = FastifyInstance<any, any, any, any, ZodTypeProvider> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RouteContext {
  readonly app: WhohadFastify
  readonly options: AppOptions
  readonly answers: Answers
  readonly cache: AnswerCache
  readonly targetStates: () => Promise<TargetState[]>
  readonly metrics: Metrics
  readonly staleMs: number
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger
      ? { redact: ['req.headers.authorization'], ...(typeof options.logger === 'object' ? options.logger : {}) }
      : false,
    // 10,000 batch items of ~100 bytes each, with room to spare; larger bodies get a 413 problem.
    bodyLimit: 2 * 1024 * 1024,
    // RFC 9457 problems for oversized query strings too, instead of a silent truncation.
    routerOptions: { maxParamLength: 200 },
    // What fails before routing (a malformed percent-encoding, an overlong path segment) or before
    // HTTP parsing is done (request line and headers over Node's limit) is a problem too.
    frameworkErrors: (err, req, reply) => problem(reply, frameworkStatus(err.code), frameworkDetail(err.code, req.url)),
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // Response schemas document the API (/docs) and the tests check replies against them; replies are
  // serialised as-is, so that a cached answer's text is sent without being parsed again.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))

  const keys = options.apiKeys ?? []
  const staleMs = options.staleMs ?? 2_000
  const cache = options.cache ?? new LocalCache()

  // Target states change once per poll per target; reading them at most once a second is plenty.
  let states: { at: number; list: Promise<TargetState[]> } | undefined
  const targetStates = () => {
    if (!states || Date.now() - states.at > 1000) {
      const list = options.store.targets.list()
      states = { at: Date.now(), list }
      list.catch(() => {
        if (states?.list === list) states = undefined
      })
    }
    return states.list
  }
  const metrics = createMetrics(targetStates)
  const answers = new Answers({
    store: options.store.holdings,
    cache,
    targetStates,
    maxGapMs: options.maxGapMs ?? 5 * 60_000,
    staleMs,
    settledMs: options.settledMs ?? 5 * 60_000,
    onCache: metrics.cacheRead,
  })

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validationContext?: string }, req, reply) => {
    // A body sent to no route: the route is what is wrong, not the body.
    if (req.is404 && err.code?.startsWith('FST_ERR_CTP_')) return noRoute(req, reply)
    if (err instanceof Problem) return problem(reply, err.status, err.detail)
    if (hasZodFastifySchemaValidationErrors(err)) return problem(reply, 400, validationDetail(err.validation, err.validationContext))
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return problem(reply, err.statusCode, clientErrorDetail(err, req.headers['content-type']))
    app.log.error(err)
    return problem(reply, 503, 'the store could not answer; try again shortly')
  })
  const noRoute = (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!
    const allow = METHODS.filter((method) => app.findRoute({ method, url: path }))
    if (allow.length > 0 && !allow.includes(req.method as (typeof METHODS)[number])) {
      return problem(reply.header('allow', allow.join(', ')), 405, `${printable(path)} answers ${allow.join(', ')}, not ${printable(req.method)}; see /docs for the API`)
    }
    return problem(reply, 404, `no route ${printable(req.method)} ${printable(path)}; see /docs for the API`)
  }
  app.setNotFoundHandler(noRoute)

  // Fastify's own JSON parser calls a body with a "__proto__" or "constructor.prototype" key "not valid
  // JSON", like a syntax error. Both stay refused; each is told what is wrong with it.
  const secureJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    secureJson(req, body as string, (err: Error | null, value?: unknown) => {
      if (!err || (err as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY' || req.is404) return done(err, value)
      try {
        JSON.parse(body as string)
      } catch (syntax) {
        return done(new Problem(400, `the body is not valid JSON (${(syntax as Error).message}); send a body like ${BATCH_EXAMPLE}`), undefined)
      }
      done(new Problem(400, 'the body has a "__proto__" or "constructor" key, which whohad refuses (such keys can change objects they are copied into); remove it'), undefined)
    })
  })

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"] },
    },
  })

  app.addHook('onRequest', async (req) => {
    if (keys.length === 0) return
    const needs = req.url.startsWith('/v1/') ? 'lookup' : req.url.startsWith('/metrics') ? 'metrics' : undefined
    if (!needs) return
    const header = req.headers.authorization ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : ''
    if (!token) throw new Problem(401, 'send an API key as "Authorization: Bearer <key>"')
    const digest = createHash('sha256').update(token).digest()
    const key = keys.find((k) => {
      const want = Buffer.from(k.sha256, 'hex')
      return want.length === digest.length && timingSafeEqual(want, digest)
    })
    if (!key) throw new Problem(401, 'that API key is not known to this server')
    if (!key.scopes.includes(needs) && !key.scopes.includes('admin')) throw new Problem(403, `key "${key.name}" lacks the "${needs}" scope`)
    req.whohadKey = key.name
  })

  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? 6_000,
    timeWindow: 60_000,
    // The plugin's hook is a route-level onRequest hook: it runs after the global authentication hook
    // (so the limit is per key; open servers limit per client address) and before any route's own
    // pre-validation fast path, which may answer from the cache.
    hook: 'onRequest',
    keyGenerator: (req: FastifyRequest) => (req.whohadKey ? `key:${req.whohadKey}` : `ip:${req.ip}`),
    allowList: (req: FastifyRequest) => req.url === '/healthz' || req.url === '/readyz',
    errorResponseBuilder: (_req, context) => ({ statusCode: 429, message: `over ${context.max} requests per minute for this key; retry in ${context.after}` }),
  })

  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })

  await app.register(swagger, {
    openapi: {
      info: { title: 'whohad', description: 'Which of our AWS resources held IP address X at time T?', version: '1' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: keys.length ? [{ apiKey: [] }] : [],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const cacheHealth = cache.health()
    try {
      const list = await targetStates()
      const now = Date.now()
      return {
        status: cacheHealth.state === 'ok' ? 'ready' : 'degraded',
        store: 'ok',
        cache: cacheHealth,
        targets: list.map((s) => ({
          accountId: s.accountId,
          region: s.region,
          lastCompletePollAgeSeconds: s.lastCompletePoll === undefined ? null : Math.round((now - s.lastCompletePoll) / 1000),
          consecutiveFailures: s.consecutiveFailures,
          ...(s.lastError ? { lastError: s.lastError } : {}),
          // How AWS Config records the target's ENIs, as the collector last found it; null: not checked yet.
          config: s.config ? { state: s.config.state, detail: s.config.detail, checkedAt: new Date(s.config.checkedAt).toISOString() } : null,
        })),
      }
    } catch (err) {
      return problem(reply, 503, `the store could not answer: ${(err as Error).message}`, { cache: cacheHealth })
    }
  })
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))

  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(readFileSync(path.join(UI_DIR, 'index.html'))))
  app.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true } }, async (req, reply) => {
    const type = UI_FILES[req.params.file]
    if (!type) throw new Problem(404, `no file ${printable(req.params.file)}; the page's files are ${Object.keys(UI_FILES).join(', ')}`)
    return reply.type(`${type}; charset=utf-8`).send(readFileSync(path.join(UI_DIR, req.params.file)))
  })

  const context: RouteContext = { app, options, answers, cache, targetStates, metrics, staleMs }
  registerLookupRoutes(context)
  registerCurrentRoutes(context)

  return {
    fastify: app as unknown as FastifyInstance,
    metrics,
    cache,
    invalidate: async (addresses) => {
      await cache.invalidate(addresses)
    },
  }
}

export function problem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title: STATUS_CODES[status] ?? `HTTP ${status}`, status, detail, ...extra })
}

/** Request text echoed in a detail: at most 100 characters, control characters escaped. */
function printable(text: string): string {
  const cut = text.length > 100 ? `${text.slice(0, 100)}…` : text
  return JSON.stringify(cut).slice(1, -1)
}

function frameworkStatus(code: string): number {
  return code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400
}

function frameworkDetail(code: string, url: string): string {
  if (code === 'FST_ERR_BAD_URL') return `the path ${printable(url.split('?')[0]!)} has a malformed percent-encoding: a % must be followed by two hex digits (encode a literal % as %25)`
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return 'a part of the path is over 200 characters; an address, a block or an id is far shorter'
  return `the request could not be routed (${code})`
}

/** What a 4xx raised by Fastify or a plugin means for the caller, and how to fix it. */
function clientErrorDetail(err: Error & { statusCode?: number; code?: string }, contentType: string | undefined): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `send the body as JSON with "Content-Type: application/json"${contentType ? `, not ${printable(contentType)}` : ''}`
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `the body is empty; send a body like ${BATCH_EXAMPLE}`
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the body is over 2 MB; send at most 10,000 lookups per batch'
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the body is not as long as its Content-Length header says; send the length of the body, or no Content-Length'
  }
  // The rate limit's own message says what the limit is and when to retry.
  return err.message
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (Node's 'clientError' event): answered on
 * the raw socket, then closed, as Fastify's own defaultClientErrorHandler does, but as problems.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `the request line and headers are over ${maxHeaderSize} bytes; an address and a time need far fewer (check the URL, and send many lookups as a POST /v1/lookups body)`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive; send it again']
        : [400, `the request is not well-formed HTTP/1.1 (${err.code ?? err.message}); check the client or proxy that sent it`]
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

interface ValidationIssue {
  /** The zod issue code. */
  readonly keyword?: string
  readonly instancePath?: string
  readonly message?: string
  readonly params?: { readonly keys?: readonly string[] }
}

/** One sentence per zod issue, naming the field: `"at": not a time: use ISO-8601 …`. */
export function validationDetail(validation: readonly ValidationIssue[], context: string | undefined): string {
  const where = context === 'body' ? 'field' : 'parameter'
  return validation
    .map((v) => {
      const keys = v.params?.keys ?? []
      if (v.keyword === 'unrecognized_keys') return `unknown ${where}${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`
      const name = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
      if (!name) return context === 'body' ? `the body must be a JSON object like ${BATCH_EXAMPLE} (${String(v.message)})` : String(v.message)
      return v.message?.startsWith('is ') ? `"${name}" ${v.message}` : `"${name}": ${v.message}`
    })
    .join('; ')
}
