// How AWS Config records each target, end to end: the simulated organisation in every recorder mode,
// through the real SDK, the collector's Config pass and the real store (DynamoDB Local), then what
// the target state, /readyz, /metrics and a lookup's coverage say about it.
import { GetResourceConfigHistoryCommand, ListDiscoveredResourcesCommand } from '@aws-sdk/client-config-service'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { collectOnce } from '../../src/collector/collector.ts'
import { configPass } from '../../src/collector/config-pass.ts'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import type { Target } from '../../src/model/target.ts'
import type { ConfigRecorderMode } from '../../src/fakeaws/config-recorders.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import type { TargetState } from '../../src/model/target.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { openTestStore } from '../../support/stores.ts'

const MIN = 60_000
const ENI = 'AWS::EC2::NetworkInterface'
// Half an hour before a UTC midnight: daily recording captures that half hour's changes after midnight.
const START = Date.UTC(2026, 10, 19, 23, 30)
const MIDNIGHT = Date.UTC(2026, 10, 20)
// Per account (two regions each): the fake's mode in each region, and what whohad must make of it.
const MODES: [ConfigRecorderMode, ConfigRecorderMode][] = [['all', 'off'], ['stopped', 'without-enis'], ['daily', 'failing'], ['denied', 'all'], ['all', 'failing']]
const EXPECTED: Record<ConfigRecorderMode, string> = { all: 'recording', off: 'off', stopped: 'off', 'without-enis': 'not-recording-enis', daily: 'daily', failing: 'failing', denied: 'denied' }

t.test('every recorder mode: detected before reading, kept in the target state, shown by /readyz, /metrics and coverage', async (t) => {
  const fake = await startFakeAws({ seed: 41, accounts: MODES.length, regions: 2, enisPerRegion: 6, churn: 120, startTime: START, throttleClock: 'virtual' })
  t.teardown(() => fake.close())
  fake.faults.setDefaultThrottling(false)
  const { store } = await openTestStore(t, 'dynamodb-local')
  const session = fakeSession(fake, 3)
  t.teardown(() => session.destroy())
  const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
  t.equal(targets.length, MODES.length * 2)
  const modeOf = (tg: Target) => MODES[fake.activeAccountIds.indexOf(tg.accountId)]![fake.regions.indexOf(tg.region)]!
  for (const tg of targets) {
    const mode = modeOf(tg)
    if (mode === 'denied') {
      // The side endpoint sets modes as the runtime call does.
      const res = await fetch(`${fake.endpoint}/_fake/config-recorders`, { method: 'POST', body: JSON.stringify({ mode, accountId: tg.accountId, region: tg.region }) })
      t.equal(res.status, 200)
    } else if (mode !== 'all') {
      fake.world.configRecorders.set(mode, tg)
    }
  }
  const deps = {
    store,
    discover: async () => ({ targets, failures: [] }),
    takeSnapshot: (target: Target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: `p${fake.clock.now()}`, now: () => fake.clock.now() }),
  }
  for (let poll = 0; poll < 20; poll++) {
    const failed = (await collectOnce(deps, { maxGapMs: 5 * MIN, concurrency: 4 }, targets)).filter((r) => !r.complete)
    t.same(failed.map((r) => r.error), [], `poll ${poll} complete everywhere`)
    fake.clock.advance(2 * MIN)
  }
  const passDeps = { store, configClient: (x: Target) => session.config(x), maxCaptureDelayMs: 2 * MIN, horizonMs: 86_400_000, now: () => fake.clock.now() }
  for (const tg of targets) {
    const mode = modeOf(tg)
    const r = await configPass(passDeps, tg)
    const usable = mode === 'all' || mode === 'failing'
    t.equal(r.config?.state, EXPECTED[mode], `${mode}: ${r.config?.detail}`)
    t.equal(r.available, usable, `${mode}: history ${usable ? 'read' : 'not read'}`)
    if (usable) t.ok(r.items > 0, `${mode}: ${r.items} items read`)
    else t.equal(r.items, 0, `${mode}: nothing read`)
    t.equal((await store.targets.get({ accountId: tg.accountId, region: tg.region }))?.config?.state, EXPECTED[mode], `${mode}: kept in the target state`)
  }

  const app = await buildApp({ store, maxGapMs: 5 * MIN })
  t.teardown(() => app.fastify.close())
  const readyz = (await app.fastify.inject({ method: 'GET', url: '/readyz' })).json() as { targets: { accountId: string; region: string; config: { state: string; detail: string; checkedAt: string } | null }[] }
  const metrics = (await app.fastify.inject({ method: 'GET', url: '/metrics' })).body
  for (const tg of targets) {
    const want = EXPECTED[modeOf(tg)]
    const shown = readyz.targets.find((x) => x.accountId === tg.accountId && x.region === tg.region)
    t.match(shown?.config, { state: want, checkedAt: new Date(fake.clock.now()).toISOString() }, `/readyz ${tg.accountId} ${tg.region}: ${want}`)
    t.match(metrics, `whohad_target_config_recording{account="${tg.accountId}",region="${tg.region}",state="${want}"} 1`, `/metrics ${tg.accountId} ${tg.region}: ${want}`)
  }

  // A lookup scoped to each account: its coverage names the targets without usable Config history.
  const at = fake.clock.now() - 10 * MIN
  for (const [i, accountId] of fake.activeAccountIds.entries()) {
    const body = (await app.fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.250?at=${at}&account=${accountId}` })).json() as { coverage: { state: string; config: { state: string; detail: string; unavailable: { region: string; state: string }[] } } }
    t.equal(body.coverage.state, 'complete', 'the poll coverage is about polls')
    const missing = MODES[i]!.map((m, j) => [fake.regions[j]!, EXPECTED[m]] as const).filter(([, s]) => s !== 'recording' && s !== 'failing').sort()
    t.same(body.coverage.config.unavailable.map((u) => [u.region, u.state]).sort(), missing, `account ${i} (${MODES[i]!.join(', ')}): ${body.coverage.config.detail}`)
    t.equal(body.coverage.config.state, missing.length === 0 ? 'available' : missing.length === 2 ? 'unavailable' : 'partial')
    if (missing.length > 0) t.match(body.coverage.config.detail, /AWS Config history unavailable for .*holdings shorter than a poll interval may be missing there, and bounds are poll-wide/)
  }
})

t.test('history reads against a recorder that is not usable behave as AWS does', async (t) => {
  const fake = await startFakeAws({ seed: 43, accounts: 1, regions: 1, enisPerRegion: 6, churn: 240, startTime: START, throttling: 'off' })
  t.teardown(() => fake.close())
  const session = fakeSession(fake, 1)
  t.teardown(() => session.destroy())
  const target = { accountId: fake.managementAccountId, region: fake.regions[0]! }
  const config = session.config(target)
  fake.clock.advance(40 * MIN)
  const enis = (await config.send(new ListDiscoveredResourcesCommand({ resourceType: ENI, includeDeletedResources: true }))).resourceIdentifiers ?? []
  t.ok(enis.length > 0, 'recording: ENIs are discovered')
  const eni = enis[0]!.resourceId!

  fake.world.configRecorders.set('off')
  await t.rejects(config.send(new GetResourceConfigHistoryCommand({ resourceType: ENI, resourceId: eni })), { name: 'NoAvailableConfigurationRecorderException' }, 'no recorder: history raises NoAvailableConfigurationRecorderException')
  await t.rejects(config.send(new ListDiscoveredResourcesCommand({ resourceType: ENI })), { name: 'NoAvailableConfigurationRecorderException' })

  fake.world.configRecorders.set('without-enis', target)
  t.same((await config.send(new ListDiscoveredResourcesCommand({ resourceType: ENI, includeDeletedResources: true }))).resourceIdentifiers, [], 'a recorder that excludes ENIs: none discovered')
  t.ok(((await config.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance' }))).resourceIdentifiers ?? []).length > 0, 'other types still are')
  await t.rejects(config.send(new GetResourceConfigHistoryCommand({ resourceType: ENI, resourceId: eni })), { name: 'ResourceNotDiscoveredException' })

  fake.world.configRecorders.set('daily', target)
  const changed = fake.configTruth(eni).filter((c) => c.changeTime >= START)
  t.ok(changed.length > 0, `${eni} changed ${changed.length} times before midnight`)
  const items = (await config.send(new GetResourceConfigHistoryCommand({ resourceType: ENI, resourceId: eni, earlierTime: new Date(START), limit: 100 }))).configurationItems ?? []
  t.ok(items.length > 0 && items.every((i) => i.configurationItemCaptureTime!.getTime() >= MIDNIGHT), 'daily: the evening\'s changes are captured only after midnight')
  t.ok(changed.some((c) => MIDNIGHT - c.changeTime > 15 * MIN), 'that is later than any WHOHAD_CONFIG_MAX_DELAY whohad assumes')
})

t.test('Config usable again after being daily: history from before is not read; old items still read', async (t) => {
  const fake = await startFakeAws({ seed: 47, accounts: 1, regions: 1, enisPerRegion: 6, churn: 240, startTime: START, throttling: 'off', configRecording: 'daily' })
  t.teardown(() => fake.close())
  const { store } = await openTestStore(t, 'dynamodb-local')
  const session = fakeSession(fake, 1)
  t.teardown(() => session.destroy())
  const target = { accountId: fake.managementAccountId, region: fake.regions[0]! }
  const deps = { store, configClient: (x: Target) => session.config(x), maxCaptureDelayMs: 2 * MIN, horizonMs: 86_400_000, now: () => fake.clock.now() }
  fake.clock.advance(45 * MIN)
  t.match(await configPass(deps, target), { available: false, config: { state: 'daily' } })
  fake.world.configRecorders.set('all')
  fake.clock.advance(5 * MIN)
  const back = await configPass(deps, target)
  t.match(back, { available: true, config: { state: 'recording', usableSince: fake.clock.now() } }, 'recording again, from now on')
  fake.clock.advance(5 * MIN)
  t.match(await configPass(deps, target), { config: { usableSince: back.config!.usableSince } }, 'the floor stays while it stays usable')

  // A target state written before the recorder was checked: the history read's error text only.
  const legacy = { accountId: '999999999999', region: 'eu-west-1', consecutiveFailures: 0, lastAttempt: START, configUnavailable: 'AccessDeniedException: not authorized to perform: config:ListDiscoveredResources' }
  await store.targets.put(legacy as TargetState)
  for (const read of [await store.targets.get({ accountId: legacy.accountId, region: legacy.region }), [...(await store.targets.getMany([legacy])).values()][0]]) {
    t.match(read, { config: { state: 'denied', detail: /AccessDeniedException/, checkedAt: START } })
    t.notOk(read && 'configUnavailable' in read, 'the old field is read into the new one')
  }
})
