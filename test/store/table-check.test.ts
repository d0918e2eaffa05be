// A table that already exists, against what this version reads from it: an older version's table
// (every index projecting every attribute) is used as it is, with a notice; one whose index projects
// less than a reader uses, or lacks an index, is refused with what to do. The pure check first, then
// ensureTable and the store over such tables, on AWS DynamoDB Local and the embedded dynalite.
import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb'
import t from 'tap'
import { ensureTable } from '../../src/store/dynamodb.ts'
import { storeOver } from '../../src/store/open.ts'
import { checkTable } from '../../src/store/table-check.ts'
import { INDEX_BY_ENI, INDEX_BY_TARGET, INDEX_PROJECTIONS, tableDefinition } from '../../src/store/table.ts'
import { bound, makeHolding } from '../../support/holdings.ts'
import { BACKENDS, testClient } from '../../support/stores.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 10, 1)

/** The definition an older version created: every index projecting every attribute, and an index of holdings by instance. */
function olderDefinition(tableName: string): CreateTableCommandInput {
  const def = tableDefinition(tableName)
  const byInstance = { IndexName: 'byInstance', KeySchema: [{ AttributeName: 'ipk', KeyType: 'HASH' as const }, { AttributeName: 'isk', KeyType: 'RANGE' as const }], Projection: { ProjectionType: 'ALL' as const } }
  return {
    ...def,
    AttributeDefinitions: [...def.AttributeDefinitions!, { AttributeName: 'ipk', AttributeType: 'S' }, { AttributeName: 'isk', AttributeType: 'S' }],
    GlobalSecondaryIndexes: [...def.GlobalSecondaryIndexes!.map((i) => ({ ...i, Projection: { ProjectionType: 'ALL' as const } })), byInstance],
  }
}

/** Today's definition with one index changed by `change`. */
function withIndex(tableName: string, indexName: string, change: (i: NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>[number]) => object | undefined): CreateTableCommandInput {
  const def = tableDefinition(tableName)
  const indexes = def.GlobalSecondaryIndexes!.flatMap((i) => {
    if (i.IndexName !== indexName) return [i]
    const changed = change(i)
    return changed ? [changed as typeof i] : []
  })
  return { ...def, GlobalSecondaryIndexes: indexes }
}

t.test('checkTable: the same definition passes; wider projections are notices; narrower ones, a missing index or other keys are problems', async (t) => {
  const want = tableDefinition('x')
  t.strictSame(checkTable(want as never, want), { problems: [], notices: [] }, 'what this version creates serves it')

  const older = checkTable(olderDefinition('x') as never, want)
  t.strictSame(older.problems, [], 'ALL projections serve every reader')
  t.equal(older.notices.length, 2, 'one notice for the index that projects less today (byTarget projects every attribute still), one for the index no longer used')
  t.match(older.notices[0], /index byEni .* projects every attribute; it works as it is/)
  t.match(older.notices[1], /index byInstance .* is no longer read/)

  const wider = checkTable(withIndex('x', INDEX_BY_ENI, (i) => ({ ...i, Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...INDEX_PROJECTIONS[INDEX_BY_ENI]!, 'state', 'tpk'] } })) as never, want)
  t.strictSame(wider.problems, [])
  t.match(wider.notices, [/index byEni .* projects 2 attributes whohad does not read from it/])

  const keysOnly = checkTable(withIndex('x', INDEX_BY_ENI, (i) => ({ ...i, Projection: { ProjectionType: 'KEYS_ONLY' } })) as never, want)
  t.match(keysOnly.problems, [/index byEni of table x does not project address, addressKind, closedAt, end, holder, pieces, scope, start, which whohad reads from it/])

  const lacking = checkTable(withIndex('x', INDEX_BY_TARGET, (i) => ({ ...i, Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['accountId', 'region'] } })) as never, want)
  t.match(lacking.problems, [/index byTarget .* projects only some attributes, and whohad reads every attribute from it/], 'a target list without its polls would be refused, not misread')

  const missing = checkTable(withIndex('x', INDEX_BY_ENI, () => undefined) as never, want)
  t.match(missing.problems, [/table x has no index byEni/])

  const rekeyed = checkTable(withIndex('x', INDEX_BY_ENI, (i) => ({ ...i, KeySchema: [{ AttributeName: 'epk', KeyType: 'HASH' }] })) as never, want)
  t.match(rekeyed.problems, [/index byEni of table x is keyed epk:HASH, not epk:HASH,esk:RANGE/])

  const other = checkTable({ ...want, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } as never, want)
  t.match(other.problems, [/table x is keyed id:HASH, not pk:HASH,sk:RANGE: it is not a whohad table/])
})

let tables = 0

async function create(client: DynamoDBClient, def: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(def))
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: def.TableName! })
}

for (const backend of BACKENDS) {
  t.test(`${backend}: a table an older version created (every attribute projected) is used as it is, with a notice per index`, async (t) => {
    const client = await testClient(t, backend)
    const tableName = `older${process.pid}-${++tables}-${Date.now()}`
    await create(client, olderDefinition(tableName))
    const ensured = await ensureTable(client, tableName)
    t.equal(ensured.table, 'exists')
    t.equal(ensured.notices.length, 2, 'one notice for the index that projects less today, one for the index no longer used')
    t.match(ensured.notices.join('\n'), /index byEni of table .* projects every attribute; it works as it is/)
    t.match(ensured.notices.join('\n'), /index byInstance of table .* is no longer read, and nothing written now is filed in it: delete it/)

    // Every reader of every index, over the older table.
    const store = storeOver(client, { tableName })
    const target = { accountId: '111111111111', region: 'eu-west-1' }
    const open = makeHolding({ address: '10.0.0.5', eni: 'eni-0a', instance: 'i-0a', start: [T0, T0 + MIN] })
    const gone = makeHolding({ address: '10.0.0.6', eni: 'eni-0a', instance: 'i-0a', start: [T0, T0 + MIN] })
    await store.holdings.apply([{ kind: 'open', holding: open }, { kind: 'open', holding: gone }])
    await store.holdings.apply([{ kind: 'close', holding: { ...gone, end: bound([T0 + 2 * MIN, T0 + 3 * MIN]) }, closedAt: T0 + 3 * MIN }])
    await store.targets.put({ ...target, consecutiveFailures: 0, firstCompletePoll: T0, lastCompletePoll: T0 + 3 * MIN })
    t.same(await store.holdings.openHoldingsOfTarget(target.accountId, target.region), [open], 'open holdings of the target')
    t.same((await store.holdings.closedOfEnis(['eni-0a'], 0)).map((h) => h.address), ['10.0.0.6'], 'its closes')
    t.same((await store.holdings.holdingsOfEni('eni-0a')).map((h) => [h.address, h.end !== undefined]), [['10.0.0.5', false], ['10.0.0.6', true]], 'holdings of the ENI')
    t.same((await store.holdings.holdingsOfInstance('i-0a')).map((h) => h.address), ['10.0.0.5', '10.0.0.6'], 'holdings of the instance')
    t.same((await store.targets.list()).map((s) => s.lastCompletePoll), [T0 + 3 * MIN], 'the target list')
  })

  t.test(`${backend}: a table whose index projects less than its readers use is refused, saying which index and what to do`, async (t) => {
    const client = await testClient(t, backend)
    const tableName = `narrow${process.pid}-${++tables}-${Date.now()}`
    await create(client, withIndex(tableName, INDEX_BY_ENI, (i) => ({ ...i, Projection: { ProjectionType: 'KEYS_ONLY' } })))
    await t.rejects(ensureTable(client, tableName), /cannot be used as it is:\n- index byEni of table .* does not project .*holder.*: recreate the index/)
  })

  t.test(`${backend}: a table this version created passes its own check, with no notice`, async (t) => {
    const client = await testClient(t, backend)
    const tableName = `today${process.pid}-${++tables}-${Date.now()}`
    t.strictSame(await ensureTable(client, tableName), { table: 'created', notices: [] })
    t.strictSame(await ensureTable(client, tableName), { table: 'exists', notices: [] }, 'and finds it again as it made it')
  })
}

t.test('dynamodb-local: what each index projects gives its readers whole items (a target state with every field, a holding with every holder field)', async (t) => {
  const client = await testClient(t, 'dynamodb-local')
  const tableName = `whole${process.pid}-${++tables}-${Date.now()}`
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName, retentionMs: 86_400_000 })
  const state = {
    accountId: '111111111111', region: 'eu-west-1', firstCompletePoll: T0, lastCompletePoll: T0 + 5 * MIN, lastAttempt: T0 + 6 * MIN,
    lastError: 'Throttling', consecutiveFailures: 1, gaps: [{ from: T0 + MIN, to: T0 + 2 * MIN }], configCursor: T0 + 4 * MIN,
    config: { state: 'denied', detail: 'AccessDenied', checkedAt: T0 + 4 * MIN }, descriptionDigests: { instance: 'abc' },
  } as const
  await store.targets.put(state)
  t.strictSame(await store.targets.list(), [state], 'the target list, every field')
  const base = makeHolding({ address: '10.0.0.7', eni: 'eni-0c', instance: 'i-0c', start: [T0, T0 + MIN] })
  const holding = {
    ...base,
    holder: { ...base.holder, subnetId: 'subnet-0a', interfaceType: 'interface', requesterManaged: false, description: 'Primary network interface', resource: { type: 'instance' as const, id: 'i-0c', name: 'web' }, name: 'web', instanceType: 'm5.large', imageId: 'ami-0a', allocationId: 'eipalloc-0a', tags: { Name: 'web' } },
  }
  const closed = { ...holding, end: bound([T0 + 2 * MIN, T0 + 3 * MIN]), closedAt: T0 + 3 * MIN }
  await store.holdings.apply([{ kind: 'open', holding }])
  await store.holdings.apply([{ kind: 'close', holding: closed, closedAt: T0 + 3 * MIN }])
  t.strictSame(await store.holdings.holdingsOfEni('eni-0c'), [closed], 'byEni')
  t.strictSame(await store.holdings.holdingsOfInstance('i-0c'), [closed], 'the instance\'s, through its ENIs')
  t.strictSame(await store.holdings.closedOfEnis(['eni-0c'], 0), [closed], 'byEni, closed since')
  await store.holdings.apply([{ kind: 'open', holding }])
  t.strictSame(await store.holdings.openHoldingsOfTarget('111111111111', 'eu-west-1'), [], 'byTarget: an open item beside its closed twin is a crash\'s leftover, removed')
  const again = { ...holding, start: bound([T0 + 4 * MIN, T0 + 5 * MIN]) }
  await store.holdings.apply([{ kind: 'open', holding: again }])
  t.strictSame(await store.holdings.openHoldingsOfTarget('111111111111', 'eu-west-1'), [again], 'byTarget, every field')
  t.strictSame(await store.holdings.holdingsOfEni('eni-0c'), [closed, again], 'the ENI\'s open holdings, from byTarget where the directory says')
})
