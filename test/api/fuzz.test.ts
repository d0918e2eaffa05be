// Malformed requests of every kind a caller can send (paths, percent-encodings, methods, headers,
// bodies), through fastify.inject into the real app on the real store. Each request is built around one
// defect that makes it wrong; each answer must be a 4xx RFC 9457 problem whose title is its status's
// phrase and whose detail is a sentence: never a 5xx, never a success.
import { STATUS_CODES } from 'node:http'
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { openTestStore } from '../../support/stores.ts'

interface Malformed {
  readonly defect: string
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly payload?: string
  /** The statuses this defect may be answered with, where it is one kind of 4xx only. */
  readonly expect?: readonly number[]
}

const IP = '203.0.113.7'
const AT = '2026-11-20T10:00:00Z'

// Text a caller might paste anywhere: printable ASCII, any Unicode, and values that have broken parsers.
const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', ' ', '.', '..', '%', '%2', '%zz', '%00', '\u0000', '1e309', '-1', 'NaN', 'null', '[]', '{}', '__proto__', 'constructor', 'toString', '999.1.1.1', '::ffff:999.0.0.1', '10.0.0.1/33', 'eni-', 'i-', 'vpc-', 'now ago'),
)
const encoded = junk.map(encodeURIComponent)
// Percent-encodings no decoder accepts: a % without two hex digits, or bytes that are not UTF-8.
const badEscape = fc.constantFrom('%', '%2', '%zz', '%G0', '%E0%A4%A', '%C0%80', '%FF', '%ED%A0%80', '%%', '%u0041')
// Values that cannot be what they stand for: every IP, time, id and block whohad accepts starts with a
// digit, a hex digit, ':' or a known prefix, or is `now`; none starts with "x".
const notValid = (known: readonly string[]) => fc.oneof(fc.constantFrom(...known), junk.map((j) => `x${j}`))
const badIp = notValid(['999.1.1.1', '1.2.3', '1.2.3.4.5', '::ffff:999.0.0.1', '1::2::3', '10.0.0.1/33', 'localhost'])
const badTime = notValid(['', '2026-13-45T99:99:99Z', '2026-11-20 10:00', '2026-11-20', '-1', '1e309', 'yesterday', 'nowish', '9'.repeat(80)])
const badCidr = notValid(['10.0.0.0/33', '10.0.0.0/8', '10.0.0.0', '999.0.0.0/24', '::/0', '10.0.0.0/-1'])
const query = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${v}`).join('&')
const extraPairs = fc.array(fc.tuple(encoded, encoded), { maxLength: 3 })

const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH', 'TRACE']
// What each route answers; any other method on it is wrong.
const routes: [string, string[]][] = [
  [`/v1/ips/${IP}?at=${AT}`, ['GET', 'HEAD']],
  [`/v1/ips/${IP}/timeline?from=1&to=2`, ['GET', 'HEAD']],
  [`/v1/cidrs/10.0.1.0%2F28?at=${AT}`, ['GET', 'HEAD']],
  [`/v1/cidrs/10.0.1.0/28?at=${AT}`, ['GET', 'HEAD']],
  ['/v1/enis/eni-0abc', ['GET', 'HEAD']],
  ['/v1/instances/i-0abc', ['GET', 'HEAD']],
  ['/v1/instances', ['GET', 'HEAD']],
  ['/v1/lookups', ['POST']],
  ['/healthz', ['GET', 'HEAD']],
  ['/readyz', ['GET', 'HEAD']],
  ['/metrics', ['GET', 'HEAD']],
  ['/', ['GET', 'HEAD']],
  ['/ui/app.js', ['GET', 'HEAD']],
]

// Headers that ride along with every request; none of them turns a wrong request into a right one.
// (Content-Length and Transfer-Encoding are set only where a body's defect is their mismatch.)
const headerName = fc.oneof(
  fc.constantFrom('accept', 'accept-encoding', 'accept-language', 'authorization', 'content-type', 'cookie', 'host', 'if-none-match', 'origin', 'range', 'referer', 'user-agent', 'x-forwarded-for', 'x-request-id', 'x-http-method-override'),
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
)
const headers = fc.dictionary(headerName, fc.string({ maxLength: 60 }), { maxKeys: 4 })

const body = fc.oneof(
  junk.map((j) => ({ why: 'not JSON', payload: `{${j}`, type: 'application/json' })),
  fc.constantFrom('', ' ', 'null', '0', '"lookups"', '[]', '[{"ip": "203.0.113.7"}]', 'true').map((p) => ({ why: 'not a JSON object with lookups', payload: p, type: 'application/json' })),
  fc.constantFrom('{}', '{"lookups": []}', '{"lookups": {}}', '{"lookups": "203.0.113.7"}', '{"lookups": null}', '{"lookups": [{}], "format": "xml"}').map((p) => ({ why: 'lookups missing, empty or wrong', payload: p, type: 'application/json' })),
  junk.map((j) => ({ why: 'an unknown field', payload: JSON.stringify({ lookups: [{ ip: IP, at: AT }], [`x${j}`]: 1 }), type: 'application/json' })),
  fc.constantFrom(
    '{"__proto__": {"polluted": true}, "lookups": [{"ip": "203.0.113.7", "at": "now"}]}',
    '{"lookups": [{"ip": "203.0.113.7", "at": "now", "__proto__": {"x": 1}}]}',
    '{"constructor": {"prototype": {"polluted": true}}, "lookups": [{"ip": "203.0.113.7", "at": "now"}]}',
    '{"\\u005f_proto__": {}, "lookups": [{"ip": "203.0.113.7", "at": "now"}]}',
  ).map((p) => ({ why: 'prototype keys', payload: p, type: 'application/json' })),
  fc.constantFrom(`${'['.repeat(5000)}${']'.repeat(5000)}`, `{"lookups": [{"ip": "203.0.113.7", "at": "now"}], "format": ${'['.repeat(3000)}${']'.repeat(3000)}}`, JSON.stringify({ lookups: Array.from({ length: 10_001 }, () => ({ ip: IP, at: AT })) }), 'x'.repeat(2 * 1024 * 1024 + 1)).map((p) => ({ why: 'too deep, too many or too large', payload: p, type: 'application/json' })),
  fc.tuple(fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/csv', 'application/xml', 'application/problem+json', 'application/jsonx', 'json', 'application/octet-stream'), fc.constantFrom('lookups=203.0.113.7', '{"lookups": [{"ip": "203.0.113.7", "at": "now"}]}')).map(([type, payload]) => ({ why: 'not sent as JSON', payload, type })),
  fc.constantFrom('text/plain', 'text/plain; charset=utf-8').map((type) => ({ why: 'plain text', payload: '{"lookups": [{"ip": "203.0.113.7", "at": "now"}]}', type })),
)

const request: fc.Arbitrary<Malformed> = fc.oneof(
  // No such route: any method.
  fc.tuple(fc.constantFrom(...methods), fc.constantFrom('/x', '/v2', '/v1', '/v1/nope', '/api', '/ui/a', '/v1/ips/1.2.3.4/timeline', '/healthz/x', '/.env', '/ui'), fc.array(encoded, { maxLength: 3 }), headers).map(([method, prefix, segments, h]) => ({
    defect: 'no such route',
    expect: [404, 405],
    method,
    url: `${prefix}/${segments.join('/')}x`,
    headers: h,
  })),
  // A route that exists, with a method it does not answer.
  fc.tuple(fc.constantFrom(...routes), fc.constantFrom(...methods), headers).filter(([[, allowed], method]) => !allowed.includes(method)).map(([[url], method, h]) => ({ defect: 'wrong method', expect: [405], method, url, headers: h })),
  // A malformed percent-encoding in the path. What follows it starts with "x", not a hex digit: '%2'
  // followed by 'E' would be '%2E', a good encoding of '.'.
  fc.tuple(fc.constantFrom('/v1/ips/', '/v1/cidrs/', '/v1/enis/', '/ui/', '/x/', '/'), encoded, badEscape, encoded, fc.constantFrom('', `?at=${AT}`), headers).map(([prefix, a, bad, b, q, h]) => ({
    defect: 'bad percent-encoding',
    method: 'GET',
    url: `${prefix}${a}${bad}x${b}${q}`,
    headers: h,
  })),
  // A path segment longer than any address, block or id.
  fc.tuple(fc.constantFrom('/v1/ips/', '/v1/enis/', '/v1/cidrs/', '/ui/', '/'), fc.integer({ min: 201, max: 20_000 }), headers).map(([prefix, n, h]) => ({ defect: 'overlong path', method: 'GET', url: `${prefix}${'1'.repeat(n)}?at=${AT}`, headers: h })),
  // Lookups with a wrong address, time, window, filter or parameter.
  fc.tuple(badIp, fc.oneof(badTime, fc.constant(AT)), extraPairs, headers).map(([ip, at, extra, h]) => ({
    defect: 'bad address',
    method: 'GET',
    url: `/v1/ips/${encodeURIComponent(ip)}?${query([['at', encodeURIComponent(at)], ...extra])}`,
    headers: h,
  })),
  fc.tuple(
    fc.oneof(
      badTime.map((at): [string, string][] => [['at', encodeURIComponent(at)]]),
      fc.constant<[string, string][]>([]),
      junk.map((j): [string, string][] => [['at', AT], [`x${encodeURIComponent(j)}`, '1']]),
      junk.map((j): [string, string][] => [['at', AT], ['window', encodeURIComponent(`x${j}`)]]),
      fc.constantFrom('8d', '-5m', '5', '5 minutes').map((w): [string, string][] => [['at', AT], ['window', encodeURIComponent(w)]]),
      junk.map((j): [string, string][] => [['at', AT], ['vpc', encodeURIComponent(`x${j}`)]]),
      junk.map((j): [string, string][] => [['at', AT], ['account', encodeURIComponent(`x${j}`)]]),
      fc.constant<[string, string][]>([['at', AT], ['at', AT]]),
    ),
    headers,
  ).map(([pairs, h]) => ({ defect: 'bad query', method: 'GET', url: `/v1/ips/${IP}?${query(pairs)}`, headers: h })),
  fc.tuple(fc.oneof(fc.tuple(badTime, fc.constant(AT)), fc.tuple(fc.constant(AT), badTime), fc.constant([AT, '2026-11-19T10:00:00Z']), fc.constant(['2026-01-01T00:00:00Z', AT])), headers).map(([[from, to], h]) => ({
    defect: 'bad timeline',
    method: 'GET',
    url: `/v1/ips/${IP}/timeline?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    headers: h,
  })),
  fc.tuple(badCidr, fc.boolean(), headers).map(([cidr, encodeSlash, h]) => ({
    defect: 'bad block',
    method: 'GET',
    url: `/v1/cidrs/${encodeSlash ? encodeURIComponent(cidr) : cidr.split('/').map(encodeURIComponent).join('/')}?at=${AT}`,
    headers: h,
  })),
  fc.tuple(fc.constantFrom('/v1/enis/', '/v1/instances/', '/ui/'), junk, headers).map(([prefix, id, h]) => ({ defect: 'bad id', method: 'GET', url: `${prefix}x${encodeURIComponent(id)}`, headers: h })),
  fc.tuple(fc.constantFrom('account', 'region', 'vpc', 'colour', 'at'), junk, headers).map(([name, value, h]) => ({
    defect: 'bad listing filter',
    method: 'GET',
    url: `/v1/instances?${name}=x${encodeURIComponent(value)}`,
    headers: h,
  })),
  // Batches whose body is wrong as a whole (a wrong item is answered in its slot, with 200).
  fc.tuple(body, headers).map(([b, h]) => ({ defect: `body: ${b.why}`, method: 'POST', url: '/v1/lookups', headers: { ...h, 'content-type': b.type }, payload: b.payload })),
  fc.tuple(fc.integer({ min: 1, max: 10 }), headers).map(([short, h]) => {
    const payload = JSON.stringify({ lookups: [{ ip: IP, at: AT }] })
    return { defect: 'body: shorter than its Content-Length says', method: 'POST', url: '/v1/lookups', headers: { ...h, 'content-type': 'application/json', 'content-length': String(payload.length - short) }, payload }
  }),
  // Well-formed, but about nothing whohad knows.
  fc.tuple(fc.constantFrom('/v1/enis/eni-', '/v1/instances/i-'), fc.stringMatching(/^[0-9a-f]{1,17}$/), headers).map(([prefix, id, h]) => ({ defect: 'never seen', method: 'GET', url: `${prefix}${id}`, headers: h })),
)

t.test('10,000 malformed requests: each a 4xx problem whose title is its status, none a 5xx', async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  // The rate limit would answer 429 to most of them; it has its own test.
  const app = await buildApp({ store, rateLimitPerMinute: 1e9 })
  t.teardown(() => app.fastify.close())
  const byDefect = new Map<string, Map<number, number>>()
  let sent = 0
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      sent++
      const res = await app.fastify.inject({ method: r.method as 'GET', url: r.url, headers: r.headers, ...(r.payload === undefined ? {} : { payload: r.payload }) })
      const counts = byDefect.get(r.defect) ?? new Map<number, number>()
      counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1)
      byDefect.set(r.defect, counts)
      const where = `${r.defect}: ${r.method} ${r.url.slice(0, 200)} answered ${res.statusCode} ${res.body.slice(0, 300)}`
      if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(where)
      if (r.expect && !r.expect.includes(res.statusCode)) throw new Error(`expected ${r.expect.join(' or ')}: ${where}`)
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) throw new Error(`not problem+json: ${where}`)
      if (r.method === 'HEAD') return
      const problem = JSON.parse(res.body) as { type?: unknown; title?: unknown; status?: unknown; detail?: unknown }
      if (problem.type !== 'about:blank' || problem.status !== res.statusCode || problem.title !== STATUS_CODES[res.statusCode]) throw new Error(`title or status wrong: ${where}`)
      if (typeof problem.detail !== 'string' || problem.detail.length < 10) throw new Error(`no detail: ${where}`)
      if (res.statusCode === 405 && !res.headers.allow) throw new Error(`405 without Allow: ${where}`)
    }),
    { numRuns: 10_000 },
  )
  t.ok(sent >= 10_000, `${sent} requests`)
  for (const [defect, counts] of [...byDefect].sort()) t.comment(`${defect}: ${[...counts].map(([status, n]) => `${n}× ${status}`).join(', ')}`)
  t.ok(byDefect.size >= 20, `${byDefect.size} kinds of defect were sent`)
})
