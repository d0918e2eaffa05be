// Current state for other services: ENIs and instances as the collector last saw them, so that they
// need not call DescribeInstances (and be throttled). Read through the cache for at most the staleness
// bound: these answers change with every poll.
import { z } from 'zod'
import type { StoredHolding } from '../store/items.ts'
import { Problem, type RouteContext } from './app.ts'
import * as s from './schemas.ts'

const problems = { 400: s.problem, 401: s.problem, 403: s.problem, 404: s.problem, 429: s.problem }
const PAGE = 1_000

function address(h: StoredHolding) {
  return { address: h.address, addressKind: h.addressKind, scope: h.scope, eniId: h.holder.eniId, start: h.start, ...(h.end ? { end: h.end } : {}) }
}

/** An instance's description from its holdings' newest holder record, and its current addresses. */
function instanceOf(holdings: readonly StoredHolding[]) {
  const newest = [...holdings].sort((a, b) => b.start.after - a.start.after)[0]!.holder
  const current = holdings.filter((h) => !h.end)
  return {
    instanceId: newest.instanceId!,
    current: current.length > 0,
    name: newest.name,
    instanceType: newest.instanceType,
    imageId: newest.imageId,
    accountId: newest.accountId,
    region: newest.region,
    vpcId: newest.vpcId,
    subnetId: newest.subnetId,
    tags: newest.tags,
    enis: [...new Set(current.map((h) => h.holder.eniId))],
    addresses: current.map(address),
  }
}

export function registerCurrentRoutes({ app, options, cache, staleMs, targetStates }: RouteContext): void {
  const store = options.store
  /** Read-through with a time to live of the staleness bound; no per-address versions to check. */
  const cached = async (key: string, compute: () => Promise<object>) => {
    const read = { key, dependsOn: [] }
    const [hit] = await cache.getMany([read])
    if (hit!.value !== undefined) return hit!.value
    const text = JSON.stringify(await compute())
    await cache.set(read, hit!.stamp, text, staleMs)
    return text
  }

  app.get(
    '/v1/enis/:id',
    { schema: { summary: 'An ENI: what holds it now and every address it held', params: s.eniParams, response: { 200: z.unknown(), ...problems } } },
    async (req, reply) => {
      const text = await cached(`eni|${req.params.id}`, async () => {
        const holdings = await store.holdingsOfEni(req.params.id)
        if (holdings.length === 0) return { missing: true }
        const newest = holdings[holdings.length - 1]!.holder
        return { eniId: req.params.id, current: holdings.some((h) => !h.end), holder: newest, addresses: holdings.filter((h) => !h.end).map(address), history: holdings.map(address) }
      })
      if (text === '{"missing":true}') throw new Problem(404, `whohad has never seen ${req.params.id}`)
      return reply.type('application/json; charset=utf-8').send(text as never)
    },
  )

  app.get(
    '/v1/instances/:id',
    { schema: { summary: 'An instance: its description, current addresses and address history', params: s.instanceParams, response: { 200: z.unknown(), ...problems } } },
    async (req, reply) => {
      const text = await cached(`instance|${req.params.id}`, async () => {
        const holdings = await store.holdingsOfInstance(req.params.id)
        if (holdings.length === 0) return { missing: true }
        return { ...instanceOf(holdings), history: holdings.map(address) }
      })
      if (text === '{"missing":true}') throw new Problem(404, `whohad has never seen ${req.params.id}`)
      return reply.type('application/json; charset=utf-8').send(text as never)
    },
  )

  app.get(
    '/v1/instances',
    {
      schema: {
        summary: 'Instances running now, as the collector last saw them',
        description: `Filter by account, region, VPC or Name tag. Pages hold whole targets (account × region), about ${PAGE} instances; pass nextToken for the next.`,
        querystring: s.instancesQuery,
        response: { 200: z.object({ instances: z.array(z.unknown()), nextToken: z.string().optional() }), ...problems },
      },
    },
    async (req, reply) => {
      const q = req.query
      const targets = (await targetStates())
        .filter((t) => (q.account === undefined || t.accountId === q.account) && (q.region === undefined || t.region === q.region))
        .sort((a, b) => `${a.accountId}/${a.region}`.localeCompare(`${b.accountId}/${b.region}`))
      let start = 0
      if (q.nextToken) {
        start = targets.findIndex((t) => `${t.accountId}/${t.region}` === Buffer.from(q.nextToken!, 'base64url').toString())
        if (start < 0) throw new Problem(400, '"nextToken": not a token from this listing; start again without it')
      }
      const instances: ReturnType<typeof instanceOf>[] = []
      let i = start
      for (; i < targets.length && instances.length < PAGE; i++) {
        const t = targets[i]!
        const text = await cached(`target|${t.accountId}|${t.region}`, async () => {
          const byInstance = new Map<string, StoredHolding[]>()
          for (const h of await store.currentOfTarget(t.accountId, t.region)) {
            if (!h.holder.instanceId) continue
            byInstance.set(h.holder.instanceId, [...(byInstance.get(h.holder.instanceId) ?? []), h])
          }
          return [...byInstance.values()].map(instanceOf)
        })
        for (const inst of JSON.parse(text) as ReturnType<typeof instanceOf>[]) {
          if (q.vpc && inst.vpcId !== q.vpc) continue
          if (q.name !== undefined && inst.name !== q.name) continue
          instances.push(inst)
        }
      }
      const next = targets[i]
      return reply.send({ instances, ...(next ? { nextToken: Buffer.from(`${next.accountId}/${next.region}`).toString('base64url') } : {}) })
    },
  )
}
