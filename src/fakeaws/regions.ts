// The region catalogue DescribeRegions answers from, and the naming rules EC2 uses per region.

/** Regions enabled in every account (opt-in not required), in the order worlds use them. */
export const STANDARD_REGIONS: readonly string[] = [
  'us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'eu-central-1', 'ap-northeast-1',
  'us-east-2', 'sa-east-1', 'ca-central-1', 'ap-south-1', 'eu-north-1', 'us-west-1',
  'eu-west-2', 'ap-southeast-1', 'eu-west-3', 'ap-northeast-2', 'ap-northeast-3',
]

/** Regions an account must opt in to; DescribeRegions AllRegions=true lists them as not-opted-in. */
export const OPT_IN_REGIONS: readonly string[] = [
  'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1',
  'me-south-1', 'mx-central-1',
]

export function isKnownRegion(name: string): boolean {
  return STANDARD_REGIONS.includes(name) || OPT_IN_REGIONS.includes(name)
}

export function isOptInRegion(name: string): boolean {
  return OPT_IN_REGIONS.includes(name)
}

/**
 * /12-aligned public blocks, one per world region index, that look like Amazon space. Each region's
 * pool is sized to demand inside its block, so pools of different regions never overlap.
 */
const PUBLIC_BLOCKS: readonly string[] = [
  '3.80.0.0', '52.16.0.0', '34.208.0.0', '13.224.0.0', '18.176.0.0', '35.64.0.0', '54.144.0.0',
  '15.160.0.0', '43.192.0.0', '44.192.0.0', '16.160.0.0', '52.48.0.0', '18.128.0.0', '13.48.0.0',
  '35.176.0.0', '52.64.0.0', '3.32.0.0', '54.64.0.0', '18.96.0.0', '13.112.0.0', '52.192.0.0',
  '34.240.0.0', '3.96.0.0', '15.224.0.0', '99.80.0.0', '100.16.0.0', '34.192.0.0', '54.192.0.0',
  '52.80.0.0', '3.112.0.0', '18.224.0.0',
]

export function publicBlock(regionIndex: number): string {
  const block = PUBLIC_BLOCKS[regionIndex]
  if (block === undefined) throw new Error(`at most ${PUBLIC_BLOCKS.length} regions are supported`)
  return block
}

/** `use1`, `apse2`, `euc1`: the prefix of availability zone ids. */
export function azIdPrefix(region: string): string {
  const [geo = '', direction = '', n = ''] = region.split('-')
  const short: Record<string, string> = {
    east: 'e', west: 'w', north: 'n', south: 's', central: 'c',
    northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
  }
  return `${geo}${short[direction] ?? direction.slice(0, 1)}${n}`
}

export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replaceAll('.', '-')}`
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`
}

export function publicDnsName(ip: string, region: string): string {
  const host = `ec2-${ip.replaceAll('.', '-')}`
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`
}
