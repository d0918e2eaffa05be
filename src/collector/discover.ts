// Targets: every (account, region) to poll. Accounts come from AWS Organizations (ACTIVE ones) or a
// configured list, filtered; regions from each account's DescribeRegions (enabled ones) or a
// configured list. One account's failure (a missing role, AccessDenied) is reported and skipped: it
// never stops discovery of the others.
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2'
import { paginateListAccounts } from '@aws-sdk/client-organizations'
import type { AwsSession } from '../aws/session.ts'
import type { Target } from '../model/target.ts'

export interface DiscoverOptions {
  /** Fixed accounts; when absent, the Organization's ACTIVE accounts. */
  readonly accounts?: readonly string[]
  readonly include?: readonly string[]
  readonly exclude?: readonly string[]
  /** Fixed regions; when absent, each account's enabled regions. */
  readonly regions?: readonly string[]
  readonly homeRegion: string
}

export interface Discovery {
  readonly targets: Target[]
  readonly failures: { readonly accountId: string; readonly region?: string; readonly error: string }[]
}

export async function discoverTargets(session: AwsSession, options: DiscoverOptions): Promise<Discovery> {
  const failures: Discovery['failures'] = []
  let accounts: string[]
  if (options.accounts?.length) {
    accounts = [...options.accounts]
  } else {
    accounts = []
    for await (const page of paginateListAccounts({ client: session.organizations(), pageSize: 20 }, {})) {
      for (const a of page.Accounts ?? []) {
        // `State` replaced `Status` in 2025; an account is pollable only when ACTIVE either way.
        const state = (a as { State?: string }).State ?? a.Status
        if (a.Id && state === 'ACTIVE') accounts.push(a.Id)
      }
    }
  }
  if (options.include?.length) accounts = accounts.filter((a) => options.include!.includes(a))
  if (options.exclude?.length) accounts = accounts.filter((a) => !options.exclude!.includes(a))
  const targets: Target[] = []
  await Promise.all(
    accounts.map(async (accountId) => {
      try {
        const regions = options.regions?.length ? options.regions : await enabledRegions(session, accountId, options.homeRegion)
        for (const region of regions) targets.push({ accountId, region })
      } catch (err) {
        failures.push({ accountId, error: `${(err as Error).name}: ${(err as Error).message}` })
      }
    }),
  )
  targets.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region))
  return { targets, failures }
}

async function enabledRegions(session: AwsSession, accountId: string, homeRegion: string): Promise<string[]> {
  const out = await session.ec2({ accountId, region: homeRegion }).send(new DescribeRegionsCommand({}))
  return (out.Regions ?? [])
    .filter((r) => r.RegionName && (r.OptInStatus === undefined || r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in'))
    .map((r) => r.RegionName!)
    .sort()
}
