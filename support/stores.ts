// The store suite runs against two real DynamoDB implementations: AWS DynamoDB Local (shared by the
// test run, started by scripts/test.ts, or by this file when a test file is run alone) and the
// embedded dynalite whohad uses by default. Each test gets a table of its own.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { startEmbeddedDynamo } from '../src/store/embedded.ts'
import { type Store, type StoreOptions, storeOver } from '../src/store/open.ts'
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts'

export const BACKENDS = ['dynamodb-local', 'embedded'] as const
export type Backend = (typeof BACKENDS)[number]

/** Counts HTTP requests (each retry too) by command, from a middleware inside the SDK's retry loop. */
export class RequestCounter {
  readonly byCommand = new Map<string, number>()
  total = 0
  reset(): void {
    this.byCommand.clear()
    this.total = 0
  }
  count(command: string): number {
    return this.byCommand.get(command) ?? 0
  }
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        this.total++
        const name = context.commandName ?? 'unknown'
        this.byCommand.set(name, (this.byCommand.get(name) ?? 0) + 1)
        return next(args)
      },
      { step: 'finalizeRequest', priority: 'low', name: 'whohadTestRequestCounter' },
    )
  }
}

export interface TestStore {
  /** The store as `openStore` gives it, over this test's table. */
  readonly store: Store
  /** The client under it, for tests that write raw items or crash a write half-way. */
  readonly client: DynamoDBClient
  readonly tableName: string
  readonly requests: RequestCounter
}

/**
 * A client of a DynamoDB Local that reads what a whohad child process wrote there: DynamoDB Local keeps
 * one database per access key and region, so it must sign as that process does.
 */
export function dynamoClientAs(endpoint: string, region: string, credentials: { accessKeyId: string; secretAccessKey: string }, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({ region, endpoint, credentials, ...(maxAttempts ? { maxAttempts } : {}) })
}

let shared: Promise<DynamoDbLocal> | undefined
let tables = 0

/** The DynamoDB Local the test run shares (started here when a test file runs alone). */
export async function dynamoDbLocalEndpoint(): Promise<string> {
  const fromEnv = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  if (fromEnv) return fromEnv
  shared ??= startDynamoDbLocal()
  return (await shared).endpoint
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function openTestStore(
  t: Teardown,
  backend: Backend,
  options: Omit<StoreOptions, 'tableName'> = {},
): Promise<TestStore> {
  const client = await testClient(t, backend)
  const tableName = `t${process.pid}-${++tables}-${Date.now()}`
  await ensureTable(client, tableName)
  const requests = new RequestCounter()
  requests.attach(client)
  const store = storeOver(client, { tableName, ...options }, { location: `${backend} table ${tableName}` })
  return { store, client, tableName, requests }
}

/** A client of a fresh embedded store, or of the shared DynamoDB Local, released at teardown; no table made (tests of tables themselves). */
export async function testClient(t: Teardown, backend: Backend): Promise<DynamoDBClient> {
  let endpoint: string
  if (backend === 'embedded') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'whohad-test-'))
    const embedded = await startEmbeddedDynamo(dir)
    endpoint = embedded.endpoint
    t.teardown(async () => {
      await embedded.close()
      rmSync(dir, { recursive: true, force: true })
    })
  } else {
    endpoint = await dynamoDbLocalEndpoint()
  }
  const client = createDynamoClient({ endpoint, region: 'us-east-1', localCredentials: true })
  t.teardown(() => client.destroy())
  return client
}
