// Pure retry logic of batchWrite: a stub client stands in because no real DynamoDB returns
// UnprocessedItems on demand. The real round trip is covered by the store suite.
import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb'
import t from 'tap'
import { batchWrite, UnprocessedWritesError } from '../../src/store/batch.ts'

const req = (i: number): WriteRequest => ({ PutRequest: { Item: { pk: { S: String(i) }, sk: { S: 's' } } } })

function stubClient(leaveUnprocessed: (round: number, items: WriteRequest[]) => WriteRequest[]) {
  const written: WriteRequest[] = []
  let round = 0
  const client = {
    send: async (cmd: { input: { RequestItems: Record<string, WriteRequest[]> } }) => {
      const items = cmd.input.RequestItems.tbl!
      const left = leaveUnprocessed(round++, items)
      written.push(...items.filter((i) => !left.includes(i)))
      return { UnprocessedItems: left.length ? { tbl: left } : {} }
    },
  } as unknown as DynamoDBClient
  return { client, written }
}

t.test('unprocessed writes are retried until written', async (t) => {
  const { client, written } = stubClient((round, items) => (round < 3 ? items.slice(0, 2) : []))
  await batchWrite(client, 'tbl', [req(1), req(2), req(3)], { sleep: async () => {} })
  t.same(written.map((w) => w.PutRequest!.Item!.pk!.S).sort(), ['1', '2', '3'])
})

t.test('requests are split into batches of 25', async (t) => {
  const sizes: number[] = []
  const { client } = stubClient((_r, items) => {
    sizes.push(items.length)
    return []
  })
  await batchWrite(client, 'tbl', Array.from({ length: 60 }, (_, i) => req(i)))
  t.same(sizes.sort((a, b) => b - a), [25, 25, 10])
})

t.test('writes that never go through raise an error rather than vanish', async (t) => {
  const { client } = stubClient((_r, items) => items)
  await t.rejects(batchWrite(client, 'tbl', [req(1)], { maxRounds: 3, sleep: async () => {} }), UnprocessedWritesError)
})
