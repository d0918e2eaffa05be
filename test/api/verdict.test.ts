// The answer's verdict block over the real store: one verdict at T itself however wide the window, the
// holdings nearest T first; the incident note route; a timeline as CSV.
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import * as s from '../../src/api/schemas.ts'
import { csvField } from '../../src/api/timeline-csv.ts'
import { VERSION } from '../../src/api/version.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import { bound, makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const SEC = 1000

async function setup(t: Parameters<typeof openTestStore>[0], firstCompletePoll = T0 - 120 * MIN) {
  const { store } = await openTestStore(t, 'embedded')
  const tagged = (h: ReturnType<typeof makeHolding>, name: string) => ({ ...h, holder: { ...h.holder, name, tags: { Name: name, 'cost=center': '=1+1' } } })
  const ops: StoreOperation[] = [
    // Handed from i-0a1 to i-0b2 at about T0 - 2 min (each end known within 10 s).
    { kind: 'close', holding: tagged({ ...makeHolding({ address: '203.0.113.7', eni: 'eni-0a1', instance: 'i-0a1', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), end: bound([T0 - 2 * MIN - 10 * SEC, T0 - 2 * MIN]) }, 'web-prod-2'), closedAt: T0 - 2 * MIN },
    { kind: 'open', holding: tagged(makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 2 * MIN - 10 * SEC, T0 - 2 * MIN] }), 'web-prod-3') },
    // The same private address in two VPCs.
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0c3', instance: 'i-0c3', vpc: 'vpc-0aaa', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0bbb', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
  ]
  await store.holdings.apply(ops)
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll, lastCompletePoll: T0 + 60 * MIN })
  const app = await buildApp({ store })
  t.teardown(() => app.fastify.close())
  return app.fastify
}

const ask = async (fastify: Awaited<ReturnType<typeof setup>>, url: string) => {
  const res = await fastify.inject({ method: 'GET', url })
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return s.pointAnswer.parse(res.json())
}

t.test('the verdict is about T itself; the window only widens the holdings listed', async (t) => {
  const fastify = await setup(t)
  // Five minutes either side: both instances are certain within the window, only i-0a1 at T.
  const a = await ask(fastify, `/v1/ips/203.0.113.7?at=${T0 - 4 * MIN}&window=5m`)
  t.same(a.holdings.map((h) => h.certainty), ['certain', 'certain'], 'both certain within ± 5 min')
  t.equal(a.verdict.state, 'held')
  t.equal(a.verdict.text, 'At 2026-11-20T09:56:00.000Z, 203.0.113.7 was held by i-0a1 (web-prod-2), account 111111111111, eu-west-1 (certain)')
  t.same(a.verdict.held, [0], 'the holding that contains T comes first')
  t.equal(a.holdings[0]!.holder.eniId, 'eni-0a1')
  t.same([a.holdings[0]!.atT, a.holdings[1]!.atT], ['certain', 'outside'])
  t.equal(a.holdings[1]!.distanceMs, 2 * MIN - 10 * SEC, 'the other may have begun 1 min 50 s after T at the earliest')

  const later = await ask(fastify, `/v1/ips/203.0.113.7?at=${T0}&window=5m`)
  t.equal(later.holdings[0]!.holder.eniId, 'eni-0b2', 'nearest T first, whichever started first')
  t.same(later.verdict.held, [0])

  const handover = await ask(fastify, `/v1/ips/203.0.113.7?at=${T0 - 2 * MIN - 5 * SEC}`)
  t.equal(handover.verdict.state, 'possible', 'at the handover no one is proven')
  t.match(handover.verdict.text, /^At 2026-11-20T09:57:55\.000Z, 203\.0\.113\.7 was held by one of: i-0a1 \(web-prod-2\).*; i-0b2 \(web-prod-3\).* \(possible\)$/)
  t.same(handover.verdict.mayHave, [0, 1])

  const vpcs = await ask(fastify, `/v1/ips/10.0.1.5?at=${T0}`)
  t.equal(vpcs.verdict.state, 'held')
  t.match(vpcs.verdict.text, /held by i-0c3, account 111111111111, eu-west-1, in vpc-0aaa and by interface eni-0d4, account 111111111111, eu-west-1, in vpc-0bbb \(certain\)/, 'a private address in two VPCs: both')

  const nobody = await ask(fastify, `/v1/ips/198.51.100.1?at=${T0}`)
  t.same([nobody.verdict.state, nobody.verdict.text], ['none', 'At 2026-11-20T10:00:00.000Z, 198.51.100.1 was held by none of ours (complete coverage)'])
  const narrowed = await ask(fastify, `/v1/ips/10.0.1.5?at=${T0}&vpc=vpc-0ccc`)
  t.equal(narrowed.verdict.text, 'At 2026-11-20T10:00:00.000Z, 10.0.1.5 was held by none of ours in vpc-0ccc (complete coverage)', 'narrowed to a VPC: none there, said so')
  const before = await ask(fastify, `/v1/ips/198.51.100.1?at=${T0 - 200 * MIN}`)
  t.equal(before.verdict.state, 'unknown', 'before collection began: unknown, not "none"')
  t.match(before.verdict.text, /unknown: not watched/)
})

t.test('the ECS form carries the verdict, and where T lies in each holding', async (t) => {
  const fastify = await setup(t)
  const res = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: [{ ip: '203.0.113.7', at: T0 - 4 * MIN, window: '5m' }], format: 'ecs' } })
  const ecs = s.ecsAnswer.parse(res.json().results[0])
  t.equal(ecs['whohad.verdict'], 'held')
  t.match(ecs['whohad.verdict_text'], /was held by i-0a1 \(web-prod-2\)/)
  t.same(ecs.holders.map((h) => [h['whohad.eni.id'], h['whohad.certainty'], h['whohad.at_time']]), [['eni-0a1', 'certain', 'certain'], ['eni-0b2', 'certain', 'outside']])
})

t.test('not watched at T (but watched within the window): unknown, never none', async (t) => {
  const fastify = await setup(t, T0 + 2 * MIN)
  const a = await ask(fastify, `/v1/ips/198.51.100.1?at=${T0}&window=5m`)
  t.equal(a.coverage.state, 'partial')
  t.equal(a.verdict.state, 'unknown')
})

t.test('the incident note: Markdown with the verdict, holder, bounds and evidence, link and version', async (t) => {
  const fastify = await setup(t)
  const res = await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7/note?at=${T0 - 4 * MIN}&window=5m`, headers: { host: 'whohad.example:8080' } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/markdown/)
  const note = res.body
  t.match(note, /^### whohad: who held 203\.0\.113\.7 at 2026-11-20T09:56:00\.000Z\n/)
  t.match(note, /\*\*Verdict:\*\* At 2026-11-20T09:56:00\.000Z, 203\.0\.113\.7 was held by i-0a1 \(web-prod-2\)/)
  t.match(note, /#### i-0a1 \(web-prod-2\): held it \(certain\)/)
  t.match(note, /- \*\*account:\*\* 111111111111, eu-west-1/)
  t.match(note, /- \*\*to:\*\* between 2026-11-20T09:57:50\.000Z and 2026-11-20T09:58:00\.000Z/)
  t.match(note, /- \*\*evidence:\*\* start: ec2-poll at .*end: ec2-poll at/)
  t.match(note, /- \*\*tags:\*\* Name=web-prod-2, cost=center==1\+1\n/)
  t.match(note, /- \*\*Link:\*\* <http:\/\/whohad\.example:8080\/\?ip=203\.0\.113\.7&at=2026-11-20T09%3A56%3A00\.000Z&window=300s>/)
  t.match(note, new RegExp(`- \\*\\*Answered by:\\*\\* whohad ${VERSION.replaceAll('.', '\\.')}`))
  t.match(note, /1 other holding of this address within 300 s of the time is in the link\./)
  t.notMatch(note, /i-0b2/, 'the other holding is counted, not described')
})

t.test('a timeline as CSV', async (t) => {
  const fastify = await setup(t)
  const res = await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7/timeline?from=${T0 - 90 * MIN}&to=${T0}&format=csv` })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/csv/)
  t.match(res.headers['content-disposition'], /attachment; filename="whohad-203\.0\.113\.7-2026-11-20T083000\.csv"/)
  const lines = res.body.trimEnd().split('\r\n')
  t.equal(lines.length, 3, 'a header and one row per holding')
  t.match(lines[0], /^address,scope,holder,resource_type,/)
  t.match(lines[1], /^203\.0\.113\.7,global,i-0a1 \(web-prod-2\),instance,i-0a1,web-prod-2,eni-0a1,111111111111,eu-west-1,vpc-0aaa,,2026-11-20T09:00:00\.000Z,2026-11-20T09:01:00\.000Z,2026-11-20T09:57:50\.000Z,2026-11-20T09:58:00\.000Z,,/)
  t.match(lines[2], /,2026-11-20T11:00:00\.000Z,/, 'an open holding: proven until its last complete poll')
  t.equal((await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7/timeline?from=${T0 - 90 * MIN}&to=${T0}` })).json().holdings.length, 2, 'JSON still the default')
})

t.test('a bad address and a bad time are told together, not one at a time', async (t) => {
  const fastify = await setup(t)
  const res = await fastify.inject({ method: 'GET', url: '/v1/ips/203.0.113.999?at=noon&window=forever' })
  t.equal(res.statusCode, 400)
  const detail = (res.json() as { detail: string }).detail
  t.match(detail, /203\.0\.113\.999/)
  t.match(detail, /"at"/)
  t.match(detail, /"window"/)
})

t.test('CSV fields: quoted where needed, never run as a formula', async (t) => {
  t.equal(csvField('plain'), 'plain')
  t.equal(csvField('a,b'), '"a,b"')
  t.equal(csvField('say "hi"'), '"say ""hi"""')
  t.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`)
  t.equal(csvField('-1'), "'-1")
  t.equal(csvField('@sum'), "'@sum")
})
