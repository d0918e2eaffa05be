// The store as one object: what openStore() opens from a configuration and storeOver() builds over an
// existing client give holdings, target states, leases and instance records over one table, and
// close() lets go of it. Against AWS DynamoDB Local and the embedded dynalite, as the other store tests.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import type { InstanceRecord } from '../../src/model/instance.ts'
import { openStore, storeOver } from '../../src/store/open.ts'
import { queryAll } from '../../src/store/paginate.ts'
import { LEASE_PK } from '../../src/store/table.ts'
import { makeHolding } from '../../support/holdings.ts'
import { BACKENDS, type Backend, dynamoDbLocalEndpoint, openTestStore } from '../../support/stores.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 10, 1)
const target = { accountId: '111111111111', region: 'eu-west-1' }

let tables = 0
async function configFor(t: Parameters<typeof openTestStore>[0], backend: Backend) {
  if (backend === 'embedded') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'whohad-open-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    return loadConfig({ WHOHAD_STORE: 'embedded', WHOHAD_DATA_DIR: dataDir })
  }
  return loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: await dynamoDbLocalEndpoint(), WHOHAD_TABLE: `open${process.pid}-${++tables}-${Date.now()}` })
}

const instance = (instanceId: string): InstanceRecord => ({ ...target, instanceId, state: 'running', vpcId: 'vpc-0aaa', enis: [{ eniId: `eni-${instanceId.slice(2)}`, deviceIndex: 0 }], lastSeen: T0 })

for (const backend of BACKENDS) {
  t.test(`${backend}: openStore, write through every part, close, open again`, async (t) => {
    const config = await configFor(t, backend)
    const store = await openStore(config.store)
    t.equal(store.table, 'created', 'a missing table is created')
    t.match(store.location, config.store.tableName, 'the banner names the table')

    const open = makeHolding({ address: '203.0.113.7', eni: 'eni-0a', start: [T0, T0 + MIN] })
    const other = makeHolding({ address: '10.0.0.5', eni: 'eni-0b', start: [T0, T0 + MIN] })
    const closed = { ...other, end: { after: T0 + 10 * MIN, by: T0 + 11 * MIN, evidence: [] } }
    await store.holdings.apply([{ kind: 'open', holding: open }, { kind: 'open', holding: other }])
    await store.holdings.apply([{ kind: 'close', holding: closed, closedAt: T0 + 11 * MIN }])
    await store.targets.put({ ...target, consecutiveFailures: 0, firstCompletePoll: T0, lastCompletePoll: T0 + 20 * MIN })
    t.ok(await store.leases.claim(3, 'proc-a', T0, T0 + MIN), 'a free shard is taken')
    t.notOk(await store.leases.claim(3, 'proc-b', T0, T0 + MIN), 'a live lease is not taken by another process')
    await store.leases.heartbeat('proc-a', T0 + MIN)
    t.equal(await store.instances.sync(target, [instance('i-0a')], { goneAt: T0 + 1000 }), 1)

    // What the demo tours: every holding and nothing else (the target, lease, worker and instance items share the table).
    const every = await store.holdings.everyHolding()
    t.same(every.map((h) => `${h.address} ${h.end ? 'closed' : 'open'}`).sort(), ['10.0.0.5 closed', '203.0.113.7 open'])
    t.equal((await store.holdings.scanAll()).length, 11, 'two holdings, their two ENIs in the holder directory, a target state, a lease, a worker, an instance, the member registry and its two addresses')
    t.same(await store.members.state(), { complete: true, days: [new Date().toISOString().slice(0, 10)] }, 'a registry complete from the table\'s creation, with today\'s entries')
    await store.close()

    // Closed means let go: the embedded store's data directory can be opened again at once.
    const again = await openStore(config.store)
    t.teardown(() => again.close())
    t.equal(again.table, 'exists', 'the table is found, not created again')
    t.same((await again.holdings.lookup({ ip: '203.0.113.7', from: T0 + 30 * MIN, to: T0 + 30 * MIN })).map((h) => h.holder.eniId), ['eni-0a'])
    t.same((await again.holdings.everyHolding()).length, 2)
    t.same((await again.targets.list()).map((s) => [s.accountId, s.lastCompletePoll]), [[target.accountId, T0 + 20 * MIN]])
    t.same(await again.targets.get(target), (await again.targets.getMany([target])).get(`T#${target.accountId}#${target.region}`), 'one state, read singly or in a batch')
    t.same(await again.targets.getOrFresh({ accountId: '222222222222', region: 'eu-west-1' }), { accountId: '222222222222', region: 'eu-west-1', consecutiveFailures: 0 }, 'a target never polled starts fresh')
    t.same(await again.leases.leases(), [{ shard: 3, owner: 'proc-a', until: T0 + MIN }])
    t.same(await again.leases.members(T0), ['proc-a'])
    t.equal((await again.instances.get('i-0a'))?.state, 'running')
  })

  t.test(`${backend}: storeOver an existing client; every page of a long read`, async (t) => {
    const { client, tableName, requests } = await openTestStore(t, backend)
    let closed = 0
    const store = storeOver(client, { tableName }, { close: async () => void closed++ })
    for (let shard = 0; shard < 7; shard++) t.ok(await store.leases.claim(shard, 'proc-a', T0, T0 + MIN))
    requests.reset()
    t.equal((await store.leases.leases()).length, 7, 'every lease')
    // The one pagination helper: pages of two items still give back all seven.
    const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: LEASE_PK } }, Limit: 2 })
    t.same(items.map((i) => Number(i.shard?.N)), [0, 1, 2, 3, 4, 5, 6], 'all seven, in key order')
    t.ok(requests.count('QueryCommand') >= 5, `${requests.count('QueryCommand')} queries: one for the leases, four or more pages of two`)
    await store.leases.release(2, 'proc-a')
    await store.leases.leave('proc-a')
    t.same((await store.leases.leases()).map((l) => l.shard), [0, 1, 3, 4, 5, 6], 'a released lease is gone')
    t.same(await store.leases.members(T0), [], 'and so is a process that left')
    await store.close()
    t.equal(closed, 1, "close is the caller's")
    t.equal((await store.leases.leases()).length, 6, 'the client is left open for whoever made it')
  })
}
