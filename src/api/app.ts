// The HTTP API: buildApp() gives the same Fastify instance to tests (inject) and to `whohad serve`.
// Bad input is a 4xx with an RFC 9457 problem that says how to fix it; never a 5xx, never a guess.
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { LRUCache } from 'lru-cache'
import { classifyWatched } from '../model/holding.ts'
import { InvalidIpError, parseIp } from '../model/ip.ts'
import { formatTime, InvalidDurationError, InvalidTimeError, parseDuration, parseTime } from '../model/time.ts'
import type { HoldingStore } from '../store/holdings.ts'
import type { StoredHolding } from '../store/items.ts'
import { listTargetStates, type TargetState } from '../store/targets.ts'
import { coverageOf } from './coverage.ts'

export interface ApiKey {
  readonly name: string
  readonly scopes: readonly string[]
  /** sha256 of the key, hex. */
  readonly sha256: string
}

export interface AppOptions {
  readonly store: HoldingStore
  readonly client: DynamoDBClient
  readonly tableName: string
  readonly apiKeys?: readonly ApiKey[]
  /** Complete polls further apart than this leave a target unwatched in between (coverage). */
  readonly maxGapMs?: number
  readonly logger?: boolean
  /** How long an answer touching the present may be served from the in-process cache. */
  readonly freshForMs?: number
}

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail)
  }
}

const UI_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ui')
const UI_FILES: Record<string, string> = { 'app.js': 'text/javascript', 'style.css': 'text/css', 'index.html': 'text/html' }

export interface App {
  readonly fastify: FastifyInstance
  /** The collector wrote holdings of these addresses: drop answers that may include them. */
  invalidate(addresses: readonly string[]): void
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ? { redact: ['req.headers.authorization'] } : false,
    bodyLimit: 2 * 1024 * 1024,
  })
  const maxGapMs = options.maxGapMs ?? 5 * 60_000
  const keys = options.apiKeys ?? []

  // Target states change once per poll; reading them once a second is plenty for coverage.
  let states: { at: number; list: Promise<TargetState[]> } | undefined
  const targetStates = () => {
    if (!states || Date.now() - states.at > 1000) states = { at: Date.now(), list: listTargetStates(options.client, options.tableName) }
    return states.list
  }
  const answers = new LRUCache<string, object>({ max: 10_000, ttl: options.freshForMs ?? 2_000 })

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof Problem) return problem(reply, err.status, err.title, err.detail)
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return problem(reply, err.statusCode, 'Bad request', err.message)
    app.log.error(err)
    return problem(reply, 503, 'Store unavailable', 'the store could not answer; try again shortly')
  })
  app.setNotFoundHandler((req, reply) => problem(reply, 404, 'Not found', `no route ${req.method} ${req.url.split('?')[0]}; see /docs for the API`))

  app.addHook('onRequest', async (req) => {
    if (keys.length === 0 || !req.url.startsWith('/v1/')) return
    const header = req.headers.authorization ?? ''
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : ''
    if (!token) throw new Problem(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>"')
    const digest = createHash('sha256').update(token).digest()
    const key = keys.find((k) => {
      const want = Buffer.from(k.sha256, 'hex')
      return want.length === digest.length && timingSafeEqual(want, digest)
    })
    if (!key) throw new Problem(401, 'Unauthorized', 'that API key is not known to this server')
    if (!key.scopes.includes('lookup') && !key.scopes.includes('admin')) throw new Problem(403, 'Forbidden', `key ${key.name} may not run lookups`)
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    try {
      const list = await targetStates()
      const now = Date.now()
      return {
        status: 'ready',
        store: 'ok',
        cache: { backend: 'memory', state: 'ok' },
        targets: list.map((s) => ({
          accountId: s.accountId,
          region: s.region,
          lastCompletePollAgeSeconds: s.lastCompletePoll === undefined ? null : Math.round((now - s.lastCompletePoll) / 1000),
          consecutiveFailures: s.consecutiveFailures,
          ...(s.lastError ? { lastError: s.lastError } : {}),
        })),
      }
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', store: (err as Error).message })
    }
  })

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(readFileSync(path.join(UI_DIR, 'index.html'))))
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    const type = UI_FILES[req.params.file]
    if (!type) throw new Problem(404, 'Not found', `no file ${req.params.file}`)
    return reply.type(`${type}; charset=utf-8`).send(readFileSync(path.join(UI_DIR, req.params.file)))
  })

  const answer = async (ipText: string, from: number, to: number, filter: { vpc?: string | undefined; account?: string | undefined }) => {
    const list = await targetStates()
    const byTarget = new Map(list.map((s) => [`${s.accountId}/${s.region}`, s]))
    const found = await options.store.lookup({ ip: ipText, from, to, ...(filter.vpc ? { vpcId: filter.vpc } : {}), ...(filter.account ? { accountId: filter.account } : {}) })
    const holdings = found
      .map((h) => {
        const state = byTarget.get(`${h.holder.accountId}/${h.holder.region}`)
        const certainty = classifyWatched(h, from, to, { openUntil: h.end ? undefined : state?.lastCompletePoll, gaps: state?.gaps })
        return certainty ? render(h, certainty, state) : undefined
      })
      .filter((x) => x !== undefined)
      .sort((a, b) => (a.certainty === b.certainty ? a.start.after - b.start.after : a.certainty === 'certain' ? -1 : 1))
    return { holdings, coverage: coverageOf(list, from, to, maxGapMs) }
  }

  app.get<{ Params: { ip: string }; Querystring: Record<string, string> }>('/v1/ips/:ip', async (req) => {
    const q = onlyKnown(req.query, ['at', 'window', 'vpc', 'account'])
    const ip = ipParam(req.params.ip)
    const at = timeParam('at', q.at)
    const window = q.window === undefined ? 0 : durationParam('window', q.window)
    const key = `${ip}|${at}|${window}|${q.vpc ?? ''}|${q.account ?? ''}`
    const cached = answers.get(key)
    if (cached) return cached
    const body = { ip, at: formatTime(at), window: window / 1000, ...(await answer(ip, at - window, at + window, { vpc: q.vpc, account: q.account })) }
    answers.set(key, body)
    return body
  })

  app.get<{ Params: { ip: string }; Querystring: Record<string, string> }>('/v1/ips/:ip/timeline', async (req) => {
    const q = onlyKnown(req.query, ['from', 'to', 'vpc', 'account'])
    const ip = ipParam(req.params.ip)
    const from = timeParam('from', q.from)
    const to = timeParam('to', q.to)
    if (to < from) throw new Problem(400, 'Bad request', '"to" is before "from"')
    if (to - from > 31 * 86_400_000) throw new Problem(400, 'Bad request', 'a timeline covers at most 31 days; narrow from/to')
    const { holdings, coverage } = await answer(ip, from, to, { vpc: q.vpc, account: q.account })
    holdings.sort((a, b) => a.start.after - b.start.after)
    return { ip, from: formatTime(from), to: formatTime(to), holdings, coverage }
  })

  // In one process the collector's writes reach the cache at once; answers are also kept at most
  // `freshForMs`, which bounds staleness for anything written behind the API's back.
  return { fastify: app, invalidate: (addresses) => { if (addresses.length > 0) answers.clear() } }
}

function render(h: StoredHolding, certainty: 'certain' | 'possible', state: TargetState | undefined) {
  return {
    certainty,
    address: h.address,
    addressKind: h.addressKind,
    scope: h.scope,
    holder: h.holder,
    start: h.start,
    ...(h.end ? { end: h.end } : { provenUntil: state?.lastCompletePoll ?? h.start.by }),
  }
}

function problem(reply: FastifyReply, status: number, title: string, detail: string) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status, detail })
}

function onlyKnown(query: unknown, known: readonly string[]): Record<string, string | undefined> {
  const q = (query ?? {}) as Record<string, unknown>
  for (const [k, v] of Object.entries(q)) {
    if (!known.includes(k)) throw new Problem(400, 'Bad request', `unknown parameter "${k}": this route takes ${known.join(', ')}`)
    if (typeof v !== 'string') throw new Problem(400, 'Bad request', `"${k}" given more than once`)
  }
  return q as Record<string, string | undefined>
}

function ipParam(text: string): string {
  try {
    return parseIp(text).text
  } catch (err) {
    if (err instanceof InvalidIpError) throw new Problem(400, 'Bad request', `"ip": ${err.message}`)
    throw err
  }
}

function timeParam(name: string, text: string | undefined): number {
  if (text === undefined || text === '') throw new Problem(400, 'Bad request', `"${name}" is required: use ISO-8601 like 2026-11-20T10:00:00Z or epoch seconds`)
  try {
    return parseTime(text)
  } catch (err) {
    if (err instanceof InvalidTimeError) throw new Problem(400, 'Bad request', `"${name}": ${err.message}`)
    throw err
  }
}

function durationParam(name: string, text: string): number {
  try {
    return parseDuration(text, 7 * 86_400_000)
  } catch (err) {
    if (err instanceof InvalidDurationError) throw new Problem(400, 'Bad request', `"${name}": ${err.message}`)
    throw err
  }
}

export type { FastifyRequest }
