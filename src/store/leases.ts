// Leases and membership for collector processes sharing the targets, as conditional writes in the
// whohad table: one item per shard (pk `LEASE`) and one per live process (pk `WORKER`). A conditional
// put either takes a lease that is free, expired or already ours, or fails; so two live processes
// never hold one shard, whatever order their requests arrive in.
import { ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'
import type { Lease } from '../model/lease.ts'
import { toKey as key } from './items.ts'
import { type Item, queryAll } from './paginate.ts'
import { LEASE_PK, leaseKey, WORKER_PK, workerKey } from './table.ts'

export class LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Every lease item (one query: shards number in the tens or hundreds). */
  async leases(): Promise<Lease[]> {
    const items = await this.queryAll(LEASE_PK)
    return items.map((i) => ({ shard: Number(i.shard?.N), owner: i.owner?.S ?? '', until: Number(i.leaseUntil?.N) }))
  }

  /**
   * Take or renew a shard's lease until `until`; false when another live process holds it. `renewed`:
   * the lease item still named this owner, so no other process has taken the shard since this one last
   * claimed it; `taken`: it was free, expired after another owner, or released.
   */
  async claim(shard: number, owner: string, now: number, until: number): Promise<'taken' | 'renewed' | false> {
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...key(leaseKey(shard)),
            shard: { N: String(shard) },
            owner: { S: owner },
            leaseUntil: { N: String(until) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil <= :now OR #owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':me': { S: owner } },
          ReturnValues: 'ALL_OLD',
        }),
      )
      return out.Attributes?.owner?.S === owner ? 'renewed' : 'taken'
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false
      throw err
    }
  }

  /** Give a lease back (only if still ours). */
  async release(shard: number, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(leaseKey(shard)),
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':me': { S: owner } },
        }),
      )
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')) throw err
    }
  }

  /** Say this process is alive until `until`. */
  async heartbeat(owner: string, until: number): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...key(workerKey(owner)), leaseUntil: { N: String(until) } },
      }),
    )
  }

  async leave(owner: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key(workerKey(owner)) }))
  }

  /** Processes whose heartbeat has not expired. */
  async members(now: number): Promise<string[]> {
    const items = await this.queryAll(WORKER_PK)
    return items.filter((i) => Number(i.leaseUntil?.N) > now).map((i) => i.sk!.S!)
  }

  private queryAll(pk: string): Promise<Item[]> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    })
  }
}
