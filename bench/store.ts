// npm run bench:store — p50 of a point lookup of a public IP (with 1,000 past holders) against p50 of
// one GetItem, on the same AWS DynamoDB Local, interleaved in one run so both see the same machine. Beside
// them, one Query and four at once (finding nothing): a lookup is four Queries (docs/table-design.md),
// and these show what that costs here whatever the queries read.
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb'
import { performance } from 'node:perf_hooks'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import type { StoreOperation } from '../src/model/stored-holding.ts'
import { storeOver } from '../src/store/open.ts'
import { addressPk } from '../src/store/table.ts'
import { targetKey } from '../src/store/targets.ts'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'
import { makeHolding } from '../support/holdings.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500)
const HOLDERS = 1_000
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 1)

const local = await startDynamoDbLocal()
try {
  const client = createDynamoClient({ endpoint: local.endpoint, region: 'us-east-1', localCredentials: true })
  const tableName = 'bench'
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName })
  const ops: StoreOperation[] = []
  for (let i = 0; i < HOLDERS; i++) {
    const s = T0 + 3 * i * MIN
    ops.push({ kind: 'close', holding: makeHolding({ address: '198.51.100.7', eni: `eni-${i}`, start: [s - 30_000, s], end: [s + MIN, s + MIN + 30_000] }), closedAt: s + MIN + 30_000 })
  }
  await store.holdings.apply(ops)
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0 })
  const get = () => client.send(new GetItemCommand({ TableName: tableName, Key: targetKey('111111111111', 'eu-west-1') }))
  const lookup = (i: number) => store.holdings.lookup({ ip: '198.51.100.7', from: T0 + 3 * (i % HOLDERS) * MIN, to: T0 + 3 * (i % HOLDERS) * MIN })
  // Not the goal, but what explains the ratio: the cost of one Query and of four at once, each
  // finding nothing (an address with no holdings), beside the GetItem.
  const emptyQuery = () => client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: addressPk('198.51.100.8') } } }))
  const cases: [string, (i: number) => Promise<unknown>][] = [
    ['GetItem', () => get()],
    ['point lookup', async (i) => {
      const found = await lookup(i)
      if (found.length !== 1) throw new Error(`lookup ${i} found ${found.length} holdings, expected 1`)
    }],
    ['1 Query (finds nothing)', () => emptyQuery()],
    ['4 Queries at once (nothing)', () => Promise.all([emptyQuery(), emptyQuery(), emptyQuery(), emptyQuery()])],
  ]
  for (let i = 0; i < 50; i++) for (const [, run] of cases) await run(i) // warm up connections and the JIT
  const times = cases.map((): number[] => [])
  for (let i = 0; i < ROUNDS; i++) {
    for (const [k, [, run]] of cases.entries()) {
      const t = performance.now()
      await run(i)
      times[k]!.push(performance.now() - t)
    }
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const [g, l, q1, q4] = times.map(p50) as [number, number, number, number]
  const line = (name: string, ms: number) => `  ${name.padEnd(34)} ${ms.toFixed(2).padStart(6)} ms   ${(ms / g).toFixed(2)} × GetItem\n`
  process.stdout.write(`store bench (AWS DynamoDB Local, ${ROUNDS} rounds, public IP with ${HOLDERS} past holders)\n`)
  process.stdout.write(line('GetItem', g) + line('point lookup (4 Queries at once)', l))
  process.stdout.write(`  ratio lookup/GetItem: ${(l / g).toFixed(2)} (goal <= 1.5)\n`)
  process.stdout.write(`  what the lookup is made of, measured beside it:\n` + line('1 Query finding nothing', q1) + line('4 such Queries at once', q4))
  client.destroy()
} finally {
  await local.stop()
}
