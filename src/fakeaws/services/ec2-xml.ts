// EC2 response bodies. Element names follow the SDK's schemas (the `xmlName` of each member), which are
// not the member names: an instance's state is <instanceState>, its public IP <ipAddress>, its public
// DNS name <dnsName>, its StateTransitionReason <reason>; lists are <…Set> of <item>. Which of the
// redundant places an item fills is its shape (ec2-variants.ts); the default is AWS's full answer.
import type { Eni, Eip, Instance } from '../entities.ts'
import { STATE_CODES } from '../config-history.ts'
import type { EniShape, InstanceShape } from '../ec2-variants.ts'
import { FULL_ENI_SHAPE, FULL_INSTANCE_SHAPE } from '../ec2-variants.ts'
import type { LedgerEntry } from '../ledger.ts'
import { el, isoTime, items, wrap } from '../../protocol/xml.ts'
import { privateDnsName, publicDnsName } from '../regions.ts'

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'

export function ec2Response(action: string, requestId: string, inner: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}">` +
    `${el('requestId', requestId)}${inner}</${action}Response>`
  )
}

function tagSet(tags: ReadonlyArray<readonly [string, string]>): string {
  return items('tagSet', tags, ([k, v]) => el('key', k) + el('value', v))
}

function groupSet(eni: Eni): string {
  return items('groupSet', [eni.subnet.vpc.securityGroupId], (id) => el('groupId', id) + el('groupName', 'default'))
}

/** NetworkInterfaceAssociation (DescribeNetworkInterfaces): carries the Elastic IP's allocation id. */
function eniAssociation(eni: Eni): string {
  const assoc = eni.publicIp
  if (!assoc) return ''
  const region = eni.target.region.name
  const eip = assoc.eip
  return wrap(
    'association',
    el('publicIp', assoc.entry.ip) +
      el('publicDnsName', publicDnsName(assoc.entry.ip, region)) +
      el('ipOwnerId', eip ? eni.target.account.id : 'amazon') +
      (eip ? el('allocationId', eip.allocationId) + el('associationId', eip.association?.id) : ''),
  )
}

/** InstanceNetworkInterfaceAssociation: no allocation id in this shape. */
function instanceEniAssociation(eni: Eni): string {
  const assoc = eni.publicIp
  if (!assoc) return ''
  return wrap(
    'association',
    el('publicIp', assoc.entry.ip) +
      el('publicDnsName', publicDnsName(assoc.entry.ip, eni.target.region.name)) +
      el('ipOwnerId', assoc.eip ? eni.target.account.id : 'amazon'),
  )
}

function attachmentXml(eni: Eni, forInstance: boolean): string {
  const a = eni.attachment
  if (!a) return ''
  return wrap(
    'attachment',
    el('attachmentId', a.id) +
      (forInstance ? '' : el('instanceId', a.instanceId) + el('instanceOwnerId', a.instanceOwnerId)) +
      el('deviceIndex', a.deviceIndex) +
      el('networkCardIndex', 0) +
      el('status', 'attached') +
      el('attachTime', isoTime(a.attachTime)) +
      el('deleteOnTermination', a.deleteOnTermination),
  )
}

function privateIpsXml(eni: Eni, association: string, shape: EniShape): string {
  const region = eni.target.region.name
  const listed = eni.privateIps.map((e, i) => [e, i] as const).filter(([, i]) => i > 0 || shape.primaryInSet)
  const onPrivate = shape.association === 'both' || shape.association === 'private'
  return items('privateIpAddressesSet', listed, ([e, i]) =>
    el('privateIpAddress', e.ip) +
      el('privateDnsName', privateDnsName(e.ip, region)) +
      el('primary', i === 0) +
      (i === 0 && onPrivate ? association : ''),
  )
}

/** The interface's own association, unless the shape puts it on the private address only (or nowhere). */
function onInterface(association: string, shape: EniShape): string {
  return shape.association === 'both' || shape.association === 'interface' ? association : ''
}

function addressSets(eni: Eni): string {
  return (
    items('ipv4PrefixSet', eni.ipv4Prefixes, (e: LedgerEntry) => el('ipv4Prefix', e.ip)) +
    items('ipv6AddressesSet', eni.ipv6, (e: LedgerEntry) => el('ipv6Address', e.ip) + el('isPrimaryIpv6', false)) +
    items('ipv6PrefixSet', eni.ipv6Prefixes, (e: LedgerEntry) => el('ipv6Prefix', e.ip))
  )
}

/** One <item> body of DescribeNetworkInterfaces' networkInterfaceSet. */
export function networkInterfaceXml(eni: Eni, shape: EniShape = FULL_ENI_SHAPE): string {
  const primary = shape.primaryTop ? eni.privateIps[0] : undefined
  const region = eni.target.region.name
  const association = eniAssociation(eni)
  return (
    el('networkInterfaceId', eni.id) +
    el('subnetId', eni.subnet.id) +
    el('vpcId', eni.subnet.vpc.id) +
    el('availabilityZone', eni.subnet.availabilityZone) +
    el('availabilityZoneId', eni.subnet.availabilityZoneId) +
    el('description', eni.description) +
    el('ownerId', eni.target.account.id) +
    el('requesterId', eni.requesterId) +
    el('requesterManaged', eni.requesterManaged) +
    el('status', eni.attachment ? 'in-use' : 'available') +
    el('macAddress', eni.macAddress) +
    el('privateIpAddress', primary?.ip) +
    el('privateDnsName', primary ? privateDnsName(primary.ip, region) : undefined) +
    el('sourceDestCheck', !eni.requesterManaged) +
    groupSet(eni) +
    attachmentXml(eni, false) +
    onInterface(association, shape) +
    tagSet(eni.tags) +
    privateIpsXml(eni, association, shape) +
    addressSets(eni) +
    el('interfaceType', eni.interfaceType)
  )
}

function instanceNetworkInterfaceXml(eni: Eni, shape: EniShape): string {
  const primary = shape.primaryTop ? eni.privateIps[0] : undefined
  const region = eni.target.region.name
  const association = instanceEniAssociation(eni)
  return (
    el('networkInterfaceId', eni.id) +
    el('subnetId', eni.subnet.id) +
    el('vpcId', eni.subnet.vpc.id) +
    el('description', eni.description) +
    el('ownerId', eni.target.account.id) +
    el('status', 'in-use') +
    el('macAddress', eni.macAddress) +
    el('privateIpAddress', primary?.ip) +
    el('privateDnsName', primary ? privateDnsName(primary.ip, region) : undefined) +
    el('sourceDestCheck', true) +
    groupSet(eni) +
    attachmentXml(eni, true) +
    onInterface(association, shape) +
    privateIpsXml(eni, association, shape) +
    addressSets(eni) +
    el('interfaceType', eni.interfaceType)
  )
}

/** How an instance and the ENI records inside it are written. */
export interface InstanceShapes {
  readonly instance: InstanceShape
  readonly eni: (eni: Eni) => EniShape
}

const FULL_INSTANCE_SHAPES: InstanceShapes = { instance: FULL_INSTANCE_SHAPE, eni: () => FULL_ENI_SHAPE }

/** One <item> of reservationSet: EC2 returns each instance in its own reservation here. */
export function reservationXml(instance: Instance, shapes: InstanceShapes = FULL_INSTANCE_SHAPES): string {
  return (
    el('reservationId', instance.reservationId) +
    el('ownerId', instance.target.account.id) +
    '<groupSet/>' +
    items('instancesSet', [instance], (i) => instanceXml(i, shapes))
  )
}

/** EC2 writes the time in GMT; other implementations write UTC (ec2-variants.ts): the same instant. */
function transitionReason(reason: string, zone: InstanceShape['transitionZone']): string {
  return zone === 'GMT' ? reason : reason.replace(/ GMT\)$/, ` ${zone})`)
}

export function instanceXml(instance: Instance, shapes: InstanceShapes = FULL_INSTANCE_SHAPES): string {
  const region = instance.target.region.name
  const live = instance.state !== 'terminated'
  const primary = live ? instance.primaryEni : undefined
  const privateIp = primary?.privateIps[0]?.ip
  const publicIp = shapes.instance.publicIp ? primary?.publicIp?.entry.ip : undefined
  const stopped = instance.state !== 'running'
  return (
    el('instanceId', instance.id) +
    el('imageId', instance.imageId) +
    wrap('instanceState', el('code', STATE_CODES[instance.state]) + el('name', instance.state)) +
    el('privateDnsName', privateIp ? privateDnsName(privateIp, region) : '') +
    el('dnsName', publicIp ? publicDnsName(publicIp, region) : '') +
    el('reason', transitionReason(instance.stateTransitionReason, shapes.instance.transitionZone)) +
    el('keyName', instance.keyName) +
    el('amiLaunchIndex', 0) +
    '<productCodes/>' +
    el('instanceType', instance.instanceType) +
    el('launchTime', isoTime(instance.launchTime)) +
    wrap('placement', el('availabilityZone', instance.subnet.availabilityZone) + el('groupName', '') + el('tenancy', 'default')) +
    wrap('monitoring', el('state', 'disabled')) +
    (live ? el('subnetId', instance.subnet.id) + el('vpcId', instance.subnet.vpc.id) : '') +
    el('privateIpAddress', privateIp) +
    el('ipAddress', publicIp) +
    el('sourceDestCheck', live ? true : undefined) +
    (live ? items('groupSet', [instance.subnet.vpc.securityGroupId], (id) => el('groupId', id) + el('groupName', 'default')) : '<groupSet/>') +
    (stopped
      ? wrap('stateReason', el('code', 'Client.UserInitiatedShutdown') + el('message', 'Client.UserInitiatedShutdown: User initiated shutdown'))
      : '') +
    el('architecture', instance.instanceType.includes('g.') ? 'arm64' : 'x86_64') +
    el('rootDeviceType', 'ebs') +
    el('rootDeviceName', '/dev/xvda') +
    '<blockDeviceMapping/>' +
    el('virtualizationType', 'hvm') +
    el('clientToken', '') +
    tagSet(instance.tags) +
    el('hypervisor', 'xen') +
    items('networkInterfaceSet', instance.enis, (eni) => instanceNetworkInterfaceXml(eni, shapes.eni(eni))) +
    el('ebsOptimized', false) +
    el('enaSupport', true) +
    el('platformDetails', 'Linux/UNIX') +
    el('usageOperation', 'RunInstances') +
    el('usageOperationUpdateTime', isoTime(instance.createdAt))
  )
}

/** `associated: false` leaves the association out (the describes have seen it, DescribeAddresses not yet). */
export function addressXml(eip: Eip, associated = true): string {
  const assoc = associated ? eip.association : undefined
  const instanceId = assoc?.eni.attachment?.instanceId
  return (
    el('publicIp', eip.publicIp) +
    el('allocationId', eip.allocationId) +
    el('domain', 'vpc') +
    (assoc
      ? el('instanceId', instanceId) +
        el('associationId', assoc.id) +
        el('networkInterfaceId', assoc.eni.id) +
        el('networkInterfaceOwnerId', assoc.eni.target.account.id) +
        el('privateIpAddress', assoc.eni.privateIps[0]?.ip)
      : '') +
    '<tagSet/>' +
    el('publicIpv4Pool', 'amazon') +
    el('networkBorderGroup', eip.target.region.name)
  )
}
