// The DynamoDB client and the table's existence: the edge between whohad and whichever DynamoDB
// it was given (AWS, DynamoDB Local, or the embedded dynalite).
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb'
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import { MemberRegistry } from './members.ts'
import { tableDefinition, TTL_ATTRIBUTE } from './table.ts'
import { checkTable } from './table-check.ts'

export interface ClientOptions {
  readonly endpoint?: string
  readonly region: string
  /** Local DynamoDBs accept any credentials (DynamoDB Local wants letters and digits only); AWS gets the default chain. */
  readonly localCredentials?: boolean
  /** Credentials to sign with instead (DynamoDB Local keeps one database per access key and region). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
}

export function createDynamoClient(options: ClientOptions): DynamoDBClient {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.localCredentials
      ? { credentials: { accessKeyId: 'whohadlocal', secretAccessKey: 'whohadlocal' } }
      : options.credentials ? { credentials: options.credentials } : {}),
    retryStrategy: new ConfiguredRetryStrategy(DYNAMODB_MAX_ATTEMPTS, (attempt) => dynamoBackoffMs(attempt)),
  })
  // The SDK's logger middleware copies every request and response, masking sensitive fields, for a
  // logger whohad never gives it; every query and write paid for it.
  client.middlewareStack.remove('loggerMiddleware')
  return client
}

/**
 * DynamoDB answers in milliseconds, so its throttling and 5xx are retried soon and often (AWS's older
 * SDKs used a 50 ms base for DynamoDB alone), with full jitter under a 1 s cap. The SDK's default backs
 * off up to 20 s: a lookup waiting on one unlucky query then outlives the client that asked for it.
 */
export const DYNAMODB_MAX_ATTEMPTS = 10

/** Delay before retry `attempt` (1, 2, ...): uniform in [0, min(1 s, 50 ms × 2^attempt)). */
export function dynamoBackoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(1000, 50 * 2 ** attempt))
}

export interface EnsuredTable {
  readonly table: 'created' | 'exists'
  /** What differs in an existing table that still serves this version (table-check.ts), for the start-up log. */
  readonly notices: readonly string[]
}

/**
 * Create the table when it is missing. An existing table is left as it is, but checked: one that
 * cannot serve this version (an index missing or projecting less than its readers use) is refused
 * with what to do; one that serves it but differs (an older version's wider projections) is used,
 * with notices saying what it costs.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<EnsuredTable> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }))
    const { problems, notices } = checkTable(Table ?? {}, tableDefinition(tableName))
    if (problems.length > 0) throw new Error(`the DynamoDB table cannot be used as it is:\n- ${problems.join('\n- ')}`)
    return { table: 'exists', notices }
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err
  }
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)))
  } catch (err) {
    // Another process created it between our describe and create: that is the outcome we wanted.
    if ((err as Error).name !== 'ResourceInUseException') throw err
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName })
  // Closed holdings carry an expiry (WHOHAD_RETENTION_DAYS); turn DynamoDB's TTL on for it. The embedded
  // store has no TTL and keeps everything, as the table design allows.
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }))
    .catch(() => undefined)
  // A new table has no holding the member registry has not seen: it is complete from the start.
  await new MemberRegistry(client, tableName).markComplete()
  return { table: 'created', notices: [] }
}
