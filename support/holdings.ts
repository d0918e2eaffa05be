// Compact construction of holdings for tests.
import type { Bound, Holding } from '../src/model/holding.ts'
import { parseIp, scopeFor } from '../src/model/ip.ts'

export interface HoldingSpec {
  address: string
  eni?: string
  vpc?: string
  account?: string
  region?: string
  instance?: string
  start: [number, number]
  end?: [number, number]
}

export function bound([after, by]: [number, number], ref = 'test'): Bound {
  return { after, by, evidence: [{ source: 'ec2-poll', at: by, ref }] }
}

export function makeHolding(spec: HoldingSpec): Holding {
  const ip = parseIp(spec.address)
  const vpcId = spec.vpc ?? 'vpc-0aaa'
  return {
    address: ip.text,
    addressKind: ip.version === 6 ? 'ipv6' : scopeFor(ip, vpcId) === 'global' ? 'public-ipv4' : 'private-ipv4',
    scope: scopeFor(ip, vpcId),
    holder: {
      eniId: spec.eni ?? 'eni-0001',
      kind: spec.instance ? 'instance' : 'interface',
      accountId: spec.account ?? '111111111111',
      region: spec.region ?? 'eu-west-1',
      vpcId,
      ...(spec.instance ? { instanceId: spec.instance } : {}),
    },
    start: bound(spec.start),
    ...(spec.end ? { end: bound(spec.end) } : {}),
  }
}
