// Measures what a large simulated organisation costs: build time, memory, a full sweep of every target,
// and deep pagination of one large target (pages late in the run must cost what early ones do).
// Run: npm run bench:fakeaws -- [--accounts 100] [--regions 4] [--enis-per-region 250]
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { FakeAws } from '../src/fakeaws/fake.ts'
import { startFakeAws } from '../src/fakeaws/fake.ts'

export interface ScaleOptions {
  readonly accounts: number
  readonly regions: number
  readonly enisPerRegion: number
  /** ENIs in the separate single-target world used to time deep pagination. */
  readonly deepEnis: number
  readonly deepPageSize: number
}

export interface ScaleReport {
  readonly enis: number
  readonly ledgerEntries: number
  readonly buildMs: number
  readonly heapUsedMiB: number
  readonly rssMiB: number
  /** Applying one virtual hour of churn (60 events per target). */
  readonly churnHourMs: number
  /** One DescribeNetworkInterfaces (MaxResults 1000) sweep of every target over HTTP. */
  readonly sweepMs: number
  readonly sweepRequests: number
  readonly deep: { readonly enis: number; readonly pages: number; readonly firstTenthMsPerPage: number; readonly lastTenthMsPerPage: number }
}

const MIB = 2 ** 20

export async function measureScale(o: ScaleOptions): Promise<ScaleReport> {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const started = performance.now()
  const fake = await startFakeAws({ seed: 7, accounts: o.accounts, regions: o.regions, enisPerRegion: o.enisPerRegion, churn: 60, throttling: 'off' })
  const buildMs = performance.now() - started
  gc?.()
  const memory = process.memoryUsage()
  const stats = fake.world.stats()
  const churnStart = performance.now()
  fake.clock.advance(3_600_000)
  const churnHourMs = performance.now() - churnStart
  let sweepRequests = 0
  const sweepStart = performance.now()
  try {
    for (const accountId of fake.activeAccountIds) {
      for (const region of fake.regions) sweepRequests += (await pageThrough(fake, accountId, region, 1000)).length
    }
  } finally {
    await fake.close()
  }
  const sweepMs = performance.now() - sweepStart

  const deepFake = await startFakeAws({ seed: 8, accounts: 1, regions: 1, enisPerRegion: o.deepEnis, churn: 0, throttling: 'off' })
  let times: number[]
  try {
    times = await pageThrough(deepFake, deepFake.managementAccountId, deepFake.regions[0] as string, o.deepPageSize)
  } finally {
    await deepFake.close()
  }
  const tenth = Math.max(1, Math.floor(times.length / 10))
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  return {
    enis: stats.enis,
    ledgerEntries: stats.ledgerEntries,
    buildMs,
    heapUsedMiB: memory.heapUsed / MIB,
    rssMiB: memory.rss / MIB,
    churnHourMs,
    sweepMs,
    sweepRequests,
    deep: {
      enis: o.deepEnis,
      pages: times.length,
      firstTenthMsPerPage: mean(times.slice(0, tenth)),
      lastTenthMsPerPage: mean(times.slice(-tenth)),
    },
  }
}

/** Pages through one target's DescribeNetworkInterfaces over HTTP; returns each page's latency. */
async function pageThrough(fake: FakeAws, accountId: string, region: string, pageSize: number): Promise<number[]> {
  const creds = fake.credentialsFor(accountId)
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20261120/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    'x-amz-security-token': creds.sessionToken ?? '',
  }
  const times: number[] = []
  let token: string | undefined
  do {
    const body = new URLSearchParams({ Action: 'DescribeNetworkInterfaces', Version: '2016-11-15', MaxResults: String(pageSize), ...(token ? { NextToken: token } : {}) })
    const t0 = performance.now()
    const res = await fetch(fake.endpoint, { method: 'POST', headers, body: body.toString() })
    const text = await res.text()
    times.push(performance.now() - t0)
    if (res.status !== 200) throw new Error(`DescribeNetworkInterfaces failed: ${text.slice(0, 200)}`)
    token = /<nextToken>([^<]+)<\/nextToken>/.exec(text)?.[1]
  } while (token)
  return times
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '100' },
      regions: { type: 'string', default: '4' },
      'enis-per-region': { type: 'string', default: '250' },
      'deep-enis': { type: 'string', default: '25000' },
    },
  })
  const report = await measureScale({
    accounts: Number(values.accounts),
    regions: Number(values.regions),
    enisPerRegion: Number(values['enis-per-region']),
    deepEnis: Number(values['deep-enis']),
    deepPageSize: 100,
  })
  const f = (n: number, d = 1): string => n.toFixed(d)
  process.stdout.write(
    `${report.enis} ENIs (${report.ledgerEntries} ledger entries): built in ${f(report.buildMs / 1000, 2)} s; ` +
      `heap ${f(report.heapUsedMiB, 0)} MiB, RSS ${f(report.rssMiB, 0)} MiB\n` +
      `one virtual hour of churn applied in ${f(report.churnHourMs / 1000, 2)} s\n` +
      `full sweep: ${report.sweepRequests} requests in ${f(report.sweepMs / 1000, 2)} s\n` +
      `deep pagination of one ${report.deep.enis}-ENI target: ${report.deep.pages} pages; ` +
      `${f(report.deep.firstTenthMsPerPage, 2)} ms/page in the first tenth, ${f(report.deep.lastTenthMsPerPage, 2)} ms/page in the last\n`,
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
