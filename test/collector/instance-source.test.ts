// instanceRecords on AWS's own DescribeInstances examples (fixtures/aws, provenance in SOURCES.md),
// played through the real EC2 client, and on a stopped, a terminated and a two-subnet instance derived
// from them (each change stated where it is made).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Instance } from '@aws-sdk/client-ec2'
import t from 'tap'
import { instanceRecords } from '../../src/collector/instance-source.ts'
import { readEc2Fixtures } from '../../support/recorded-aws.ts'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'aws')
const ctx = { accountId: '123456789012', region: 'eu-west-1', seenAt: Date.UTC(2026, 10, 20, 10, 0, 0) }

async function apiReferenceInstance(): Promise<Instance> {
  const { instances } = await readEc2Fixtures({ instances: path.join(dir, 'ec2-apiref-describe-instances.xml') })
  if (instances.length !== 1) throw new Error(`the example lists ${instances.length} instances, not 1`)
  return instances[0]!
}

t.test("the EC2 API reference's DescribeInstances example: every field whohad keeps", async (t) => {
  const [record] = instanceRecords([await apiReferenceInstance()], ctx)
  t.same(record, {
    accountId: '123456789012',
    region: 'eu-west-1',
    instanceId: 'i-1234567890abcdef0',
    state: 'running',
    subnetId: 'subnet-56f5f633',
    vpcId: 'vpc-11112222',
    availabilityZone: 'eu-west-1c',
    instanceType: 't2.micro',
    imageId: 'ami-bff32ccc',
    launchTime: Date.UTC(2018, 4, 8, 16, 46, 19),
    architecture: 'x86_64',
    privateIpAddress: '192.168.1.88',
    publicIpAddress: '54.194.252.215',
    tags: { Name: 'Server_1' },
    name: 'Server_1',
    enis: [{ eniId: 'eni-551ba033', deviceIndex: 0 }],
    keyName: 'my_keypair',
    lastSeen: ctx.seenAt,
  }, 'a running instance with an empty <reason/> has no stateSince; the example states no platform')
})

t.test("the AWS CLI's describe-instances example: pending, and its platform", async (t) => {
  const { instances } = await readEc2Fixtures({ instances: path.join(dir, 'cli-describe-instances.xml') })
  const records = instanceRecords(instances, ctx)
  t.equal(records.length, 1)
  t.match(records[0], { state: 'pending', subnetId: 'subnet-04a636d18e83cfacb', vpcId: 'vpc-1234567890abcdef0', keyName: 'MyKeyPair', enis: [{ eniId: 'eni-0c0a29997760baee7', deviceIndex: 0 }] })
  t.notOk(records[0]!.stateSince)
})

t.test('a stopped instance: stopped, since the time in its StateTransitionReason (GMT as AWS, UTC as others write it)', async (t) => {
  const running = await apiReferenceInstance()
  // Derived: the example after StopInstances, as EC2 shows it: state 80, the reason with its time, no
  // auto-assigned public IPv4; its ENI stays attached.
  for (const zone of ['GMT', 'UTC']) {
    const reason = `User initiated (2018-05-09 08:00:05 ${zone})`
    const stopped: Instance = { ...running, State: { Code: 80, Name: 'stopped' }, StateTransitionReason: reason, PublicIpAddress: undefined }
    const [record] = instanceRecords([stopped], ctx)
    const at = Date.UTC(2018, 4, 9, 8, 0, 5)
    t.equal(record!.state, 'stopped', zone)
    t.same(record!.stateSince, { after: at, by: at + 999, evidence: [{ source: 'ec2-state-transition', at, ref: `i-1234567890abcdef0: ${reason}` }] }, `${zone}: to the second`)
    t.notOk(record!.publicIpAddress, 'no public address while stopped')
    t.same(record!.enis, [{ eniId: 'eni-551ba033', deviceIndex: 0 }], 'its ENI stays attached')
  }
  // Only the code, as an implementation that leaves the name out might send it (the high byte is to be ignored).
  t.equal(instanceRecords([{ ...running, State: { Code: 80 + 256 } }], ctx)[0]!.state, 'stopped')
  t.same(instanceRecords([{ ...running, State: {} }], ctx), [], 'no state stated: no record, rather than a guessed one')
})

t.test('a terminated instance still listed: terminated, no subnet or ENIs stated', async (t) => {
  const running = await apiReferenceInstance()
  // Derived, in the shape EC2 lists a terminated instance for up to an hour (a recorded one in
  // fixtures/aws/state-transition-reasons.ts): state 48, the reason's time, no network interfaces,
  // no subnet, VPC or addresses.
  const terminated: Instance = {
    ...running,
    State: { Code: 48, Name: 'terminated' },
    StateTransitionReason: 'User initiated (2020-03-05 04:45:19 GMT)',
    NetworkInterfaces: [],
    SubnetId: undefined,
    VpcId: undefined,
    PrivateIpAddress: undefined,
    PublicIpAddress: undefined,
  }
  const [record] = instanceRecords([terminated], ctx)
  t.match(record, { state: 'terminated', stateSince: { after: Date.UTC(2020, 2, 5, 4, 45, 19) }, enis: [] })
  t.notOk(record!.subnetId)
  t.notOk(record!.vpcId)
})

t.test("a two-ENI instance is in its own subnet, whatever the other ENI's", async (t) => {
  const running = await apiReferenceInstance()
  const primary = running.NetworkInterfaces![0]!
  // Derived: a second ENI at device index 1 in another subnet of the same VPC, listed first.
  const second = { ...primary, NetworkInterfaceId: 'eni-0second', SubnetId: 'subnet-0other', Attachment: { ...primary.Attachment, DeviceIndex: 1 } }
  const twoEnis: Instance = { ...running, NetworkInterfaces: [second, primary] }
  const [record] = instanceRecords([twoEnis], ctx)
  t.equal(record!.subnetId, 'subnet-56f5f633')
  t.same(record!.enis, [{ eniId: 'eni-551ba033', deviceIndex: 0 }, { eniId: 'eni-0second', deviceIndex: 1 }], 'primary first')
  // An implementation that leaves Instance.SubnetId out: the primary ENI's, never the other's.
  t.equal(instanceRecords([{ ...twoEnis, SubnetId: undefined }], ctx)[0]!.subnetId, 'subnet-56f5f633')
})

t.test('a running instance whose reason still speaks of its last stop has no stateSince', async (t) => {
  const running = await apiReferenceInstance()
  // Derived: the reason predates the launch time (EC2 moves LaunchTime at every start).
  const [record] = instanceRecords([{ ...running, StateTransitionReason: 'User initiated (2018-05-01 08:00:00 GMT)' }], ctx)
  t.notOk(record!.stateSince)
  t.equal(instanceRecords([running, { ...running, InstanceType: 'm5.large' }], ctx).length, 1, 'an instance listed twice is one record')
})
