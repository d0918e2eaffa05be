// npm run bench:store — p50 of a point lookup of a public IP (with 1,000 past holders) against p50 of
// one GetItem, on the same AWS DynamoDB Local, interleaved in one run so both see the same machine.
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { performance } from 'node:perf_hooks'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { HoldingStore, type StoreOperation } from '../src/store/holdings.ts'
import { putTargetState, targetKey } from '../src/store/targets.ts'
import { startDynamoDbLocal } from '../test/helpers/dynamodb-local.ts'
import { makeHolding } from '../test/helpers/holdings.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500)
const HOLDERS = 1_000
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 1)

const local = await startDynamoDbLocal()
try {
  const client = createDynamoClient({ endpoint: local.endpoint, region: 'us-east-1', localCredentials: true })
  const tableName = 'bench'
  await ensureTable(client, tableName)
  const store = new HoldingStore(client, { tableName })
  const ops: StoreOperation[] = []
  for (let i = 0; i < HOLDERS; i++) {
    const s = T0 + 3 * i * MIN
    ops.push({ kind: 'close', holding: makeHolding({ address: '198.51.100.7', eni: `eni-${i}`, start: [s - 30_000, s], end: [s + MIN, s + MIN + 30_000] }), closedAt: s + MIN + 30_000 })
  }
  await store.apply(ops)
  await putTargetState(client, tableName, { accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0 })
  const get = () => client.send(new GetItemCommand({ TableName: tableName, Key: targetKey('111111111111', 'eu-west-1') }))
  const lookup = (i: number) => store.lookup({ ip: '198.51.100.7', from: T0 + 3 * (i % HOLDERS) * MIN, to: T0 + 3 * (i % HOLDERS) * MIN })
  for (let i = 0; i < 50; i++) await Promise.all([get(), lookup(i)]) // warm up connections and the JIT
  const tGet: number[] = []
  const tLookup: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now()
    await get()
    tGet.push(performance.now() - t)
    t = performance.now()
    const found = await lookup(i)
    tLookup.push(performance.now() - t)
    if (found.length !== 1) throw new Error(`lookup ${i} found ${found.length} holdings, expected 1`)
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const g = p50(tGet), l = p50(tLookup)
  process.stdout.write(`store bench (AWS DynamoDB Local, ${ROUNDS} rounds, public IP with ${HOLDERS} past holders)\n`)
  process.stdout.write(`  GetItem p50        ${g.toFixed(2)} ms\n  point lookup p50   ${l.toFixed(2)} ms (4 parallel queries)\n`)
  process.stdout.write(`  ratio lookup/GetItem: ${(l / g).toFixed(2)} (goal <= 1.5)\n`)
  client.destroy()
} finally {
  await local.stop()
}
