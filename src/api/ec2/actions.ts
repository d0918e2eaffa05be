// The four describe actions /ec2/ answers, as two pure steps around the one read: `parseEc2Request`
// checks a request as EC2 does before it reads anything (action, ids, MaxResults, filters, NextToken),
// and `answerEc2` turns the descriptions of the accounts the caller may see into EC2's response. Any
// other action is UnsupportedOperation: whohad never writes to AWS and describes nothing else.
import {
  type Address,
  DescribeAddressesResult$,
  DescribeInstanceStatusResult$,
  DescribeInstancesResult$,
  DescribeNetworkInterfacesResult$,
  type Instance,
  type InstanceStatus,
  type NetworkInterface,
  type Reservation,
} from '@aws-sdk/client-ec2'
import { AwsError } from '../../protocol/errors.ts'
import type { Params } from '../../protocol/params.ts'
import { booleanParam, filterParams, integerParam, listParam } from '../../protocol/params.ts'
import type { InstanceDescription } from '../../model/description.ts'
import { ADDRESS_FILTERS, compileFilters, type FilterTable, type TagsOf, ENI_FILTERS, INSTANCE_FILTERS, INSTANCE_STATUS_FILTERS } from './filters.ts'
import { checkMaxResults, type PageKey, pageRequest, type PageRequest, takePage } from './pagination.ts'
import { ec2ResponseXml } from './xml.ts'

export const EC2_READ_ACTIONS = ['DescribeInstances', 'DescribeNetworkInterfaces', 'DescribeAddresses', 'DescribeInstanceStatus'] as const
export type Ec2ReadAction = (typeof EC2_READ_ACTIONS)[number]

interface Paged<T> {
  readonly ids: readonly string[]
  readonly keep: (item: T) => boolean
  readonly page: PageRequest
}

export type Ec2Request =
  | ({ readonly action: 'DescribeInstances'; readonly kind: 'instance' } & Paged<Instance>)
  | ({ readonly action: 'DescribeInstanceStatus'; readonly kind: 'instance'; readonly includeAll: boolean } & Paged<Instance>)
  | ({ readonly action: 'DescribeNetworkInterfaces'; readonly kind: 'network-interface' } & Paged<NetworkInterface>)
  | {
      readonly action: 'DescribeAddresses'
      readonly kind: 'address'
      readonly publicIps: readonly string[]
      readonly allocationIds: readonly string[]
      readonly keep: (item: Address) => boolean
    }

/** One account's descriptions of the request's kind. */
export interface AccountListing {
  readonly accountId: string
  readonly items: readonly unknown[]
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/
const ENI_ID = /^eni-[0-9a-f]{8,17}$/
const ALLOCATION_ID = /^eipalloc-[0-9a-f]{8,17}$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

function isReadAction(action: string): action is Ec2ReadAction {
  return (EC2_READ_ACTIONS as readonly string[]).includes(action)
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}

function paged<T>(
  action: string,
  params: Params,
  idParam: string,
  idName: string,
  checkId: (id: string) => void,
  table: FilterTable<T>,
  tags: TagsOf<T> | undefined,
): Paged<T> {
  const ids = unique(listParam(params, idParam))
  ids.forEach(checkId)
  const maxResults = integerParam(params, 'MaxResults')
  checkMaxResults(maxResults, 5, 1000)
  if (ids.length > 0 && maxResults !== undefined) {
    throw new AwsError('InvalidParameterCombination', `The parameter ${idName} cannot be used with the parameter maxResults`)
  }
  const keep = compileFilters(filterParams(params), table, tags)
  return { ids, keep, page: pageRequest(action, params, maxResults) }
}

function checkInstanceId(id: string): void {
  if (!INSTANCE_ID.test(id)) throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`)
}

function checkEniId(id: string): void {
  if (!ENI_ID.test(id)) throw new AwsError('InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`)
}

/** Checks a request as EC2 does before reading anything; throws EC2's error for a bad one. */
/** The kind of description an action reads, without checking the rest of the request (undefined: not one /ec2/ answers). */
export function kindOfAction(action: string | undefined): Ec2Request['kind'] | undefined {
  switch (action) {
    case 'DescribeInstances':
    case 'DescribeInstanceStatus':
      return 'instance'
    case 'DescribeNetworkInterfaces':
      return 'network-interface'
    case 'DescribeAddresses':
      return 'address'
    default:
      return undefined
  }
}

export function parseEc2Request(params: Params): Ec2Request {
  const action = params.get('Action')
  if (action === undefined || !isReadAction(action)) {
    throw new AwsError(
      'UnsupportedOperation',
      action === undefined ? 'The request has no Action.' : `The action ${action} is not supported here: this endpoint only reads (${EC2_READ_ACTIONS.join(', ')}).`,
    )
  }
  if (booleanParam(params, 'DryRun')) throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412)
  switch (action) {
    case 'DescribeInstances':
      return { action, kind: 'instance', ...paged<Instance>(action, params, 'InstanceId', 'instancesSet', checkInstanceId, INSTANCE_FILTERS, (i) => i.Tags) }
    case 'DescribeInstanceStatus':
      return {
        action,
        kind: 'instance',
        includeAll: booleanParam(params, 'IncludeAllInstances') ?? false,
        ...paged<Instance>(action, params, 'InstanceId', 'instancesSet', checkInstanceId, INSTANCE_STATUS_FILTERS, undefined),
      }
    case 'DescribeNetworkInterfaces':
      return { action, kind: 'network-interface', ...paged<NetworkInterface>(action, params, 'NetworkInterfaceId', 'NetworkInterfaceIds', checkEniId, ENI_FILTERS, (e) => e.TagSet) }
    case 'DescribeAddresses': {
      const publicIps = unique(listParam(params, 'PublicIp'))
      for (const ip of publicIps) if (!IPV4.test(ip)) throw new AwsError('InvalidParameterValue', `Invalid value '${ip}' for PublicIp. It is not a valid IPv4 address.`)
      const allocationIds = unique(listParam(params, 'AllocationId'))
      for (const id of allocationIds) {
        if (!ALLOCATION_ID.test(id)) throw new AwsError('InvalidAllocationID.Malformed', `Invalid id: "${id}" (expecting "eipalloc-...")`)
      }
      return { action, kind: 'address', publicIps, allocationIds, keep: compileFilters(filterParams(params), ADDRESS_FILTERS, (a) => a.Tags) }
    }
  }
}

interface Keyed<T> {
  readonly accountId: string
  readonly item: T
}

function flatten<T>(listings: readonly AccountListing[]): Keyed<T>[] {
  return listings.flatMap((l) => l.items.map((item) => ({ accountId: l.accountId, item: item as T })))
}

function notFound(code: string, noun: string, missing: readonly string[]): AwsError {
  return missing.length === 1
    ? new AwsError(code, `The ${noun} ID '${missing[0]}' does not exist`)
    : new AwsError(code, `The ${noun} IDs '${missing.join(', ')}' do not exist`)
}

/**
 * Each listing's items by id, built once per listing: a memoised listing is the same array on every
 * call (described.ts), so a lookup by ids costs a few map reads, not a scan of the account.
 */
const indexes = new WeakMap<(item: never) => string | undefined, WeakMap<readonly unknown[], ReadonlyMap<string | undefined, unknown>>>()

function indexOf<T>(items: readonly T[], id: (item: T) => string | undefined): ReadonlyMap<string | undefined, T> {
  let byList = indexes.get(id)
  if (!byList) indexes.set(id, (byList = new WeakMap()))
  let index = byList.get(items) as ReadonlyMap<string | undefined, T> | undefined
  if (!index) byList.set(items, (index = new Map(items.map((item) => [id(item), item]))))
  return index
}

/** The items a paged request asks for: its ids (each must exist), then its filters. */
function select<T>(listings: readonly AccountListing[], request: Paged<T>, id: (item: T) => string | undefined, code: string, noun: string): Keyed<T>[] {
  if (request.ids.length === 0) return flatten<T>(listings).filter((k) => request.keep(k.item))
  const found = new Map<string, Keyed<T>>()
  // An id listed in two accounts (never, for AWS's ids) is served from the later one.
  for (const l of listings) {
    const index = indexOf(l.items as readonly T[], id)
    for (const i of request.ids) {
      const item = index.get(i)
      if (item !== undefined) found.set(i, { accountId: l.accountId, item })
    }
  }
  const missing = request.ids.filter((i) => !found.has(i))
  if (missing.length > 0) throw notFound(code, noun, missing)
  return request.ids.map((i) => found.get(i)!).filter((k) => request.keep(k.item))
}

function page<T>(chosen: readonly Keyed<T>[], id: (item: T) => string | undefined, request: PageRequest) {
  const key = (k: Keyed<T>): PageKey => ({ accountId: k.accountId, id: id(k.item) ?? '' })
  return takePage(chosen, key, request)
}

/** EC2 wraps each instance in its reservation; a source that kept none gets one per instance. */
function reservation({ accountId, item }: Keyed<InstanceDescription>): Reservation {
  return {
    ...(item.ReservationId !== undefined ? { ReservationId: item.ReservationId } : {}),
    OwnerId: item.OwnerId ?? accountId,
    ...(item.RequesterId !== undefined ? { RequesterId: item.RequesterId } : {}),
    Groups: [],
    Instances: [item],
  }
}

function instanceStatus(i: Instance): InstanceStatus {
  return {
    ...(i.InstanceId !== undefined ? { InstanceId: i.InstanceId } : {}),
    ...(i.Placement?.AvailabilityZone !== undefined ? { AvailabilityZone: i.Placement.AvailabilityZone } : {}),
    ...(i.State !== undefined ? { InstanceState: i.State } : {}),
  }
}

function withToken<T extends object>(output: T, nextToken: string | undefined): T & { NextToken?: string } {
  return nextToken === undefined ? output : { ...output, NextToken: nextToken }
}

const instanceId = (i: Instance) => i.InstanceId
const eniId = (e: NetworkInterface) => e.NetworkInterfaceId

/** EC2's response to `request`, and how many resources it holds (instances, interfaces, statuses or addresses: for the audit log). */
export function answerEc2(request: Ec2Request, listings: readonly AccountListing[], requestId: string): { readonly xml: string; readonly results: number } {
  switch (request.action) {
    case 'DescribeInstances': {
      const id = instanceId
      const p = page(select<InstanceDescription>(listings, request, id, 'InvalidInstanceID.NotFound', 'instance'), id, request.page)
      return { xml: ec2ResponseXml(request.action, requestId, DescribeInstancesResult$, withToken({ Reservations: p.items.map(reservation) }, p.nextToken)), results: p.items.length }
    }
    case 'DescribeInstanceStatus': {
      const id = instanceId
      const chosen = select(listings, request, id, 'InvalidInstanceID.NotFound', 'instance').filter((k) => request.includeAll || k.item.State?.Name === 'running')
      const p = page(chosen, id, request.page)
      return { xml: ec2ResponseXml(request.action, requestId, DescribeInstanceStatusResult$, withToken({ InstanceStatuses: p.items.map((k) => instanceStatus(k.item)) }, p.nextToken)), results: p.items.length }
    }
    case 'DescribeNetworkInterfaces': {
      const id = eniId
      const p = page(select(listings, request, id, 'InvalidNetworkInterfaceID.NotFound', 'networkInterface'), id, request.page)
      return { xml: ec2ResponseXml(request.action, requestId, DescribeNetworkInterfacesResult$, withToken({ NetworkInterfaces: p.items.map((k) => k.item) }, p.nextToken)), results: p.items.length }
    }
    case 'DescribeAddresses': {
      const all = flatten<Address>(listings).map((k) => k.item)
      for (const ip of request.publicIps) if (!all.some((a) => a.PublicIp === ip)) throw new AwsError('InvalidAddress.NotFound', `Address '${ip}' not found.`)
      for (const id of request.allocationIds) {
        if (!all.some((a) => a.AllocationId === id)) throw new AwsError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`)
      }
      const chosen = all.filter(
        (a) =>
          (request.publicIps.length === 0 || request.publicIps.includes(a.PublicIp ?? '')) &&
          (request.allocationIds.length === 0 || request.allocationIds.includes(a.AllocationId ?? '')) &&
          request.keep(a),
      )
      return { xml: ec2ResponseXml(request.action, requestId, DescribeAddressesResult$, { Addresses: chosen }), results: chosen.length }
    }
  }
}
