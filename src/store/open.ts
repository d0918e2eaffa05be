// The store as one object: holdings, instances, descriptions, target states and leases over one DynamoDB table,
// and how to close it. openStore() opens the one a configuration names (DynamoDB at an endpoint,
// DynamoDB in AWS, or the embedded dynalite under the data directory); storeOver() builds the same
// object over a client and table that already exist (tests, benches). Nothing above src/store sees
// the DynamoDB client.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Config } from '../config.ts'
import type { BatchOptions } from './batch.ts'
import { createDynamoClient, type EnsuredTable, ensureTable } from './dynamodb.ts'
import { DescriptionStore } from './descriptions.ts'
import { startEmbeddedDynamo } from './embedded.ts'
import { HoldingStore, type HoldingStoreOptions } from './holdings.ts'
import { InstanceStore } from './instances.ts'
import { LeaseStore } from './leases.ts'
import { MemberRegistry } from './members.ts'
import { TargetStore } from './targets.ts'

export interface Store {
  readonly holdings: HoldingStore
  readonly instances: InstanceStore
  /** Instances, ENIs and Elastic IPs as AWS described them in each target's last complete poll. */
  readonly descriptions: DescriptionStore
  readonly targets: TargetStore
  readonly leases: LeaseStore
  /** Which addresses ever had a holding: what the API's membership filter is built from. */
  readonly members: MemberRegistry
  /** Requests sent to DynamoDB through this store's clients so far (each retry too), by command: for /metrics and benchmarks. */
  readonly requests: () => ReadonlyMap<string, number>
  /** Where the data lives, in words for a start-up banner. */
  readonly location: string
  readonly table: 'created' | 'exists'
  /** What differs in an existing table that still serves this version (an older version's index projections), for the start-up log. */
  readonly notices: readonly string[]
  /** Release the client (and stop the embedded store); the object is unusable afterwards. */
  close(): Promise<void>
}

export interface StoreOptions {
  readonly tableName: string
  /** How long closed holdings, gone instances and removed descriptions are kept (DynamoDB TTL). */
  readonly retentionMs?: number
  readonly delegatedPrefixLengths?: HoldingStoreOptions['delegatedPrefixLengths']
  readonly batch?: BatchOptions
}

/**
 * The store over a client and a table that exist. `close` defaults to doing nothing: whoever made the
 * client destroys it.
 */
export function storeOver(
  client: DynamoDBClient,
  options: StoreOptions,
  about: {
    readonly location?: string
    readonly table?: 'created' | 'exists'
    readonly notices?: readonly string[]
    readonly close?: () => Promise<void>
    /** A second client of the same store, for the member registry's reads (see MemberRegistry). */
    readonly registryReads?: DynamoDBClient
  } = {},
): Store {
  const { tableName, retentionMs, delegatedPrefixLengths, batch } = options
  const shared = { tableName, ...(retentionMs !== undefined ? { retentionMs } : {}), ...(batch ? { batch } : {}) }
  const members = new MemberRegistry(client, tableName, { ...(batch ? { batch } : {}), ...(about.registryReads ? { readClient: about.registryReads } : {}) })
  const counts = [countRequests(client), ...(about.registryReads ? [countRequests(about.registryReads)] : [])]
  const requests = () => {
    const sum = new Map<string, number>()
    for (const byCommand of counts) for (const [command, n] of byCommand) sum.set(command, (sum.get(command) ?? 0) + n)
    return sum
  }
  return {
    holdings: new HoldingStore(client, { ...shared, members, ...(delegatedPrefixLengths ? { delegatedPrefixLengths } : {}) }),
    instances: new InstanceStore(client, shared),
    descriptions: new DescriptionStore(client, shared),
    targets: new TargetStore(client, tableName),
    leases: new LeaseStore(client, tableName),
    members,
    requests,
    location: about.location ?? `DynamoDB table ${tableName}`,
    table: about.table ?? 'exists',
    notices: about.notices ?? [],
    close: about.close ?? (async () => {}),
  }
}

export async function openStore(config: Config['store']): Promise<Store> {
  const embedded = config.mode === 'embedded' ? await startEmbeddedDynamo(config.dataDir) : undefined
  const client = createDynamoClient({
    region: config.region,
    endpoint: embedded?.endpoint ?? config.endpoint,
    localCredentials: embedded !== undefined || config.localCredentials,
  })
  const registryReads = createDynamoClient({
    region: config.region,
    endpoint: embedded?.endpoint ?? config.endpoint,
    localCredentials: embedded !== undefined || config.localCredentials,
  })
  const close = async () => {
    client.destroy()
    registryReads.destroy()
    await embedded?.close()
  }
  let ensured: EnsuredTable
  try {
    ensured = await ensureTable(client, config.tableName)
  } catch (err) {
    await close()
    throw err
  }
  const location = embedded
    ? `embedded DynamoDB-compatible store (dynalite) in ${embedded.path}, table ${config.tableName}`
    : `DynamoDB ${config.endpoint ?? `in AWS ${config.region}`}, table ${config.tableName}`
  return storeOver(client, { tableName: config.tableName, retentionMs: config.retentionMs }, { location, ...ensured, close, registryReads })
}

const counted = new WeakMap<DynamoDBClient, Map<string, number>>()

/** Counts a client's requests by command, from inside the SDK's retry loop (once per client). */
function countRequests(client: DynamoDBClient): Map<string, number> {
  let counts = counted.get(client)
  if (counts) return counts
  const byCommand = new Map<string, number>()
  counts = byCommand
  counted.set(client, byCommand)
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown'
      byCommand.set(name, (byCommand.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'finalizeRequest', priority: 'low', name: 'whohadStoreRequestCounter' },
  )
  return counts
}
