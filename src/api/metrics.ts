// Prometheus metrics (prom-client), one registry per app so that tests can build several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { PollResult } from '../model/poll-result.ts'
import type { TargetState } from '../model/target.ts'
import type { MembershipStats } from './membership.ts'

export function createMetrics(
  targetStates: () => Promise<TargetState[]>,
  now: () => number = Date.now,
  membership?: () => MembershipStats | undefined,
  storeRequests?: () => ReadonlyMap<string, number>,
) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Histogram({
    name: 'whohad_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const cache = new Counter({ name: 'whohad_cache_requests_total', help: 'Answer cache reads by result', labelNames: ['result'] as const, registers: [registry] })
  const lookups = new Counter({ name: 'whohad_lookups_total', help: 'Point lookups answered (batch items included)', registers: [registry] })
  const sent = new Map<string, number>()
  new Counter({
    name: 'whohad_store_requests_total',
    help: 'Requests this process sent to DynamoDB (each retry too), by command',
    labelNames: ['command'] as const,
    registers: [registry],
    collect() {
      for (const [command, n] of storeRequests?.() ?? []) {
        const delta = n - (sent.get(command) ?? 0)
        if (delta > 0) this.inc({ command }, delta)
        sent.set(command, n)
      }
    },
  })
  const filtered = new Counter({ name: 'whohad_membership_filtered_total', help: 'Point lookups answered from the membership filter (an address never held), with no cache or store read', registers: [registry] })
  new Gauge({
    name: 'whohad_membership_filter',
    help: 'The membership filter: trusted (1 while it may answer "never held"), members (addresses it holds), bytes (its memory)',
    labelNames: ['measure'] as const,
    registers: [registry],
    collect() {
      this.reset()
      const stats = membership?.()
      if (!stats) return
      this.set({ measure: 'trusted' }, stats.trusted ? 1 : 0)
      this.set({ measure: 'members' }, stats.members)
      this.set({ measure: 'bytes' }, stats.bytes)
    },
  })
  new Gauge({
    name: 'whohad_target_last_complete_poll_age_seconds',
    help: 'Seconds since each target (account, region) was last polled completely; absent if never',
    labelNames: ['account', 'region'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const s of await targetStates().catch(() => [])) {
        if (s.lastCompletePoll !== undefined) this.set({ account: s.accountId, region: s.region }, Math.max(0, (now() - s.lastCompletePoll) / 1000))
      }
    },
  })
  new Gauge({
    name: 'whohad_target_consecutive_failures',
    help: 'Failed polls in a row, per target',
    labelNames: ['account', 'region'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const s of await targetStates().catch(() => [])) this.set({ account: s.accountId, region: s.region }, s.consecutiveFailures)
    },
  })
  new Gauge({
    name: 'whohad_target_config_recording',
    help: 'How AWS Config records each target\'s ENIs, as last checked: 1 for its state (recording, failing, off, not-recording-enis, daily, denied; unchecked before the first check). Config history is read only when recording or failing',
    labelNames: ['account', 'region', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const s of await targetStates().catch(() => [])) this.set({ account: s.accountId, region: s.region, state: s.config?.state ?? 'unchecked' }, 1)
    },
  })
  const polls = new Counter({ name: 'whohad_collector_polls_total', help: 'Target polls by this process, by result', labelNames: ['result'] as const, registers: [registry] })
  const changes = new Counter({ name: 'whohad_collector_holding_changes_total', help: 'Holdings opened, closed or refined by this process', labelNames: ['change'] as const, registers: [registry] })
  const disagreements = new Counter({
    name: 'whohad_snapshot_disagreements_total',
    help: 'Addresses that one place of a complete EC2 snapshot stated and another that should have did not (kept as held), by address kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  })
  // Label children made once: the hot path increments without hashing labels.
  const hits = cache.labels({ result: 'hit' })
  const misses = cache.labels({ result: 'miss' })
  return {
    registry,
    requests,
    cacheRead: (hit: boolean) => (hit ? hits : misses).inc(),
    membershipFiltered: (count: number) => filtered.inc(count),
    lookups,
    /** Wire to the collector's onResult when it runs in this process. */
    pollResult: (r: PollResult) => {
      polls.inc({ result: r.abandoned ? 'abandoned' : r.complete ? 'complete' : 'failed' })
      if (r.opened) changes.inc({ change: 'opened' }, r.opened)
      if (r.closed) changes.inc({ change: 'closed' }, r.closed)
      if (r.refined) changes.inc({ change: 'refined' }, r.refined)
      for (const [kind, n] of Object.entries(r.disagreements?.byKind ?? {})) disagreements.inc({ kind }, n)
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
