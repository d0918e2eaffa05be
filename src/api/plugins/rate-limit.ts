// Requests per minute per API key, or per client address when the API runs open; the health routes
// are never limited (a load balancer polls them).
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export const rateLimits = fp<{ perMinute: number }>(
  async (app, { perMinute }) => {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      // The plugin's hook is a route-level onRequest hook: it runs after the global authentication hook
      // (so the limit is per key; open servers limit per client address) and before any route's own
      // pre-validation fast path, which may answer from the cache.
      hook: 'onRequest',
      keyGenerator: (req: FastifyRequest) => (req.whohadKey ? `key:${req.whohadKey}` : `ip:${req.ip}`),
      allowList: (req: FastifyRequest) => req.url === '/healthz' || req.url === '/readyz',
      errorResponseBuilder: (_req, context) => ({ statusCode: 429, message: `over ${context.max} requests per minute for this key; retry in ${context.after}` }),
    })
  },
  { name: 'whohad-rate-limit' },
)
