// What /ec2/ refuses before it reads anything, with EC2's codes and messages, and how its pages and
// tokens behave: pure, on hand-made parameters and descriptions.
import { DescribeAddressesResult$, DescribeInstancesResult$, DescribeInstanceStatusResult$, DescribeNetworkInterfacesResult$ } from '@aws-sdk/client-ec2'
import { NormalizedSchema } from '@smithy/core/schema'
import t, { type Test } from 'tap'
import { answerEc2, parseEc2Request } from '../../../src/api/ec2/actions.ts'
import { pageRequest, takePage } from '../../../src/api/ec2/pagination.ts'
import { credentialScope } from '../../../src/api/ec2/scope.ts'
import { AwsError } from '../../../src/protocol/errors.ts'
import { parseForm } from '../../../src/protocol/params.ts'

const form = (body: string) => parseForm(body)

/** The AwsError `run` throws (or undefined). */
function thrown(run: () => unknown): AwsError | undefined {
  try {
    run()
  } catch (e) {
    if (e instanceof AwsError) return e
    throw e
  }
  return undefined
}

function refusal(t: Test, body: string, code: string, message?: RegExp): void {
  const e = thrown(() => parseEc2Request(form(body)))
  t.equal(e?.code, code, `${body} → ${code}`)
  if (message) t.match(e?.message, message)
}

t.test('refusals as EC2 gives them', async (t) => {
  refusal(t, 'Action=RunInstances&Version=2016-11-15', 'UnsupportedOperation', /RunInstances/)
  refusal(t, 'Action=TerminateInstances&InstanceId.1=i-0123456789abcdef0', 'UnsupportedOperation')
  refusal(t, 'Version=2016-11-15', 'UnsupportedOperation')
  refusal(t, 'Action=DescribeInstances&InstanceId.1=nope', 'InvalidInstanceID.Malformed', /^Invalid id: "nope"$/)
  refusal(t, 'Action=DescribeInstanceStatus&InstanceId.1=i-xyz', 'InvalidInstanceID.Malformed')
  refusal(t, 'Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=eni-zz', 'InvalidNetworkInterfaceID.Malformed')
  refusal(t, 'Action=DescribeAddresses&AllocationId.1=alloc-1', 'InvalidAllocationID.Malformed')
  refusal(t, 'Action=DescribeAddresses&PublicIp.1=300.1.1.1', 'InvalidParameterValue')
  refusal(t, 'Action=DescribeInstances&MaxResults=4', 'InvalidParameterValue', /^Value \( 4 \) for parameter maxResults is invalid\. Expecting a value greater than or equal to 5\.$/)
  refusal(t, 'Action=DescribeInstances&MaxResults=1001', 'InvalidParameterValue', /less than or equal to 1000/)
  refusal(t, 'Action=DescribeNetworkInterfaces&MaxResults=2', 'InvalidParameterValue')
  refusal(t, 'Action=DescribeInstances&MaxResults=x', 'InvalidParameterValue')
  refusal(t, 'Action=DescribeInstances&MaxResults=5&InstanceId.1=i-0123456789abcdef0', 'InvalidParameterCombination', /instancesSet cannot be used with the parameter maxResults/)
  refusal(t, 'Action=DescribeInstances&Filter.1.Name=color&Filter.1.Value.1=red', 'InvalidParameterValue', /^The filter 'color' is invalid$/)
  refusal(t, 'Action=DescribeAddresses&Filter.1.Name=instance-state-name&Filter.1.Value.1=running', 'InvalidParameterValue', /The filter 'instance-state-name' is invalid/)
  refusal(t, 'Action=DescribeInstanceStatus&Filter.1.Name=tag:Name&Filter.1.Value.1=x', 'InvalidParameterValue')
  refusal(t, 'Action=DescribeInstances&NextToken=garbage', 'InvalidParameterValue', /^Value \( garbage \) for parameter NextToken is invalid\. The token is invalid\.$/)
  refusal(t, 'Action=DescribeInstances&DryRun=true', 'DryRunOperation')
  t.equal(parseEc2Request(form('Action=DescribeInstances&DryRun=false')).action, 'DescribeInstances')
})

t.test('a token is valid only for the request that got it', async (t) => {
  const items = ['i-3', 'i-1', 'i-2', 'i-5', 'i-4', 'i-6'].map((id) => ({ id }))
  const params = form('Action=DescribeInstances&MaxResults=5&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1')
  const first = takePage(items, (x) => ({ accountId: '111111111111', id: x.id }), pageRequest('DescribeInstances', params, 5))
  t.same(first.items.map((x) => x.id), ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'], 'pages go in (account, id) order')
  t.ok(first.nextToken)
  const next = form(`Action=DescribeInstances&MaxResults=5&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&NextToken=${encodeURIComponent(first.nextToken!)}`)
  const second = takePage(items, (x) => ({ accountId: '111111111111', id: x.id }), pageRequest('DescribeInstances', next, 5))
  t.same(second.items.map((x) => x.id), ['i-6'])
  t.equal(second.nextToken, undefined, 'the last page has no token')
  const other = form(`Action=DescribeInstances&MaxResults=5&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-2&NextToken=${encodeURIComponent(first.nextToken!)}`)
  t.throws(() => pageRequest('DescribeInstances', other, 5), /NextToken is invalid/, 'another filter: refused')
  t.throws(() => pageRequest('DescribeNetworkInterfaces', next, 5), /NextToken is invalid/, 'another action: refused')
  t.throws(() => pageRequest('DescribeInstances', form(`NextToken=${first.nextToken!.slice(0, -3)}`), 5), /NextToken is invalid/, 'truncated: refused')
  t.same(takePage(items, (x) => ({ accountId: 'a', id: x.id }), pageRequest('DescribeInstances', form('Action=DescribeInstances'), undefined)).items, items, 'no MaxResults: everything, as given')
})

t.test('ids must exist, in the accounts the caller may see', async (t) => {
  const listings = [{ accountId: '111111111111', items: [{ InstanceId: 'i-0123456789abcdef0', State: { Name: 'running', Code: 16 } }] }]
  const one = parseEc2Request(form('Action=DescribeInstances&InstanceId.1=i-0123456789abcdef0&InstanceId.2=i-0000000000000000f'))
  const missing = thrown(() => answerEc2(one, listings, 'r'))
  t.same([missing?.code, missing?.message], ['InvalidInstanceID.NotFound', "The instance ID 'i-0000000000000000f' does not exist"])
  const two = parseEc2Request(form('Action=DescribeInstances&InstanceId.1=i-0000000000000000e&InstanceId.2=i-0000000000000000f'))
  t.throws(() => answerEc2(two, listings, 'r'), /The instance IDs 'i-0000000000000000e, i-0000000000000000f' do not exist/)
  const { xml: found, results } = answerEc2(parseEc2Request(form('Action=DescribeInstances&InstanceId.1=i-0123456789abcdef0')), listings, 'req-1')
  t.equal(results, 1, 'one instance in the answer')
  t.match(found, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>req-1<\/requestId>/)
  t.match(found, '<reservationSet><item><ownerId>111111111111</ownerId><groupSet/><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId>')
  t.match(found, '<instanceState><code>16</code><name>running</name></instanceState>')
  const eni = parseEc2Request(form('Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=eni-0123456789abcdef0'))
  t.throws(() => answerEc2(eni, [], 'r'), /The networkInterface ID 'eni-0123456789abcdef0' does not exist/)
  t.throws(() => answerEc2(parseEc2Request(form('Action=DescribeAddresses&PublicIp.1=198.51.100.7')), [], 'r'), /Address '198\.51\.100\.7' not found/)
  t.throws(() => answerEc2(parseEc2Request(form('Action=DescribeAddresses&AllocationId.1=eipalloc-0123456789abcdef0')), [], 'r'), /allocation ID 'eipalloc-0123456789abcdef0' does not exist/)
})

t.test('the region is the one the client signed for', async (t) => {
  const auth = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc'
  t.same(credentialScope(auth, undefined), { accessKeyId: 'AKIDEXAMPLE', date: '20261202', region: 'eu-west-1', service: 'ec2' })
  t.same(credentialScope(undefined, 'AKID/20261202/us-east-1/ec2/aws4_request')?.region, 'us-east-1', 'presigned')
  t.equal(credentialScope('Bearer abc', undefined), undefined)
  t.equal(credentialScope('AWS4-HMAC-SHA256 Credential=AKID/2026/eu-west-1/ec2/aws4_request', undefined), undefined, 'a malformed date')
  t.equal(credentialScope(undefined, undefined), undefined)
})

t.test('the four results hold no shape the XML writer refuses (maps, unions, documents)', async (t) => {
  const seen = new Set<string>()
  const refused: string[] = []
  const walk = (ns: NormalizedSchema, path: string): void => {
    const name = ns.getName(true) ?? path
    if (ns.isMapSchema() || ns.isUnionSchema() || ns.isDocumentSchema()) refused.push(path)
    if (ns.isListSchema()) return walk(ns.getValueSchema(), `${path}[]`)
    if (!ns.isStructSchema() || seen.has(name)) return
    seen.add(name)
    for (const [member, schema] of ns.structIterator()) walk(schema, `${path}.${member}`)
  }
  for (const [name, schema] of Object.entries({ DescribeInstancesResult$, DescribeNetworkInterfacesResult$, DescribeAddressesResult$, DescribeInstanceStatusResult$ })) {
    walk(NormalizedSchema.of(schema), name)
  }
  t.ok(seen.size > 50, `${seen.size} structures walked`)
  t.same(refused, [])
})
