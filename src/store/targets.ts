// Per-target state: when each (account, region) was last polled completely. An open holding was
// present in every complete poll since it opened, so this one item per target (rather than a
// "last seen" write per holding per poll) is what proves an open holding up to now.
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import type { ConfigRecording } from '../model/config-recording.ts'
import { INDEX_BY_TARGET, TARGET_LIST_TPK, TARGET_STATE_SK, targetListTsk, targetPk } from './table.ts'

export interface TargetState {
  readonly accountId: string
  readonly region: string
  /** Start time of the first complete poll: whohad has watched this target since then. */
  readonly firstCompletePoll?: number
  /** Time of the latest complete poll. */
  readonly lastCompletePoll?: number
  readonly lastAttempt?: number
  readonly lastError?: string
  readonly consecutiveFailures: number
  /**
   * Stretches between two complete polls further apart than the collector's maximum gap (outages,
   * failure streaks): holdings are not proven inside them. Oldest first, bounded in number.
   */
  readonly gaps?: readonly { readonly from: number; readonly to: number }[]
  /** AWS Config history is read up to here (capture time); the next pass resumes from it. */
  readonly configCursor?: number
  /** How AWS Config records this target's ENIs, as last checked (before each read of its history). */
  readonly config?: ConfigRecording
}

export function targetKey(accountId: string, region: string) {
  return marshall({ pk: targetPk(accountId, region), sk: TARGET_STATE_SK })
}

export async function getTargetState(
  client: DynamoDBClient,
  tableName: string,
  accountId: string,
  region: string,
): Promise<TargetState | undefined> {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: targetKey(accountId, region), ConsistentRead: true }),
  )
  return out.Item ? fromItem(out.Item) : undefined
}

/** A target's state, or a fresh one for a target never polled. */
export async function targetStateOrNew(client: DynamoDBClient, tableName: string, target: { accountId: string; region: string }): Promise<TargetState> {
  return (await getTargetState(client, tableName, target.accountId, target.region)) ?? { accountId: target.accountId, region: target.region, consecutiveFailures: 0 }
}

export async function putTargetState(client: DynamoDBClient, tableName: string, state: TargetState): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall(
        { pk: targetPk(state.accountId, state.region), sk: TARGET_STATE_SK, tpk: TARGET_LIST_TPK, tsk: targetListTsk(state.accountId, state.region), kind: 'target', ...state },
        { removeUndefinedValues: true },
      ),
    }),
  )
}

/** Several targets' states in one request per 100 (BatchGetItem's limit), unprocessed keys retried. */
export async function getTargetStates(
  client: DynamoDBClient,
  tableName: string,
  targets: readonly { accountId: string; region: string }[],
): Promise<Map<string, TargetState>> {
  const found = new Map<string, TargetState>()
  const unique = [...new Map(targets.map((t) => [targetPk(t.accountId, t.region), t])).values()]
  for (let i = 0; i < unique.length; i += 100) {
    let keys = unique.slice(i, i + 100).map((t) => targetKey(t.accountId, t.region))
    for (let round = 0; keys.length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, Math.min(2_000, 25 * 2 ** round)))
      if (round > 10) throw new Error(`DynamoDB left ${keys.length} target states unread; retry later`)
      const out = await client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys } } }))
      for (const item of out.Responses?.[tableName] ?? []) {
        const state = fromItem(item)
        found.set(targetPk(state.accountId, state.region), state)
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? []
    }
  }
  return found
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

/**
 * Every target's state, for coverage and health: one Query of the byTarget index's target list (an
 * item per target, hundreds at most). The index is eventually consistent; the API keeps the result
 * for a second anyway.
 */
export async function listTargetStates(client: DynamoDBClient, tableName: string): Promise<TargetState[]> {
  const out: TargetState[] = []
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX_BY_TARGET,
        KeyConditionExpression: 'tpk = :t',
        ExpressionAttributeValues: { ':t': { S: TARGET_LIST_TPK } },
        ExclusiveStartKey,
      }),
    )
    for (const item of page.Items ?? []) out.push(fromItem(item))
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey)
  return out.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region))
}
