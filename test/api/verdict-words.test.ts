// The verdict's sentence in each case, a holding's labelled fields, and the incident note's Markdown
// when the text comes from whoever tagged the resource.
import t from 'tap'
import { holdingFields } from '../../src/api/holding-fields.ts'
import { incidentNote, permalinkFor } from '../../src/api/note.ts'
import { verdictBlock } from '../../src/api/verdict.ts'
import type { Holder } from '../../src/model/holding.ts'

const T = Date.UTC(2026, 10, 20, 10, 0, 0)
const holder = (eniId: string, instanceId?: string, tags?: Record<string, string>): Holder => ({
  eniId,
  kind: instanceId ? 'instance' : 'interface',
  accountId: '111111111111',
  region: 'eu-west-1',
  ...(instanceId ? { instanceId, resource: { type: 'instance' as const, id: instanceId } } : {}),
  ...(tags ? { tags } : {}),
})
const watched = { watched: [{ from: new Date(T - 3_600_000).toISOString(), to: new Date(T + 3_600_000).toISOString() }], detail: 'every target watched' }
const notWatched = { watched: [], detail: 'watched only since 2026-11-20T11:00:00.000Z' }

t.test('the verdict in words', async (t) => {
  const a = { scope: 'global', holder: holder('eni-0a1', 'i-0a1') }
  const b = { scope: 'global', holder: holder('eni-0b2', 'i-0b2') }
  t.equal(verdictBlock('203.0.113.7', T, [{ ...a, atT: 'possible' }], watched).text, 'At 2026-11-20T10:00:00.000Z, 203.0.113.7 may have been held by i-0a1, account 111111111111, eu-west-1 (possible: the time falls where its bounds are uncertain)')
  t.equal(
    verdictBlock('203.0.113.7', T, [{ ...a, atT: 'certain' }, { ...b, atT: 'possible' }], watched).text,
    'At 2026-11-20T10:00:00.000Z, 203.0.113.7 was held by i-0a1, account 111111111111, eu-west-1 (certain); it may also have been held by i-0b2, account 111111111111, eu-west-1 (possible)',
    'a proven holder, and one the bounds cannot rule out: both said',
  )
  t.equal(verdictBlock('203.0.113.7', T, [{ ...a, atT: 'outside' }], watched).state, 'none', 'a holding nearby but not at T: none')
  const unknown = verdictBlock('203.0.113.7', T, [], notWatched)
  t.same([unknown.state, unknown.text], ['unknown', 'At 2026-11-20T10:00:00.000Z, 203.0.113.7: unknown: not watched (watched only since 2026-11-20T11:00:00.000Z)'])
})

t.test('a holding as labelled fields', async (t) => {
  const h = { certainty: 'certain' as const, atT: 'outside' as const, distanceMs: 110_000, address: '203.0.113.7', scope: 'global', holder: holder('eni-0b2', 'i-0b2'), start: { after: T + 110_000, by: T + 120_000, evidence: [{ source: 'ec2-poll' as const, at: T + 120_000, ref: 'poll-7' }] } }
  const fields = Object.fromEntries(holdingFields(h, T).map((f) => [f.label, f.value]))
  t.same(fields, {
    holder: 'i-0b2',
    'at the time': 'outside: 110 s before it began',
    account: '111111111111, eu-west-1',
    ENI: 'eni-0b2',
    from: 'between 2026-11-20T10:01:50.000Z and 2026-11-20T10:02:00.000Z',
    to: 'still held (proven until 2026-11-20T10:02:00.000Z)',
    evidence: 'start: ec2-poll at 2026-11-20T10:02:00.000Z (poll-7)',
  })
})

t.test('the incident note keeps text from AWS as text', async (t) => {
  const h = { certainty: 'certain' as const, atT: 'certain' as const, distanceMs: 0, address: '203.0.113.7', scope: 'global', holder: holder('eni-0a1', 'i-0a1', { Name: '**web** <script>', owner: 'a|b' }), start: { after: T - 60_000, by: T - 60_000, evidence: [] } }
  const answer = { ip: '203.0.113.7', at: '2026-11-20T10:00:00.000Z', window: 0, verdict: verdictBlock('203.0.113.7', T, [h], watched), holdings: [h], coverage: { state: 'complete' as const, detail: 'every target watched' } }
  const note = incidentNote(answer, { permalink: permalinkFor('http://whohad:8080/', answer), version: '1.2.3' })
  t.match(note, /- \*\*tags:\*\* Name=\\\*\\\*web\\\*\\\* \\<script\\>, owner=a\\\|b\n/, 'Markdown and HTML in a tag are escaped')
  t.match(note, /- \*\*Link:\*\* <http:\/\/whohad:8080\/\?ip=203\.0\.113\.7&at=2026-11-20T10%3A00%3A00\.000Z&window=0s>\n/)
  t.match(note, /- \*\*Answered by:\*\* whohad 1\.2\.3\n/)
  t.notMatch(note, /other holding/, 'no other holding to mention')
})
