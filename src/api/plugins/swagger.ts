// The OpenAPI document, made from the routes' zod schemas, and its browser at /docs. Registered before
// the routes, so that it sees each of them as it is added.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'

/** The areas of the API, one tag each in /docs. */
export const TAG = { lookups: 'lookups', current: 'current state', enrichment: 'enrichment', operations: 'operations' } as const

const TAGS = [
  { name: TAG.lookups, description: 'Who held an address at a time: the verdict first, then each holding with its bounds and evidence; timelines, incident notes, CIDR blocks.' },
  { name: TAG.current, description: 'What the collector last saw: ENIs, instances, and EC2\'s own API at /ec2/ for AWS SDKs and the AWS CLI.' },
  { name: TAG.enrichment, description: 'Many lookups at once for SIEM pipelines: batches, NDJSON streams, the Elastic Common Schema form.' },
  { name: TAG.operations, description: 'For load balancers, operators and Prometheus: liveness, readiness, metrics.' },
]

export const openApi = fp<{ withKeys: boolean }>(
  async (app, { withKeys }) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'whohad', description: 'Which of our AWS resources held IP address X at time T? A guide to asking: docs/asking.md in the repository.', version: '1' },
        tags: TAGS,
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
        security: withKeys ? [{ apiKey: [] }] : [],
      },
      transform: jsonSchemaTransform,
    })
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  },
  { name: 'whohad-swagger' },
)
