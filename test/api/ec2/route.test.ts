// /ec2/ against the real EC2 client, both ways. The simulated organisation's descriptions are read
// with @aws-sdk/client-ec2 into an in-memory DescriptionSource and served through the route; a second
// EC2Client pointed at /ec2/ must then get the same resources and field values as the organisation's
// own EC2 endpoint gives, for every supported action, filter and paginator, and EC2's error codes for
// what /ec2/ does not do. Keys are stood in for by access key ids: an account id sees that account only.
import {
  type Address,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  type DescribeInstancesCommandInput,
  DescribeNetworkInterfacesCommand,
  type DescribeNetworkInterfacesCommandInput,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeInstanceStatus,
  paginateDescribeNetworkInterfaces,
  type Reservation,
} from '@aws-sdk/client-ec2'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import Fastify from 'fastify'
import t from 'tap'
import { AS_OF_HEADER, ec2Routes } from '../../../src/api/routes/ec2.ts'
import { startFakeAws } from '../../../src/fakeaws/index.ts'
import { awsCli } from '../../../support/aws-cli.ts'
import type { DescriptionKind, DescriptionSource, InstanceDescription } from '../../../src/model/description.ts'

const AS_OF = Date.parse('2026-12-02T08:00:00Z')
const run = promisify(execFile)

type Described = Instance | NetworkInterface | Address

/** Every page of a Describe* call: the organisation's own answer, or /ec2/'s. */
async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const page of pages) out.push(page)
  return out
}

const byKey =
  <T>(key: (x: T) => string | undefined) =>
  (a: T, b: T) =>
    (key(a) ?? '').localeCompare(key(b) ?? '')
const instanceOrder = byKey<Instance>((i) => i.InstanceId)
const reservationOrder = byKey<Reservation>((r) => r.Instances?.[0]?.InstanceId)
const eniOrder = byKey<NetworkInterface>((e) => e.NetworkInterfaceId)
const addressOrder = byKey<Address>((a) => a.AllocationId)

t.test('the real EC2 client reads /ec2/ as it reads EC2', async (t) => {
  const fake = await startFakeAws({ seed: 7, accounts: 2, regions: 1, enisPerRegion: 40, churn: 0, throttling: 'off' })
  t.teardown(() => fake.close())
  const region = fake.regions[0]!
  const accounts = fake.activeAccountIds
  t.ok(accounts.length >= 2, 'two accounts with fleets')
  const ec2Of = (accountId: string) => {
    const client = new EC2Client(fake.clientConfig({ region, accountId }))
    t.teardown(() => client.destroy())
    return client
  }
  const own = new Map(accounts.map((a) => [a, ec2Of(a)]))

  // What the collector would have recorded: every description, as the SDK parsed it.
  const recorded = new Map<string, Described[]>()
  for (const [accountId, client] of own) {
    const reservations = (await all(paginateDescribeInstances({ client, pageSize: 1000 }, {}))).flatMap((p) => p.Reservations ?? [])
    const instances: InstanceDescription[] = reservations.flatMap((r) =>
      (r.Instances ?? []).map((i) => ({ ...i, ...(r.ReservationId ? { ReservationId: r.ReservationId } : {}), ...(r.OwnerId ? { OwnerId: r.OwnerId } : {}) })),
    )
    recorded.set(`instance/${accountId}`, instances)
    recorded.set(`network-interface/${accountId}`, (await all(paginateDescribeNetworkInterfaces({ client, pageSize: 1000 }, {}))).flatMap((p) => p.NetworkInterfaces ?? []))
    recorded.set(`address/${accountId}`, (await client.send(new DescribeAddressesCommand({}))).Addresses ?? [])
  }
  const source: DescriptionSource = {
    list: async (kind: DescriptionKind, accountId: string, r: string) => ({ items: r === region ? (recorded.get(`${kind}/${accountId}`) ?? []) : [], asOf: AS_OF }),
  }
  t.ok((recorded.get(`instance/${accounts[0]}`) ?? []).length > 5, 'the first account has instances to page through')

  const app = Fastify()
  await app.register(ec2Routes, {
    source,
    // The access key id stands in for a key: an account id is a key limited to that account.
    accounts: (request) => {
      const key = /Credential=([^/]+)\//.exec(String(request.headers.authorization))?.[1]
      const limited = (key ?? '').split('+').filter((a) => accounts.includes(a))
      return limited.length > 0 ? limited : accounts
    },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ec2/`
  const whohadAs = (accessKeyId: string) => {
    const client = new EC2Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'any' }, maxAttempts: 1 })
    t.teardown(() => client.destroy())
    return client
  }
  const whohad = whohadAs('AKIDWHOHAD')

  const ownInstances = async (input: DescribeInstancesCommandInput) =>
    (await Promise.all([...own.values()].map(async (c) => (await c.send(new DescribeInstancesCommand(input))).Reservations ?? []))).flat().sort(reservationOrder)
  const ownEnis = async (input: DescribeNetworkInterfacesCommandInput) =>
    (await Promise.all([...own.values()].map(async (c) => (await c.send(new DescribeNetworkInterfacesCommand(input))).NetworkInterfaces ?? []))).flat().sort(eniOrder)
  const ownAddresses = async (Filters?: Filter[]) =>
    (await Promise.all([...own.values()].map(async (c) => (await c.send(new DescribeAddressesCommand({ Filters }))).Addresses ?? []))).flat().sort(addressOrder)
  const ours = {
    instances: async (input: DescribeInstancesCommandInput) => ((await whohad.send(new DescribeInstancesCommand(input))).Reservations ?? []).sort(reservationOrder),
    enis: async (input: DescribeNetworkInterfacesCommandInput) => ((await whohad.send(new DescribeNetworkInterfacesCommand(input))).NetworkInterfaces ?? []).sort(eniOrder),
    addresses: async (Filters?: Filter[]) => ((await whohad.send(new DescribeAddressesCommand({ Filters }))).Addresses ?? []).sort(addressOrder),
  }

  const instances = [...recorded.entries()].filter(([k]) => k.startsWith('instance/')).flatMap(([, v]) => v as Instance[])
  const enis = [...recorded.entries()].filter(([k]) => k.startsWith('network-interface/')).flatMap(([, v]) => v as NetworkInterface[])
  const addresses = [...recorded.entries()].filter(([k]) => k.startsWith('address/')).flatMap(([, v]) => v as Address[])

  await t.test('everything, unfiltered: the same resources and field values', async (t) => {
    const theirs = await ownInstances({})
    t.ok(theirs.length > 10)
    t.same(await ours.instances({}), theirs, 'DescribeInstances: reservations and instances')
    t.same(await ours.enis({}), await ownEnis({}), 'DescribeNetworkInterfaces')
    const eips = await ownAddresses()
    t.ok(eips.length > 0, 'some Elastic IPs')
    t.same(await ours.addresses(), eips, 'DescribeAddresses')
  })

  await t.test('ids', async (t) => {
    const some = instances.slice(0, 3).map((i) => i.InstanceId!)
    t.same(await ours.instances({ InstanceIds: some }), (await ownInstances({})).filter((r) => some.includes(r.Instances![0]!.InstanceId!)))
    const eniIds = enis.slice(2, 4).map((e) => e.NetworkInterfaceId!)
    t.same(await ours.enis({ NetworkInterfaceIds: eniIds }), (await ownEnis({})).filter((e) => eniIds.includes(e.NetworkInterfaceId!)))
    const eip = addresses[0]!
    t.same((await whohad.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).Addresses, [eip], 'AllocationIds')
    t.same((await whohad.send(new DescribeAddressesCommand({ PublicIps: [eip.PublicIp!] }))).Addresses, [eip], 'PublicIps')
  })

  await t.test('every supported filter, wildcards included, as EC2 applies it', async (t) => {
    const i = instances.find((x) => x.State?.Name === 'running' && (x.Tags ?? []).length > 0 && x.PublicIpAddress && (x.NetworkInterfaces ?? []).length > 0)!
    t.ok(i, 'a running, tagged instance with a public address')
    const tag = i.Tags![0]!
    const instanceFilters: Filter[][] = [
      [{ Name: 'instance-id', Values: [i.InstanceId!, 'i-0000000000000000f'] }],
      [{ Name: 'instance-state-name', Values: ['running'] }],
      [{ Name: 'instance-state-name', Values: ['stopped', 'terminated'] }],
      [{ Name: 'private-ip-address', Values: [i.PrivateIpAddress!] }],
      [{ Name: 'private-ip-address', Values: ['10.*'] }],
      [{ Name: 'ip-address', Values: [i.PublicIpAddress!] }],
      [{ Name: 'network-interface.addresses.private-ip-address', Values: [i.NetworkInterfaces![0]!.PrivateIpAddresses![0]!.PrivateIpAddress!] }],
      [{ Name: 'vpc-id', Values: [i.VpcId!] }],
      [{ Name: 'subnet-id', Values: [i.SubnetId!] }],
      [{ Name: 'availability-zone', Values: [i.Placement!.AvailabilityZone!] }],
      [{ Name: 'availability-zone', Values: [`${region}?`] }],
      [{ Name: 'instance-type', Values: [i.InstanceType!] }],
      [{ Name: 'instance-type', Values: ['*.large', '*.xlarge'] }],
      [{ Name: `tag:${tag.Key}`, Values: [tag.Value!] }],
      [{ Name: `tag:${tag.Key}`, Values: [`${tag.Value!.slice(0, 2)}*`] }],
      [{ Name: 'tag-key', Values: [tag.Key!] }],
      [
        { Name: 'vpc-id', Values: [i.VpcId!] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    ]
    for (const Filters of instanceFilters) {
      const theirs = await ownInstances({ Filters })
      t.same(await ours.instances({ Filters }), theirs, `DescribeInstances ${JSON.stringify(Filters)}: ${theirs.length}`)
    }
    // tag-value: the simulated EC2 does not answer it; EC2 matches any tag's value.
    const byValue = await ours.instances({ Filters: [{ Name: 'tag-value', Values: [tag.Value!] }] })
    t.same(
      byValue.map((r) => r.Instances![0]!.InstanceId),
      instances.filter((x) => (x.Tags ?? []).some((g) => g.Value === tag.Value)).sort(instanceOrder).map((x) => x.InstanceId),
      'tag-value',
    )

    const e = enis.find((x) => x.Association?.PublicIp && (x.PrivateIpAddresses ?? []).length > 0)!
    t.ok(e, 'an interface with a public address')
    const eniFilters: Filter[][] = [
      [{ Name: 'network-interface-id', Values: [e.NetworkInterfaceId!] }],
      [{ Name: 'addresses.private-ip-address', Values: [e.PrivateIpAddresses![0]!.PrivateIpAddress!] }],
      [{ Name: 'private-ip-address', Values: ['10.*'] }],
      [{ Name: 'association.public-ip', Values: [e.Association!.PublicIp!] }],
      [{ Name: 'vpc-id', Values: [e.VpcId!] }],
      [{ Name: 'subnet-id', Values: [e.SubnetId!] }],
      [{ Name: 'availability-zone', Values: [e.AvailabilityZone!] }],
      [{ Name: 'attachment.instance-id', Values: [i.InstanceId!] }],
      [{ Name: 'interface-type', Values: ['interface'] }],
    ]
    for (const Filters of eniFilters) {
      const theirs = await ownEnis({ Filters })
      t.same(await ours.enis({ Filters }), theirs, `DescribeNetworkInterfaces ${JSON.stringify(Filters)}: ${theirs.length}`)
    }

    const a = addresses.find((x) => x.NetworkInterfaceId) ?? addresses[0]!
    const addressFilters: Filter[][] = [
      [{ Name: 'allocation-id', Values: [a.AllocationId!] }],
      [{ Name: 'public-ip', Values: [a.PublicIp!] }],
      [{ Name: 'domain', Values: ['vpc'] }],
      [{ Name: 'domain', Values: ['standard'] }],
      ...(a.NetworkInterfaceId ? [[{ Name: 'network-interface-id', Values: [a.NetworkInterfaceId] }]] : []),
    ]
    for (const Filters of addressFilters) {
      const theirs = await ownAddresses(Filters)
      t.same(await ours.addresses(Filters), theirs, `DescribeAddresses ${JSON.stringify(Filters)}: ${theirs.length}`)
    }
  })

  await t.test('the paginators page as EC2 does, and end', async (t) => {
    const pages = await all(paginateDescribeInstances({ client: whohad, pageSize: 5 }, {}))
    t.ok(pages.length > 2, `${pages.length} pages`)
    t.ok(pages.every((p) => (p.Reservations ?? []).length <= 5), 'at most MaxResults a page')
    t.equal(pages[pages.length - 1]!.NextToken, undefined, 'the last page has no token')
    t.same(pages.flatMap((p) => p.Reservations ?? []).sort(reservationOrder), await ownInstances({}), 'every instance once')
    const filtered = await all(paginateDescribeInstances({ client: whohad, pageSize: 5 }, { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }))
    t.same(filtered.flatMap((p) => p.Reservations ?? []).sort(reservationOrder), await ownInstances({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }), 'filtered, paged')
    const eniPages = await all(paginateDescribeNetworkInterfaces({ client: whohad, pageSize: 7 }, {}))
    t.ok(eniPages.length > 2)
    t.same(eniPages.flatMap((p) => p.NetworkInterfaces ?? []).sort(eniOrder), await ownEnis({}), 'every interface once')
    const statusPages = await all(paginateDescribeInstanceStatus({ client: whohad, pageSize: 5 }, { IncludeAllInstances: true }))
    t.same(
      statusPages.flatMap((p) => p.InstanceStatuses ?? []).map((s) => [s.InstanceId, s.AvailabilityZone, s.InstanceState]).sort(),
      instances.map((x) => [x.InstanceId, x.Placement?.AvailabilityZone, x.State]).sort(),
      'DescribeInstanceStatus: every instance, its zone and state',
    )
    const running = (await whohad.send(new DescribeInstanceStatusCommand({}))).InstanceStatuses ?? []
    t.same(running.map((s) => s.InstanceId).sort(), instances.filter((x) => x.State?.Name === 'running').map((x) => x.InstanceId).sort(), 'without IncludeAllInstances: the running ones')
  })

  await t.test("a key limited to an account sees that account's resources only", async (t) => {
    const [first, second] = accounts
    const scoped = whohadAs(first!)
    const seen = ((await scoped.send(new DescribeInstancesCommand({}))).Reservations ?? []).sort(reservationOrder)
    t.same(seen, ((await own.get(first!)!.send(new DescribeInstancesCommand({}))).Reservations ?? []).sort(reservationOrder))
    const other = (recorded.get(`instance/${second}`) as Instance[])[0]!.InstanceId!
    await t.rejects(scoped.send(new DescribeInstancesCommand({ InstanceIds: [other] })), { name: 'InvalidInstanceID.NotFound' }, "another account's instance does not exist for it")
  })

  await t.test('any key limited to some accounts sees exactly their resources, by any action (property)', async (t) => {
    const owner = new Map<string, string>()
    for (const [k, items] of recorded) {
      const [kind, accountId] = k.split('/') as [DescriptionKind, string]
      const id = (x: Instance & NetworkInterface & Address) => (kind === 'instance' ? x.InstanceId : kind === 'network-interface' ? x.NetworkInterfaceId : x.AllocationId)
      for (const x of items as Array<Instance & NetworkInterface & Address>) owner.set(id(x)!, accountId)
    }
    const seenBy = async (client: EC2Client, action: 'instances' | 'enis' | 'addresses' | 'status'): Promise<string[]> => {
      if (action === 'instances') return (await all(paginateDescribeInstances({ client, pageSize: 5 }, {}))).flatMap((p) => p.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId!))
      if (action === 'enis') return (await all(paginateDescribeNetworkInterfaces({ client, pageSize: 5 }, {}))).flatMap((p) => (p.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId!))
      if (action === 'status') return ((await client.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }))).InstanceStatuses ?? []).map((x) => x.InstanceId!)
      return ((await client.send(new DescribeAddressesCommand({}))).Addresses ?? []).map((a) => a.AllocationId!)
    }
    await fc.assert(
      fc.asyncProperty(fc.subarray([...accounts], { minLength: 1 }), fc.constantFrom('instances', 'enis', 'addresses', 'status' as const), async (allowed, action) => {
        const seen = await seenBy(whohadAs(allowed.join('+')), action)
        const expected = [...owner].filter(([id, a]) => allowed.includes(a) && (action === 'enis' ? id.startsWith('eni-') : action === 'addresses' ? id.startsWith('eipalloc-') : id.startsWith('i-')))
        return seen.every((id) => allowed.includes(owner.get(id) ?? '')) && new Set(seen).size === expected.length && seen.length === expected.length
      }),
      { numRuns: 25 },
    )
    t.pass('25 keys and actions: each saw its accounts, all of them, and nothing else')
  })

  await t.test("what /ec2/ does not do gets EC2's error codes", async (t) => {
    await t.rejects(whohad.send(new DescribeVpcsCommand({})), { name: 'UnsupportedOperation' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ Filters: [{ Name: 'color', Values: ['red'] }] })), { name: 'InvalidParameterValue', message: "The filter 'color' is invalid" })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000000f'] })), { name: 'InvalidInstanceID.NotFound' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] })), { name: 'InvalidInstanceID.Malformed' })
    await t.rejects(whohad.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0000000000000000f'] })), { name: 'InvalidNetworkInterfaceID.NotFound' })
    await t.rejects(whohad.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-0000000000000000f'] })), { name: 'InvalidAllocationID.NotFound' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ MaxResults: 3 })), { name: 'InvalidParameterValue' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: 'not-a-token' })), { name: 'InvalidParameterValue' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [instances[0]!.InstanceId!] })), { name: 'InvalidParameterCombination' })
    await t.rejects(whohad.send(new DescribeInstancesCommand({ DryRun: true })), { name: 'DryRunOperation' })
  })

  await t.test('GET with a query string, the as-of header, and no credential scope', async (t) => {
    const id = instances[0]!.InstanceId!
    const auth = `AWS4-HMAC-SHA256 Credential=AKID/20261202/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`
    const res = await fetch(`${endpoint}?Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${id}`, { headers: { authorization: auth } })
    t.equal(res.status, 200)
    t.equal(res.headers.get(AS_OF_HEADER), new Date(AS_OF).toISOString())
    t.match(await res.text(), `<instanceId>${id}</instanceId>`)
    const elsewhere = await fetch(`${endpoint}?Action=DescribeInstances`, { headers: { authorization: auth.replace(region, 'ap-south-2') } })
    t.match(await elsewhere.text(), '<reservationSet/>', 'another region: nothing recorded there')
    const anonymous = await fetch(`${endpoint}?Action=DescribeInstances`)
    t.equal(anonymous.status, 401)
    t.match(await anonymous.text(), /^<\?xml[^>]*>\n<Response><Errors><Error><Code>AuthFailure<\/Code>/)
  })

  // Debian's AWS CLI, which npm test installs; missing, the test is skipped, but not on CI (support/aws-cli.ts).
  const awsCommand = await awsCli()
  await t.test('the AWS CLI with --endpoint-url lists the same instances', { skip: 'missing' in awsCommand && awsCommand.missing }, async (t) => {
    if (!('path' in awsCommand)) return
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDCLI', AWS_SECRET_ACCESS_KEY: 'any', AWS_DEFAULT_REGION: region, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }
    const cli = async (...args: string[]) => JSON.parse((await run(awsCommand.path, ['ec2', ...args, '--endpoint-url', endpoint, '--output', 'json'], { env, timeout: 60_000 })).stdout) as Record<string, unknown>
    const ids = (out: Record<string, unknown>) => ((out.Reservations ?? []) as Reservation[]).flatMap((r) => (r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name, i.PrivateIpAddress])).sort()
    const expected = (list: readonly Reservation[]) => list.flatMap((r) => (r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name, i.PrivateIpAddress])).sort()
    t.same(ids(await cli('describe-instances', '--page-size', '5')), expected(await ownInstances({})), 'describe-instances, paged by 5')
    const Filters = [{ Name: 'instance-state-name', Values: ['running'] }, { Name: 'private-ip-address', Values: ['10.*'] }]
    t.same(
      ids(await cli('describe-instances', '--filters', 'Name=instance-state-name,Values=running', 'Name=private-ip-address,Values=10.*')),
      expected(await ownInstances({ Filters })),
      'describe-instances --filters',
    )
    const cliEnis = (await cli('describe-network-interfaces')).NetworkInterfaces as NetworkInterface[]
    t.same(cliEnis.map((e) => e.NetworkInterfaceId).sort(), (await ownEnis({})).map((e) => e.NetworkInterfaceId).sort(), 'describe-network-interfaces')
    await t.rejects(cli('describe-instances', '--instance-ids', 'i-0000000000000000f'), /InvalidInstanceID\.NotFound/, "the CLI reports EC2's error code")
  })
})
