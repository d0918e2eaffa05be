// configIntervals is pure: Config items → the intervals each ENI held each address over.
import type { ConfigurationItem } from '@aws-sdk/client-config-service'
import t from 'tap'
import { configIntervals } from '../../src/collector/config-source.ts'

const target = { accountId: '111111111111', region: 'eu-west-1' }
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 20, 10)
const item = (at: number, status: ConfigurationItem['configurationItemStatus'], configuration: object | undefined, created = T0 - 86_400_000): ConfigurationItem => ({
  resourceId: 'eni-0a',
  resourceType: 'AWS::EC2::NetworkInterface',
  configurationItemCaptureTime: new Date(at),
  configurationItemStatus: status,
  resourceCreationTime: new Date(created),
  ...(configuration ? { configuration: JSON.stringify(configuration) } : {}),
})
const eni = { vpcId: 'vpc-1', privateIpAddress: '10.0.0.5', privateIpAddresses: [{ privateIpAddress: '10.0.0.5', primary: true }] }

t.test('a discovery item long after the ENI was made (a recorder switched on) does not date its addresses', async (t) => {
  const [late] = configIntervals([item(T0, 'ResourceDiscovered', eni)], target, { maxCaptureDelayMs: 15 * MIN })
  t.equal(late?.start.after, 0, 'held by the capture, since some time unknown')
  t.equal(late?.start.by, T0)
  const [fresh] = configIntervals([item(T0, 'ResourceDiscovered', eni, T0 - 2 * MIN)], target, { maxCaptureDelayMs: 15 * MIN })
  t.equal(fresh?.start.after, T0 - 15 * MIN, 'captured within the delay of its creation: it began with the ENI')
})

t.test('an Elastic IP stated only on the interface\'s own association is held', async (t) => {
  const withEip = { ...eni, association: { publicIp: '203.0.113.7', allocationId: 'eipalloc-1', ipOwnerId: target.accountId } }
  const got = configIntervals([item(T0, 'OK', eni), item(T0 + 10 * MIN, 'OK', withEip), item(T0 + 30 * MIN, 'OK', eni)], target, { maxCaptureDelayMs: 2 * MIN })
  const eip = got.find((c) => c.address === '203.0.113.7')
  t.ok(eip, 'found')
  t.equal(eip?.holder.allocationId, 'eipalloc-1')
  t.same([eip?.start.after, eip?.start.by, eip?.end?.after, eip?.end?.by], [T0 + 8 * MIN, T0 + 10 * MIN, T0 + 28 * MIN, T0 + 30 * MIN])
})

t.test('Config\'s nulls are absent fields, not values', async (t) => {
  const nulls = { ...eni, requesterId: null, interfaceType: null, description: null, attachment: null, association: null }
  const [c] = configIntervals([item(T0, 'OK', nulls)], target, { maxCaptureDelayMs: 2 * MIN })
  t.equal(c?.holder.kind, 'interface')
  t.notOk('description' in (c?.holder ?? {}))
})
