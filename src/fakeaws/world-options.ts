// The simulated organisation's options: what a caller may set (WorldOptions) and the checked, complete
// set the world, its builder and its churn read (ResolvedWorldOptions). A module of its own so that those
// three depend on it rather than on each other.
import { type ConfigRecorderMode, isConfigRecorderMode } from './config-recorders.ts'
import { DEFAULT_START_TIME } from './clock.ts'
import { type Ec2VariantSetting, type Ec2VariantsOption, resolveEc2Variants } from './ec2-variants.ts'
import { isKnownRegion, STANDARD_REGIONS } from './regions.ts'

export interface WorldOptions {
  /** Any integer; the same seed and options give the same world. Default 1. */
  readonly seed?: number
  /** Accounts in the organisation, the management account included. Default 3. */
  readonly accounts?: number
  /** How many regions (taken from the standard list) or which ones. Default 2 (us-east-1, eu-west-1). */
  readonly regions?: number | readonly string[]
  /** ENIs per active account-region at the start; churn steers towards it. Default 40. */
  readonly enisPerRegion?: number
  /**
   * The share of account-regions (seeded) that are empty: no ENI at the start and no churn, as most of
   * an Organization's regions are. Default 0.
   */
  readonly emptyShare?: number
  /** Mean churn events per target per virtual hour (0 = a frozen fleet). Default 60. */
  readonly churn?: number
  /** Epoch ms the world starts at. Default 2026-11-20T00:00:00Z. */
  readonly startTime?: number
  /** How many accounts (taken from the end of the list) are SUSPENDED / PENDING_CLOSURE: listed, no fleet. */
  readonly suspendedAccounts?: number
  readonly pendingClosureAccounts?: number
  /** How long a terminated instance stays listed (as `terminated`) before it vanishes. Default 1 h. */
  readonly terminatedVisibleMs?: number
  /** Config captures a change this long after it happens: [min, max] ms, seeded per change. Default [0, 120 000]. */
  readonly configDelayMs?: readonly [number, number]
  /** Fraction of deletions Config records as ResourceDeletedNotRecorded. Default 0.02. */
  readonly configNotRecordedRate?: number
  /** How Config records in every account-region at the start (see config-recorders.ts). Default `all`. */
  readonly configRecording?: ConfigRecorderMode
  /** Which redundant places EC2 answers fill (see ec2-variants.ts): `true` a seeded mix, a name or list forced. Default off. */
  readonly variants?: Ec2VariantsOption
}

export interface ResolvedWorldOptions {
  readonly seed: number
  readonly accounts: number
  readonly regions: readonly string[]
  readonly enisPerRegion: number
  readonly emptyShare: number
  readonly churn: number
  readonly startTime: number
  readonly suspendedAccounts: number
  readonly pendingClosureAccounts: number
  readonly terminatedVisibleMs: number
  readonly configDelayMs: readonly [number, number]
  readonly configNotRecordedRate: number
  readonly configRecording: ConfigRecorderMode
  readonly variants: Ec2VariantSetting
}

export function resolveWorldOptions(options: WorldOptions = {}): ResolvedWorldOptions {
  const regions =
    typeof options.regions === 'number' || options.regions === undefined
      ? STANDARD_REGIONS.slice(0, options.regions ?? 2)
      : [...options.regions]
  let resolved: ResolvedWorldOptions = {
    seed: options.seed ?? 1,
    accounts: options.accounts ?? 3,
    regions,
    enisPerRegion: options.enisPerRegion ?? 40,
    emptyShare: options.emptyShare ?? 0,
    churn: options.churn ?? 60,
    startTime: options.startTime ?? DEFAULT_START_TIME,
    suspendedAccounts: options.suspendedAccounts ?? 0,
    pendingClosureAccounts: options.pendingClosureAccounts ?? 0,
    terminatedVisibleMs: options.terminatedVisibleMs ?? 3_600_000,
    configDelayMs: options.configDelayMs ?? [0, 120_000],
    configNotRecordedRate: options.configNotRecordedRate ?? 0.02,
    configRecording: options.configRecording ?? 'all',
    variants: { mode: 'off' },
  }
  const problems: string[] = []
  try {
    resolved = { ...resolved, variants: resolveEc2Variants(options.variants) }
  } catch (err) {
    problems.push((err as Error).message)
  }
  if (!Number.isSafeInteger(resolved.seed)) problems.push('seed must be an integer')
  if (!Number.isInteger(resolved.accounts) || resolved.accounts < 1 || resolved.accounts > 10_000) problems.push('accounts must be 1-10000')
  if (resolved.regions.length < 1) problems.push('at least one region is needed')
  for (const r of resolved.regions) if (!isKnownRegion(r)) problems.push(`unknown region ${r}`)
  if (new Set(resolved.regions).size !== resolved.regions.length) problems.push('regions repeat')
  if (!Number.isInteger(resolved.enisPerRegion) || resolved.enisPerRegion < 0 || resolved.enisPerRegion > 50_000) problems.push('enisPerRegion must be 0-50000')
  if (!(resolved.emptyShare >= 0 && resolved.emptyShare <= 1)) problems.push('emptyShare must be 0-1')
  if (!(resolved.churn >= 0)) problems.push('churn must be >= 0')
  if (resolved.suspendedAccounts + resolved.pendingClosureAccounts >= resolved.accounts) problems.push('the management account must stay active')
  const [lo, hi] = resolved.configDelayMs
  if (!(lo >= 0 && hi >= lo)) problems.push('configDelayMs must be [min, max] with 0 <= min <= max')
  if (!isConfigRecorderMode(resolved.configRecording)) problems.push(`unknown configRecording ${String(resolved.configRecording)}`)
  if (problems.length > 0) throw new Error(`invalid fake AWS options: ${problems.join('; ')}`)
  return resolved
}
