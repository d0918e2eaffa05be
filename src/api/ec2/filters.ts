// The Describe* filters /ec2/ answers, per action, over the SDK's shapes. A request's filters are
// ANDed, each filter's values ORed, values use EC2's wildcards (wildcard.ts), and a filter this endpoint
// does not know is refused as EC2 refuses an unknown one, so a client never gets an unfiltered answer
// it took for a filtered one.
import type { Address, Instance, NetworkInterface, Tag } from '@aws-sdk/client-ec2'
import { AwsError } from '../../protocol/errors.ts'
import type { Filter } from '../../protocol/params.ts'
import { wildcardMatcher } from './wildcard.ts'

type Values<T> = (item: T) => ReadonlyArray<string | undefined>
export type FilterTable<T> = Readonly<Record<string, Values<T>>>

export const INSTANCE_FILTERS: FilterTable<Instance> = {
  'instance-id': (i) => [i.InstanceId],
  'instance-state-name': (i) => [i.State?.Name],
  'instance-state-code': (i) => [i.State?.Code?.toString()],
  'instance-type': (i) => [i.InstanceType],
  'availability-zone': (i) => [i.Placement?.AvailabilityZone],
  'vpc-id': (i) => [i.VpcId],
  'subnet-id': (i) => [i.SubnetId],
  'private-ip-address': (i) => [i.PrivateIpAddress],
  'ip-address': (i) => [i.PublicIpAddress],
  'image-id': (i) => [i.ImageId],
  'network-interface.network-interface-id': (i) => (i.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId),
  'network-interface.addresses.private-ip-address': (i) => (i.NetworkInterfaces ?? []).flatMap((e) => (e.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress)),
}

export const ENI_FILTERS: FilterTable<NetworkInterface> = {
  'network-interface-id': (e) => [e.NetworkInterfaceId],
  'vpc-id': (e) => [e.VpcId],
  'subnet-id': (e) => [e.SubnetId],
  'availability-zone': (e) => [e.AvailabilityZone],
  'private-ip-address': (e) => (e.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
  'addresses.private-ip-address': (e) => (e.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
  // A public address may sit on any private address of the interface, not only the primary.
  'association.public-ip': (e) => [e.Association?.PublicIp, ...(e.PrivateIpAddresses ?? []).map((a) => a.Association?.PublicIp)],
  'attachment.instance-id': (e) => [e.Attachment?.InstanceId],
  'interface-type': (e) => [e.InterfaceType],
  status: (e) => [e.Status],
  'owner-id': (e) => [e.OwnerId],
  description: (e) => [e.Description],
}

export const ADDRESS_FILTERS: FilterTable<Address> = {
  'allocation-id': (a) => [a.AllocationId],
  'association-id': (a) => [a.AssociationId],
  'public-ip': (a) => [a.PublicIp],
  domain: (a) => [a.Domain],
  'instance-id': (a) => [a.InstanceId],
  'network-interface-id': (a) => [a.NetworkInterfaceId],
  'private-ip-address': (a) => [a.PrivateIpAddress],
}

/** DescribeInstanceStatus filters the instance's state, not its checks (whohad keeps no checks). */
export const INSTANCE_STATUS_FILTERS: FilterTable<Instance> = {
  'instance-state-name': INSTANCE_FILTERS['instance-state-name']!,
  'instance-state-code': INSTANCE_FILTERS['instance-state-code']!,
  'availability-zone': INSTANCE_FILTERS['availability-zone']!,
}

/** An item's tags: `Tags` on instances and addresses, `TagSet` on network interfaces. */
export type TagsOf<T> = (item: T) => readonly Tag[] | undefined

function tagFilter<T>(name: string, tags: TagsOf<T>): Values<T> | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4)
    return (item) => (tags(item) ?? []).filter((t) => t.Key === key).map((t) => t.Value ?? '')
  }
  if (name === 'tag-key') return (item) => (tags(item) ?? []).map((t) => t.Key)
  if (name === 'tag-value') return (item) => (tags(item) ?? []).map((t) => t.Value)
  return undefined
}

/** The predicate of a request's filters: the table's, and the tag filters where the resource has tags to filter. */
export function compileFilters<T>(filters: readonly Filter[], table: FilterTable<T>, tags: TagsOf<T> | undefined): (item: T) => boolean {
  const tests = filters.map((f) => {
    const values = table[f.name] ?? (tags ? tagFilter(f.name, tags) : undefined)
    if (!values) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`)
    if (f.values.length === 0) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' has no values`)
    const matchers = f.values.map(wildcardMatcher)
    return (item: T) => values(item).some((v) => v !== undefined && matchers.some((m) => m(v)))
  })
  return (item) => tests.every((test) => test(item))
}
