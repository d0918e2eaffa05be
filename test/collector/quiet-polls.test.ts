// Quiet targets through real polls: the simulated organisation (some regions empty, a frozen fleet in
// the rest) polled into DynamoDB Local as the collector polls it. An empty target turns quiet after
// three unchanged polls; a fleet without AWS Config history never does; one with it does, and a
// change ends its spell.
import t from 'tap'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import { pollTarget } from '../../src/collector/poll.ts'
import { terminateInstance } from '../../src/fakeaws/fleet.ts'
import type { Target } from '../../src/model/target.ts'
import { fakeOrganisation } from '../../support/fake-org.ts'
import { openTestStore } from '../../support/stores.ts'

const MIN = 60_000

t.test('empty targets and fleets with Config history turn quiet; a fleet without it does not; a change ends a spell', async (t) => {
  const org = await fakeOrganisation({ seed: 4, accounts: 2, regions: 3, enisPerRegion: 6, churn: 0, emptyShare: 0.5 }, (fn) => t.teardown(fn))
  const { store } = await openTestStore(t, 'dynamodb-local')
  const poll = (target: Target, i: number) =>
    pollTarget({ store, takeSnapshot: (x) => takeEc2Snapshot(org.session.ec2(x), { ...x, pollId: `p${i}`, now: () => org.fake.clock.now() }), maxGapMs: 5 * MIN, quietEveryMs: 3 * MIN }, target)
  const sizes = new Map<string, number>()
  for (let i = 0; i < 4; i++) {
    for (const target of org.targets) sizes.set(`${target.accountId}/${target.region}`, (await poll(target, i)).observations)
    org.fake.clock.advance(MIN)
  }
  const states = await store.targets.list()
  const empty = states.filter((s) => sizes.get(`${s.accountId}/${s.region}`) === 0)
  const fleets = states.filter((s) => sizes.get(`${s.accountId}/${s.region}`)! > 0)
  t.ok(empty.length > 0 && fleets.length > 0, `${empty.length} empty targets, ${fleets.length} with fleets`)
  t.ok(empty.every((s) => s.quietSince !== undefined && s.quietEveryMs === 3 * MIN), 'every empty target is quiet after three unchanged polls')
  t.ok(fleets.every((s) => s.quietSince === undefined && (s.unchangedPolls ?? 0) >= 3), 'a frozen fleet without Config history is not, however unchanged')

  // Config history read there: the fleet may be quiet too.
  const fleet = fleets[0]!
  const target = { accountId: fleet.accountId, region: fleet.region }
  await store.targets.put({ ...fleet, config: { state: 'recording', detail: 'records ENIs continuously', checkedAt: org.fake.clock.now() } })
  const quiet = await poll(target, 10)
  t.ok(quiet.state.quietSince !== undefined, 'with Config history, the unchanged fleet turns quiet')
  // A change (an instance terminated through the fake's side door: churn is off) ends the spell.
  org.fake.world.advanceTo(org.fake.clock.now())
  const victim = [...org.fake.world.targets.get(`${target.accountId}/${target.region}`)!.liveInstances][0]!
  terminateInstance(org.fake.world, victim, org.fake.clock.now())
  org.fake.clock.advance(3 * MIN)
  const changed = await poll(target, 11)
  t.ok(changed.closed > 0, 'the poll closed holdings')
  t.equal(changed.state.quietSince, undefined, 'no longer quiet')
  t.same(changed.state.quietSpells?.map((q) => q.everyMs), [3 * MIN], 'its spell kept, for answers about that time')
})
