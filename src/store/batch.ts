// BatchWriteItem, with UnprocessedItems retried until written: a write the table throttled is
// delayed, never dropped. If it still cannot be written, the caller gets an error and the poll that
// produced it is not recorded as complete, so it will be redone.
import { BatchGetItemCommand, BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb'
import type { Item, Key } from './items.ts'

export const BATCH_SIZE = 25

export interface BatchOptions {
  /** How many rounds of UnprocessedItems to retry before giving up. */
  readonly maxRounds?: number
  readonly baseDelayMs?: number
  readonly maxDelayMs?: number
  readonly sleep?: (ms: number) => Promise<void>
}

export class UnprocessedWritesError extends Error {
  override readonly name = 'UnprocessedWritesError'
  constructor(readonly remaining: number, rounds: number) {
    super(`DynamoDB left ${remaining} writes unprocessed after ${rounds} attempts; nothing was dropped, retry later`)
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function batchWrite(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchOptions = {},
): Promise<void> {
  const chunks: WriteRequest[][] = []
  for (let i = 0; i < requests.length; i += BATCH_SIZE) chunks.push(requests.slice(i, i + BATCH_SIZE))
  await Promise.all(chunks.map((chunk) => writeChunk(client, tableName, chunk, options)))
}

async function writeChunk(
  client: DynamoDBClient,
  tableName: string,
  chunk: WriteRequest[],
  options: BatchOptions,
): Promise<void> {
  const maxRounds = options.maxRounds ?? 12
  const base = options.baseDelayMs ?? 50
  const cap = options.maxDelayMs ?? 5_000
  const sleep = options.sleep ?? defaultSleep
  let pending = chunk
  for (let round = 0; pending.length > 0; round++) {
    if (round >= maxRounds) throw new UnprocessedWritesError(pending.length, round)
    if (round > 0) await sleep(Math.random() * Math.min(cap, base * 2 ** round)) // full jitter
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }))
    pending = out.UnprocessedItems?.[tableName] ?? []
  }
}

/**
 * Items by key, 100 to a BatchGetItem (DynamoDB's limit), UnprocessedKeys retried with backoff; a key
 * with no item is left out. `consistent`: strongly consistent reads (twice the read units).
 */
export async function batchGet(client: DynamoDBClient, tableName: string, keys: readonly Key[], options: { readonly consistent?: boolean } = {}): Promise<Item[]> {
  const found: Item[] = []
  for (let i = 0; i < keys.length; i += 100) {
    let pending = keys.slice(i, i + 100)
    for (let round = 0; pending.length > 0; round++) {
      if (round > 10) throw new Error(`DynamoDB left ${pending.length} keys unread; retry later`)
      if (round > 0) await defaultSleep(Math.min(2_000, 25 * 2 ** round))
      const out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) } } }))
      found.push(...(out.Responses?.[tableName] ?? []))
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[]
    }
  }
  return found
}
