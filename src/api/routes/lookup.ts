// Who held an address: a point lookup, a timeline, a CIDR block, and batches for SIEM enrichment.
import type { IncomingMessage } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import type { CacheRead } from '../../cache/types.ts'
import { addressesIn, type Cidr, cidrSize } from '../../model/ip.ts'
import { formatTime, isNow } from '../../model/time.ts'
import type { PointQuery } from '../answers.ts'
import { errorText, itemQuery } from '../lookup-item.ts'
import { joinedBytes } from '../joined-bytes.ts'
import { incidentNote, type NoteAnswer, permalinkFor } from '../note.ts'
import { timelineCsv } from '../timeline-csv.ts'
import { VERSION } from '../version.ts'
import { LookupStream } from '../lookup-stream.ts'
import { type Line, splitLines } from '../ndjson.ts'
import { AUDIT_FIRST, noteAudit } from '../plugins/audit.ts'
import { TAG } from '../plugins/swagger.ts'
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
  app.addConstraintStrategy(bodyTypes)

  app.get(
    '/v1/ips/:ip',
    {
      schema: {
        tags: [TAG.lookups],
        summary: 'Who held this address at a time',
        description:
          'The `verdict` about `at` itself first (held, possible, none of ours, or unknown), then every holding that may contain `at` (or overlaps at ± window), nearest `at` first, each `certain` or `possible` within the window and placed against `at` (`atT`), and whether whohad was watching then (`coverage`).\n\n' +
          'Example: `GET /v1/ips/203.0.113.7?at=2026-11-20T10:00:00Z&window=5m`',
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
    '/v1/ips/:ip/note',
    {
      schema: {
        tags: [TAG.lookups],
        summary: 'The answer as an incident note (Markdown)',
        description:
          'The point answer as a short Markdown block for a ticket: the verdict, the holders with their account, region, resource, tags and bounds with evidence, coverage, a link to the page, and the whohad version. `whohad lookup --format markdown` prints the same text.\n\n' +
          'Example: `GET /v1/ips/203.0.113.7/note?at=2026-11-20T10:00:00Z&window=5m`',
        params: s.ipParams,
        querystring: s.pointQuery,
        response: { 200: z.string().meta({ description: 'text/markdown' }), ...problems },
      },
    },
    async (req, reply) => {
      const q = req.query
      const [text] = await answers.points([{ ip: req.params.ip, at: q.at, windowMs: q.window ?? 0, vpc: q.vpc, account: q.account, visible: visibleList(req) }])
      metrics.lookups.inc()
      noteAudit(req, [req.params.ip])
      const answer = JSON.parse(text!) as NoteAnswer
      return reply.type('text/markdown; charset=utf-8').send(incidentNote(answer, { permalink: permalinkFor(`${req.protocol}://${req.host}`, answer), version: VERSION }))
    },
  )

  app.get(
    '/v1/ips/:ip/timeline',
    {
      schema: {
        tags: [TAG.lookups],
        summary: 'Every holding of this address over a range',
        description: 'Oldest first, at most 31 days; `format=csv` for a spreadsheet.\n\nExample: `GET /v1/ips/203.0.113.7/timeline?from=2026-11-20T08:00:00Z&to=2026-11-20T12:00:00Z`',
        params: s.ipParams,
        querystring: s.timelineQuery,
        response: { 200: s.timelineAnswer.meta({ description: 'JSON; with format=csv, text/csv: one row per holding' }), ...problems },
      },
    },
    async (req, reply) => {
      const answer = await answers.timeline(req.params.ip, req.query.from, req.query.to, { vpc: req.query.vpc, account: req.query.account, visible: visibleList(req) })
      noteAudit(req, [req.params.ip], answer.holdings.length)
      if (req.query.format === 'csv') {
        const name = `whohad-${answer.ip.replaceAll(':', '-')}-${answer.from.slice(0, 19).replaceAll(':', '')}.csv`
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(timelineCsv(answer.holdings) as never)
      }
      return answer
    },
  )

  // The block's slash may come encoded (10.0.1.0%2F28, the documented form) or not (10.0.1.0/28): a
  // hidden wildcard route takes the second.
  const cidrSchema = (params: z.ZodType, hide: boolean) => ({
    tags: [TAG.lookups],
    summary: 'Who held any address in a block at a time',
    description: `Blocks of at most ${maxCidr} addresses. Encode the slash (10.0.1.0%2F28) or not.\n\nExample: \`GET /v1/cidrs/10.0.1.0%2F28?at=2026-11-20T10:00:00Z\``,
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

  // The batch and its NDJSON stream share one item check and one way to answer a group of items.
  // An NDJSON line's error names its line number; a line that is no JSON at all comes as its error.
  const answerItems = async (raws: readonly unknown[], visible: readonly string[] | undefined, format: 'whohad' | 'ecs', lineNumbers?: readonly number[]) => {
    const queries: PointQuery[] = []
    const slots: (number | string)[] = []
    for (const [i, raw] of raws.entries()) {
      const item = raw instanceof NotALookup ? raw : itemQuery(raw, visible)
      if ('error' in item) slots.push(errorText(400, item.error, lineNumbers?.[i]))
      else {
        slots.push(queries.length)
        queries.push(item)
      }
    }
    const texts = await answers.points(queries, format)
    metrics.lookups.inc(queries.length)
    return { queries, results: slots.map((slot) => (typeof slot === 'number' ? texts[slot]! : slot)) }
  }

  app.post(
    '/v1/lookups',
    {
      schema: {
        tags: [TAG.enrichment],
        summary: 'A batch of point lookups',
        description:
          `Up to ${s.MAX_BATCH} {ip, at[, window, vpc, account]} items, answered in order. An item with bad input gets an error of its own; the rest are answered. ` +
          'Sent as `Content-Type: application/x-ndjson` instead (one item a line, any number of lines, `?format=ecs` for the ECS form), the answers stream back one line per item, in order, as the lines arrive.\n\n' +
          'Example: `POST /v1/lookups` with `{"lookups": [{"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}, {"ip": "10.0.1.5", "at": 1763632800, "vpc": "vpc-0abc1234"}], "format": "whohad"}`; ' +
          'as NDJSON: `curl --data-binary @lookups.ndjson -H "Content-Type: application/x-ndjson" "http://whohad:8080/v1/lookups?format=ecs"`',
        body: s.lookupsBody,
        response: { 200: s.lookupsAnswer, ...problems, 413: s.problem },
      },
    },
    async (req, reply) => {
      const { lookups, format } = req.body
      // Target states once for the whole batch; answers from the cache or the store.
      await targetStates()
      const { queries, results } = await answerItems(lookups, visibleList(req), format)
      noteAudit(req, queries.slice(0, 10).map((q) => q.ip), lookups.length, lookups.length)
      // Assembled as text: cached answers are already JSON, and re-parsing 10,000 of them would cost more
      // than answering them.
      // As bytes: a string reply is encoded twice (once to count its length, once to send it), and
      // joined first (joined-bytes.ts).
      return reply.type('application/json; charset=utf-8').send(joinedBytes('{"results":[', results, ',', ']}') as never)
    },
  )

  // The same route sent NDJSON: a route of its own (chosen by the body's media type), because its body
  // is a stream that the batch's schema cannot validate. Its parser passes the request on unread.
  app.addContentTypeParser(NDJSON, (req, payload, done) => {
    // A signed body is verified once it has been hashed whole (plugins/auth.ts): such a request is
    // read up to the body limit before any line is answered, so that nothing is answered unverified.
    if (!req.sigv4Pending) return done(null, payload)
    readWhole(payload, app.initialConfig.bodyLimit ?? 1024 * 1024).then((body) => done(null, Readable.from([body])), (err: Error) => done(err, undefined))
  })
  app.post(
    '/v1/lookups',
    {
      constraints: { bodyType: NDJSON },
      schema: {
        hide: true,
        summary: 'Point lookups as NDJSON, answered as they arrive',
        querystring: s.ndjsonQuery,
        response: problems,
      },
    },
    async (req, reply) => {
      const visible = visibleList(req)
      const format = req.query.format
      const first: string[] = []
      let count = 0
      const answerLines = async (lines: readonly Line[]): Promise<string | Buffer> => {
        const raws = lines.map((line) => parseLine(line))
        try {
          const { queries, results } = await answerItems(raws, visible, format, lines.map((line) => line.n))
          for (const q of queries) if (first.length < AUDIT_FIRST) first.push(q.ip)
          count += lines.length
          noteAudit(req, first, count, count)
          return joinedBytes('', results, '\n', '\n')
        } catch (err) {
          // The answer's status is sent: a lookup the store could not answer says so on its own line.
          req.log.error(err)
          count += lines.length
          noteAudit(req, first, count, count)
          return lines.map((line) => `${errorText(503, 'the store could not answer; try again shortly', line.n)}\n`).join('')
        }
      }
      noteAudit(req, [], 0, 0)
      const answersOut = pipeline(req.body as Readable, splitLines(MAX_LINE_BYTES), new LookupStream({ answer: answerLines }), (err) => {
        if (err) req.log.debug({ err }, 'NDJSON lookups ended early')
      })
      return reply.type(`${NDJSON}; charset=utf-8`).send(answersOut as never)
    },
  )
}

const NDJSON = 'application/x-ndjson'

/** Routes chosen by the request body's media type (its essence: no parameters, lower case). */
type Strategy = Parameters<FastifyInstance['addConstraintStrategy']>[0]
const bodyTypes: Strategy = {
  name: 'bodyType',
  storage() {
    const handlers = new Map<unknown, Parameters<ReturnType<Strategy['storage']>['set']>[1]>()
    return { get: (type) => handlers.get(type) ?? null, set: (type, handler) => void handlers.set(type, handler) }
  },
  deriveConstraint: (req: IncomingMessage) => req.headers['content-type']?.split(';', 1)[0]!.trim().toLowerCase(),
  // Any other body type takes the route without the constraint (the JSON batch), which refuses it.
  mustMatchWhenDerived: false,
}
/** A lookup is some 200 bytes: a line far longer is refused (without being held) instead of parsed. */
const MAX_LINE_BYTES = 8 * 1024

/** A line that is not a lookup before its fields are checked: not JSON, or over the length limit. */
class NotALookup {
  constructor(readonly error: string) {}
}

function parseLine(line: Line): unknown {
  if ('tooLong' in line) return new NotALookup(`line ${line.n} is over ${MAX_LINE_BYTES} bytes; a lookup is one short JSON object a line`)
  try {
    return JSON.parse(line.text) as unknown
  } catch (err) {
    return new NotALookup(`line ${line.n} is not valid JSON (${(err as Error).message}); send one object a line like {"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}`)
  }
}

/** A body read whole, refused past the limit as Fastify's own parsers refuse it. */
async function readWhole(payload: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of payload) {
    size += (chunk as Buffer).length
    if (size > limit) throw Object.assign(new Error('body too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
    parts.push(chunk as Buffer)
  }
  return Buffer.concat(parts)
}
