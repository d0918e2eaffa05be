// The holder directory: the target (account and region) of each ENI that has held an address, and the
// ENIs of each instance that has. A holding is filed in one index only (table.ts: open ones by target,
// closed ones by ENI), so the ENI route reads an ENI's open holdings in the target this says, and the
// instance route reads the ENIs listed here. Entries are written before the holdings that need them (a
// crash in between leaves an entry with no holding, which reads as nothing) and never change: an ENI
// stays in its account and region, and an instance's list only grows. Keys: table.ts.
import { type DynamoDBClient, GetItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import { LRUCache } from 'lru-cache'
import type { StoreOperation } from '../model/stored-holding.ts'
import { batchWrite, type BatchOptions } from './batch.ts'
import { queryAll } from './paginate.ts'
import { eniDirectoryKey, instanceEniKey, INSTANCE_ENI_PREFIX, instancePk } from './table.ts'

export interface HolderEntry {
  readonly eniId: string
  readonly accountId: string
  readonly region: string
  readonly instanceId?: string | undefined
}

/** How many entries a process remembers having written, so as not to write them again. */
const REMEMBERED = 20_000

/**
 * The entries operations need: an open holding is found through its ENI's target, and a holding of an
 * instance through the instance's ENI list. A close rewrites a holding whose entries were written when
 * it opened. A refinement or a split does too, but may rewrite one stored by a version that wrote no
 * entries (they are rare, and a process writes each entry once).
 *
 * `settled`: ENIs that keep an open holding through these operations (none of them closes or replaces
 * it). Their entries were written when that holding opened, and it has had the same instance since (a
 * holder that changes closes the holding), so they are left out: an ENI's first address is its
 * primary private one, held until the ENI goes, so most opens are of ENIs already settled. (An ENI
 * whose open holding predates the directory is found by the readers' fallbacks: its open items are in
 * `byEni`, its instance's record lists it.)
 */
export function entriesOf(operations: readonly StoreOperation[], settled: ReadonlySet<string> = new Set()): HolderEntry[] {
  return operations.flatMap((op) => {
    if (op.kind === 'close') return []
    const { eniId, accountId, region, instanceId } = (op.kind === 'refine' || op.kind === 'split' ? op.next : op.holding).holder
    return settled.has(eniId) ? [] : [{ eniId, accountId, region, instanceId }]
  })
}

export class HolderDirectory {
  private readonly written = new LRUCache<string, true>({ max: REMEMBERED })

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly batchOptions: BatchOptions = {},
  ) {}

  /** Writes the entries this process has not written lately (each is the same whoever writes it). */
  async register(entries: readonly HolderEntry[]): Promise<number> {
    const puts = new Map<string, WriteRequest>()
    for (const e of entries) {
      const eniKey = `eni|${e.eniId}`
      if (!this.written.has(eniKey)) puts.set(eniKey, { PutRequest: { Item: marshall({ ...eniDirectoryKey(e.eniId), accountId: e.accountId, region: e.region }) } })
      const instanceKey = `instance|${e.instanceId}|${e.eniId}`
      if (e.instanceId && !this.written.has(instanceKey)) puts.set(instanceKey, { PutRequest: { Item: marshall({ ...instanceEniKey(e.instanceId, e.eniId), eniId: e.eniId }) } })
    }
    if (puts.size === 0) return 0
    await batchWrite(this.client, this.tableName, [...puts.values()], this.batchOptions)
    for (const key of puts.keys()) this.written.set(key, true)
    return puts.size
  }

  /** The account and region of an ENI that has held an address, if this directory knows it. */
  async targetOfEni(eniId: string): Promise<{ accountId: string; region: string } | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(eniDirectoryKey(eniId)) }))
    if (!out.Item) return undefined
    const { accountId, region } = unmarshall(out.Item) as { accountId: string; region: string }
    return { accountId, region }
  }

  /** The ENIs of an instance that held addresses through them. */
  async enisOfInstance(instanceId: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': { S: instancePk(instanceId) }, ':p': { S: INSTANCE_ENI_PREFIX } },
    })
    return items.map((item) => item.eniId!.S!)
  }
}
