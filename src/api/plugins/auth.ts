// API keys: /v1/ needs the "lookup" scope and /metrics the "metrics" scope ("admin" grants both); the
// page, /docs and the health routes stay open. Keys are kept as sha256 digests and compared in constant
// time. With no keys configured the API runs open.
import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { Problem } from '../problem.ts'
import type { ApiKey } from '../types.ts'

export const auth = fp<{ apiKeys: readonly ApiKey[] }>(
  async (app, { apiKeys: keys }) => {
    app.addHook('onRequest', async (req) => {
      if (keys.length === 0) return
      const needs = req.url.startsWith('/v1/') ? 'lookup' : req.url.startsWith('/metrics') ? 'metrics' : undefined
      if (!needs) return
      const header = req.headers.authorization ?? ''
      const token = header.startsWith('Bearer ') ? header.slice(7).trim() : ''
      if (!token) throw new Problem(401, 'send an API key as "Authorization: Bearer <key>"')
      const digest = createHash('sha256').update(token).digest()
      const key = keys.find((k) => {
        const want = Buffer.from(k.sha256, 'hex')
        return want.length === digest.length && timingSafeEqual(want, digest)
      })
      if (!key) throw new Problem(401, 'that API key is not known to this server')
      if (!key.scopes.includes(needs) && !key.scopes.includes('admin')) throw new Problem(403, `key "${key.name}" lacks the "${needs}" scope`)
      req.whohadKey = key.name
    })
  },
  { name: 'whohad-auth' },
)
