// The AWS Config history source: get (every configuration item of every ENI of a target in a time
// range, 7-day windows, paginated) → transform (pure) → intervals. Config sees every change, so it
// finds holdings that began and ended between two polls, and it reaches back before whohad ran.
// Config being off, not recording ENIs, or denied is normal: the source says "unavailable", never
// "nobody held anything".
import {
  type ConfigServiceClient,
  type ConfigurationItem,
  GetResourceConfigHistoryCommand,
  ListDiscoveredResourcesCommand,
} from '@aws-sdk/client-config-service'
import type { Bound } from '../model/holding.ts'
import { normalizeIp, parseCidr, parseIp, scopeFor } from '../model/ip.ts'
import type { ConfigInterval } from '../model/config-interval.ts'
import type { Observation } from '../model/observation.ts'
import { type EniRecord, holderFor, type InstanceFacts, tagRecord } from './holder.ts'

export const ENI_RESOURCE_TYPE = 'AWS::EC2::NetworkInterface'
const WINDOW_MS = 7 * 86_400_000

export type ConfigRead =
  | { readonly available: true; readonly items: ConfigurationItem[]; readonly resources: number }
  | { readonly available: false; readonly reason: string }

/**
 * Every configuration item of the target's ENIs captured in (from, to], oldest first per ENI.
 * `signal` ends the read (the collector is stopping): the call in flight fails and this throws.
 */
export async function readEniHistory(client: ConfigServiceClient, range: { from: number; to: number }, signal?: AbortSignal): Promise<ConfigRead> {
  const send = signal ? { abortSignal: signal } : {}
  try {
    const ids: string[] = []
    let nextToken: string | undefined
    do {
      const page = await client.send(
        new ListDiscoveredResourcesCommand({ resourceType: ENI_RESOURCE_TYPE, includeDeletedResources: true, limit: 100, nextToken }),
        send,
      )
      for (const r of page.resourceIdentifiers ?? []) if (r.resourceId) ids.push(r.resourceId)
      nextToken = page.nextToken
    } while (nextToken)
    const items: ConfigurationItem[] = []
    // Sequential on purpose: Config's read limits are a few requests per second per account.
    for (const resourceId of ids) {
      // The last item before the range is the baseline: without it, an address in the first item
      // read could have been there all along or have just arrived.
      try {
        const base = await client.send(
          new GetResourceConfigHistoryCommand({ resourceType: ENI_RESOURCE_TYPE, resourceId, laterTime: new Date(range.from), chronologicalOrder: 'Reverse', limit: 1 }),
          send,
        )
        const item = base.configurationItems?.[0]
        if (item?.configurationItemCaptureTime && item.configurationItemCaptureTime.getTime() < range.from) items.push(item)
      } catch (err) {
        // Nothing recorded before the range: the first item read is where its history starts.
        if ((err as Error).name !== 'ResourceNotDiscoveredException') throw err
      }
      for (let earlier = range.from; earlier < range.to; earlier += WINDOW_MS) {
        const later = Math.min(range.to, earlier + WINDOW_MS)
        let token: string | undefined
        do {
          const page = await client.send(
            new GetResourceConfigHistoryCommand({
              resourceType: ENI_RESOURCE_TYPE,
              resourceId,
              earlierTime: new Date(earlier),
              laterTime: new Date(later),
              chronologicalOrder: 'Forward',
              limit: 100,
              nextToken: token,
            }),
            send,
          )
          items.push(...(page.configurationItems ?? []))
          token = page.nextToken
        } while (token)
      }
    }
    return { available: true, items, resources: ids.length }
  } catch (err) {
    const e = err as Error
    if (/NoAvailableConfigurationRecorder|AccessDenied|NoSuchConfigurationRecorder/.test(`${e.name} ${e.message}`)) {
      return { available: false, reason: `${e.name}: ${e.message}` }
    }
    throw err
  }
}

interface EniState {
  readonly capture: number
  readonly deleted: boolean
  /** The item that records the ENI's creation: what it holds then began with it. */
  readonly discovered: boolean
  readonly held: Map<string, Observation>
}

/**
 * Items → intervals. A capture time is when Config recorded a change, which happened at or before it,
 * and no earlier than `maxCaptureDelayMs` before it (Config publishes no bound; the setting is the
 * assumption, WHOHAD_CONFIG_MAX_DELAY, documented in the README). Pure.
 */
export function configIntervals(
  items: readonly ConfigurationItem[],
  target: { accountId: string; region: string },
  options: {
    readonly maxCaptureDelayMs: number
    /** What DescribeInstances says of an instance (its Name tag, type, image, tags): Config's ENI items do not. */
    readonly instance?: (instanceId: string) => InstanceFacts | undefined
  },
): ConfigInterval[] {
  const byEni = new Map<string, ConfigurationItem[]>()
  for (const item of items) {
    if (!item.resourceId || !item.configurationItemCaptureTime) continue
    const list = byEni.get(item.resourceId)
    if (list) list.push(item)
    else byEni.set(item.resourceId, [item])
  }
  const out: ConfigInterval[] = []
  for (const [eniId, list] of byEni) {
    list.sort((a, b) => a.configurationItemCaptureTime!.getTime() - b.configurationItemCaptureTime!.getTime())
    const states = list.map((item) => stateOf(item, eniId, target, options.maxCaptureDelayMs, options.instance))
    const open = new Map<string, { o: Observation; start: Bound }>()
    let previousCapture: number | undefined
    for (const state of states) {
      const window = (ref: string, source: 'config-item' | 'config-deletion'): Bound => ({
        // The change came after the previous item's change, which was at least previousCapture − delay.
        after: Math.max(state.capture - options.maxCaptureDelayMs, previousCapture !== undefined ? previousCapture - options.maxCaptureDelayMs : 0),
        by: state.capture,
        evidence: [{ source, at: state.capture, ref }],
      })
      const ref = `${eniId} item captured ${new Date(state.capture).toISOString()}`
      for (const [key, { o, start }] of open) {
        if (!state.held.has(key)) {
          out.push({ ...o, start, end: window(ref, state.deleted ? 'config-deletion' : 'config-item') })
          open.delete(key)
        }
      }
      for (const [key, o] of state.held) {
        // The first item read, unless it records the ENI's creation, says only that the address was
        // held by then: its start lies earlier, unknown (after: 0).
        const unknownStart = previousCapture === undefined && !state.discovered
        if (!open.has(key)) open.set(key, { o, start: unknownStart ? { after: 0, by: state.capture, evidence: [{ source: 'config-item', at: state.capture, ref }] } : window(ref, 'config-item') })
      }
      previousCapture = state.capture
    }
    for (const { o, start } of open.values()) out.push({ ...o, start })
  }
  return out
}

function stateOf(
  item: ConfigurationItem,
  eniId: string,
  target: { accountId: string; region: string },
  maxCaptureDelayMs: number,
  instance?: (instanceId: string) => InstanceFacts | undefined,
): EniState {
  const capture = item.configurationItemCaptureTime!.getTime()
  const deleted = item.configurationItemStatus === 'ResourceDeleted' || item.configurationItemStatus === 'ResourceDeletedNotRecorded'
  // `ResourceDiscovered` is also what Config writes for every ENI that already exists when a recorder
  // is switched on, long after the ENI was made: only an item captured within the capture delay of
  // the ENI's creation time records its creation.
  const created = item.resourceCreationTime?.getTime()
  const discovered = item.configurationItemStatus === 'ResourceDiscovered' && created !== undefined && capture - created <= maxCaptureDelayMs
  const held = new Map<string, Observation>()
  if (deleted || !item.configuration) return { capture, deleted, discovered, held }
  let c: ConfigEni
  try {
    c = JSON.parse(item.configuration) as ConfigEni
  } catch {
    return { capture, deleted, discovered, held }
  }
  const vpc = c.vpcId ?? 'vpc-unknown'
  const record = configEniRecord(c, eniId)
  const instanceId = record.attachment?.instanceId
  const holder = holderFor(record, target, instanceId ? instance?.(instanceId) : undefined)
  const add = (o: Observation) => {
    const key = `${o.address}|${o.scope}|${o.holder.instanceId ?? ''}`
    // One fact from several places: an allocation id any of them gives is kept.
    if (!held.has(key) || o.holder.allocationId) held.set(key, o)
  }
  const addPrivate = (text: string) => {
    const ip = parseIp(text)
    const scope = scopeFor(ip, vpc)
    add({ address: ip.text, addressKind: scope === 'global' ? 'public-ipv4' : 'private-ipv4', scope, holder })
  }
  const addAssociation = (a: ConfigAssociation | null | undefined) => {
    for (const text of [a?.publicIp, a?.carrierIp, a?.customerOwnedIp]) {
      if (!text) continue
      const ip = parseIp(text)
      const scope = scopeFor(ip, vpc)
      add({ address: ip.text, addressKind: scope === 'global' ? 'public-ipv4' : 'private-ipv4', scope, holder: { ...holder, ...(a?.allocationId ? { allocationId: a.allocationId } : {}), ...(a?.associationId ? { associationId: a.associationId } : {}) } })
    }
  }
  // The same places as an EC2 snapshot's (ec2-transform.ts), in Config's lower-camel shape: the
  // interface's own primary address and association, and each private address's.
  if (c.privateIpAddress) addPrivate(c.privateIpAddress)
  addAssociation(c.association)
  for (const p of c.privateIpAddresses ?? []) {
    if (p.privateIpAddress) addPrivate(p.privateIpAddress)
    addAssociation(p.association)
  }
  if (c.ipv6Address) add({ address: normalizeIp(c.ipv6Address), addressKind: 'ipv6', scope: 'global', holder })
  for (const a of c.ipv6Addresses ?? []) if (a.ipv6Address) add({ address: normalizeIp(a.ipv6Address), addressKind: 'ipv6', scope: 'global', holder })
  for (const p of c.ipv4Prefixes ?? []) if (p.ipv4Prefix) add({ address: parseCidr(p.ipv4Prefix).text, addressKind: 'ipv4-prefix', scope: vpc, holder })
  for (const p of c.ipv6Prefixes ?? []) if (p.ipv6Prefix) add({ address: parseCidr(p.ipv6Prefix).text, addressKind: 'ipv6-prefix', scope: 'global', holder })
  return { capture, deleted, discovered, held }
}

interface ConfigAssociation {
  publicIp?: string
  carrierIp?: string
  customerOwnedIp?: string
  allocationId?: string
  associationId?: string
  ipOwnerId?: string
}

/** An ENI's configuration in a Config item: DescribeNetworkInterfaces' shape in lower camel case. */
export interface ConfigEni {
  vpcId?: string | null
  subnetId?: string | null
  description?: string | null
  interfaceType?: string | null
  requesterId?: string | null
  requesterManaged?: boolean | null
  ownerId?: string | null
  attachment?: { instanceId?: string | null; instanceOwnerId?: string | null } | null
  association?: ConfigAssociation | null
  privateIpAddress?: string | null
  privateIpAddresses?: { privateIpAddress?: string; primary?: boolean; association?: ConfigAssociation | null }[]
  ipv6Address?: string | null
  ipv6Addresses?: { ipv6Address?: string }[]
  ipv4Prefixes?: { ipv4Prefix?: string }[]
  ipv6Prefixes?: { ipv6Prefix?: string }[]
  tagSet?: { key?: string; value?: string }[]
}

/** The facts classification reads, from a Config item: the same as from DescribeNetworkInterfaces. */
export function configEniRecord(c: ConfigEni, eniId: string): EniRecord {
  const instanceId = c.attachment?.instanceId ?? undefined
  const instanceOwnerId = c.attachment?.instanceOwnerId ?? undefined
  // Config writes null where EC2 leaves a field out.
  return {
    eniId,
    interfaceType: c.interfaceType ?? undefined,
    description: c.description ?? undefined,
    requesterId: c.requesterId ?? undefined,
    requesterManaged: c.requesterManaged ?? undefined,
    ownerId: c.ownerId ?? undefined,
    attachment: instanceId || instanceOwnerId ? { instanceId, instanceOwnerId } : undefined,
    tags: tagRecord(c.tagSet),
    vpcId: c.vpcId ?? undefined,
    subnetId: c.subnetId ?? undefined,
  }
}
