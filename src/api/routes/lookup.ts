// Who held an address: a point lookup, a timeline, a CIDR block, and batches for SIEM enrichment.
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import type { CacheRead } from '../../cache/types.ts'
import { addressesIn, type Cidr, cidrSize } from '../../model/ip.ts'
import { formatTime, isNow } from '../../model/time.ts'
import type { PointQuery } from '../answers.ts'
import { noteAudit } from '../plugins/audit.ts'
import { visibleList } from '../plugins/auth.ts'
import { Problem } from '../problem.ts'
import type { RouteContext } from '../types.ts'
import * as s from '../schemas.ts'

/** A key limited to accounts has answers of its own: its accounts are part of a URL's entry. */
const urlKey = (url: string, visible: readonly string[] | undefined) => (visible ? `${visible.join('+')}|${url}` : url)

const problems = { 400: s.problem, 401: s.problem, 403: s.problem, 429: s.problem }

export const lookupRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { answers, targetStates, metrics, options, cache }) => {
  const maxCidr = options.maxCidrAddresses ?? 256
  // The hot path: a URL already parsed maps to its cache key (a pure function of the URL), and a hit
  // in the in-process level is sent before validation runs again. Misses take the validated route.
  const parsedUrls = new LRUCache<string, CacheRead>({ max: 20_000 })

  app.get(
    '/v1/ips/:ip',
    {
      schema: {
        summary: 'Who held this address at a time',
        description: 'Every holding that may contain `at` (or overlaps at ± window), each `certain` or `possible`, and whether whohad was watching then (`coverage`).',
        params: s.ipParams,
        querystring: s.pointQuery,
        response: { 200: s.pointAnswer, ...problems },
      },
      // Callback style, not async: the hot path allocates no promise.
      preValidation: (req, reply, done) => {
        const read = parsedUrls.get(urlKey(req.url, visibleList(req)))
        const text = read && cache.peek?.(read.key)
        if (text === undefined) return done()
        metrics.cacheRead(true)
        metrics.lookups.inc()
        noteAudit(req, [(req.params as { ip: string }).ip])
        reply.type('application/json; charset=utf-8').send(text as never)
      },
    },
    async (req, reply) => {
      const q = req.query
      const visible = visibleList(req)
      const query = { ip: req.params.ip, at: q.at, windowMs: q.window ?? 0, vpc: q.vpc, account: q.account, visible }
      // `at=now` names another time on every request: such a URL has no one answer to remember.
      if (!isNow(new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)).get('at'))) parsedUrls.set(urlKey(req.url, visible), answers.read(query))
      const [text] = await answers.points([query])
      metrics.lookups.inc()
      noteAudit(req, [req.params.ip])
      return reply.type('application/json; charset=utf-8').send(text as never)
    },
  )

  app.get(
    '/v1/ips/:ip/timeline',
    {
      schema: {
        summary: 'Every holding of this address over a range',
        params: s.ipParams,
        querystring: s.timelineQuery,
        response: { 200: s.timelineAnswer, ...problems },
      },
    },
    async (req) => {
      const answer = await answers.timeline(req.params.ip, req.query.from, req.query.to, { vpc: req.query.vpc, account: req.query.account, visible: visibleList(req) })
      noteAudit(req, [req.params.ip], answer.holdings.length)
      return answer
    },
  )

  // The block's slash may come encoded (10.0.1.0%2F28, the documented form) or not (10.0.1.0/28): a
  // hidden wildcard route takes the second.
  const cidrSchema = (params: z.ZodType, hide: boolean) => ({
    summary: 'Who held any address in a block at a time',
    description: `Blocks of at most ${maxCidr} addresses. Encode the slash (10.0.1.0%2F28) or not.`,
    hide,
    params,
    querystring: s.cidrQuery,
    response: { 200: z.object({ cidr: z.string(), at: z.string(), holdings: z.array(s.holdingAnswer), coverage: s.coverage }), ...problems },
  })
  const cidrHandler = async (block: Cidr, q: z.infer<typeof s.cidrQuery>, visible: readonly string[] | undefined) => {
    if (cidrSize(block) > BigInt(maxCidr)) {
      throw new Problem(400, `"cidr": ${block.text} holds ${cidrSize(block)} addresses; this server answers blocks of at most ${maxCidr} (a /${(block.network.version === 4 ? 32 : 128) - Math.floor(Math.log2(maxCidr))} or smaller)`)
    }
    const texts = await answers.points(addressesIn(block).map((ip) => ({ ip: ip.text, at: q.at, windowMs: 0, vpc: q.vpc, account: q.account, visible })))
    metrics.lookups.inc(texts.length)
    const seen = new Set<string>()
    const holdings: z.infer<typeof s.holdingAnswer>[] = []
    let coverage: z.infer<typeof s.coverage> | undefined
    for (const text of texts) {
      const answer = JSON.parse(text) as z.infer<typeof s.pointAnswer>
      coverage ??= answer.coverage
      for (const h of answer.holdings) {
        // A delegated prefix is found by each of its addresses: list it once.
        const id = `${h.address}|${h.scope}|${h.holder.eniId}|${h.start.after}`
        if (!seen.has(id)) holdings.push(h)
        seen.add(id)
      }
    }
    return { cidr: block.text, at: formatTime(q.at), holdings, coverage: coverage! }
  }
  const cidrRoute = async (req: FastifyRequest, block: Cidr, q: z.infer<typeof s.cidrQuery>) => {
    const answer = await cidrHandler(block, q, visibleList(req))
    noteAudit(req, [block.text], answer.holdings.length)
    return answer
  }
  app.get('/v1/cidrs/:cidr', { schema: cidrSchema(s.cidrParams, false) }, async (req) => cidrRoute(req, (req.params as { cidr: Cidr }).cidr, req.query))
  app.get('/v1/cidrs/*', { schema: cidrSchema(z.strictObject({ '*': s.cidr }), true) }, async (req) => cidrRoute(req, (req.params as { '*': Cidr })['*'], req.query))

  app.post(
    '/v1/lookups',
    {
      schema: {
        summary: 'A batch of point lookups',
        description: `Up to ${s.MAX_BATCH} {ip, at[, window, vpc, account]} items, answered in order. An item with bad input gets an error of its own; the rest are answered.`,
        body: s.lookupsBody,
        response: { 200: z.object({ results: z.array(z.unknown()) }), ...problems, 413: s.problem },
      },
    },
    async (req, reply) => {
      const { lookups, format } = req.body
      const queries: PointQuery[] = []
      const slots: (number | string)[] = []
      const visible = visibleList(req)
      for (const raw of lookups) {
        const item = s.batchItem.safeParse(raw)
        if (item.success) {
          slots.push(queries.length)
          queries.push({ ip: item.data.ip, at: item.data.at, windowMs: item.data.window ?? 0, vpc: item.data.vpc, account: item.data.account, visible })
        } else {
          const detail = item.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.path.length ? `"${i.path.join('.')}"${i.message.startsWith('is ') ? ' ' : ': '}${i.message}` : i.message)).join('; ')
          slots.push(JSON.stringify({ error: { status: 400, detail } }))
        }
      }
      // Target states once for the whole batch; answers from the cache or the store.
      await targetStates()
      const texts = await answers.points(queries, format)
      metrics.lookups.inc(queries.length)
      noteAudit(req, queries.slice(0, 10).map((q) => q.ip), lookups.length, lookups.length)
      // Assembled as text: cached answers are already JSON, and re-parsing 10,000 of them would cost more
      // than answering them.
      const body = `{"results":[${slots.map((slot) => (typeof slot === 'number' ? texts[slot] : slot)).join(',')}]}`
      return reply.type('application/json; charset=utf-8').send(body as never)
    },
  )
}
