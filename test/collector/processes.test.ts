// Three real `whohad collect` processes share one simulated organisation through leases in a real
// DynamoDB (AWS DynamoDB Local), and one of them is killed with SIGKILL: its shards must move to the
// others within about a lease period, its targets must keep getting complete polls, and no target may
// ever be written by two processes at once. Every process talks to DynamoDB through a transparent
// recording proxy of its own, so the test knows who claimed, released, read and wrote what, and when.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { shardOf } from '../../src/collector/lease-plan.ts'
import { ensureTable } from '../../src/store/dynamodb.ts'
import { storeOver } from '../../src/store/open.ts'
import { targetPk } from '../../src/store/table.ts'
import type { TargetState } from '../../src/model/target.ts'
import { startDynamoDbLocal } from '../../support/dynamodb-local.ts'
import { cleanEnv, type Proc, running, startFakeAwsProc, startProc, stopProc, waitFor } from '../../support/processes.ts'
import { dynamoClientAs } from '../../support/stores.ts'

const PERIOD = 3_000 // lease period
const INTERVAL = 1_000 // poll interval
const SHARDS = 12
const ACCOUNTS = 6
const REGIONS = 2

// ---- a recording proxy in front of DynamoDB -----------------------------------------------------

/** One DynamoDB request one collector process made, as the proxy saw it complete. */
interface Call {
  readonly proc: number
  readonly op: string
  /** Sent upstream / answered by DynamoDB (epoch ms, this machine's clock, as the collectors'). */
  readonly t0: number
  readonly t1: number
  readonly ok: boolean
  readonly pk?: string
  readonly sk?: string
  /** Lease claims: the `until` written and the `:now` the condition compared against. */
  readonly until?: number
  readonly now?: number
}

interface AttrMap { [k: string]: { S?: string; N?: string } | undefined }

function describeCall(proc: number, target: string | undefined, body: Buffer, t0: number, t1: number, status: number): Call {
  const op = (target ?? '').split('.').pop() ?? ''
  let req: { Key?: AttrMap; Item?: AttrMap; ExpressionAttributeValues?: AttrMap } = {}
  try {
    req = JSON.parse(body.toString('utf8')) as typeof req
  } catch {
    // not JSON: nothing to record beyond the operation
  }
  const key = req.Key ?? req.Item
  const until = req.Item?.leaseUntil?.N
  const now = req.ExpressionAttributeValues?.[':now']?.N
  return {
    proc, op, t0, t1, ok: status === 200,
    ...(key?.pk?.S !== undefined ? { pk: key.pk.S } : {}),
    ...(key?.sk?.S !== undefined ? { sk: key.sk.S } : {}),
    ...(until !== undefined ? { until: Number(until) } : {}),
    ...(now !== undefined ? { now: Number(now) } : {}),
  }
}

async function recordingProxy(upstream: string, proc: number, calls: Call[]): Promise<{ endpoint: string; close(): Promise<void> }> {
  const up = new URL(upstream)
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    res.on('error', () => {}) // the client may be gone (SIGKILL)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const t0 = Date.now()
      const fwd = http.request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upRes) => {
          const out: Buffer[] = []
          upRes.on('data', (c: Buffer) => out.push(c))
          upRes.on('end', () => {
            const target = req.headers['x-amz-target']
            calls.push(describeCall(proc, Array.isArray(target) ? target[0] : target, body, t0, Date.now(), upRes.statusCode ?? 0))
            res.writeHead(upRes.statusCode ?? 502, upRes.headers)
            res.end(Buffer.concat(out))
          })
        },
      )
      fwd.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502)
        res.end(String(err))
      })
      fwd.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
        agent.destroy()
      }),
  }
}

// ---- the test -----------------------------------------------------------------------------------

t.test('three collector processes share the targets; one killed with SIGKILL is taken over', async (t) => {
  const began = Date.now()
  const timing: string[] = []
  const mark = (label: string, ms: number) => {
    timing.push(`${label}: ${ms} ms`)
    t.comment(`${label}: ${ms} ms`)
  }

  // DynamoDB Local: the run's shared one (CI), or one of our own.
  let dynamoEndpoint = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  if (!dynamoEndpoint) {
    const local = await startDynamoDbLocal()
    t.teardown(() => local.stop())
    dynamoEndpoint = local.endpoint
  }

  // The simulated organisation as a process of its own, on the wall clock (the collectors' clock).
  const { endpoint: awsEndpoint, managementAccountId, accessKeyId, secretAccessKey, regions } = await startFakeAwsProc(t, ['--accounts', String(ACCOUNTS), '--regions', String(REGIONS), '--enis-per-region', '5', '--seed', '11', '--realtime', '--no-throttling'])
  mark('fakeaws up', Date.now() - began)

  // The collectors read DynamoDB with their AWS credentials (the fake's management keys), and DynamoDB
  // Local keeps one database per access key and region: this test's client uses the same ones.
  const homeRegion = regions[0]!
  const client = dynamoClientAs(dynamoEndpoint, homeRegion, { accessKeyId, secretAccessKey }, 8)
  t.teardown(() => client.destroy())
  const tableName = `procs${process.pid}-${Date.now()}`
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName })

  // Three collectors, each behind its own recording proxy.
  const calls: Call[] = []
  const procs: Proc[] = []
  for (let i = 0; i < 3; i++) {
    const proxy = await recordingProxy(dynamoEndpoint, i, calls)
    t.teardown(() => proxy.close())
    const p = startProc(`collector${i}`, ['collect'], cleanEnv({
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: homeRegion,
      WHOHAD_AWS_ENDPOINT: awsEndpoint,
      WHOHAD_SELF_ACCOUNT: managementAccountId,
      WHOHAD_DYNAMODB_ENDPOINT: proxy.endpoint,
      WHOHAD_TABLE: tableName,
      WHOHAD_POLL_INTERVAL: `${INTERVAL / 1000}s`,
      WHOHAD_LEASE_PERIOD: `${PERIOD / 1000}s`,
      WHOHAD_LEASE_SHARDS: String(SHARDS),
      WHOHAD_CONFIG_MAX_DELAY: '2m',
      // The first Config pass of a target reads its whole horizon in the target's poll turn, 1 + 13
      // sequential requests per ENI for the default 90 days; on a loaded machine that holds the
      // target's next poll for seconds. The world began now anyway: one day covers all of it.
      WHOHAD_CONFIG_HORIZON_DAYS: '1',
    }))
    procs.push(p)
  }
  // Teardowns run last-registered first: the children stop before the proxies and the store they use.
  t.teardown(() => Promise.all(procs.map((p) => stopProc(p))))
  t.teardown(() => {
    for (const p of procs) t.comment(`${p.name} (pid ${p.child.pid}) stderr:\n${p.stderr.trim().split('\n').slice(-15).join('\n')}`)
  })

  const procOf = (owner: string): number => {
    const pid = Number(/-(\d+)-[0-9a-f]{8}$/.exec(owner)?.[1])
    return procs.findIndex((p) => p.child.pid === pid)
  }
  const keyOf = (s: { accountId: string; region: string }) => targetPk(s.accountId, s.region)
  /** Live lease owner (process index) of each shard, -1 for free or expired. */
  const owners = async (): Promise<number[]> => {
    const now = Date.now()
    const byShard = Array<number>(SHARDS).fill(-1)
    for (const l of await store.leases.leases()) if (l.until > now) byShard[l.shard] = procOf(l.owner)
    return byShard
  }
  const states = async (): Promise<Map<string, TargetState>> => new Map((await store.targets.list()).map((s) => [keyOf(s), s]))

  // (1) All three live: every shard leased to one of them, fair shares, every target polled completely.
  const spawnedAt = Date.now()
  await waitFor('the collectors to start', 30_000, () => {
    for (const p of procs) if (!running(p)) throw new Error(`${p.name} exited early:\n${p.stderr}`)
    return procs.every((p) => p.stderr.includes('polling')) ? true : undefined
  })
  mark('three collectors started (spawn to "polling" logged)', Date.now() - spawnedAt)
  let seen = ''
  const settled = await waitFor('the shards to settle into fair shares', 30_000, async () => {
    for (const p of procs) if (!running(p)) throw new Error(`${p.name} exited early:\n${p.stderr}`)
    const byShard = await owners()
    const counts = [0, 1, 2].map((i) => byShard.filter((o) => o === i).length)
    const st = await states()
    const polled = [...st.values()].filter((s) => s.lastCompletePoll !== undefined).length
    seen = `shards by owner ${byShard.join(',')}; ${polled} of ${ACCOUNTS * REGIONS} targets polled completely`
    return counts.every((c) => c === SHARDS / 3) && polled === ACCOUNTS * REGIONS ? byShard : undefined
  }, 250, () => seen)
  mark('three processes settled (fair shares, every target polled), since spawn', Date.now() - spawnedAt)
  const targets = [...(await states()).values()].map((s) => ({ accountId: s.accountId, region: s.region }))
  t.equal(targets.length, ACCOUNTS * REGIONS, 'every account x region discovered and polled')
  for (const [i] of procs.entries()) t.ok(settled.includes(i), `${procs[i]!.name} holds shards ${settled.flatMap((o, s) => (o === i ? [s] : [])).join(',')}`)
  const ownerOfTarget = (byShard: number[], target: { accountId: string; region: string }) => byShard[shardOf(target, SHARDS)]!
  t.comment(`targets per process: ${[0, 1, 2].map((i) => targets.filter((x) => ownerOfTarget(settled, x) === i).length).join(' / ')}`)

  // A steady window: leases unchanged, every target polled again, each only by its lease holder.
  const windowStart = Date.now()
  const before = await states()
  let moved = false
  let pending = ''
  const after = await waitFor('every target to be polled again while all three live', 5 * PERIOD, async () => {
    const byShard = await owners()
    if (byShard.some((o, s) => o !== settled[s])) moved = true
    const st = await states()
    const behind = targets.filter((x) => (st.get(keyOf(x))?.lastCompletePoll ?? 0) <= (before.get(keyOf(x))?.lastCompletePoll ?? 0))
    pending = behind.map(keyOf).join(' ')
    return behind.length === 0 ? st : undefined
  }, 200, () => `not yet polled again: ${pending}`)
  const windowEnd = Date.now()
  mark('steady window: every target polled again', windowEnd - windowStart)
  t.notOk(moved, 'leases did not move while all three lived')
  const byShardAfter = await owners()
  t.same(byShardAfter, settled, 'and have not moved since')
  for (const target of targets) {
    const k = keyOf(target)
    const owner = ownerOfTarget(settled, target)
    t.ok(owner >= 0 && running(procs[owner]!), `${k} is leased by exactly one live process (${procs[owner]?.name})`)
    t.ok((after.get(k)?.lastCompletePoll ?? 0) > (before.get(k)?.lastCompletePoll ?? 0), `${k}: a new complete poll in the steady window`)
    const writers = new Set(calls.filter((c) => c.op === 'PutItem' && c.ok && c.pk === k && c.sk === 'state' && c.t0 >= windowStart && c.t1 <= windowEnd).map((c) => c.proc))
    t.same([...writers], [owner], `${k}: its state is written in the window by its lease holder only`)
  }

  // (2) kill -9 the process polling the most targets.
  const load = [0, 1, 2].map((i) => targets.filter((x) => ownerOfTarget(settled, x) === i).length)
  const victim = load.indexOf(Math.max(...load))
  const victimShards = settled.flatMap((o, s) => (o === victim ? [s] : []))
  const victimTargets = targets.filter((x) => ownerOfTarget(settled, x) === victim)
  const survivors = [0, 1, 2].filter((i) => i !== victim)
  const killedAt = Date.now()
  procs[victim]!.child.kill('SIGKILL')
  t.same(await procs[victim]!.exited, { code: null, signal: 'SIGKILL' }, `${procs[victim]!.name} killed with SIGKILL`)

  const movedAt = await waitFor('the dead process\'s shards to move', 6 * PERIOD, async () => {
    const byShard = await owners()
    return victimShards.every((s) => survivors.includes(byShard[s]!)) ? Date.now() : undefined
  }, 50)
  const moveMs = movedAt - killedAt
  mark(`shards ${victimShards.join(',')} of ${procs[victim]!.name} moved to the survivors (lease period ${PERIOD} ms, ticks every ${PERIOD / 3} ms)`, moveMs)
  t.ok(moveMs <= 3 * PERIOD, `shards moved within 3 lease periods (${moveMs} ms)`)
  const lost = calls.filter((c) => c.op === 'PutItem' && c.pk === 'LEASE' && !c.ok && c.t0 >= killedAt && c.t1 <= movedAt)
  t.comment(`claims of those shards lost to the other survivor on the way: ${lost.map((c) => `${procs[c.proc]!.name} ${c.sk}`).join(', ') || 'none'}`)

  const polledAt = await waitFor('the dead process\'s targets to be polled completely again', 6 * PERIOD, async () => {
    const st = await states()
    return victimTargets.every((x) => (st.get(keyOf(x))?.lastCompletePoll ?? 0) > killedAt) ? Date.now() : undefined
  }, 100)
  mark(`all ${victimTargets.length} targets of ${procs[victim]!.name} polled completely by the survivors`, polledAt - killedAt)
  t.ok(polledAt - killedAt <= 3 * PERIOD + 2 * INTERVAL, `its targets were polled again within 3 lease periods and 2 poll intervals (${polledAt - killedAt} ms)`)
  const byShardAfterKill = await owners()
  t.ok(byShardAfterKill.every((o) => survivors.includes(o)), `every shard is held by a survivor: ${byShardAfterKill.join(',')}`)
  t.same(survivors.map((i) => byShardAfterKill.filter((o) => o === i).length), [SHARDS / 2, SHARDS / 2], 'the survivors split the shards evenly')
  // And polls go on for every target, the taken-over ones included.
  const st0 = await states()
  const st1 = await waitFor('every target to be polled again after the takeover', 5 * PERIOD, async () => {
    const st = await states()
    return targets.every((x) => (st.get(keyOf(x))?.lastCompletePoll ?? 0) > (st0.get(keyOf(x))?.lastCompletePoll ?? 0)) ? st : undefined
  }, 200)
  for (const target of targets) {
    const k = keyOf(target)
    t.ok((st1.get(k)?.lastCompletePoll ?? 0) > (st0.get(k)?.lastCompletePoll ?? 0), `${k}: lastCompletePoll still advances after the kill`)
  }

  // A clean stop hands everything back at once: the last process takes all shards on its next tick.
  const [leaving, staying] = survivors as [number, number]
  const stoppedAt = Date.now()
  procs[leaving]!.child.kill('SIGTERM')
  t.same(await procs[leaving]!.exited, { code: 0, signal: null }, `${procs[leaving]!.name} stops cleanly on SIGTERM`)
  mark(`${procs[leaving]!.name} stopped on SIGTERM`, Date.now() - stoppedAt)
  const leftover = (await store.leases.leases()).filter((l) => procOf(l.owner) === leaving && l.until > Date.now())
  t.same(leftover, [], 'a stopped process leaves no live lease behind')
  const members = (await store.leases.members(Date.now())).map(procOf)
  t.notOk(members.includes(leaving), 'and is no longer a member')
  const allAt = await waitFor('the last process to take every shard', 3 * PERIOD, async () => ((await owners()).every((o) => o === staying) ? Date.now() : undefined), 50)
  mark(`${procs[staying]!.name} holds every shard after the clean stop`, allAt - stoppedAt)
  t.ok(allAt - stoppedAt <= PERIOD + 2_000, 'handed over at once (no waiting for the leases to expire)')
  await stopProc(procs[staying]!)
  t.equal(procs[staying]!.child.exitCode, 0, `${procs[staying]!.name} stops cleanly too`)
  t.same((await store.leases.leases()).filter((l) => l.until > Date.now()), [], 'no live lease is left once every process stopped')

  // (3) Never two at once, from what each process actually sent to DynamoDB.
  const claims = calls.filter((c) => c.op === 'PutItem' && c.ok && c.pk === 'LEASE')
  const releases = calls.filter((c) => c.op === 'DeleteItem' && c.ok && c.pk === 'LEASE')
  const shardOfSk = (sk: string | undefined) => Number(sk?.replace('shard#', ''))
  // Ownership intervals: from a successful claim's answer to its `until`, cut short by a release.
  const held: { proc: number; shard: number; from: number; to: number }[] = []
  for (const c of claims) {
    const shard = shardOfSk(c.sk)
    const release = releases.filter((r) => r.proc === c.proc && shardOfSk(r.sk) === shard && r.t0 >= c.t0).sort((a, b) => a.t1 - b.t1)[0]
    held.push({ proc: c.proc, shard, from: c.t1, to: Math.min(c.until ?? 0, release?.t1 ?? Infinity) })
  }
  let overlaps = 0
  for (const a of held) for (const b of held) if (a.shard === b.shard && a.proc < b.proc && a.from < b.to && b.from < a.to) overlaps++
  t.equal(overlaps, 0, `lease ownership never overlaps (${claims.length} claims, ${releases.length} releases recorded)`)

  const shardOfPk = new Map(targets.map((x) => [keyOf(x), shardOf(x, SHARDS)]))
  const stateReads = calls.filter((c) => c.op === 'GetItem' && c.ok && c.sk === 'state' && shardOfPk.has(c.pk ?? ''))
  const stateWrites = calls.filter((c) => c.op === 'PutItem' && c.ok && c.sk === 'state' && shardOfPk.has(c.pk ?? ''))
  const unleased = stateWrites.filter((w) => !held.some((h) => h.proc === w.proc && h.shard === shardOfPk.get(w.pk!) && h.from <= w.t0 && w.t1 <= h.to))
  t.same(
    unleased.map((w) => `${procs[w.proc]!.name} wrote ${w.pk} at ${w.t0 - began}..${w.t1 - began} ms`),
    [],
    `every target-state write (${stateWrites.length}) was made while its writer held the target's lease`,
  )
  // Each write ends a read-modify-write cycle that began with the writer's latest read of that state
  // (the poll's, or the Config pass's re-read): two processes' cycles on one target never overlap.
  const cycles = stateWrites.map((w) => {
    const read = stateReads.filter((r) => r.proc === w.proc && r.pk === w.pk && r.t0 <= w.t0).sort((a, b) => b.t0 - a.t0)[0]
    return { proc: w.proc, pk: w.pk!, from: read?.t0 ?? w.t0, to: w.t1 }
  })
  const concurrent: string[] = []
  for (const a of cycles) {
    for (const b of cycles) {
      if (a.pk === b.pk && a.proc < b.proc && a.from < b.to && b.from < a.to) {
        concurrent.push(`${a.pk}: ${procs[a.proc]!.name} ${a.from - began}..${a.to - began} ms and ${procs[b.proc]!.name} ${b.from - began}..${b.to - began} ms`)
      }
    }
  }
  t.same(concurrent, [], `no target was polled by two processes at once (${cycles.length} read-modify-write cycles)`)
  const perProc = [0, 1, 2].map((i) => stateWrites.filter((w) => w.proc === i).length)
  t.comment(`target-state writes per process: ${perProc.join(' / ')}; ${calls.length} DynamoDB requests recorded`)

  mark('whole test', Date.now() - began)
  t.comment(timing.join('\n'))
})
