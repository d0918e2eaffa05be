// POST /v1/lookups sent as NDJSON, against a listening server: one answer line per lookup, in order,
// the same answers as the batch's; bad lines answered in their place; the answers stream while the body
// is still being written; the ECS form; keys limited to accounts; the audit line.
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { Readable, Writable } from 'node:stream'
import { SignatureV4 } from '@smithy/signature-v4'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import * as s from '../../src/api/schemas.ts'
import { makeHolding } from '../../support/holdings.ts'
import { Sha256 } from '../../support/sdk-sha256.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const KEYS = { desk: 'desk-bearer-key-0123456789', payments: 'payments-bearer-key-0123456789' }
const sha = (key: string) => createHash('sha256').update(key).digest('hex')
const SIGNING = { name: 'sdk', scopes: ['lookup'], accessKeyId: 'AKIDNDJSON000001', secret: 'ndjson-signing-secret-0123456789' }
const NDJSON = { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEYS.desk}` }

async function setup(t: Parameters<typeof openTestStore>[0]) {
  const { store } = await openTestStore(t, 'embedded')
  await store.holdings.apply([
    { kind: 'close', holding: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-0a1', instance: 'i-0a1', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), end: { after: T0 - 10 * MIN, by: T0 - 9 * MIN, evidence: [] } }, closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 9 * MIN, T0 - 8 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0c3', instance: 'i-0c3', vpc: 'vpc-0aaa', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0bbb', account: '222222222222', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
  ])
  for (const accountId of ['111111111111', '222222222222']) {
    await store.targets.put({ accountId, region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  }
  const audit: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      audit.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>))
      done()
    },
  })
  const app = await buildApp({
    store,
    apiKeys: [
      { name: 'desk', scopes: ['lookup'], sha256: sha(KEYS.desk) },
      { name: 'payments', scopes: ['lookup'], sha256: sha(KEYS.payments), accounts: ['222222222222'] },
    ],
    signingKeys: [SIGNING],
    auditLog: { stream },
  })
  t.teardown(() => app.fastify.close())
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  return { url, audit, fastify: app.fastify }
}

interface Sent {
  status: number
  type: string
  lines: string[]
}

/** POSTs a body (text, or a stream written with backpressure) and reads the answer whole. */
function post(url: string, path: string, body: string | Readable, headers: Record<string, string> = NDJSON): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), lines: text.split('\n').filter(Boolean) }))
    })
    req.on('error', reject)
    if (typeof body === 'string') req.end(body)
    else body.pipe(req)
  })
}

const LOOKUPS: unknown[] = [
  { ip: '203.0.113.7', at: new Date(T0 - 30 * MIN).toISOString() },
  { ip: 'not-an-ip', at: T0 / 1000 },
  { ip: '10.0.1.5', at: T0 / 1000, vpc: 'vpc-0aaa' },
  { ip: '203.0.113.7', at: 'yesterday' },
  { ip: '203.0.113.7', at: T0, colour: 'red' },
  { ip: '198.51.100.1', at: T0, window: '5m' },
  { ip: '203.0.113.7', at: T0 - 9 * MIN, window: '2m' },
  { ip: '10.0.1.5', at: T0 },
  [1, 2],
]

t.test('one answer line per lookup, in order, each the batch answer for the same item; in both forms', async (t) => {
  const { url } = await setup(t)
  const body = LOOKUPS.map((l) => JSON.stringify(l)).join('\n')
  for (const format of ['whohad', 'ecs'] as const) {
    const batch = await post(url, '/v1/lookups', JSON.stringify({ lookups: LOOKUPS, format }), { 'content-type': 'application/json', authorization: NDJSON.authorization })
    const results = (JSON.parse(batch.lines.join('\n')) as { results: Record<string, { status: number; detail: string }>[] }).results
    const streamed = await post(url, `/v1/lookups${format === 'ecs' ? '?format=ecs' : ''}`, body)
    t.equal(streamed.status, 200)
    t.equal(streamed.type, 'application/x-ndjson; charset=utf-8')
    t.equal(streamed.lines.length, LOOKUPS.length, `${format}: a line per lookup`)
    streamed.lines.forEach((line, i) => {
      const answer = JSON.parse(line) as Record<string, { status: number; detail: string; line: number }>
      if ('error' in results[i]!) t.same(answer, { error: { ...results[i]!.error, line: i + 1 } }, `${format} line ${i + 1}: the batch's error, with its line`)
      else {
        t.same(answer, results[i], `${format} line ${i + 1}: the batch's answer`)
        ;(format === 'ecs' ? s.ecsAnswer : s.pointAnswer).parse(answer)
      }
    })
  }
})

t.test('the answers say their bounds in ISO-8601 too; the ECS form says which bounds it widened', async (t) => {
  const { url } = await setup(t)
  const lines = (await post(url, '/v1/lookups', `{"ip": "203.0.113.7", "at": ${T0 - 9 * MIN}, "window": "2m"}\n`)).lines
  const answer = s.pointAnswer.parse(JSON.parse(lines[0]!))
  t.equal(answer.holdings.length, 2)
  for (const h of answer.holdings) {
    for (const b of [h.start, ...(h.end ? [h.end] : [])]) {
      t.equal(b.afterIso, new Date(b.after).toISOString())
      t.equal(b.byIso, new Date(b.by).toISOString())
    }
  }
  const open = answer.holdings.find((h) => !h.end)!
  t.equal(open.provenUntilIso, new Date(open.provenUntil!).toISOString())
  const ecs = s.ecsAnswer.parse(JSON.parse((await post(url, '/v1/lookups?format=ecs', `{"ip": "203.0.113.7", "at": ${T0 - 9 * MIN}, "window": "2m"}`)).lines[0]!))
  t.equal(ecs['whohad.window'], 120)
  const closed = ecs.holders.find((h) => h['whohad.eni.id'] === 'eni-0a1')!
  t.match(closed, {
    'whohad.certainty': 'certain', // held surely at T0 - 11 min, inside the window
    'whohad.start': new Date(T0 - 60 * MIN).toISOString(),
    'whohad.start_after': new Date(T0 - 60 * MIN).toISOString(),
    'whohad.start_by': new Date(T0 - 59 * MIN).toISOString(),
    'whohad.end': new Date(T0 - 9 * MIN).toISOString(),
    'whohad.end_after': new Date(T0 - 10 * MIN).toISOString(),
    'whohad.end_by': new Date(T0 - 9 * MIN).toISOString(),
  })
  t.notOk('whohad.proven_until' in closed)
  const current = ecs.holders.find((h) => h['whohad.eni.id'] === 'eni-0b2')!
  t.match(current, { 'whohad.start_after': new Date(T0 - 9 * MIN).toISOString(), 'whohad.proven_until': new Date(T0 + 60 * MIN).toISOString() })
  t.notOk('whohad.end' in current, 'an open holding has no end')
})

t.test('bad lines are answered in their place; blank lines hold no lookup; the rest are answered', async (t) => {
  const { url } = await setup(t)
  const body = [`{"ip": "203.0.113.7", "at": ${T0}}`, '', '{"ip": ', `{"ip": "203.0.113.7", "at": ${T0}, "note": "${'x'.repeat(9000)}"}`, '   ', '"203.0.113.7"', `{"ip": "198.51.100.1", "at": ${T0}}\r`, `{"ip": "203.0.113.7", "at": ${T0}, "ünknown": 1}`].join('\n')
  const sent = await post(url, '/v1/lookups', body)
  t.equal(sent.status, 200)
  const answers = sent.lines.map((l) => JSON.parse(l) as { ip?: string; error?: { status: number; detail: string; line: number } })
  t.equal(answers.length, 6, 'six lines hold something')
  t.match(answers[0], { ip: '203.0.113.7' })
  t.match(answers[1], { error: { status: 400, line: 3, detail: /line 3 is not valid JSON \(.+\); send one object a line like/ } })
  t.match(answers[2], { error: { status: 400, line: 4, detail: /line 4 is over 8192 bytes/ } })
  t.match(answers[3], { error: { status: 400, line: 6 } })
  t.match(answers[4], { ip: '198.51.100.1' }, 'a CRLF line')
  t.match(answers[5], { error: { status: 400, line: 8, detail: 'unknown field "ünknown"' } })
  const refused = await post(url, '/v1/lookups?format=xml', body)
  t.equal(refused.status, 400, 'a bad format is refused before anything is answered')
  t.match(refused.type, /problem\+json/)
  t.equal((await post(url, '/v1/lookups', '')).lines.length, 0, 'an empty body: no answers')
})

t.test('the first answer arrives while the body is still being written', async (t) => {
  const { url } = await setup(t)
  const first = await new Promise<string>((resolve, reject) => {
    const req = request(`${url}/v1/lookups`, { method: 'POST', headers: NDJSON }, (res) => {
      res.setEncoding('utf8')
      res.once('data', (d: string) => {
        resolve(d)
        // Only now is the body finished: a server that read it whole first would never have answered.
        req.end(`{"ip": "198.51.100.1", "at": ${T0}}\n`)
        res.resume()
      })
    })
    req.on('error', reject)
    req.write(`{"ip": "203.0.113.7", "at": ${T0}}\n`)
    req.flushHeaders()
  })
  t.match(JSON.parse(first.split('\n')[0]!), { ip: '203.0.113.7', holdings: [{ holder: { eniId: 'eni-0b2' } }] })
})

t.test('100,000 lines stream through in order, the body written no further ahead of the answers than 20,000 lines', async (t) => {
  const { url, audit } = await setup(t)
  const N = 100_000
  const AHEAD = 20_000
  const line = (i: number) => `{"ip": "198.51.100.${i % 50}", "at": ${T0 + (i % 7) * 1000}}\n`
  let answered = 0
  let wake: (() => void) | undefined
  let answeredWhenWritten = -1
  // The writer waits for answers: a server that read the whole body before answering would never get it.
  const body = async function* () {
    for (let i = 0; i < N; i += 1000) {
      while (i + 1000 - answered > AHEAD) await new Promise<void>((resolve) => (wake = resolve))
      yield Array.from({ length: 1000 }, (_, j) => line(i + j)).join('')
    }
    answeredWhenWritten = answered
  }
  const inOrder = await new Promise<boolean>((resolve, reject) => {
    const req = request(`${url}/v1/lookups`, { method: 'POST', headers: NDJSON }, (res) => {
      let inOrder = true
      let rest = ''
      // Not a timing threshold: a guard that turns a deadlock into a failure that says what it means.
      let stalled = setTimeout(() => req.destroy(new Error('no answer for 120 s: was the body read whole before answering?')), 120_000)
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        const parts = (rest + d).split('\n')
        rest = parts.pop()!
        for (const p of parts) {
          if (!p.startsWith(`{"ip":"198.51.100.${answered % 50}","at":"${new Date(T0 + (answered % 7) * 1000).toISOString()}"`)) inOrder = false
          answered++
        }
        wake?.()
        clearTimeout(stalled)
        stalled = setTimeout(() => req.destroy(new Error('no answer for 120 s')), 120_000)
      })
      res.on('end', () => {
        clearTimeout(stalled)
        resolve(inOrder)
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    Readable.from(body()).pipe(req)
  })
  t.equal(answered, N, 'an answer line per lookup')
  t.ok(inOrder, 'each answer is for its own line')
  t.ok(answeredWhenWritten >= N - AHEAD && answeredWhenWritten < N, `${answeredWhenWritten} lines were answered before the body's last line was written`)
  t.match(audit.at(-1), { key: 'desk', route: '/v1/lookups', status: 200, askedCount: N, results: N })
  t.equal((audit.at(-1)!.asked as string[]).length, 10, 'the audit line lists the first ten addresses')
})

t.test('keys: required, and a key limited to accounts sees only their holdings', async (t) => {
  const { url } = await setup(t)
  const body = `{"ip": "10.0.1.5", "at": ${T0}}\n`
  const desk = JSON.parse((await post(url, '/v1/lookups', body)).lines[0]!) as { holdings: { holder: { accountId: string } }[] }
  t.same(desk.holdings.map((h) => h.holder.accountId).sort(), ['111111111111', '222222222222'])
  const payments = JSON.parse((await post(url, '/v1/lookups', body, { ...NDJSON, authorization: `Bearer ${KEYS.payments}` })).lines[0]!) as typeof desk
  t.same(payments.holdings.map((h) => h.holder.accountId), ['222222222222'], 'only its account')
  const anonymous = await post(url, '/v1/lookups', body, { 'content-type': 'application/x-ndjson' })
  t.equal(anonymous.status, 401)
  t.match(anonymous.type, /problem\+json/)
})

t.test('a SigV4-signed stream is read whole and verified before any line is answered', async (t) => {
  const { fastify } = await setup(t)
  const body = `{"ip": "203.0.113.7", "at": ${T0}}\n{"ip": "10.0.1.5", "at": ${T0}}\n`
  const signer = new SignatureV4({ credentials: { accessKeyId: SIGNING.accessKeyId, secretAccessKey: SIGNING.secret }, region: 'eu-west-1', service: 'whohad', sha256: Sha256, uriEscapePath: true })
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: 'localhost', path: '/v1/lookups', query: {}, headers: { host: 'localhost:80', 'content-type': 'application/x-ndjson', 'content-length': String(Buffer.byteLength(body)) }, body })
  const ok = await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: signed.headers, payload: body })
  t.equal(ok.statusCode, 200)
  t.same(ok.body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { ip: string }).ip), ['203.0.113.7', '10.0.1.5'])
  const tampered = body.replace('10.0.1.5', '10.0.1.6')
  const refused = await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: signed.headers, payload: tampered })
  t.equal(refused.statusCode, 401, 'a body that is not the one signed: nothing answered')
  t.notMatch(refused.body, /10\.0\.1\.6/)
})

t.test('a store that fails: the lines it could not answer say so, in their place, and the stream goes on', async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  // The store fails for one address (as DynamoDB does when it throttles past the retries).
  const holdings = new Proxy(store.holdings, {
    get(target, prop) {
      if (prop === 'lookup') return async (q: { ip: string }) => (q.ip === '192.0.2.99' ? Promise.reject(new Error('throttled')) : target.lookup(q as never))
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  // Without the membership filter, which would answer these never-held addresses from memory: the store's failure is what is tested.
  const app = await buildApp({ store: { ...store, holdings }, membershipFilter: false })
  t.teardown(() => app.fastify.close())
  const res = await app.fastify.inject({ method: 'POST', url: '/v1/lookups', headers: { 'content-type': 'application/x-ndjson' }, payload: `{"ip": "192.0.2.99", "at": ${T0}}\n` })
  t.equal(res.statusCode, 200, 'the status was sent before any line was answered')
  t.same(JSON.parse(res.body.trim()), { error: { status: 503, detail: 'the store could not answer; try again shortly', line: 1 } })
  const after = await app.fastify.inject({ method: 'POST', url: '/v1/lookups', headers: { 'content-type': 'application/x-ndjson' }, payload: `{"ip": "192.0.2.1", "at": ${T0}}` })
  t.match(JSON.parse(after.body.trim()), { ip: '192.0.2.1', holdings: [] })
})
