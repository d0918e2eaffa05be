// Every action the fake serves, driven through the real AWS SDK v3 clients, asserting parsed fields.
import {
  ConfigServiceClient,
  GetResourceConfigHistoryCommand,
  ListDiscoveredResourcesCommand,
  paginateGetResourceConfigHistory,
  paginateListDiscoveredResources,
} from '@aws-sdk/client-config-service'
import type { ConfigurationItem } from '@aws-sdk/client-config-service'
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2'
import type { Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations'
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import t from 'tap'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { stopInstance, terminateInstance } from '../../src/fakeaws/fleet.ts'
import { ec2For } from './fixtures/sdk.ts'

const MINUTE = 60_000

async function allEnis(client: EC2Client, input = {}): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = []
  for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize: 50 }, input)) out.push(...(page.NetworkInterfaces ?? []))
  return out
}

async function allInstances(client: EC2Client, input = {}): Promise<Instance[]> {
  const out: Instance[] = []
  for await (const page of paginateDescribeInstances({ client, pageSize: 20 }, input)) {
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []))
  }
  return out
}

t.test('STS', async (t) => {
  const fake = await startFakeAws({ seed: 1, accounts: 4, suspendedAccounts: 1, regions: 1, enisPerRegion: 10, externalId: 'ext-123', throttling: 'off' })
  t.teardown(() => fake.close())
  const sts = new STSClient(fake.clientConfig({ maxAttempts: 1 }))
  const [, member = '', second = '', suspended = ''] = fake.accountIds

  const me = await sts.send(new GetCallerIdentityCommand({}))
  t.equal(me.Account, fake.managementAccountId)
  t.match(me.Arn, /^arn:aws:iam::\d{12}:user\//)

  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'whohad', ExternalId: 'ext-123', DurationSeconds: 900 }))
  t.type(assumed.Credentials?.Expiration, Date)
  t.equal(assumed.Credentials?.Expiration?.getTime(), fake.clock.now() + 900_000, 'expiry is on the virtual clock')
  t.match(assumed.Credentials?.AccessKeyId, /^ASIA[A-Z2-7]{16}$/)
  t.equal(assumed.AssumedRoleUser?.Arn, `arn:aws:sts::${member}:assumed-role/${fake.roleName}/whohad`)
  const creds = {
    accessKeyId: assumed.Credentials?.AccessKeyId as string,
    secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
    sessionToken: assumed.Credentials?.SessionToken as string,
  }
  const asMember = new STSClient(fake.clientConfig({ credentials: creds, maxAttempts: 1 }))
  t.equal((await asMember.send(new GetCallerIdentityCommand({}))).Account, member, 'issued credentials carry the account')

  const deny = { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 's' + 'x' })), deny, 'missing ExternalId')
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'sx', ExternalId: 'wrong' })), deny, 'wrong ExternalId')
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/other`, RoleSessionName: 'sx', ExternalId: 'ext-123' })), deny, 'no such role')
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(suspended), RoleSessionName: 'sx', ExternalId: 'ext-123' })), deny, 'suspended account')
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'sx', ExternalId: 'ext-123', DurationSeconds: 7200 })), { name: 'ValidationError' })
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'sx', ExternalId: 'ext-123', DurationSeconds: 60 })), { name: 'ValidationError' })
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::1:role/x', RoleSessionName: 'sx' })), { name: 'ValidationError' })
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'bad name!' })), { name: 'ValidationError' })

  fake.roles.setExternalId(second, undefined)
  await sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(second), RoleSessionName: 'sx' })).then(() => t.pass('per-account override: no ExternalId needed'))

  const rule = fake.faults.denyAssumeRole(member)
  await t.rejects(sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'sx', ExternalId: 'ext-123' })), deny, 'fault-injected denial')
  fake.faults.remove(rule)
  await sts.send(new AssumeRoleCommand({ RoleArn: fake.roleArn(member), RoleSessionName: 'sx', ExternalId: 'ext-123' }))

  const ec2 = new EC2Client(fake.clientConfig({ credentials: creds, maxAttempts: 1 }))
  await ec2.send(new DescribeRegionsCommand({}))
  fake.clock.advance(15 * MINUTE)
  await t.rejects(ec2.send(new DescribeRegionsCommand({})), { name: 'ExpiredToken' }, 'expired on the virtual clock')
  const cfg = new ConfigServiceClient(fake.clientConfig({ credentials: creds, maxAttempts: 1 }))
  await t.rejects(cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance' })), { name: 'ExpiredTokenException' })

  const stranger = { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }
  await t.rejects(new EC2Client(fake.clientConfig({ credentials: stranger, maxAttempts: 1 })).send(new DescribeRegionsCommand({})), { name: 'AuthFailure', $metadata: { httpStatusCode: 401 } })
  await t.rejects(new STSClient(fake.clientConfig({ credentials: stranger, maxAttempts: 1 })).send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' })
  await t.rejects(new OrganizationsClient(fake.clientConfig({ credentials: stranger, maxAttempts: 1 })).send(new ListAccountsCommand({})), { name: 'UnrecognizedClientException' })
  const wrongToken = { ...fake.clientConfig({ accountId: member }).credentials, sessionToken: 'nope' }
  await t.rejects(new EC2Client(fake.clientConfig({ credentials: wrongToken, maxAttempts: 1 })).send(new DescribeRegionsCommand({})), { name: 'AuthFailure' })
})

t.test('Organizations ListAccounts', async (t) => {
  const fake = await startFakeAws({ seed: 2, accounts: 7, suspendedAccounts: 1, pendingClosureAccounts: 1, regions: 1, enisPerRegion: 0, throttling: 'off' })
  t.teardown(() => fake.close())
  const org = new OrganizationsClient(fake.clientConfig({ region: 'us-east-1', maxAttempts: 1 }))
  const accounts = []
  let pages = 0
  for await (const page of paginateListAccounts({ client: org, pageSize: 3 }, {})) {
    pages++
    accounts.push(...(page.Accounts ?? []))
  }
  t.equal(pages, 3)
  t.same(accounts.map((a) => a.Id), fake.accountIds)
  t.same(accounts.map((a) => a.State), ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'PENDING_CLOSURE', 'SUSPENDED'])
  t.same(accounts.map((a) => a.Status), accounts.map((a) => a.State), 'the retiring Status is still sent')
  t.type(accounts[0]?.JoinedTimestamp, Date)
  t.equal(accounts[0]?.Arn, `arn:aws:organizations::${fake.managementAccountId}:account/${fake.organizationId}/${fake.managementAccountId}`)
  t.match(accounts[1]?.Email, /@example\.com$/)

  await t.rejects(org.send(new ListAccountsCommand({ MaxResults: 21 })), { name: 'InvalidInputException', Reason: 'MAX_VALUE_EXCEEDED' })
  await t.rejects(org.send(new ListAccountsCommand({ NextToken: 'garbage' })), { name: 'InvalidInputException', Reason: 'INVALID_NEXT_TOKEN' })
  const member = new OrganizationsClient(fake.clientConfig({ region: 'us-east-1', accountId: fake.accountIds[1] as string, maxAttempts: 1 }))
  await t.rejects(member.send(new ListAccountsCommand({})), { name: 'AccessDeniedException' }, 'only the management account may list')
})

t.test('EC2 DescribeNetworkInterfaces', async (t) => {
  const fake = await startFakeAws({ seed: 3, accounts: 2, regions: 1, enisPerRegion: 120, throttling: 'off' })
  t.teardown(() => fake.close())
  const member = fake.accountIds[1] as string
  const ec2 = ec2For(fake, member, 'us-east-1')
  const enis = await allEnis(ec2)
  const target = fake.world.target(member, 'us-east-1')
  t.equal(enis.length, target?.liveEniCount, 'the paginator sees every ENI once')
  t.equal(new Set(enis.map((e) => e.NetworkInterfaceId)).size, enis.length)
  const unpaged = await ec2.send(new DescribeNetworkInterfacesCommand({}))
  t.equal(unpaged.NetworkInterfaces?.length, enis.length, 'no MaxResults: everything in one answer')
  t.equal(unpaged.NextToken, undefined)

  const byType = (type: string): NetworkInterface[] => enis.filter((e) => e.InterfaceType === type)
  const nat = byType('nat_gateway')[0]
  t.ok(nat, 'NAT gateway ENIs say nat_gateway on the wire')
  t.equal(nat?.RequesterManaged, true)
  t.match(nat?.Description, /^Interface for NAT Gateway nat-[0-9a-f]{17}$/)
  t.match(nat?.Association?.AllocationId, /^eipalloc-[0-9a-f]{17}$/, 'an Elastic IP: association carries the allocation id')
  t.equal(nat?.Association?.IpOwnerId, member)
  t.equal(nat?.PrivateIpAddresses?.[0]?.Association?.PublicIp, nat?.Association?.PublicIp)
  const alb = enis.find((e) => /^ELB app\//.test(e.Description ?? ''))
  t.match(alb?.Description, /^ELB app\/[\w-]+\/[0-9a-f]{16}$/)
  t.equal(alb?.InterfaceType, 'interface', 'ALB ENIs are plain interfaces')
  t.equal(alb?.RequesterId, 'amazon-elb')
  t.equal(alb?.Attachment?.InstanceOwnerId, 'amazon-elb')
  t.ok(byType('network_load_balancer').length > 0, 'NLB ENIs')
  t.match(byType('lambda')[0]?.Description, /^AWS Lambda VPC ENI-/)
  t.ok(byType('vpc_endpoint').length > 0, 'interface endpoint ENIs')
  const eks = enis.find((e) => (e.Ipv4Prefixes?.length ?? 0) > 0)
  t.match(eks?.Ipv4Prefixes?.[0]?.Ipv4Prefix, /^10\.0\.\d+\.\d+\/28$/, 'EKS-style delegated /28s')
  const v6 = enis.find((e) => (e.Ipv6Addresses?.length ?? 0) > 0)
  t.match(v6?.Ipv6Addresses?.[0]?.Ipv6Address, /^2600:1f10:/)

  const primary = enis.find((e) => e.Attachment?.DeviceIndex === 0 && e.Association?.PublicIp && !e.Association.AllocationId)
  t.ok(primary, 'an instance ENI with an auto-assigned public IP')
  t.type(primary?.Attachment?.AttachTime, Date)
  t.match(primary?.Attachment?.InstanceId, /^i-[0-9a-f]{17}$/)
  t.equal(primary?.Association?.IpOwnerId, 'amazon')
  t.equal(primary?.PrivateIpAddresses?.[0]?.Primary, true)
  t.equal(primary?.PrivateIpAddress, primary?.PrivateIpAddresses?.[0]?.PrivateIpAddress)

  // Filters, alone and combined, with wildcards.
  const vpcId = primary?.VpcId as string
  const inVpc = await allEnis(ec2, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })
  t.same(new Set(inVpc.map((e) => e.NetworkInterfaceId)), new Set(enis.filter((e) => e.VpcId === vpcId).map((e) => e.NetworkInterfaceId)))
  const instanceId = primary?.Attachment?.InstanceId as string
  t.same((await allEnis(ec2, { Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] })).map((e) => e.Attachment?.InstanceId), enis.filter((e) => e.Attachment?.InstanceId === instanceId).map(() => instanceId))
  const privateIp = primary?.PrivateIpAddress as string
  const byPrivate = await allEnis(ec2, { Filters: [{ Name: 'addresses.private-ip-address', Values: [privateIp] }] })
  t.ok(byPrivate.every((e) => e.PrivateIpAddresses?.some((p) => p.PrivateIpAddress === privateIp)))
  t.ok(byPrivate.some((e) => e.NetworkInterfaceId === primary?.NetworkInterfaceId))
  const byPublic = await allEnis(ec2, { Filters: [{ Name: 'association.public-ip', Values: [primary?.Association?.PublicIp as string] }] })
  t.same(byPublic.map((e) => e.NetworkInterfaceId), [primary?.NetworkInterfaceId])
  const wild = await allEnis(ec2, { Filters: [{ Name: 'interface-type', Values: ['nat_*', 'lamb?a'] }, { Name: 'requester-managed', Values: ['true'] }] })
  t.same(new Set(wild.map((e) => e.InterfaceType)), new Set(['nat_gateway', 'lambda']))
  const byId = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [nat?.NetworkInterfaceId as string, alb?.NetworkInterfaceId as string] }))
  t.same(new Set(byId.NetworkInterfaces?.map((e) => e.NetworkInterfaceId)), new Set([nat?.NetworkInterfaceId, alb?.NetworkInterfaceId]))
  const eksTagged = await allEnis(ec2, { Filters: [{ Name: 'tag-key', Values: ['node.k8s.amazonaws.com/instance_id'] }] })
  t.ok(eksTagged.every((e) => e.Description?.startsWith('aws-K8S-')))

  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })), { name: 'InvalidParameterValue', message: "The filter 'colour' is invalid" })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 })), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 1001 })), { name: 'InvalidParameterValue' })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NetworkInterfaceIds: [nat?.NetworkInterfaceId as string] })), { name: 'InvalidParameterCombination' })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] })), { name: 'InvalidNetworkInterfaceID.NotFound' })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['nic-1'] })), { name: 'InvalidNetworkInterfaceID.Malformed' })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ DryRun: true })), { name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: 'garbage' })), { name: 'InvalidNextToken' })
  const first = await ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5 }))
  t.equal(first.NetworkInterfaces?.length, 5)
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })), { name: 'InvalidNextToken' }, 'a token belongs to its query')
  const other = ec2For(fake, fake.managementAccountId, 'us-east-1')
  await t.rejects(other.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken })), { name: 'InvalidNextToken' }, 'and to its target')
  fake.clock.advance(25 * 60 * MINUTE)
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken })), { name: 'InvalidNextToken', message: /expired/ }, 'tokens expire (24 h)')
  await t.rejects(new EC2Client(fake.clientConfig({ accountId: member, region: 'eu-west-1', maxAttempts: 1 })).send(new DescribeNetworkInterfacesCommand({})), { name: 'AuthFailure' }, 'a region outside the world is not enabled')
  await t.rejects(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ImageId: 'ami-1' })), { name: 'UnsupportedOperation' })
})

t.test('EC2 DescribeInstances, DescribeAddresses, DescribeRegions', async (t) => {
  const fake = await startFakeAws({ seed: 4, accounts: 2, regions: ['us-east-1', 'af-south-1'], enisPerRegion: 60, churn: 0, throttling: 'off' })
  t.teardown(() => fake.close())
  const member = fake.accountIds[1] as string
  const ec2 = ec2For(fake, member, 'us-east-1')
  const target = fake.world.target(member, 'us-east-1')
  if (!target) throw new Error('no target')
  const running = target.liveInstances.filter((i) => i.state === 'running' && !i.isEksNode)
  const toStop = running.find((i) => i.autoPublicIp && !i.eip) ?? running[0]
  const toTerminate = running.find((i) => i !== toStop)
  if (!toStop || !toTerminate) throw new Error('no instances')
  fake.clock.advance(MINUTE)
  stopInstance(fake.world, toStop, fake.clock.now())
  terminateInstance(fake.world, toTerminate, fake.clock.now())

  const instances = await allInstances(ec2)
  t.equal(instances.length, [...target.instances.after(0)].length)
  const states = new Set(instances.map((i) => i.State?.Name))
  t.ok(states.has('running') && states.has('stopped') && states.has('terminated'), `states seen: ${[...states]}`)
  const stopped = instances.find((i) => i.InstanceId === toStop.id)
  t.equal(stopped?.State?.Code, 80)
  t.match(stopped?.StateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/)
  t.equal(stopped?.StateReason?.Code, 'Client.UserInitiatedShutdown')
  t.equal(stopped?.PublicIpAddress, undefined, 'no auto-assigned public IP while stopped')
  const terminated = instances.find((i) => i.InstanceId === toTerminate.id)
  t.equal(terminated?.State?.Name, 'terminated')
  t.same(terminated?.NetworkInterfaces, [])
  const live = instances.find((i) => i.State?.Name === 'running' && i.PublicIpAddress)
  t.type(live?.LaunchTime, Date)
  t.match(live?.PublicDnsName, /^ec2-\d+-\d+-\d+-\d+\.compute-1\.amazonaws\.com$/)
  t.equal(live?.NetworkInterfaces?.[0]?.Association?.PublicIp, live?.PublicIpAddress)
  t.equal(live?.NetworkInterfaces?.[0]?.PrivateIpAddress, live?.PrivateIpAddress)
  t.type(live?.NetworkInterfaces?.[0]?.Attachment?.AttachTime, Date)
  t.equal(live?.Placement?.AvailabilityZone?.startsWith('us-east-1'), true)

  const onlyStopped = await allInstances(ec2, { Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] })
  t.ok(onlyStopped.length > 0 && onlyStopped.every((i) => i.State?.Name === 'stopped'))
  const one = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [toStop.id] }))
  t.equal(one.Reservations?.[0]?.Instances?.[0]?.InstanceId, toStop.id)
  t.match(one.Reservations?.[0]?.ReservationId, /^r-[0-9a-f]{17}$/)
  t.same((await allInstances(ec2, { Filters: [{ Name: 'instance-id', Values: [toStop.id] }] })).map((i) => i.InstanceId), [toStop.id])
  await t.rejects(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), { name: 'InvalidInstanceID.NotFound' })
  await t.rejects(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0', 'i-0123456789abcdef1'] })), { name: 'InvalidInstanceID.NotFound', message: /IDs/ })
  await t.rejects(ec2.send(new DescribeInstancesCommand({ InstanceIds: [toStop.id], MaxResults: 5 })), { name: 'InvalidParameterCombination' })
  fake.clock.advance(61 * MINUTE)
  t.notOk((await allInstances(ec2)).some((i) => i.InstanceId === toTerminate.id), 'terminated instances vanish after an hour')

  const addresses = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []
  t.equal(addresses.length, target.eips.size)
  const associated = addresses.find((a) => a.AssociationId)
  t.match(associated?.AllocationId, /^eipalloc-/)
  t.equal(associated?.Domain, 'vpc')
  t.match(associated?.NetworkInterfaceId, /^eni-/)
  const viaFilter = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'public-ip', Values: [associated?.PublicIp as string] }, { Name: 'domain', Values: ['vpc'] }] }))
  t.same(viaFilter.Addresses?.map((a) => a.AllocationId), [associated?.AllocationId])
  t.equal((await ec2.send(new DescribeAddressesCommand({ PublicIps: [associated?.PublicIp as string] }))).Addresses?.length, 1)
  t.equal((await ec2.send(new DescribeAddressesCommand({ AllocationIds: [associated?.AllocationId as string] }))).Addresses?.length, 1)
  await t.rejects(ec2.send(new DescribeAddressesCommand({ PublicIps: ['192.0.2.1'] })), { name: 'InvalidAddress.NotFound' })
  await t.rejects(ec2.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-0123456789abcdef0'] })), { name: 'InvalidAllocationID.NotFound' })
  const eniView = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [associated?.NetworkInterfaceId as string] }))
  t.equal(eniView.NetworkInterfaces?.[0]?.Association?.AllocationId, associated?.AllocationId, 'the ENI and the address agree')

  const regions = (await ec2.send(new DescribeRegionsCommand({}))).Regions ?? []
  t.same(regions.map((r) => [r.RegionName, r.OptInStatus]), [['af-south-1', 'opted-in'], ['us-east-1', 'opt-in-not-required']])
  t.equal(regions[1]?.Endpoint, 'ec2.us-east-1.amazonaws.com')
  const all = (await ec2.send(new DescribeRegionsCommand({ AllRegions: true }))).Regions ?? []
  t.ok(all.length > 20 && all.some((r) => r.OptInStatus === 'not-opted-in'))
  const notIn = (await ec2.send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }] }))).Regions ?? []
  t.notOk(notIn.some((r) => r.RegionName === 'us-east-1'))
  t.same((await ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-1'] }))).Regions?.map((r) => r.OptInStatus), ['not-opted-in'])
  await t.rejects(ec2.send(new DescribeRegionsCommand({ RegionNames: ['mars-1'] })), { name: 'InvalidParameterValue' })
  const optIn = ec2For(fake, member, 'af-south-1')
  t.ok((await allEnis(optIn)).length > 0, 'an opted-in region has a fleet too')
})

t.test('AWS Config', async (t) => {
  const fake = await startFakeAws({ seed: 5, accounts: 2, regions: 1, enisPerRegion: 30, churn: 240, throttling: 'off' })
  t.teardown(() => fake.close())
  const member = fake.accountIds[1] as string
  fake.clock.advance(3 * 60 * MINUTE)
  const cfg = new ConfigServiceClient(fake.clientConfig({ accountId: member, maxAttempts: 1 }))
  const ids: Array<{ id: string; deletedAt?: Date }> = []
  for await (const page of paginateListDiscoveredResources({ client: cfg, pageSize: 20 }, { resourceType: 'AWS::EC2::NetworkInterface', includeDeletedResources: true })) {
    for (const r of page.resourceIdentifiers ?? []) ids.push({ id: r.resourceId as string, ...(r.resourceDeletionTime ? { deletedAt: r.resourceDeletionTime } : {}) })
  }
  const target = fake.world.target(member, 'us-east-1')
  const deleted = ids.filter((r) => r.deletedAt)
  t.ok(deleted.length > 0, 'deleted ENIs listed with includeDeletedResources')
  t.type(deleted[0]?.deletedAt, Date)
  const deletedEni = target?.eniById.get(deleted[0]?.id as string)
  const truthDeletion = fake.configTruth(deleted[0]?.id as string).at(-1)
  t.equal(deleted[0]?.deletedAt?.getTime(), truthDeletion?.captureTime, 'resourceDeletionTime is when Config recorded the deletion')
  t.ok((truthDeletion?.captureTime ?? 0) >= (deletedEni?.deletedAt ?? Infinity), '…which is at or after the real deletion')
  const current = (await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::NetworkInterface', limit: 100 }))).resourceIdentifiers ?? []
  t.ok(current.every((r) => r.resourceDeletionTime === undefined), 'without includeDeletedResources no deleted ones')
  const instancesListed = (await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance', limit: 5 }))).resourceIdentifiers ?? []
  t.equal(instancesListed.length, 5)
  t.same((await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::S3::Bucket' }))).resourceIdentifiers, [], 'types not modelled: none')
  const someIds = ids.slice(0, 3).map((r) => r.id)
  t.same((await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceIds: someIds, includeDeletedResources: true }))).resourceIdentifiers?.map((r) => r.resourceId), someIds)

  // An ENI with several changes: compare every item with the ledger at its change time.
  const busy = target?.eniLog.filter((e) => e.history.length >= 3 && fake.configTruth(e.id).every((c) => c.captureTime <= fake.clock.now()))[0]
  if (!busy) throw new Error('no ENI with history')
  const items: ConfigurationItem[] = []
  for await (const page of paginateGetResourceConfigHistory({ client: cfg, pageSize: 2 }, { resourceType: 'AWS::EC2::NetworkInterface', resourceId: busy.id, chronologicalOrder: 'Forward' })) {
    items.push(...(page.configurationItems ?? []))
  }
  const truth = fake.configTruth(busy.id)
  t.equal(items.length, truth.length)
  t.equal(items[0]?.configurationItemStatus, 'ResourceDiscovered')
  for (const [i, item] of items.entries()) {
    const c = truth[i]
    t.equal(item.configurationItemCaptureTime?.getTime(), c?.captureTime, 'capture time as the truth says')
    t.ok((c?.captureTime ?? 0) >= (c?.changeTime ?? Infinity), 'capture is never before the change')
    if (item.configuration === undefined) continue
    const conf = JSON.parse(item.configuration) as { networkInterfaceId: string; vpcId: string; privateIpAddresses: Array<{ privateIpAddress: string; primary: boolean; association: { publicIp: string } | null }> }
    t.equal(conf.networkInterfaceId, busy.id)
    const heldThen = fake.ledger.forEni(busy.id).filter((e) => e.kind === 'private-ipv4' && e.start <= (c?.changeTime ?? 0) && (e.end === undefined || e.end > (c?.changeTime ?? 0)))
    t.same(conf.privateIpAddresses.map((p) => p.privateIpAddress).sort(), heldThen.map((e) => e.ip).sort(), `item ${i}: private IPs as the ledger had them at the change`)
  }
  const reverse = await cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceId: busy.id, limit: 100 }))
  t.same(reverse.configurationItems?.map((i) => i.configurationItemCaptureTime?.getTime()), [...truth].reverse().map((c) => c.captureTime), 'Reverse is the default order')
  t.equal(items[0]?.arn, `arn:aws:ec2:us-east-1:${member}:network-interface/${busy.id}`)
  t.equal(items[0]?.resourceType, 'AWS::EC2::NetworkInterface')
  t.type(items[0]?.resourceCreationTime, Date)

  const now = new Date(fake.clock.now())
  const window = await cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceId: busy.id, earlierTime: new Date(now.getTime() - 86_400_000), laterTime: now, limit: 100 }))
  t.ok((window.configurationItems?.length ?? 0) <= truth.length)

  const inst = target?.instanceLog.find((i) => i.history.length > 1) ?? target?.instanceLog[0]
  const instItems = await cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::Instance', resourceId: inst?.id as string, chronologicalOrder: 'Forward', limit: 100 }))
  const firstConf = JSON.parse(instItems.configurationItems?.[0]?.configuration ?? '{}') as { instanceId: string; state: { name: string }; launchTime: string }
  t.equal(firstConf.instanceId, inst?.id)
  t.equal(firstConf.state.name, 'running')
  t.match(firstConf.launchTime, /^\d{4}-\d\d-\d\dT/)

  const bad = { resourceType: 'AWS::EC2::NetworkInterface' as const, resourceId: busy.id }
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ ...bad, earlierTime: new Date(now.getTime() - 8 * 86_400_000), laterTime: now })), { name: 'InvalidTimeRangeException' }, 'more than seven days per call')
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ ...bad, earlierTime: now, laterTime: new Date(now.getTime() - 1000) })), { name: 'InvalidTimeRangeException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ ...bad, limit: 101 })), { name: 'InvalidLimitException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ ...bad, nextToken: 'garbage' })), { name: 'InvalidNextTokenException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::S3::Bucket', resourceId: 'b' })), { name: 'ResourceNotDiscoveredException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceId: 'eni-0000000000000000f' })), { name: 'ResourceNotDiscoveredException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'Bucket' as 'AWS::S3::Bucket', resourceId: 'b' })), { name: 'ValidationException' })
  await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ ...bad, chronologicalOrder: 'Sideways' as 'Forward' })), { name: 'ValidationException' })

  // A brand new ENI is not in Config until its first item is captured.
  const before = fake.ledger.size
  let fresh: string | undefined
  for (let i = 0; i < 300 && !fresh; i++) {
    fake.clock.advance(1000)
    for (const e of fake.ledger.entries().slice(before)) {
      const eni = fake.world.target(member, 'us-east-1')?.eniById.get(e.eniId)
      const firstItem = eni && eni.createdAt === e.start ? fake.configTruth(e.eniId)[0] : undefined
      if (firstItem && firstItem.captureTime > fake.clock.now() + 1000) fresh = e.eniId
    }
  }
  if (fresh) {
    await t.rejects(cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceId: fresh })), { name: 'ResourceNotDiscoveredException' }, 'not visible before capture')
    fake.clock.advance(121_000)
    t.equal((await cfg.send(new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::NetworkInterface', resourceId: fresh }))).configurationItems?.at(-1)?.configurationItemStatus, 'ResourceDiscovered')
  } else {
    t.fail('no fresh ENI with a pending capture found')
  }
})

t.test('throttling surfaces through the SDK as from AWS', async (t) => {
  const fake = await startFakeAws({ seed: 6, accounts: 1, regions: 1, enisPerRegion: 10, throttling: 'aws', throttleClock: 'virtual' })
  t.teardown(() => fake.close())
  const account = fake.managementAccountId
  const once = ec2For(fake, account, 'us-east-1', 1)
  // Unfiltered, unpaginated DescribeNetworkInterfaces: the 50-token bucket.
  for (let i = 0; i < 50; i++) await once.send(new DescribeNetworkInterfacesCommand({}))
  await t.rejects(once.send(new DescribeNetworkInterfacesCommand({})), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } })
  // Paginated calls draw from the other (100-token) bucket, so they still succeed.
  await once.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5 }))
  fake.clock.advance(1000)
  for (let i = 0; i < 10; i++) await once.send(new DescribeNetworkInterfacesCommand({}))
  await t.rejects(once.send(new DescribeNetworkInterfacesCommand({})), { name: 'RequestLimitExceeded' }, 'refilled 10 per second of virtual time')

  const cfg = new ConfigServiceClient(fake.clientConfig({ accountId: account, maxAttempts: 1 }))
  for (let i = 0; i < 5; i++) await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance' }))
  await t.rejects(cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance' })), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })
  fake.faults.setDefaultThrottling(false)
  await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::Instance' }))

  // A real-time bucket: with retries the SDK backs off and gets through.
  fake.faults.add({ kind: 'throttle', match: { service: 'ec2' }, capacity: 1, refillPerSecond: 4, clock: 'real' })
  const retrying = ec2For(fake, account, 'us-east-1', 6)
  const results = await Promise.all([0, 1, 2].map(() => retrying.send(new DescribeRegionsCommand({}))))
  t.ok(results.every((r) => (r.Regions?.length ?? 0) === 1))
  t.ok(results.some((r) => (r.$metadata.attempts ?? 1) > 1), 'some calls needed retries')
  const sts = new STSClient(fake.clientConfig({ maxAttempts: 1 }))
  fake.faults.add({ kind: 'throttle', match: { service: 'sts' }, capacity: 0, refillPerSecond: 0 })
  await t.rejects(sts.send(new GetCallerIdentityCommand({})), { name: 'Throttling' })
  const org = new OrganizationsClient(fake.clientConfig({ maxAttempts: 1 }))
  fake.faults.add({ kind: 'throttle', match: { service: 'organizations' }, capacity: 0, refillPerSecond: 0 })
  await t.rejects(org.send(new ListAccountsCommand({})), { name: 'TooManyRequestsException' })
})

t.test('faults: errors, latency, failures mid-pagination, expired tokens', async (t) => {
  const fake = await startFakeAws({ seed: 7, accounts: 2, regions: 2, enisPerRegion: 30, throttling: 'off' })
  t.teardown(() => fake.close())
  const member = fake.accountIds[1] as string
  const ec2 = ec2For(fake, member, 'us-east-1', 1)

  const id = fake.faults.add({ kind: 'error', match: { action: 'DescribeNetworkInterfaces', accountId: member, region: 'us-east-1' }, times: 1 })
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({})), { name: 'InternalError', $metadata: { httpStatusCode: 500 } })
  await ec2.send(new DescribeNetworkInterfacesCommand({}))
  fake.faults.add({ kind: 'error', match: { service: 'ec2' }, times: 1 })
  const retried = await ec2For(fake, member, 'us-east-1', 3).send(new DescribeRegionsCommand({}))
  t.equal(retried.$metadata.attempts, 2, 'the SDK retries a 500 like AWS’s')
  t.equal(fake.faults.list().find((f) => f.id === id)?.fired, 1)
  fake.faults.clear()

  fake.faults.add({ kind: 'error', match: { region: 'eu-west-1' }, code: 'Unavailable', status: 503, rate: 0.5 })
  const other = ec2For(fake, member, 'eu-west-1', 1)
  let failures = 0
  for (let i = 0; i < 40; i++) await other.send(new DescribeRegionsCommand({})).catch(() => failures++)
  t.ok(failures > 5 && failures < 35, `about half fail (${failures}/40)`)
  fake.faults.clear()

  fake.faults.add({ kind: 'fail-page', match: { action: 'DescribeNetworkInterfaces' }, page: 3 })
  const pages: number[] = []
  await t.rejects(
    (async () => {
      for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize: 5 }, {})) pages.push(page.NetworkInterfaces?.length ?? 0)
    })(),
    { name: 'InternalError' },
  )
  t.same(pages, [5, 5], 'two pages, then the third fails')
  fake.faults.clear()

  fake.faults.add({ kind: 'expire-next-token', match: { service: 'ec2' }, page: 2, times: 1 })
  const first = await ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5 }))
  await t.rejects(ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken })), { name: 'InvalidNextToken', message: /expired/ })
  t.equal((await ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken }))).NetworkInterfaces?.length, 5, 'times: 1')

  fake.faults.add({ kind: 'expire-next-token', match: { service: 'config' } })
  const cfg = new ConfigServiceClient(fake.clientConfig({ accountId: member, maxAttempts: 1 }))
  fake.clock.advance(10 * MINUTE)
  const p1 = await cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::NetworkInterface', limit: 5 }))
  await t.rejects(cfg.send(new ListDiscoveredResourcesCommand({ resourceType: 'AWS::EC2::NetworkInterface', limit: 5, nextToken: p1.nextToken })), { name: 'InvalidNextTokenException' })
  fake.faults.clear()

  fake.faults.add({ kind: 'latency', match: { service: 'ec2' }, ms: 120, jitterMs: 10 })
  const started = performance.now()
  await ec2.send(new DescribeRegionsCommand({}))
  t.ok(performance.now() - started >= 115, 'added latency')
  fake.faults.clear()

  t.throws(() => fake.faults.add({ kind: 'error', rate: 2 }), /rate/)
  t.throws(() => fake.faults.add({ kind: 'fail-page', page: 0 }), /page/)
  t.throws(() => fake.faults.add({ kind: 'expire-next-token', page: 1 }), /page/)
  t.throws(() => fake.faults.add({ kind: 'latency', ms: -1 }), /ms/)
  t.throws(() => fake.faults.add({ kind: 'throttle', capacity: -1, refillPerSecond: 1 }), /capacity/)
  t.throws(() => fake.faults.add({ kind: 'nonsense' } as never), /unknown kind/)
  t.equal(fake.faults.remove('fault-none'), false)
})

t.test('protocol edges and the side API', async (t) => {
  const fake = await startFakeAws({ seed: 8, accounts: 2, regions: 1, enisPerRegion: 20, churn: 120, throttling: 'off' })
  t.teardown(() => fake.close())
  const auth = (service: string, akid = fake.managementCredentials.accessKeyId): Record<string, string> => ({
    authorization: `AWS4-HMAC-SHA256 Credential=${akid}/20261120/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  })
  const post = async (headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> => {
    const r = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })
    return { status: r.status, text: await r.text() }
  }
  const unknown = await post(auth('ec2'), 'Action=LaunchRockets&Version=2016-11-15')
  t.equal(unknown.status, 400)
  t.match(unknown.text, /<Response><Errors><Error><Code>InvalidAction<\/Code>/)
  t.match(unknown.text, /<RequestID>[0-9a-f-]{36}<\/RequestID>/)
  t.match((await post(auth('ec2'), 'Version=2016-11-15')).text, /MissingAction/)
  t.match((await post({}, 'Action=DescribeRegions')).text, /MissingAuthenticationToken/)
  t.match((await post(auth('s3'), 'Action=ListBuckets')).text, /has no service s3/)
  t.match((await post(auth('sts'), 'Action=GetSessionToken&Version=2011-06-15')).text, /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction/)
  const json = async (service: string, target: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...auth(service) }, body })
    return { status: r.status, json: (await r.json()) as Record<string, unknown> }
  }
  t.match((await json('config', 'StarlingDoveService.PutConfigRule', '{}')).json, { __type: 'UnknownOperationException' })
  t.match((await json('organizations', 'AWSOrganizationsV20161128.CreateAccount', '{}')).json, { __type: 'UnknownOperationException' })
  t.match((await json('config', 'Other.Thing', '{}')).json, { __type: 'UnknownOperationException' })
  t.match((await json('config', 'StarlingDoveService.ListDiscoveredResources', '[1]')).json, { __type: 'SerializationException' })
  t.match((await json('config', 'StarlingDoveService.ListDiscoveredResources', '{"resourceType":"AWS::EC2::Instance","limit":500}')).json, { __type: 'InvalidLimitException' })
  t.match((await post(auth('ec2'), 'Action=DescribeRegions&Version=2016-11-15&AllRegions=maybe')).text, /InvalidParameterValue/)
  t.match((await post(auth('ec2'), 'Action=DescribeNetworkInterfaces&Version=2016-11-15&MaxResults=five')).text, /InvalidParameterValue/)
  t.match((await post(auth('ec2'), 'Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Value.1=x')).text, /has no Name/)
  t.match((await post(auth('ec2'), 'Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=vpc-id')).text, /has no values/)
  // Parameters in any order: filters before the action, values out of order.
  const anyOrder = await post(auth('ec2'), 'Filter.1.Value.2=lambda&Filter.1.Name=interface-type&Filter.1.Value.1=nat_gateway&Version=2016-11-15&Action=DescribeNetworkInterfaces')
  t.equal(anyOrder.status, 200)
  t.match(anyOrder.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeNetworkInterfacesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>/)

  const side = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(`${fake.endpoint}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: r.status, json: (await r.json()) as Record<string, unknown> }
  }
  const clock = await side('GET', '/_fake/clock')
  t.same(clock.json, { now: fake.clock.now(), mode: 'virtual' })
  const advanced = await side('POST', '/_fake/advance?ms=60000')
  t.equal(advanced.json.now, (clock.json.now as number) + 60_000)
  t.equal((await side('POST', '/_fake/advance', { ms: 1000 })).json.now, fake.clock.now())
  t.equal((await side('POST', '/_fake/advance?ms=-1')).status, 400)
  const someEntry = fake.ledger.current()[0]
  const lookedUp = await side('GET', `/_fake/ledger?ip=${encodeURIComponent(someEntry?.ip ?? '')}&at=${fake.clock.now()}`)
  t.ok((lookedUp.json.entries as Array<{ id: number }>).some((e) => e.id === someEntry?.id))
  const iso = new Date(fake.clock.now()).toISOString()
  t.equal(((await side('GET', `/_fake/ledger?at=${iso}&open=true&accountId=${someEntry?.accountId}`)).json.entries as unknown[]).length, fake.ledger.current().filter((e) => e.accountId === someEntry?.accountId).length)
  t.ok(((await side('GET', `/_fake/ledger?ip=${someEntry?.ip}`)).json.entries as unknown[]).length >= 1)
  t.ok(((await side('GET', `/_fake/ledger?eniId=${someEntry?.eniId}`)).json.entries as unknown[]).length >= 1)
  t.equal((await side('GET', '/_fake/ledger?at=yesterday')).status, 400)
  t.equal((await side('GET', '/_fake/ledger?ip=nonsense')).status, 400)
  const changes = (await side('GET', `/_fake/config?resourceId=${someEntry?.eniId}`)).json.changes as Array<{ changeTime: number; captureTime: number }>
  t.ok(changes.length >= 1 && changes.every((c) => c.captureTime >= c.changeTime))
  t.equal((await side('GET', '/_fake/config')).status, 400)
  t.same((await side('GET', '/_fake/config?resourceId=eni-nope')).json.changes, [])
  t.match((await side('GET', '/_fake/summary')).json, { accounts: 2, targets: 2 })
  const added = await side('POST', '/_fake/faults', { kind: 'error', match: { service: 'ec2' }, times: 1 })
  t.match(added.json.id, /^fault-/)
  t.equal(((await side('GET', '/_fake/faults')).json.faults as unknown[]).length, 1)
  t.equal((await side('DELETE', `/_fake/faults?id=${added.json.id as string}`)).status, 200)
  t.equal((await side('DELETE', '/_fake/faults?id=fault-404')).status, 404)
  t.equal((await side('POST', '/_fake/faults', { kind: 'bogus' })).status, 400)
  t.same((await side('DELETE', '/_fake/faults')).json, { cleared: true })
  t.equal((await side('GET', '/_fake/nothing')).status, 404)
})
