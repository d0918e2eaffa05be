// Per-target state (model/target.ts): one item per (account, region), saying when it was last polled
// completely. An open holding was present in every complete poll since it opened, so this one item
// per target (rather than a "last seen" write per holding per poll) is what proves an open holding up
// to now. Keys: table.ts.
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import type { ConfigRecording } from '../model/config-recording.ts'
import { freshTargetState, type Target, type TargetState } from '../model/target.ts'
import { batchGet } from './batch.ts'
import type { Key } from './items.ts'
import { queryAll } from './paginate.ts'
import { INDEX_BY_TARGET, TARGET_LIST_TPK, TARGET_STATE_SK, targetListTsk, targetPk } from './table.ts'

export function targetKey(accountId: string, region: string) {
  return marshall({ pk: targetPk(accountId, region), sk: TARGET_STATE_SK })
}

export class TargetStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** A target's state (a consistent read), or undefined for a target never polled. */
  async get(target: Target): Promise<TargetState | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: targetKey(target.accountId, target.region), ConsistentRead: true }),
    )
    return out.Item ? fromItem(out.Item) : undefined
  }

  /** A target's state, or a fresh one for a target never polled. */
  async getOrFresh(target: Target): Promise<TargetState> {
    return (await this.get(target)) ?? freshTargetState(target)
  }

  async put(state: TargetState): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(
          { pk: targetPk(state.accountId, state.region), sk: TARGET_STATE_SK, tpk: TARGET_LIST_TPK, tsk: targetListTsk(state.accountId, state.region), kind: 'target', ...state },
          { removeUndefinedValues: true },
        ),
      }),
    )
  }

  /** Several targets' states in one request per 100 (BatchGetItem's limit), unprocessed keys retried. */
  async getMany(targets: readonly Target[]): Promise<Map<string, TargetState>> {
    const found = new Map<string, TargetState>()
    const unique = [...new Map(targets.map((t) => [targetPk(t.accountId, t.region), t])).values()]
    for (const item of await batchGet(this.client, this.tableName, unique.map((t) => targetKey(t.accountId, t.region) as Key))) {
      const state = fromItem(item)
      found.set(targetPk(state.accountId, state.region), state)
    }
    return found
  }

  /**
   * Every target's state, for coverage and health: one Query of the byTarget index's target list (an
   * item per target, hundreds at most). The index is eventually consistent; the API keeps the result
   * for a second anyway.
   */
  async list(): Promise<TargetState[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: INDEX_BY_TARGET,
      KeyConditionExpression: 'tpk = :t',
      ExpressionAttributeValues: { ':t': { S: TARGET_LIST_TPK } },
    })
    return items.map(fromItem).sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region))
  }
}

function fromItem(item: Parameters<typeof unmarshall>[0]): TargetState {
  const { pk: _pk, sk: _sk, tpk: _tpk, tsk: _tsk, kind: _kind, configUnavailable, ...state } = unmarshall(item)
  // Items written before the recorder was checked carry only the history read's error text.
  if (typeof configUnavailable === 'string' && state.config === undefined) {
    state.config = {
      state: /AccessDenied/.test(configUnavailable) ? 'denied' : 'off',
      detail: configUnavailable,
      // That pass ran in the poll turn, right after the poll it followed.
      checkedAt: typeof state.lastAttempt === 'number' ? state.lastAttempt : 0,
    } satisfies ConfigRecording
  }
  return state as TargetState
}
