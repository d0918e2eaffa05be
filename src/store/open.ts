// Opening the store a configuration names: DynamoDB at an endpoint, DynamoDB in AWS, or the
// embedded dynalite under the data directory. Everything above this file sees only a HoldingStore.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Config } from '../config.ts'
import { createDynamoClient, ensureTable } from './dynamodb.ts'
import { startEmbeddedDynamo } from './embedded.ts'
import { HoldingStore } from './holdings.ts'
import { InstanceStore } from './instances.ts'

export interface OpenStore {
  readonly holdings: HoldingStore
  readonly instances: InstanceStore
  readonly client: DynamoDBClient
  readonly tableName: string
  /** Where the data lives, in words for a start-up banner. */
  readonly location: string
  readonly table: 'created' | 'exists'
  close(): Promise<void>
}

export async function openStore(config: Config['store']): Promise<OpenStore> {
  const embedded = config.mode === 'embedded' ? await startEmbeddedDynamo(config.dataDir) : undefined
  const client = createDynamoClient({
    region: config.region,
    endpoint: embedded?.endpoint ?? config.endpoint,
    localCredentials: embedded !== undefined || config.localCredentials,
  })
  const close = async () => {
    client.destroy()
    await embedded?.close()
  }
  let table: 'created' | 'exists'
  try {
    table = await ensureTable(client, config.tableName)
  } catch (err) {
    await close()
    throw err
  }
  const location = embedded
    ? `embedded DynamoDB-compatible store (dynalite) in ${embedded.path}, table ${config.tableName}`
    : `DynamoDB ${config.endpoint ?? `in AWS ${config.region}`}, table ${config.tableName}`
  const holdings = new HoldingStore(client, { tableName: config.tableName, retentionMs: config.retentionMs })
  const instances = new InstanceStore(client, { tableName: config.tableName, retentionMs: config.retentionMs })
  return { holdings, instances, client, tableName: config.tableName, location, table, close }
}
