// Security headers on every reply. The page and /docs load only their own scripts; the page's styles
// may be inline.
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

export const securityHeaders = fp(
  async (app) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"] },
      },
    })
  },
  { name: 'whohad-helmet' },
)
