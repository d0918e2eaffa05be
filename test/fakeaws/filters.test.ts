// Every EC2 filter name the fake accepts: filtering by a sample item's own value returns that item,
// and every returned item has that value.
import { DescribeAddressesCommand, DescribeInstancesCommand, DescribeNetworkInterfacesCommand, DescribeRegionsCommand } from '@aws-sdk/client-ec2'
import type { Address, Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import t from 'tap'
import type { Test } from 'tap'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { ec2For } from './fixtures/sdk.ts'

type Values<T> = (item: T) => Array<string | undefined>

const ENI: Record<string, Values<NetworkInterface>> = {
  'network-interface-id': (e) => [e.NetworkInterfaceId],
  'vpc-id': (e) => [e.VpcId],
  'subnet-id': (e) => [e.SubnetId],
  'availability-zone': (e) => [e.AvailabilityZone],
  'attachment.instance-id': (e) => [e.Attachment?.InstanceId],
  'attachment.instance-owner-id': (e) => [e.Attachment?.InstanceOwnerId],
  'attachment.attachment-id': (e) => [e.Attachment?.AttachmentId],
  'attachment.device-index': (e) => [e.Attachment?.DeviceIndex?.toString()],
  'attachment.status': (e) => [e.Attachment?.Status],
  'addresses.private-ip-address': (e) => (e.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress),
  'private-ip-address': (e) => (e.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress),
  'association.public-ip': (e) => [e.Association?.PublicIp],
  'association.allocation-id': (e) => [e.Association?.AllocationId],
  'association.association-id': (e) => [e.Association?.AssociationId],
  'association.ip-owner-id': (e) => [e.Association?.IpOwnerId],
  'interface-type': (e) => [e.InterfaceType],
  'requester-managed': (e) => [String(e.RequesterManaged)],
  'requester-id': (e) => [e.RequesterId],
  status: (e) => [e.Status],
  'owner-id': (e) => [e.OwnerId],
  description: (e) => [e.Description],
  'group-id': (e) => (e.Groups ?? []).map((g) => g.GroupId),
  'group-name': (e) => (e.Groups ?? []).map((g) => g.GroupName),
  'mac-address': (e) => [e.MacAddress],
  'source-dest-check': (e) => [String(e.SourceDestCheck)],
  'ipv6-addresses.ipv6-address': (e) => (e.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
  'tag:node.k8s.amazonaws.com/instance_id': (e) => (e.TagSet ?? []).filter((x) => x.Key === 'node.k8s.amazonaws.com/instance_id').map((x) => x.Value),
}

const INSTANCE: Record<string, Values<Instance>> = {
  'instance-id': (i) => [i.InstanceId],
  'instance-state-name': (i) => [i.State?.Name],
  'instance-state-code': (i) => [i.State?.Code?.toString()],
  'instance-type': (i) => [i.InstanceType],
  'image-id': (i) => [i.ImageId],
  'key-name': (i) => [i.KeyName],
  'availability-zone': (i) => [i.Placement?.AvailabilityZone],
  'vpc-id': (i) => [i.VpcId],
  'subnet-id': (i) => [i.SubnetId],
  'private-ip-address': (i) => [i.PrivateIpAddress],
  'ip-address': (i) => [i.PublicIpAddress],
  'network-interface.network-interface-id': (i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId),
  'network-interface.addresses.private-ip-address': (i) => (i.NetworkInterfaces ?? []).flatMap((n) => (n.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress)),
  'network-interface.addresses.association.public-ip': (i) => (i.NetworkInterfaces ?? []).map((n) => n.Association?.PublicIp),
  'network-interface.vpc-id': (i) => (i.NetworkInterfaces ?? []).map((n) => n.VpcId),
  'network-interface.subnet-id': (i) => (i.NetworkInterfaces ?? []).map((n) => n.SubnetId),
  'tag:Name': (i) => (i.Tags ?? []).filter((x) => x.Key === 'Name').map((x) => x.Value),
  'tag-key': (i) => (i.Tags ?? []).map((x) => x.Key),
}

const ADDRESS: Record<string, Values<Address>> = {
  'allocation-id': (a) => [a.AllocationId],
  'association-id': (a) => [a.AssociationId],
  domain: (a) => [a.Domain],
  'instance-id': (a) => [a.InstanceId],
  'network-interface-id': (a) => [a.NetworkInterfaceId],
  'network-interface-owner-id': (a) => [a.NetworkInterfaceOwnerId],
  'private-ip-address': (a) => [a.PrivateIpAddress],
  'public-ip': (a) => [a.PublicIp],
  'network-border-group': (a) => [a.NetworkBorderGroup],
  'public-ipv4-pool': (a) => [a.PublicIpv4Pool],
}

async function checkAll<T>(t: Test, name: string, items: T[], table: Record<string, Values<T>>, id: (x: T) => string | undefined, query: (filter: string, value: string) => Promise<T[]>): Promise<void> {
  for (const [filter, values] of Object.entries(table)) {
    const sample = items.find((x) => values(x).some((v) => v !== undefined))
    if (!sample) {
      t.fail(`${name}: no item has a value for ${filter}`)
      continue
    }
    const value = values(sample).find((v) => v !== undefined) as string
    const got = await query(filter, value)
    t.ok(got.some((x) => id(x) === id(sample)), `${name} ${filter}=${value} finds its sample`)
    t.ok(got.every((x) => values(x).includes(value)), `${name} ${filter}=${value} returns only matches`)
  }
}

t.test('every filter name filters by its field', async (t) => {
  const fake = await startFakeAws({ seed: 13, accounts: 2, regions: 1, enisPerRegion: 150, churn: 0, throttling: 'off' })
  t.teardown(() => fake.close())
  const ec2 = ec2For(fake, fake.accountIds[1] as string, 'us-east-1')
  const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? []
  await checkAll(t, 'ENI', enis, ENI, (e) => e.NetworkInterfaceId, async (Name, v) => (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name, Values: [v] }] }))).NetworkInterfaces ?? [])
  const instances = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? [])
  await checkAll(t, 'instance', instances, INSTANCE, (i) => i.InstanceId, async (Name, v) =>
    ((await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name, Values: [v] }] }))).Reservations ?? []).flatMap((r) => r.Instances ?? []),
  )
  const owner = fake.world.target(fake.accountIds[1] as string, 'us-east-1')
  t.ok(owner)
  const addresses = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []
  await checkAll(t, 'address', addresses, ADDRESS, (a) => a.AllocationId, async (Name, v) => (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name, Values: [v] }] }))).Addresses ?? [])
  const reservationId = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])[0]?.ReservationId as string
  const byReservation = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'reservation-id', Values: [reservationId] }, { Name: 'owner-id', Values: [fake.accountIds[1] as string] }] }))
  t.equal(byReservation.Reservations?.[0]?.ReservationId, reservationId)
  const endpoint = await ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: 'endpoint', Values: ['ec2.us-east-1.*'] }, { Name: 'region-name', Values: ['us-*'] }] }))
  t.same(endpoint.Regions?.map((r) => r.RegionName), ['us-east-1'])
})
