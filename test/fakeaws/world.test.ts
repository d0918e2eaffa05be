import t from 'tap'
import { eniChanges, eniConfiguration, instanceChanges, instanceConfiguration } from '../../src/fakeaws/config-history.ts'
import type { Instance, Target } from '../../src/fakeaws/entities.ts'
import { CHURN_EVENTS, churnOnce } from '../../src/fakeaws/churn.ts'
import { startInstance, stopInstance, terminateInstance, userInitiated } from '../../src/fakeaws/fleet.ts'
import type { LedgerEntry } from '../../src/fakeaws/ledger.ts'
import { configSettings } from '../../src/fakeaws/services/config.ts'
import { resolveWorldOptions } from '../../src/fakeaws/world-options.ts'
import { World } from '../../src/fakeaws/world.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

t.test('the same seed and options give the same world and ledger', async (t) => {
  const a = new World({ seed: 11, accounts: 3, regions: 2, enisPerRegion: 30, churn: 300 })
  const b = new World({ seed: 11, accounts: 3, regions: 2, enisPerRegion: 30, churn: 300 })
  t.equal(a.serialize(), b.serialize(), 'identical at build')
  // Advancing in different steps to the same time gives the same world.
  a.advanceTo(a.now + 2 * HOUR)
  for (let i = 0; i < 7; i++) b.advanceTo(b.now + (2 * HOUR) / 7)
  b.advanceTo(a.now)
  t.equal(a.serialize(), b.serialize(), 'identical after churn, whatever the step sizes')
  t.ok(a.ledger.size > a.ledger.openSize, 'churn closed some holdings')
  const c = new World({ seed: 12, accounts: 3, regions: 2, enisPerRegion: 30, churn: 300 })
  t.not(c.serialize(), new World({ seed: 11, accounts: 3, regions: 2, enisPerRegion: 30, churn: 300 }).serialize(), 'another seed, another world')
})

t.test('private CIDRs overlap across VPCs and accounts', async (t) => {
  const w = new World({ seed: 2, accounts: 3, regions: 1, enisPerRegion: 80 })
  const cidrs = new Map<string, number>()
  for (const target of w.targets.values()) for (const v of target.vpcs) cidrs.set(v.cidr, (cidrs.get(v.cidr) ?? 0) + 1)
  t.ok((cidrs.get('10.0.0.0/16') ?? 0) >= 6, '10.0.0.0/16 in several VPCs per account and in every account')
  t.equal(cidrs.get('172.31.0.0/16'), 3, 'a default VPC everywhere')
  // The same private address is held at once in different VPCs: same ip, different scope.
  const byIp = new Map<string, Set<string>>()
  for (const e of w.ledger.current()) if (e.kind === 'private-ipv4') byIp.set(e.ip, (byIp.get(e.ip) ?? new Set()).add(e.scope))
  t.ok([...byIp.values()].some((scopes) => scopes.size >= 3), 'one private IP has holders in three or more VPCs at once')
})

t.test('the ledger: scopes, no double holding, half-open intervals', async (t) => {
  const w = new World({ seed: 5, accounts: 4, regions: 2, enisPerRegion: 40, churn: 600 })
  w.advanceTo(w.now + 3 * HOUR)
  const entries = w.ledger.entries()
  for (const e of entries) {
    if (e.kind === 'private-ipv4' || e.kind === 'ipv4-prefix') {
      if (e.scope !== e.vpcId) t.fail(`${e.ip} should be scoped to its VPC`)
    } else if (e.scope !== 'global') t.fail(`${e.kind} ${e.ip} should be global`)
    if (e.end !== undefined && e.end < e.start) t.fail(`entry ${e.id} ends before it starts`)
  }
  // Within one scope, an address (or prefix) has at most one holder at any time.
  const byKey = new Map<string, LedgerEntry[]>()
  for (const e of entries) {
    const k = `${e.ip}|${e.scope}`
    byKey.set(k, [...(byKey.get(k) ?? []), e])
  }
  let overlaps = 0
  for (const list of byKey.values()) {
    const sorted = [...list].sort((a, b) => a.start - b.start)
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as LedgerEntry
      if (prev.end === undefined || prev.end > (sorted[i] as LedgerEntry).start) overlaps++
    }
  }
  t.equal(overlaps, 0, 'no two holders of one address in one scope at once')
  // An open public IP sits in exactly one ENI's state, matching the ledger.
  let shown = 0
  for (const target of w.targets.values()) {
    for (const eni of target.enis.after(0)) {
      shown += eni.privateIps.length + (eni.publicIp ? 1 : 0) + eni.ipv6.length + eni.ipv4Prefixes.length + eni.ipv6Prefixes.length
    }
  }
  t.equal(shown, w.ledger.current().length, 'every open entry is on a live ENI and nothing else is')
})

t.test('addresses pass between holders within minutes', async (t) => {
  const w = new World({ seed: 9, accounts: 5, regions: 1, enisPerRegion: 40, churn: 120 })
  const start = w.now
  w.advanceTo(start + 6 * HOUR)
  const handovers = (kind: string): number[] => {
    const gaps: number[] = []
    const byIp = new Map<string, LedgerEntry[]>()
    for (const e of w.ledger.entries()) if (e.kind === kind) byIp.set(`${e.ip}|${e.scope}`, [...(byIp.get(`${e.ip}|${e.scope}`) ?? []), e])
    for (const list of byIp.values()) {
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as LedgerEntry
        const next = list[i] as LedgerEntry
        if (prev.end !== undefined && prev.eniId !== next.eniId) gaps.push(next.start - prev.end)
      }
    }
    return gaps
  }
  const pub = handovers('public-ipv4')
  const priv = handovers('private-ipv4')
  t.ok(pub.filter((g) => g <= 10 * MINUTE).length >= 20, `public IPv4 reused by another ENI within 10 minutes (${pub.length} handovers)`)
  t.ok(priv.filter((g) => g <= 10 * MINUTE).length >= 20, `private IPv4 reused within 10 minutes (${priv.length} handovers)`)
  const crossAccount = w.ledger.entries().filter((e) => e.kind === 'public-ipv4')
  const accountsPerIp = new Map<string, Set<string>>()
  for (const e of crossAccount) accountsPerIp.set(e.ip, (accountsPerIp.get(e.ip) ?? new Set()).add(e.accountId))
  t.ok([...accountsPerIp.values()].some((s) => s.size >= 2), 'a public IP moved between accounts')
})

t.test('ledger lookups: canonical text, prefixes by containment', async (t) => {
  const w = new World({ seed: 4, accounts: 2, regions: 1, enisPerRegion: 60 })
  const prefix = w.ledger.current().find((e) => e.kind === 'ipv4-prefix')
  t.ok(prefix, 'EKS nodes hold IPv4 /28 prefixes')
  if (prefix) {
    t.match(prefix.ip, /^10\.0\.\d+\.\d+\/28$/)
    const inside = prefix.ip.replace(/\.(\d+)\/28$/, (_, last: string) => `.${Number(last) + 5}`)
    t.ok(w.ledger.at(inside, w.now).some((e) => e.id === prefix.id), 'an address inside the prefix finds it')
    t.ok(w.ledger.at(prefix.ip, w.now).some((e) => e.id === prefix.id), 'the CIDR finds it')
    t.same(w.ledger.at(inside, prefix.start - 1).filter((e) => e.id === prefix.id), [], 'not before it started')
  }
  const v6 = w.ledger.current().find((e) => e.kind === 'ipv6')
  t.ok(v6)
  if (v6) {
    const expanded = v6.ip.toUpperCase().replace('::', ':0:').replace(/^:/, '0:')
    t.ok(w.ledger.at(v6.ip, w.now).length === 1, 'found by canonical text')
    t.ok(w.ledger.history(expanded).length >= 0, 'another spelling is accepted')
  }
  const v6prefix = w.ledger.current().find((e) => e.kind === 'ipv6-prefix')
  if (v6prefix) {
    const inside = v6prefix.ip.replace('::/80', ':0:1:2')
    t.ok(w.ledger.at(inside, w.now).some((e) => e.id === v6prefix.id), 'an address inside an IPv6 /80 finds it')
  }
  t.throws(() => w.ledger.at('not-an-ip', 0), /not an IP address/)
  t.same(w.ledger.at('192.0.2.1', w.now), [], 'an address nobody held')
  const eniId = w.ledger.current()[0]?.eniId as string
  t.ok(w.ledger.forEni(eniId).length >= 1)
})

function instanceIn(w: World, ok: (i: Instance) => boolean): Instance {
  for (const target of w.targets.values()) for (const i of target.liveInstances) if (ok(i)) return i
  throw new Error('no such instance')
}

t.test('stop, start and terminate behave like EC2', async (t) => {
  const w = new World({ seed: 8, accounts: 1, regions: 1, enisPerRegion: 60, churn: 0, terminatedVisibleMs: HOUR })
  const inst = instanceIn(w, (i) => i.state === 'running' && i.autoPublicIp && !i.eip && i.primaryEni.publicIp !== undefined)
  const eni = inst.primaryEni
  const attachTime = eni.attachment?.attachTime
  const publicBefore = eni.publicIp?.entry as LedgerEntry
  const t1 = w.now + MINUTE
  stopInstance(w, inst, t1)
  t.equal(inst.state, 'stopped')
  t.equal(inst.stateTransitionReason, userInitiated(t1))
  t.match(inst.stateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/)
  t.equal(eni.publicIp, undefined, 'a stopped instance loses its auto-assigned public IP')
  t.equal(publicBefore.end, t1, 'and the ledger closes it then')
  t.equal(eni.privateIps.length > 0, true, 'private addresses stay')
  const t2 = t1 + 5 * MINUTE
  startInstance(w, inst, t2)
  t.equal(inst.launchTime, t2, 'launchTime moves on start')
  t.equal(eni.attachment?.attachTime, attachTime, "the primary ENI's attach time does not")
  t.ok(eni.publicIp, 'a new public IP on start')
  t.throws(() => startInstance(w, inst, t2), /not stopped/)
  const t3 = t2 + MINUTE
  terminateInstance(w, inst, t3)
  t.equal(inst.state, 'terminated')
  t.equal(eni.deletedAt, t3, 'its ENIs are deleted')
  t.ok(w.ledger.forEni(eni.id).every((e) => e.end !== undefined && e.end <= t3), 'all its holdings closed')
  t.ok([...inst.target.instances.after(0)].includes(inst), 'still listed while terminated')
  w.advanceTo(t3 + HOUR)
  t.notOk([...inst.target.instances.after(0)].includes(inst), 'vanished after terminatedVisibleMs')
  t.throws(() => terminateInstance(w, inst, t3 + HOUR), /twice/)
})

t.test('every churn event runs without breaking the books', async (t) => {
  const w = new World({ seed: 21, accounts: 1, regions: 1, enisPerRegion: 80, churn: 0 })
  const target = [...w.targets.values()][0] as Target
  let at = w.now
  for (let round = 0; round < 4; round++) {
    for (const event of CHURN_EVENTS) {
      at += 1000
      event.run(w, target, at)
    }
  }
  for (let i = 0; i < 400; i++) churnOnce(w, target, (at += 1000), w.options)
  let held = 0
  for (const eni of target.enis.after(0)) held += eni.history.filter((e) => e.end === undefined).length
  t.equal(held, w.ledger.current().length)
  t.ok(target.liveEniCount > 40 && target.liveEniCount < 160, `fleet stays near its desired size (${target.liveEniCount})`)
})

t.test('Config history: capture lags change, in order, deletions recorded', async (t) => {
  const w = new World({ seed: 3, accounts: 1, regions: 1, enisPerRegion: 40, churn: 600, configDelayMs: [1000, 90_000] })
  w.advanceTo(w.now + 2 * HOUR)
  const settings = configSettings(w)
  const target = [...w.targets.values()][0] as Target
  let deleted = 0
  for (const eni of target.eniLog) {
    const changes = eniChanges(eni, settings)
    t.equal(changes[0]?.status, 'ResourceDiscovered')
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!
      if (c.captureTime < c.changeTime + 1000 || c.captureTime > c.changeTime + 90_000) t.fail(`capture ${c.captureTime} outside the delay window of ${c.changeTime}`)
      if (i > 0 && c.captureTime < changes[i - 1]!.captureTime) t.fail('capture times go backwards')
    }
    if (eni.deletedAt !== undefined) {
      deleted++
      t.match(changes[changes.length - 1]?.status, /^ResourceDeleted(NotRecorded)?$/)
    }
  }
  t.ok(deleted > 0, 'some ENIs were deleted')
  const eni = target.eniLog.find((e) => e.history.length > 2) ?? target.eniLog[0]!
  const config = eniConfiguration(eni, eni.createdAt)
  t.equal(config.networkInterfaceId, eni.id)
  t.equal((config.privateIpAddresses as Array<{ primary: boolean }>)[0]?.primary, true)
  const inst = target.instanceLog[0]!
  const ic = instanceChanges(inst, settings)
  t.equal(ic[0]?.status, 'ResourceDiscovered')
  const cfg = instanceConfiguration(inst, inst.createdAt)
  t.equal(cfg.instanceId, inst.id)
  t.same(cfg.state, { code: 16, name: 'running' })
})

t.test('options are validated', async (t) => {
  t.throws(() => resolveWorldOptions({ accounts: 0 }), /accounts must be/)
  t.throws(() => resolveWorldOptions({ regions: ['mars-north-1'] }), /unknown region/)
  t.throws(() => resolveWorldOptions({ regions: ['us-east-1', 'us-east-1'] }), /repeat/)
  t.throws(() => resolveWorldOptions({ accounts: 2, suspendedAccounts: 2 }), /management/)
  t.throws(() => resolveWorldOptions({ configDelayMs: [5, 1] }), /configDelayMs/)
  t.throws(() => resolveWorldOptions({ enisPerRegion: -1, churn: -1, seed: 0.5 }), /enisPerRegion.*churn|seed/)
  const w = new World({ accounts: 4, suspendedAccounts: 1, pendingClosureAccounts: 1, regions: ['eu-west-1'], enisPerRegion: 0 })
  t.same(w.accounts.map((a) => a.state), ['ACTIVE', 'ACTIVE', 'PENDING_CLOSURE', 'SUSPENDED'])
  t.equal(w.targets.size, 2, 'inactive accounts have no fleet')
  t.equal(w.stats().enis, 0)
  t.equal(w.target('nope', 'eu-west-1'), undefined)
})

t.test('emptyShare: that share of account-regions (seeded) has no ENI at the start and none later', async (t) => {
  const w = new World({ seed: 5, accounts: 20, regions: 5, enisPerRegion: 10, churn: 600, emptyShare: 0.8 })
  const emptyAtStart = [...w.targets.values()].filter((x) => x.liveEniCount === 0).map((x) => x.key)
  t.ok(emptyAtStart.length >= 65 && emptyAtStart.length <= 95, `about 80 of 100 empty: ${emptyAtStart.length}`)
  w.advanceTo(w.now + 2 * HOUR)
  t.same([...w.targets.values()].filter((x) => x.liveEniCount === 0).map((x) => x.key), emptyAtStart, 'the same ones after two hours of churn: nothing happens there')
  t.ok([...w.targets.values()].every((x) => x.liveEniCount === 0 || x.liveEniCount >= 5), 'the rest have fleets')
  t.throws(() => new World({ emptyShare: 1.5 }), /emptyShare must be 0-1/)
})
