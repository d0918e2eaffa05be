// configRecordingOf is pure: the recorder and its status → whether Config history of ENIs may be used.
// AWS's own example responses go through the real SDK client (over HTTP, from a server that answers
// with them verbatim) so that the wire shapes are AWS's, not ours; every other case is built on them.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigServiceClient, type ConfigurationRecorder, type ConfigurationRecorderStatus } from '@aws-sdk/client-config-service'
import t from 'tap'
import { configRecordingOf, configRecordingOfReadFailure, readConfigRecorders } from '../../src/collector/config-recorder.ts'
import { configHistoryUsable } from '../../src/model/config-recording.ts'

const ENI = 'AWS::EC2::NetworkInterface'
const NOW = Date.UTC(2026, 10, 20, 10)

// The AWS CLI's examples (aws-cli, awscli/examples/configservice/describe-configuration-recorders.rst
// and describe-configuration-recorder-status.rst): JSON 1.1 answers, timestamps in epoch seconds. Note
// the example's "SUCCESS" where the API model says "Success".
const CLI_RECORDERS = `{
    "ConfigurationRecorders": [
        {
            "recordingGroup": {
                "allSupported": true,
                "resourceTypes": [],
                "includeGlobalResourceTypes": true
            },
            "roleARN": "arn:aws:iam::123456789012:role/config-ConfigRole-A1B2C3D4E5F6",
            "name": "default"
        }
    ]
}`
const CLI_STATUS = `{
    "ConfigurationRecordersStatus": [
        {
            "name": "default",
            "lastStatus": "SUCCESS",
            "recording": true,
            "lastStatusChangeTime": 1452193834.344,
            "lastStartTime": 1441039997.819,
            "lastStopTime": 1441039992.835
        }
    ]
}`
// The recording groups of the CLI's put-configuration-recorder.rst, examples 2 (inclusion) and 3 (exclusion).
const CLI_INCLUSION = {
  allSupported: false,
  includeGlobalResourceTypes: false,
  resourceTypes: ['AWS::EC2::EIP', 'AWS::EC2::Instance', 'AWS::EC2::NetworkAcl', 'AWS::EC2::SecurityGroup', 'AWS::CloudTrail::Trail', 'AWS::EC2::Volume', 'AWS::EC2::VPC', 'AWS::IAM::User', 'AWS::IAM::Policy'],
} as ConfigurationRecorder['recordingGroup']
const CLI_EXCLUSION = {
  allSupported: false,
  exclusionByResourceTypes: { resourceTypes: ['AWS::Redshift::ClusterSnapshot', 'AWS::RDS::DBClusterSnapshot', 'AWS::CloudFront::StreamingDistribution'] },
  includeGlobalResourceTypes: false,
  recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
} as ConfigurationRecorder['recordingGroup']

/** A server that answers each Config action with a fixed (status, body); the real SDK parses it. */
async function configAnswering(t: { teardown(fn: () => unknown): void }, answers: Record<string, [number, string]>) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').replace('StarlingDoveService.', '')
      const [status, body] = answers[action] ?? [400, JSON.stringify({ __type: 'UnknownOperationException', message: action })]
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(status >= 400 ? { 'x-amzn-ErrorType': JSON.parse(body).__type } : {}) })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const client = new ConfigServiceClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  })
  t.teardown(() => client.destroy())
  return client
}

t.test("AWS's examples through the SDK: the default recorder, recording everything, records ENIs", async (t) => {
  const client = await configAnswering(t, { DescribeConfigurationRecorders: [200, CLI_RECORDERS], DescribeConfigurationRecorderStatus: [200, CLI_STATUS] })
  const answers = await readConfigRecorders(client)
  if ('denied' in answers) return t.fail('not denied')
  t.equal(answers.statuses[0]?.lastStatusChangeTime?.getTime(), 1452193834344, 'epoch seconds parsed as a Date')
  const r = configRecordingOf(answers, NOW)
  t.match(r, { state: 'recording', detail: /"default" records AWS::EC2::NetworkInterface continuously/, checkedAt: NOW })
  t.ok(configHistoryUsable(r.state))
})

t.test('AccessDeniedException through the SDK: denied, with the actions to grant', async (t) => {
  const denied: [number, string] = [400, JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/whohad-read/x is not authorized to perform: config:DescribeConfigurationRecorders' })]
  const client = await configAnswering(t, { DescribeConfigurationRecorders: denied, DescribeConfigurationRecorderStatus: denied })
  const r = configRecordingOf(await readConfigRecorders(client), NOW)
  t.match(r, { state: 'denied', detail: /AccessDeniedException.*config:DescribeConfigurationRecorders and config:DescribeConfigurationRecorderStatus/ })
  t.notOk(configHistoryUsable(r.state))
})

t.test('another error is not a state: it is thrown (the pass fails, and says why, in the log)', async (t) => {
  const client = await configAnswering(t, { DescribeConfigurationRecorders: [500, JSON.stringify({ __type: 'InternalFailure', message: 'boom' })] })
  await t.rejects(readConfigRecorders(client), { name: 'InternalFailure' })
})

const recorders: ConfigurationRecorder[] = (JSON.parse(CLI_RECORDERS) as { ConfigurationRecorders: ConfigurationRecorder[] }).ConfigurationRecorders
const base = recorders[0]!
const ok: ConfigurationRecorderStatus = { name: 'default', lastStatus: 'Success', recording: true, lastStartTime: new Date(1441039997819) }
/** null: no recorder, or no status for it. */
const of = (recorder: Partial<ConfigurationRecorder> | null, status: Partial<ConfigurationRecorderStatus> | null) =>
  configRecordingOf({ recorders: recorder ? [{ ...base, ...recorder }] : [], statuses: status ? [{ ...ok, ...status }] : [] }, NOW)

t.test('every case, with the state it gives and whether history is read', async (t) => {
  const cases: [string, ConfigurationRecorder | null, Partial<ConfigurationRecorderStatus> | null, string, RegExp][] = [
    ['no recorder', null, null, 'off', /no configuration recorder/],
    ['a recorder without a status', base, null, 'off', /no status/],
    ['a stopped recorder', base, { recording: false, lastStopTime: new Date(NOW - 3_600_000) }, 'off', /stopped \(since 2026-11-20T09:00:00.000Z\)/],
    ['no recording group: the default, all supported', { ...base, recordingGroup: undefined }, ok, 'recording', /continuously/],
    ['inclusion without ENIs (CLI example 2)', { ...base, recordingGroup: CLI_INCLUSION }, ok, 'not-recording-enis', /records only 9 listed resource types, not AWS::EC2::NetworkInterface/],
    ['inclusion with ENIs', { ...base, recordingGroup: { ...CLI_INCLUSION, resourceTypes: [...CLI_INCLUSION!.resourceTypes!, ENI] } }, ok, 'recording', /continuously/],
    ['inclusion by strategy, ENIs not listed', { ...base, recordingGroup: { resourceTypes: ['AWS::EC2::Instance'], recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' } } }, ok, 'not-recording-enis', /not AWS::EC2/],
    ['exclusion of other types (CLI example 3)', { ...base, recordingGroup: CLI_EXCLUSION }, ok, 'recording', /continuously/],
    ['exclusion of ENIs', { ...base, recordingGroup: { ...CLI_EXCLUSION, exclusionByResourceTypes: { resourceTypes: [ENI] } } }, ok, 'not-recording-enis', /excludes AWS::EC2::NetworkInterface/],
    ['exclusion of ENIs without a strategy', { ...base, recordingGroup: { allSupported: false, exclusionByResourceTypes: { resourceTypes: [ENI] } } }, ok, 'not-recording-enis', /excludes/],
    ['ALL_SUPPORTED strategy over a stale list', { ...base, recordingGroup: { allSupported: true, resourceTypes: [], recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' } } }, ok, 'recording', /continuously/],
    ['daily by default', { ...base, recordingMode: { recordingFrequency: 'DAILY' } }, ok, 'daily', /daily: an item may be captured up to a day after its change/],
    ['daily by default, ENIs overridden to continuous', { ...base, recordingMode: { recordingFrequency: 'DAILY', recordingModeOverrides: [{ recordingFrequency: 'CONTINUOUS', resourceTypes: [ENI] }] } }, ok, 'recording', /continuously/],
    ['continuous, ENIs overridden to daily', { ...base, recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [{ description: 'cheap', recordingFrequency: 'DAILY', resourceTypes: ['AWS::EC2::Volume', ENI] }] } }, ok, 'daily', /daily/],
    ['continuous, other types overridden to daily', { ...base, recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [{ recordingFrequency: 'DAILY', resourceTypes: ['AWS::EC2::Volume'] }] } }, ok, 'recording', /continuously/],
    ['last status Failure (API model case)', base, { lastStatus: 'Failure', lastErrorCode: 'NoSuchBucket', lastErrorMessage: 'The specified bucket does not exist.', lastStatusChangeTime: new Date(NOW - 60_000) }, 'failing', /last status is a failure since 2026-11-20T09:59:00.000Z \(NoSuchBucket: The specified bucket does not exist.\); its history is still read/],
    ['last status FAILURE (CLI example case)', base, { lastStatus: 'FAILURE' as never }, 'failing', /failure/],
    ['last status Pending', base, { lastStatus: 'Pending' }, 'recording', /continuously/],
    ['a stopped recorder that records nothing anyway says stopped', { ...base, recordingGroup: CLI_INCLUSION }, { recording: false }, 'off', /stopped/],
  ]
  for (const [name, recorder, status, state, detail] of cases) {
    const r = of(recorder, status)
    t.equal(r.state, state, name)
    t.match(r.detail, detail, `${name}: ${r.detail}`)
    t.equal(configHistoryUsable(r.state), state === 'recording' || state === 'failing', `${name}: history ${configHistoryUsable(r.state) ? 'read' : 'not read'}`)
  }
})

t.test('only the customer-managed recorder counts; its status is found by ARN, else by name', async (t) => {
  const linked: ConfigurationRecorder = { ...base, name: 'AWSConfigurationRecorderForCloudWatch', servicePrincipal: 'cloudwatch.amazonaws.com', arn: 'arn:aws:config:us-east-1:123456789012:configuration-recorder/AWSConfigurationRecorderForCloudWatch/x' }
  t.equal(configRecordingOf({ recorders: [linked], statuses: [{ ...ok, name: linked.name!, arn: linked.arn! }] }, NOW).state, 'off', 'a service-linked recorder alone is not the account\'s history')
  const mine: ConfigurationRecorder = { ...base, arn: 'arn:aws:config:us-east-1:123456789012:configuration-recorder/default/y' }
  const r = configRecordingOf({ recorders: [linked, mine], statuses: [{ ...ok, name: linked.name!, arn: linked.arn!, recording: true }, { ...ok, arn: mine.arn!, recording: false }] }, NOW)
  t.equal(r.state, 'off', "the customer-managed recorder's own status decides (stopped), not the service-linked one's")
})

t.test('a history read refused after the check', async (t) => {
  t.match(configRecordingOfReadFailure('AccessDeniedException: not authorized to perform: config:GetResourceConfigHistory', NOW), { state: 'denied', checkedAt: NOW })
  t.match(configRecordingOfReadFailure('NoAvailableConfigurationRecorderException: no recorder', NOW), { state: 'off', detail: /NoAvailableConfigurationRecorder/ })
})
