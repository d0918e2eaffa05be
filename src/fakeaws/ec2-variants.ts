// Which of the redundant places an EC2 answer fills. AWS states one fact in several places (a public
// IPv4 on the interface and on its private address, an Elastic IP also in DescribeAddresses and on the
// instance, the primary private address as `privateIpAddress` and as the set's primary item), and the
// implementations differ in which they fill. A simulator that always fills every place cannot show a
// reader that trusts one of them wrong, so under `variants` each answer fills only some.
//
// Only omissions: every variant still states each current fact somewhere (the ledger's entries are the
// union of the places), and never states one that is false. The choices are pure functions of the seed,
// the resource and the virtual time, so a seed replays the same answers.
import type { Eip, Eni, Instance } from './entities.ts'
import { hashUnit } from './rng.ts'

/**
 * The variants, each an omission against AWS's full answer:
 * - `eni-association-only`: a public IPv4 on the interface (`<association>` of the ENI item) only, not
 *   on its private address; as moto's DescribeNetworkInterfaces template writes it
 *   (getmoto/moto, moto/ec2/responses/elastic_network_interfaces.py).
 * - `private-association-only`: on the private address (`privateIpAddressesSet/item/association`) only.
 *   Both also for the ENI records inside DescribeInstances.
 * - `instance-ip-absent`: the instance's own `ipAddress` (and `dnsName`) left out; its ENI record keeps it.
 * - `eip-addresses-only`: an Elastic IP's association in DescribeAddresses only, missing from the ENI
 *   and instance records (a just-made association the describes have not caught up with).
 * - `eip-interfaces-only`: on the ENI and instance records, the association missing from DescribeAddresses.
 * - `transition-utc`: `stateTransitionReason` written `(YYYY-MM-DD hh:mm:ss UTC)` as moto writes it
 *   (getmoto/moto, moto/ec2/models/instances.py), not AWS's `GMT`.
 * - `primary-top-only`: the primary private address as the ENI's `privateIpAddress` only, the set
 *   holding the secondary addresses alone.
 * - `primary-set-only`: as the set's primary item only, no `privateIpAddress` (nor `privateDnsName`).
 * A secondary private address has one place (the set), so no variant drops it.
 */
export const EC2_VARIANTS = [
  'eni-association-only',
  'private-association-only',
  'instance-ip-absent',
  'eip-addresses-only',
  'eip-interfaces-only',
  'transition-utc',
  'primary-top-only',
  'primary-set-only',
] as const
export type Ec2Variant = (typeof EC2_VARIANTS)[number]

/** `true`: a seeded mix of every variant; a name or list: exactly those, everywhere they apply; `false`: AWS's full answer. */
export type Ec2VariantsOption = boolean | Ec2Variant | readonly Ec2Variant[]

/** Variants that fill the same places differently: one answer takes at most one of each. */
const DIMENSIONS = {
  association: ['eni-association-only', 'private-association-only'],
  instanceIp: ['instance-ip-absent'],
  elasticIp: ['eip-addresses-only', 'eip-interfaces-only'],
  transition: ['transition-utc'],
  primary: ['primary-top-only', 'primary-set-only'],
} as const satisfies Record<string, readonly Ec2Variant[]>
type Dimension = keyof typeof DIMENSIONS

export type Ec2VariantSetting = { readonly mode: 'off' } | { readonly mode: 'mix' } | { readonly mode: 'forced'; readonly variants: readonly Ec2Variant[] }

export function isEc2Variant(value: unknown): value is Ec2Variant {
  return typeof value === 'string' && (EC2_VARIANTS as readonly string[]).includes(value)
}

/** Checks an option; throws on unknown names and on lists that would drop a fact's every place. */
export function resolveEc2Variants(option: Ec2VariantsOption | undefined): Ec2VariantSetting {
  if (option === undefined || option === false) return { mode: 'off' }
  if (option === true) return { mode: 'mix' }
  const list: readonly unknown[] = typeof option === 'string' ? [option] : Array.isArray(option) ? option : [option]
  const problems: string[] = []
  for (const v of list) if (!isEc2Variant(v)) problems.push(`unknown EC2 variant ${JSON.stringify(v)} (one of ${EC2_VARIANTS.join(', ')})`)
  const variants = [...new Set(list.filter(isEc2Variant))]
  for (const [dimension, members] of Object.entries(DIMENSIONS)) {
    const chosen = variants.filter((v) => (members as readonly string[]).includes(v))
    if (chosen.length > 1) problems.push(`EC2 variants ${chosen.join(' and ')} both decide ${dimension}`)
  }
  // The public IPv4's only place would be the primary item the other one drops.
  if (variants.includes('private-association-only') && variants.includes('primary-top-only')) {
    problems.push('EC2 variants private-association-only and primary-top-only together would drop the public address')
  }
  if (problems.length > 0) throw new Error(problems.join('; '))
  return variants.length === 0 ? { mode: 'off' } : { mode: 'forced', variants }
}

/** How one ENI item is written (in DescribeNetworkInterfaces, or inside an instance of DescribeInstances). */
export interface EniShape {
  /** Where its public IPv4 association goes: `none` while an Elastic IP shows only in DescribeAddresses. */
  readonly association: 'both' | 'interface' | 'private' | 'none'
  /** The primary private address as `privateIpAddress` (with `privateDnsName`). */
  readonly primaryTop: boolean
  /** The primary private address as the primary item of `privateIpAddressesSet`. */
  readonly primaryInSet: boolean
}

export interface InstanceShape {
  /** The instance's own `ipAddress` and `dnsName`. */
  readonly publicIp: boolean
  readonly transitionZone: 'GMT' | 'UTC'
}

export const FULL_ENI_SHAPE: EniShape = { association: 'both', primaryTop: true, primaryInSet: true }
export const FULL_INSTANCE_SHAPE: InstanceShape = { publicIp: true, transitionZone: 'GMT' }

function primaryShape(primary: Ec2Variant | undefined): Omit<EniShape, 'association'> {
  return { primaryTop: primary !== 'primary-set-only', primaryInSet: primary !== 'primary-top-only' }
}

/** In the mix, how often an Elastic IP's association lags on one side in a given answer. */
const LAG_RATE = 1 / 3

export class Ec2Variants {
  private current: Ec2VariantSetting

  constructor(
    private readonly seed: number,
    setting: Ec2VariantSetting = { mode: 'off' },
  ) {
    this.current = setting
  }

  get setting(): Ec2VariantSetting {
    return this.current
  }

  /** Changes the variants from the next answer on (tests pin one after another on a single world). */
  set(option: Ec2VariantsOption): void {
    this.current = resolveEc2Variants(option)
  }

  /**
   * An ENI item of `action`'s answer at `now`. DescribeNetworkInterfaces and DescribeInstances choose
   * apart, so one poll may see the interface one way and the instance's record of it another.
   */
  eniShape(eni: Eni, action: string, now: number): EniShape {
    if (this.current.mode === 'off') return FULL_ENI_SHAPE
    const eip = eni.publicIp?.eip
    if (eip && this.elasticLag(eip, now) === 'eip-addresses-only') {
      return { ...primaryShape(this.choose('primary', eni.id, action, now)), association: 'none' }
    }
    const association = this.choose('association', eni.id, action, now)
    let primary = this.choose('primary', eni.id, action, now)
    // With the association on the private address only, the primary item must stay to carry it.
    if (association === 'private-association-only' && primary === 'primary-top-only') primary = undefined
    return {
      ...primaryShape(primary),
      association: association === 'eni-association-only' ? 'interface' : association === 'private-association-only' ? 'private' : 'both',
    }
  }

  instanceShape(instance: Instance, now: number): InstanceShape {
    if (this.current.mode === 'off') return FULL_INSTANCE_SHAPE
    const eip = instance.state === 'terminated' ? undefined : instance.primaryEni.publicIp?.eip
    const lagging = eip !== undefined && this.elasticLag(eip, now) === 'eip-addresses-only'
    return {
      publicIp: !lagging && this.choose('instanceIp', instance.id, 'DescribeInstances', now) === undefined,
      transitionZone: this.choose('transition', instance.id, 'DescribeInstances', now) === 'transition-utc' ? 'UTC' : 'GMT',
    }
  }

  /** Whether DescribeAddresses states this Elastic IP's association at `now`. */
  addressAssociated(eip: Eip, now: number): boolean {
    return this.current.mode === 'off' || this.elasticLag(eip, now) !== 'eip-interfaces-only'
  }

  /**
   * Which side of an Elastic IP's association lags at `now`, if any. In the mix the side is fixed per
   * association (seeded), only whether it lags varies: so DescribeAddresses and the ENI records can
   * never both leave it out, whichever instants the calls of one poll land on (realtime clocks too).
   */
  private elasticLag(eip: Eip, now: number): 'eip-addresses-only' | 'eip-interfaces-only' | undefined {
    if (this.current.mode === 'forced') return this.forced('elasticIp')
    if (this.current.mode === 'off' || !eip.association) return undefined
    const key = eip.association.id
    if (hashUnit(this.seed, 'ec2-variant-eip-lag', key, now) >= LAG_RATE) return undefined
    return hashUnit(this.seed, 'ec2-variant-eip-side', key) < 0.5 ? 'eip-addresses-only' : 'eip-interfaces-only'
  }

  /** One dimension's variant for one item: forced, or drawn with AWS's full answer as one of the choices. */
  private choose<D extends Dimension>(dimension: D, id: string, action: string, now: number): (typeof DIMENSIONS)[D][number] | undefined {
    if (this.current.mode === 'off') return undefined
    if (this.current.mode === 'forced') return this.forced(dimension)
    const members = DIMENSIONS[dimension]
    const i = Math.floor(hashUnit(this.seed, 'ec2-variant', dimension, id, action, now) * (members.length + 1))
    return i === 0 ? undefined : members[i - 1]
  }

  private forced<D extends Dimension>(dimension: D): (typeof DIMENSIONS)[D][number] | undefined {
    if (this.current.mode !== 'forced') return undefined
    const members: readonly Ec2Variant[] = DIMENSIONS[dimension]
    return this.current.variants.find((v) => members.includes(v)) as (typeof DIMENSIONS)[D][number] | undefined
  }
}
