// EC2 (query protocol): DescribeNetworkInterfaces, DescribeInstances, DescribeAddresses, DescribeRegions.
// Lists are served from the target's creation-ordered indexes, so a page costs O(log n + page).
// Filters match the world as it is; the variants (ec2-variants.ts) only decide which places an answer fills.
import type { Eni, Eip, Instance, Target } from '../entities.ts'
import { checkMaxResults, queryHash, takePage } from '../../protocol/pagination.ts'
import { AwsError } from '../../protocol/errors.ts'
import type { Params } from '../../protocol/params.ts'
import { booleanParam, filterParams, integerParam, listParam } from '../../protocol/params.ts'
import { el, items } from '../../protocol/xml.ts'
import { isKnownRegion, isOptInRegion, OPT_IN_REGIONS, STANDARD_REGIONS } from '../regions.ts'
import type { Call } from './call.ts'
import { beginPage, callerTarget } from './call.ts'
import { addressXml, ec2Response, networkInterfaceXml, reservationXml } from './ec2-xml.ts'
import type { FilterTable } from './filters.ts'
import { compileFilters } from './filters.ts'

export const EC2_ACTIONS = ['DescribeNetworkInterfaces', 'DescribeInstances', 'DescribeAddresses', 'DescribeRegions'] as const

/** Whether a request counts against EC2's smaller "unfiltered and unpaginated" bucket. */
export function isUnfilteredDescribe(action: string, params: Params): boolean {
  if (action !== 'DescribeNetworkInterfaces' && action !== 'DescribeInstances') return false
  for (const k of params.keys()) {
    if (k === 'MaxResults' || k.startsWith('Filter.') || k.startsWith('NetworkInterfaceId.') || k.startsWith('InstanceId.')) return false
  }
  return true
}

const AWS_ACTION_VERBS =
  /^(Describe|Create|Delete|Modify|Run|Start|Stop|Terminate|Associate|Disassociate|Allocate|Release|Assign|Unassign|Attach|Detach|Get|Import|Export|Copy|Register|Deregister|Reboot|Replace|Reset|Enable|Disable|Accept|Reject|Cancel|Purchase|Request|Monitor|Unmonitor|Authorize|Revoke|Search|Provision|Advertise|Withdraw|Apply|Move|Restore|Confirm|Update|Send|List)[A-Z]\w*$/

export function handleEc2(call: Call, params: Params): string {
  if (booleanParam(params, 'DryRun')) {
    throw new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412)
  }
  if (call.action === 'DescribeRegions') return describeRegions(call, params)
  const target = callerTarget(call)
  switch (call.action) {
    case 'DescribeNetworkInterfaces':
      return describeNetworkInterfaces(call, params, target)
    case 'DescribeInstances':
      return describeInstances(call, params, target)
    case 'DescribeAddresses':
      return describeAddresses(call, params, target)
  }
  if (AWS_ACTION_VERBS.test(call.action)) {
    throw new AwsError('UnsupportedOperation', `The operation ${call.action} is not supported by the simulated AWS organisation.`)
  }
  throw new AwsError('InvalidAction', `The action ${call.action} is not valid for this web service.`)
}

/** A region outside the world behaves like a region the account has not opted in to. */
function requireEnabled(call: Call): void {
  if (!call.fake.world.options.regions.includes(call.region)) {
    throw new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
  }
}

function invalidToken(message: string): AwsError {
  return new AwsError('InvalidNextToken', message)
}

const ENI_FILTERS: FilterTable<Eni> = {
  'network-interface-id': (e) => [e.id],
  'vpc-id': (e) => [e.subnet.vpc.id],
  'subnet-id': (e) => [e.subnet.id],
  'availability-zone': (e) => [e.subnet.availabilityZone],
  'attachment.instance-id': (e) => [e.attachment?.instanceId],
  'attachment.instance-owner-id': (e) => [e.attachment?.instanceOwnerId],
  'attachment.attachment-id': (e) => [e.attachment?.id],
  'attachment.device-index': (e) => [e.attachment ? String(e.attachment.deviceIndex) : undefined],
  'attachment.status': (e) => [e.attachment ? 'attached' : undefined],
  'addresses.private-ip-address': (e) => e.privateIps.map((x) => x.ip),
  'private-ip-address': (e) => e.privateIps.map((x) => x.ip),
  'association.public-ip': (e) => [e.publicIp?.entry.ip],
  'association.allocation-id': (e) => [e.publicIp?.eip?.allocationId],
  'association.association-id': (e) => [e.publicIp?.eip?.association?.id],
  'association.ip-owner-id': (e) => [e.publicIp ? (e.publicIp.eip ? e.target.account.id : 'amazon') : undefined],
  'interface-type': (e) => [e.interfaceType],
  'requester-managed': (e) => [String(e.requesterManaged)],
  'requester-id': (e) => [e.requesterId],
  status: (e) => [e.attachment ? 'in-use' : 'available'],
  'owner-id': (e) => [e.target.account.id],
  description: (e) => [e.description],
  'group-id': (e) => [e.subnet.vpc.securityGroupId],
  'group-name': () => ['default'],
  'mac-address': (e) => [e.macAddress],
  'source-dest-check': (e) => [String(!e.requesterManaged)],
  'ipv6-addresses.ipv6-address': (e) => e.ipv6.map((x) => x.ip),
}

function describeNetworkInterfaces(call: Call, params: Params, target: Target | undefined): string {
  requireEnabled(call)
  const ids = listParam(params, 'NetworkInterfaceId')
  const maxResults = integerParam(params, 'MaxResults')
  checkMaxResults(maxResults, 5, 1000)
  if (ids.length > 0 && maxResults !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults')
  }
  const keep = compileFilters(filterParams(params), ENI_FILTERS, (e) => e.tags)
  const paging = beginPage(call, params.get('NextToken'), call.request.accountId + '/' + call.region, queryHash(params, ['NextToken', 'MaxResults', 'Action', 'Version']), invalidToken)
  let source: Iterable<Eni>
  if (ids.length > 0) {
    const found = ids.map((id) => {
      if (!/^eni-[0-9a-f]{8,17}$/.test(id)) throw new AwsError('InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`)
      const eni = target?.eniById.get(id)
      if (!eni || eni.deletedAt !== undefined) throw new AwsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`)
      return eni
    })
    source = filterAfter(found.sort((a, b) => a.seq - b.seq), paging.after, keep)
  } else {
    source = target ? filterAfter(target.enis.after(paging.after), 0, keep) : []
  }
  const page = takePage(source, maxResults ?? (paging.page > 1 ? 1000 : Number.POSITIVE_INFINITY))
  const last = page.items[page.items.length - 1]
  const variants = call.fake.world.ec2Variants
  return ec2Response(
    call.action,
    call.requestId,
    items('networkInterfaceSet', page.items, (eni) => networkInterfaceXml(eni, variants.eniShape(eni, call.action, call.now))) + (page.more && last ? `<nextToken>${paging.next(last.seq)}</nextToken>` : ''),
  )
}

const INSTANCE_FILTERS: FilterTable<Instance> = {
  'instance-id': (i) => [i.id],
  'instance-state-name': (i) => [i.state],
  'instance-state-code': (i) => [String({ running: 16, stopped: 80, terminated: 48 }[i.state])],
  'instance-type': (i) => [i.instanceType],
  'image-id': (i) => [i.imageId],
  'key-name': (i) => [i.keyName],
  'reservation-id': (i) => [i.reservationId],
  'owner-id': (i) => [i.target.account.id],
  'availability-zone': (i) => [i.subnet.availabilityZone],
  'vpc-id': (i) => (i.state === 'terminated' ? [] : [i.subnet.vpc.id]),
  'subnet-id': (i) => (i.state === 'terminated' ? [] : [i.subnet.id]),
  'private-ip-address': (i) => [i.enis[0]?.privateIps[0]?.ip],
  'ip-address': (i) => [i.enis[0]?.publicIp?.entry.ip],
  'network-interface.network-interface-id': (i) => i.enis.map((e) => e.id),
  'network-interface.addresses.private-ip-address': (i) => i.enis.flatMap((e) => e.privateIps.map((x) => x.ip)),
  'network-interface.addresses.association.public-ip': (i) => i.enis.map((e) => e.publicIp?.entry.ip),
  'network-interface.vpc-id': (i) => i.enis.map((e) => e.subnet.vpc.id),
  'network-interface.subnet-id': (i) => i.enis.map((e) => e.subnet.id),
}

function describeInstances(call: Call, params: Params, target: Target | undefined): string {
  requireEnabled(call)
  const ids = listParam(params, 'InstanceId')
  const maxResults = integerParam(params, 'MaxResults')
  checkMaxResults(maxResults, 5, 1000)
  if (ids.length > 0 && maxResults !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults')
  }
  const keep = compileFilters(filterParams(params), INSTANCE_FILTERS, (i) => i.tags)
  const paging = beginPage(call, params.get('NextToken'), call.request.accountId + '/' + call.region, queryHash(params, ['NextToken', 'MaxResults', 'Action', 'Version']), invalidToken)
  let source: Iterable<Instance>
  if (ids.length > 0) {
    const missing: string[] = []
    const found: Instance[] = []
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`)
      const instance = target?.instanceById.get(id)
      if (!instance || instance.vanished) missing.push(id)
      else found.push(instance)
    }
    if (missing.length === 1) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`)
    if (missing.length > 1) throw new AwsError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`)
    source = filterAfter(found.sort((a, b) => a.seq - b.seq), paging.after, keep)
  } else {
    source = target ? filterAfter(target.instances.after(paging.after), 0, keep) : []
  }
  const page = takePage(source, maxResults ?? (paging.page > 1 ? 1000 : Number.POSITIVE_INFINITY))
  const last = page.items[page.items.length - 1]
  const variants = call.fake.world.ec2Variants
  const shapes = (instance: Instance) => ({
    instance: variants.instanceShape(instance, call.now),
    eni: (eni: Eni) => variants.eniShape(eni, call.action, call.now),
  })
  return ec2Response(
    call.action,
    call.requestId,
    items('reservationSet', page.items, (instance) => reservationXml(instance, shapes(instance))) + (page.more && last ? `<nextToken>${paging.next(last.seq)}</nextToken>` : ''),
  )
}

const ADDRESS_FILTERS: FilterTable<Eip> = {
  'allocation-id': (a) => [a.allocationId],
  'association-id': (a) => [a.association?.id],
  domain: () => ['vpc'],
  'instance-id': (a) => [a.association?.eni.attachment?.instanceId],
  'network-interface-id': (a) => [a.association?.eni.id],
  'network-interface-owner-id': (a) => [a.association ? a.target.account.id : undefined],
  'private-ip-address': (a) => [a.association?.eni.privateIps[0]?.ip],
  'public-ip': (a) => [a.publicIp],
  'network-border-group': (a) => [a.target.region.name],
  'public-ipv4-pool': () => ['amazon'],
}

function describeAddresses(call: Call, params: Params, target: Target | undefined): string {
  requireEnabled(call)
  const keep = compileFilters(filterParams(params), ADDRESS_FILTERS, () => [])
  const all = target ? [...target.eips.values()] : []
  const publicIps = listParam(params, 'PublicIp')
  const allocationIds = listParam(params, 'AllocationId')
  for (const ip of publicIps) {
    if (!all.some((a) => a.publicIp === ip)) throw new AwsError('InvalidAddress.NotFound', `Address '${ip}' not found.`)
  }
  for (const id of allocationIds) {
    if (!all.some((a) => a.allocationId === id)) throw new AwsError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`)
  }
  const selected = all.filter(
    (a) =>
      (publicIps.length === 0 || publicIps.includes(a.publicIp)) &&
      (allocationIds.length === 0 || allocationIds.includes(a.allocationId)) &&
      keep(a),
  )
  const variants = call.fake.world.ec2Variants
  return ec2Response(call.action, call.requestId, items('addressesSet', selected, (eip) => addressXml(eip, variants.addressAssociated(eip, call.now))))
}

interface RegionRow {
  readonly name: string
  readonly optInStatus: 'opt-in-not-required' | 'opted-in' | 'not-opted-in'
}

const REGION_FILTERS: FilterTable<RegionRow> = {
  'region-name': (r) => [r.name],
  endpoint: (r) => [`ec2.${r.name}.amazonaws.com`],
  'opt-in-status': (r) => [r.optInStatus],
}

/**
 * The world's regions are the enabled ones; every other region in the catalogue reports not-opted-in
 * (and answers AuthFailure), so a collector that enumerates regions polls exactly the world.
 */
function describeRegions(call: Call, params: Params): string {
  const enabled = call.fake.world.options.regions
  const all = booleanParam(params, 'AllRegions') ?? false
  const rows: RegionRow[] = [...STANDARD_REGIONS, ...OPT_IN_REGIONS]
    .map((name): RegionRow => ({
      name,
      optInStatus: enabled.includes(name) ? (isOptInRegion(name) ? 'opted-in' : 'opt-in-not-required') : 'not-opted-in',
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
  const names = listParam(params, 'RegionName')
  for (const n of names) {
    if (!isKnownRegion(n)) throw new AwsError('InvalidParameterValue', `Invalid region: ${n}`)
  }
  const keep = compileFilters(filterParams(params), REGION_FILTERS)
  const selected = rows.filter(
    (r) => (names.length > 0 ? names.includes(r.name) : all || r.optInStatus !== 'not-opted-in') && keep(r),
  )
  return ec2Response(
    call.action,
    call.requestId,
    items('regionInfo', selected, (r) => el('regionName', r.name) + el('regionEndpoint', `ec2.${r.name}.amazonaws.com`) + el('optInStatus', r.optInStatus)),
  )
}

function* filterAfter<T extends { readonly seq: number }>(source: Iterable<T>, after: number, keep: (item: T) => boolean): Generator<T> {
  for (const item of source) if (item.seq > after && keep(item)) yield item
}
