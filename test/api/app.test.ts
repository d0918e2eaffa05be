// The API through inject and through a real listening server, on the real store.
import { createHash } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { coverageOf } from '../../src/api/coverage.ts'
import { storeOver } from '../../src/store/open.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000

async function setup(t: { teardown(fn: () => unknown): void }, keys: { name: string; scopes: string[]; key: string }[] = []) {
  const { store } = await openTestStore(t, 'embedded')
  await store.holdings.apply([
    { kind: 'close', holding: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-old', instance: 'i-old', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), end: { after: T0 - 10 * MIN, by: T0 - 9 * MIN, evidence: [] } }, closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: makeHolding({ address: '203.0.113.7', eni: 'eni-new', instance: 'i-new', start: [T0 - 9 * MIN, T0 - 8 * MIN] }) },
  ])
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  const app = await buildApp({ store, apiKeys: keys.map((k) => ({ name: k.name, scopes: k.scopes, sha256: createHash('sha256').update(k.key).digest('hex') })) })
  t.teardown(() => app.fastify.close())
  return app
}

t.test('who held it: certain, possible, nobody; with coverage', async (t) => {
  const { fastify } = await setup(t)
  const get = async (url: string) => fastify.inject({ method: 'GET', url })
  let res = await get(`/v1/ips/203.0.113.7?at=${encodeURIComponent('2026-11-20T10:30:00+01:00')}`)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { ip: '203.0.113.7', at: '2026-11-20T09:30:00.000Z', holdings: [{ certainty: 'certain', holder: { eniId: 'eni-old', instanceId: 'i-old' } }], coverage: { state: 'complete' } })
  res = await get(`/v1/ips/203.0.113.7?at=${(T0 - 9 * MIN) / 1000}`)
  t.same(res.json().holdings.map((h: { certainty: string; holder: { eniId: string } }) => `${h.holder.eniId}:${h.certainty}`), ['eni-old:possible', 'eni-new:possible'], 'at the handover both are possible')
  res = await get(`/v1/ips/203.0.113.7?at=${T0}&window=5m`)
  t.match(res.json(), { holdings: [{ certainty: 'certain', holder: { eniId: 'eni-new' }, provenUntil: T0 + 60 * MIN }] })
  res = await get(`/v1/ips/198.51.100.1?at=${T0}`)
  t.match(res.json(), { holdings: [], coverage: { state: 'complete' } }, 'empty and watched: none of ours held it')
  res = await get(`/v1/ips/198.51.100.1?at=${T0 - 24 * 60 * MIN}`)
  t.match(res.json(), { holdings: [], coverage: { state: 'not-watching' } }, 'empty before collection began: we were not watching')
  res = await get(`/v1/ips/203.0.113.7/timeline?from=${T0 - 120 * MIN}&to=${T0}`)
  t.same(res.json().holdings.map((h: { holder: { eniId: string } }) => h.holder.eniId), ['eni-old', 'eni-new'], 'timeline in order')
})

t.test('bad input is a 4xx problem that says how to fix it', async (t) => {
  const { fastify } = await setup(t)
  const cases: [string, RegExp][] = [
    ['/v1/ips/999.1.1.1?at=1', /"ip"/],
    ['/v1/ips/203.0.113.7', /"at" is required/],
    ['/v1/ips/203.0.113.7?at=2026-11-20%2010:00', /offset/],
    ['/v1/ips/203.0.113.7?at=1&window=forever', /"window"/],
    ['/v1/ips/203.0.113.7?at=1&colour=red', /unknown parameter "colour"/],
    ['/v1/ips/203.0.113.7?at=1&at=2', /more than once/],
    ['/v1/ips/203.0.113.7/timeline?from=10&to=1', /before/],
    ['/v2/nothing', /no route/],
  ]
  for (const [url, detail] of cases) {
    const res = await fastify.inject({ method: 'GET', url })
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.match(res.json().detail, detail)
  }
})

t.test('every 4xx is a problem titled by its status, saying how to fix it', async (t) => {
  const { fastify } = await setup(t)
  const send = async (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: string) => {
    const res = await fastify.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) })
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${method} ${url.slice(0, 40)}: problem+json`)
    t.equal(res.json().title, STATUS_CODES[res.statusCode], `${method} ${url.slice(0, 40)}: titled ${STATUS_CODES[res.statusCode]}`)
    return { status: res.statusCode, detail: String(res.json().detail), allow: res.headers.allow }
  }
  t.match(await send('GET', '/v1/ips/%zz?at=1'), { status: 400, detail: /malformed percent-encoding.*%25/ }, 'a bad percent-encoding')
  t.notMatch((await send('GET', '/v1/ips/%E0%A4%A?at=1')).detail, /FST_ERR/)
  t.match(await send('GET', `/v1/ips/${'1'.repeat(300)}?at=1`), { status: 414, detail: /over 200 characters/ }, 'an overlong path segment')
  const json = { 'content-type': 'application/json' }
  t.match(await send('POST', '/v1/lookups', { 'content-type': 'application/x-www-form-urlencoded' }, 'ip=203.0.113.7'), { status: 415, detail: /Content-Type: application\/json/ }, 'a form body')
  const proto = await send('POST', '/v1/lookups', json, '{"__proto__": {"x": 1}, "lookups": [{"ip": "203.0.113.7", "at": "now"}]}')
  t.match(proto, { status: 400, detail: /"__proto__"/ }, 'valid JSON with __proto__')
  t.notMatch(proto.detail, /not valid JSON/, 'is not called invalid JSON')
  t.match(await send('POST', '/v1/lookups', json, '{"lookups": [}'), { status: 400, detail: /not valid JSON \(.+\); send a body like/ }, 'invalid JSON says where')
  t.match(await send('POST', '/v1/lookups', json, ''), { status: 400, detail: /the body is empty; send/ })
  t.match(await send('DELETE', '/v1/ips/203.0.113.7?at=1'), { status: 405, allow: 'GET, HEAD', detail: /answers GET, HEAD, not DELETE/ }, 'a wrong method on an existing route')
  t.match(await send('GET', '/v1/lookups'), { status: 405, allow: 'POST' })
  t.match(await send('POST', '/v2/lookups', { 'content-type': 'text/csv' }, 'ip'), { status: 404, detail: /no route POST \/v2\/lookups/ }, 'a body to no route: the route is wrong')
  t.match(await send('GET', '/v2/nothing'), { status: 404, detail: /see \/docs/ })
  t.match(await send('GET', '/ui/x.js'), { status: 404, detail: /app\.js/ })
  // Names every object has (toString, constructor, __proto__) are not the page's files either.
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) t.match(await send('GET', `/ui/${name}`), { status: 404, detail: /app\.js/ }, `/ui/${name}`)
  const { client } = await openTestStore(t, 'embedded')
  const broken = await buildApp({ store: storeOver(client, { tableName: 'no-such-table' }) })
  t.teardown(() => broken.fastify.close())
  const notReady = await broken.fastify.inject({ method: 'GET', url: '/readyz' })
  t.match(notReady.headers['content-type'], /^application\/problem\+json/)
  t.match(notReady.json(), { status: 503, title: 'Service Unavailable', detail: /store could not answer/, cache: { state: 'ok' } }, 'not ready: a problem too')
})

t.test('a request line over the HTTP limit is a 431 problem', async (t) => {
  const { fastify } = await setup(t)
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const res = await fetch(`${address}/v1/ips/${'1'.repeat(20_000)}?at=now`)
  t.equal(res.status, 431)
  t.match(res.headers.get('content-type'), /^application\/problem\+json/)
  t.match(await res.json(), { title: 'Request Header Fields Too Large', status: 431, detail: /POST \/v1\/lookups/ })
})

t.test('at=now: the present, asked afresh each time', async (t) => {
  const { fastify } = await setup(t)
  const ask = async () => (await fastify.inject({ method: 'GET', url: '/v1/ips/203.0.113.7?at=now' })).json() as { at: string; holdings: { holder: { eniId: string } }[] }
  const before = Date.now()
  const first = await ask()
  t.ok(Date.parse(first.at) >= before && Date.parse(first.at) <= Date.now(), 'answered for the time of the request')
  t.same(first.holdings.map((h) => h.holder.eniId), ['eni-new'], 'the current holder')
  await new Promise((resolve) => setTimeout(resolve, 5))
  const second = await ask()
  t.ok(Date.parse(second.at) > Date.parse(first.at), 'the same URL later is a later time, not the first answer remembered')
  t.match((await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7/timeline?from=${T0 - 120 * MIN}&to=now` })).json(), { holdings: [{ holder: { eniId: 'eni-old' } }, { holder: { eniId: 'eni-new' } }] }, 'to=now too')
  const batch = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: [{ ip: '203.0.113.7', at: 'now' }] } })
  t.match(batch.json(), { results: [{ holdings: [{ holder: { eniId: 'eni-new' } }] }] }, 'and in a batch')
})

// Raw junk in the three parameters of the two lookup routes. test/api/fuzz.test.ts sends 10,000
// malformed requests of every kind, these among them, and checks each answer is a 4xx problem; the
// runs here are that many again of one narrow kind, so fewer of them cover it.
t.test('2,000 malformed lookups: never a 5xx', async (t) => {
  const { fastify } = await setup(t)
  let fiveHundreds = 0
  let requests = 0
  const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '1e309', '-1', '2026-13-45T99:99:99Z', '::ffff:999.0.0.1', '10.0.0.1/33', '%00', '..%2F'))
  await fc.assert(
    fc.asyncProperty(junk, junk, junk, fc.constantFrom('/v1/ips/', '/v1/ips/timeline/'), async (ip, at, window, route) => {
      requests++
      const url = route === '/v1/ips/'
        ? `/v1/ips/${encodeURIComponent(ip)}?at=${encodeURIComponent(at)}&window=${encodeURIComponent(window)}`
        : `/v1/ips/${encodeURIComponent(ip)}/timeline?from=${encodeURIComponent(at)}&to=${encodeURIComponent(window)}`
      const res = await fastify.inject({ method: 'GET', url })
      if (res.statusCode >= 500) fiveHundreds++
      return res.statusCode < 500
    }),
    { numRuns: 2_000 },
  )
  t.equal(fiveHundreds, 0, `${requests} requests, no 5xx`)
})

t.test('API keys: required when configured, never logged', async (t) => {
  const { fastify } = await setup(t, [{ name: 'desk', scopes: ['lookup'], key: 'k-secret-1' }, { name: 'metrics', scopes: ['read-metrics'], key: 'k-secret-2' }])
  const url = `/v1/ips/203.0.113.7?at=${T0}`
  t.equal((await fastify.inject({ method: 'GET', url })).statusCode, 401)
  t.equal((await fastify.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong' } })).statusCode, 401)
  t.equal((await fastify.inject({ method: 'GET', url, headers: { authorization: 'Bearer k-secret-2' } })).statusCode, 403)
  t.equal((await fastify.inject({ method: 'GET', url, headers: { authorization: 'Bearer k-secret-1' } })).statusCode, 200)
  t.equal((await fastify.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health needs no key')
})

t.test('request logs carry the request, never the key', async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  const { PassThrough } = await import('node:stream')
  const stream = new PassThrough()
  let logged = ''
  stream.on('data', (d: Buffer) => (logged += d.toString()))
  const app = await buildApp({ store, logger: { level: 'info', stream }, apiKeys: [{ name: 'desk', scopes: ['lookup'], sha256: createHash('sha256').update('k-very-secret').digest('hex') }] })
  t.teardown(() => app.fastify.close())
  await app.fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7?at=${T0}`, headers: { authorization: 'Bearer k-very-secret' } })
  await app.fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7?at=${T0}`, headers: { authorization: 'Bearer k-wrong-secret' } })
  t.match(logged, /\/v1\/ips\/203\.0\.113\.7/, 'requests are logged')
  t.notMatch(logged, /k-very-secret|k-wrong-secret/, 'keys, right or wrong, are not')
})

t.test('a real listening server: the page, health, readiness', async (t) => {
  const { fastify } = await setup(t)
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const page = await fetch(`${address}/`)
  t.match(await page.text(), /<title>whohad/)
  t.match((await fetch(`${address}/ui/app.js`)).headers.get('content-type'), /javascript/)
  t.equal((await fetch(`${address}/ui/nope.js`)).status, 404)
  t.match(await (await fetch(`${address}/readyz`)).json(), { status: 'ready', targets: [{ accountId: '111111111111', consecutiveFailures: 0 }] })
  const answer = await (await fetch(`${address}/v1/ips/203.0.113.7?at=${T0}`)).json()
  t.match(answer, { holdings: [{ holder: { eniId: 'eni-new' } }] })
})

t.test('coverage: complete, partial, not watching', async (t) => {
  const ok = { accountId: 'a', region: 'r', consecutiveFailures: 0, firstCompletePoll: 0, lastCompletePoll: 10_000 }
  t.equal(coverageOf([ok], 1000, 2000, 500).state, 'complete')
  t.equal(coverageOf([], 1000, 2000, 500).state, 'not-watching')
  t.equal(coverageOf([{ ...ok, firstCompletePoll: 5000 }], 1000, 2000, 500).state, 'not-watching')
  const partial = coverageOf([ok, { ...ok, region: 'q', lastCompletePoll: 1000, consecutiveFailures: 9, lastError: 'AccessDenied' }], 1000, 2000, 500)
  t.equal(partial.state, 'partial')
  t.match(partial.detail, /q: not polled completely since .*AccessDenied/)
  t.equal(coverageOf([{ ...ok, gaps: [{ from: 900, to: 2100 }] }, ok], 1000, 2000, 500).state, 'partial', 'a gap in watching')
  t.equal(coverageOf([{ ...ok, firstCompletePoll: undefined, lastCompletePoll: undefined }, ok], 1000, 2000, 500).state, 'partial')
})
