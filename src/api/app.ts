// The HTTP API: buildApp() gives the same Fastify instance to tests (inject) and to `whohad serve`.
// Requests are validated by the zod schemas in schemas.ts (also the source of /docs). Bad input is a 4xx
// RFC 9457 problem that says how to fix it (problem.ts); never a 5xx, never a guess. The app is a list
// of plugins, in an order that matters: the problem handlers first (every later plugin's refusals are
// problems), then the global hooks (headers, authentication, then rate limits keyed by the
// authenticated key), then /docs, which must see each route as it is added, then the routes.
import Fastify, { type FastifyInstance } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { LocalCache } from '../cache/local.ts'
import type { AnswerCache } from '../cache/types.ts'
import type { TargetState } from '../model/target.ts'
import { Answers } from './answers.ts'
import { storedDescriptions, watchedAccounts } from './described.ts'
import { Membership } from './membership.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { auditLog } from './plugins/audit.ts'
import { auth, visibleAccounts } from './plugins/auth.ts'
import { securityHeaders } from './plugins/helmet.ts'
import { requestMetrics } from './plugins/metrics.ts'
import { rateLimits } from './plugins/rate-limit.ts'
import { openApi } from './plugins/swagger.ts'
import { problemHandlers, problemServerOptions } from './problem.ts'
import { currentRoutes } from './routes/current.ts'
import { ec2Routes } from './routes/ec2.ts'
import { healthRoutes } from './routes/health.ts'
import { lookupRoutes } from './routes/lookup.ts'
import { uiRoutes } from './routes/ui.ts'
import type { AppOptions, RouteContext } from './types.ts'

export type { ApiKey, AppOptions, SigningKey } from './types.ts'

export interface App {
  readonly fastify: FastifyInstance
  readonly metrics: Metrics
  readonly cache: AnswerCache
  /** The collector wrote holdings of these addresses (in this process): drop answers built on them. */
  invalidate(addresses: readonly string[]): Promise<void>
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger
      ? { redact: ['req.headers.authorization'], ...(typeof options.logger === 'object' ? options.logger : {}) }
      : false,
    ...problemServerOptions,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // Response schemas document the API (/docs) and the tests check replies against them; replies are
  // serialised as-is, so that a cached answer's text is sent without being parsed again.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))

  const keys = options.apiKeys ?? []
  const signingKeys = options.signingKeys ?? []
  const staleMs = options.staleMs ?? 2_000
  const cache = options.cache ?? new LocalCache()
  // Read at most once a second, or as often as the staleness bound needs when it is shorter.
  const targetStates = atMostEvery(Math.min(1000, Math.max(50, staleMs)), () => options.store.targets.list())
  // Addresses never held are answered from memory, where the store keeps a member registry.
  const membership = options.store.members && options.membershipFilter !== false ? new Membership({ registry: options.store.members, staleMs, log: (m) => app.log.warn(m) }) : undefined
  const metrics = createMetrics(targetStates, Date.now, () => membership?.stats(), options.store.requests)
  const answers = new Answers({
    store: options.store.holdings,
    cache,
    targetStates,
    maxGapMs: options.maxGapMs ?? 5 * 60_000,
    staleMs,
    settledMs: options.settledMs ?? 5 * 60_000,
    onCache: metrics.cacheRead,
    ...(membership ? { membership, onFiltered: metrics.membershipFiltered } : {}),
  })
  if (membership) {
    // Loaded before the first request is answered (until then it would only say "maybe").
    cache.onInvalidated?.((addresses) => membership.noteWritten(addresses))
    await membership.start()
    app.addHook('onClose', () => membership.stop())
  }

  await app.register(problemHandlers)
  await app.register(securityHeaders)
  await app.register(auth, { apiKeys: keys, signingKeys, admitAnonymous: options.admitAnonymous ?? false })
  await app.register(auditLog, { stream: options.auditLog?.stream, level: options.auditLog?.level })
  await app.register(rateLimits, { perMinute: options.rateLimitPerMinute ?? 6_000 })
  await app.register(requestMetrics, { metrics })
  await app.register(openApi, { withKeys: keys.length + signingKeys.length > 0 })
  const context: RouteContext = { options, answers, cache, targetStates, metrics, staleMs }
  await app.register(healthRoutes, context)
  await app.register(uiRoutes)
  await app.register(lookupRoutes, context)
  await app.register(currentRoutes, context)
  // EC2's Query API over the recorded descriptions, where the store keeps them.
  const descriptions = options.store.descriptions
  if (descriptions) {
    await app.register(ec2Routes, {
      source: storedDescriptions(descriptions, targetStates, options.ec2MemoItems !== undefined ? { memoItems: options.ec2MemoItems } : {}),
      accounts: (req) => watchedAccounts(targetStates, visibleAccounts(req)),
      ...(options.ec2AnswerMemoBytes !== undefined ? { answerMemoBytes: options.ec2AnswerMemoBytes } : {}),
    })
  }

  return {
    fastify: app as unknown as FastifyInstance,
    metrics,
    cache,
    invalidate: async (addresses) => {
      await cache.invalidate(addresses)
    },
  }
}

/**
 * Target states change once per poll per target; reading them at most once a second is plenty. What
 * /ec2/ serves is keyed by them, so this period is also how late a new complete poll may be seen.
 */
function atMostEvery(periodMs: number, read: () => Promise<TargetState[]>): () => Promise<TargetState[]> {
  let states: { at: number; list: Promise<TargetState[]> } | undefined
  return () => {
    if (!states || Date.now() - states.at >= periodMs) {
      const list = read()
      states = { at: Date.now(), list }
      list.catch(() => {
        if (states?.list === list) states = undefined
      })
    }
    return states.list
  }
}
