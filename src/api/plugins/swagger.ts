// The OpenAPI document, made from the routes' zod schemas, and its browser at /docs. Registered before
// the routes, so that it sees each of them as it is added.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'

export const openApi = fp<{ withKeys: boolean }>(
  async (app, { withKeys }) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'whohad', description: 'Which of our AWS resources held IP address X at time T?', version: '1' },
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
        security: withKeys ? [{ apiKey: [] }] : [],
      },
      transform: jsonSchemaTransform,
    })
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  },
  { name: 'whohad-swagger' },
)
