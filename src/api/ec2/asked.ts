// What an /ec2/ request asks about, for the audit log: the ids and addresses it names, as ids
// (InstanceId.N, NetworkInterfaceId.N, PublicIp.N, AllocationId.N) or as the values of filters on ids
// and addresses, each once, in the order sent. Read from the parameters as received, so that a request
// EC2's checks refuse is still on record with what it asked. Pure.
import { filterParams, listParam, type Params } from '../../protocol/params.ts'

const ID_PARAMS = ['InstanceId', 'NetworkInterfaceId', 'PublicIp', 'AllocationId'] as const

/** Filters (of DescribeInstances, DescribeNetworkInterfaces, DescribeAddresses) whose values are ids or addresses. */
const ASKING_FILTERS = new Set([
  'instance-id',
  'network-interface-id',
  'network-interface.network-interface-id',
  'attachment.instance-id',
  'allocation-id',
  'association-id',
  'private-ip-address',
  'ip-address',
  'public-ip',
  'association.public-ip',
  'addresses.private-ip-address',
  'network-interface.addresses.private-ip-address',
])

/** The longest value written as asked: the parameters are the caller's text, and a line stays a line. */
export const ASKED_MAX_LENGTH = 100

export function askedOf(params: Params): string[] {
  const values = [...ID_PARAMS.flatMap((name) => listParam(params, name)), ...filterParams(params).flatMap((f) => (ASKING_FILTERS.has(f.name) ? f.values : []))]
  return [...new Set(values.map((v) => v.slice(0, ASKED_MAX_LENGTH)))]
}
