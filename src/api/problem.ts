// Every 4xx and 5xx whohad sends is an RFC 9457 problem (application/problem+json) whose title is the
// status's own phrase and whose detail says how to fix the request: whatever refused it (a route, a
// schema, Fastify's router or body parser, a plugin, Node's HTTP parser). Bad input is never a 5xx.
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'

/** A 4xx or 5xx answer; its title is the status's own phrase (RFC 9457 4.2.1, for type about:blank). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail)
  }
}

export function problem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title: STATUS_CODES[status] ?? `HTTP ${status}`, status, detail, ...extra })
}

/** Request text echoed in a detail: at most 100 characters, control characters escaped. */
export function printable(text: string): string {
  const cut = text.length > 100 ? `${text.slice(0, 100)}…` : text
  return JSON.stringify(cut).slice(1, -1)
}

// The methods a wrong-method request is checked against: a 405 names those the path answers.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const BATCH_EXAMPLE = '{"lookups": [{"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}]}'

/** The server options whose refusals happen before any plugin runs, each answered as a problem. */
export const problemServerOptions = {
  // 10,000 batch items of ~100 bytes each, with room to spare; larger bodies get a 413 problem.
  bodyLimit: 2 * 1024 * 1024,
  // RFC 9457 problems for oversized query strings too, instead of a silent truncation.
  routerOptions: { maxParamLength: 200 },
  // What fails before routing (a malformed percent-encoding, an overlong path segment) or before
  // HTTP parsing is done (request line and headers over Node's limit) is a problem too.
  frameworkErrors: (err, req, reply) => problem(reply, frameworkStatus(err.code), frameworkDetail(err.code, req.url)),
  clientErrorHandler,
} satisfies FastifyServerOptions

/**
 * The error handler, the not-found handler (404, or 405 with Allow) and the JSON body parser. Not
 * encapsulated (fastify-plugin): they hold for every route registered after it.
 */
export const problemHandlers = fp(
  async (app) => {
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validationContext?: string }, req, reply) => {
      // A body sent to no route: the route is what is wrong, not the body.
      if (req.is404 && err.code?.startsWith('FST_ERR_CTP_')) return noRoute(req, reply)
      if (err instanceof Problem) return problem(reply, err.status, err.detail)
      if (hasZodFastifySchemaValidationErrors(err)) return problem(reply, 400, [validationDetail(err.validation, err.validationContext), ...queryIssues(req, err.validationContext)].join('; '))
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
  },
  { name: 'whohad-problems' },
)

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
      return `send the body as JSON with "Content-Type: application/json"${contentType ? `, not ${printable(contentType)}` : ''} (POST /v1/lookups also takes "application/x-ndjson", one lookup a line)`
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

/**
 * Fastify stops at the first part of a request that fails (the path's parameters before the query): a
 * bad address and a bad time would be told one at a time. The query's own issues are added.
 */
function queryIssues(req: FastifyRequest, context: string | undefined): string[] {
  if (context !== 'params') return []
  const schema = req.routeOptions.schema?.querystring as { safeParse?: (v: unknown) => { success: boolean; error?: { issues: { code: string; path: PropertyKey[]; message: string; keys?: string[] }[] } } } | undefined
  const result = schema?.safeParse?.(req.query)
  if (!result || result.success || !result.error) return []
  const issues = result.error.issues.map((i) => ({ keyword: i.code, instancePath: `/${i.path.map(String).join('/')}`, message: i.message, params: { keys: i.keys ?? [] } }))
  return [validationDetail(issues, 'querystring')]
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
