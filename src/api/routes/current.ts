// Current state for other services: ENIs and instances as the collector last saw them, so that they
// need not call DescribeInstances (and be throttled). Instances come from their records (what
// DescribeInstances said: state, own subnet), not from the addresses their ENIs hold: a stopped
// instance keeps its ENIs, and a second ENI may sit in another subnet. Read through the cache for at
// most the staleness bound: these answers change with every poll.
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { InstanceRecord } from '../../model/instance.ts'
import type { StoredHolding } from '../../model/stored-holding.ts'
import type { InstancePage } from '../../store/instances.ts'
import type { InstancePart } from '../../store/table.ts'
import { isoBound } from '../bounds.ts'
import { noteAudit } from '../plugins/audit.ts'
import { visibleAccounts } from '../plugins/auth.ts'
import { TAG } from '../plugins/swagger.ts'
import { Problem } from '../problem.ts'
import type { RouteContext } from '../types.ts'
import * as s from '../schemas.ts'

const problems = { 400: s.problem, 401: s.problem, 403: s.problem, 404: s.problem, 429: s.problem }
const PAGE = 1_000
const MAX_CHUNKS = 5

function address(h: StoredHolding) {
  return { address: h.address, addressKind: h.addressKind, scope: h.scope, eniId: h.holder.eniId, start: isoBound(h.start), ...(h.end ? { end: isoBound(h.end) } : {}) }
}

/**
 * An instance as the API shows it. A record still listed was listed by every complete poll of its
 * target since it was written (a change would have rewritten it), so it was last seen at the later of
 * the two.
 */
function present(record: InstanceRecord, lastCompletePoll: number | undefined) {
  const listed = record.gone === undefined
  const { stateSince, ...rest } = record
  return {
    ...rest,
    ...(stateSince ? { stateSince: isoBound(stateSince) } : {}),
    current: listed && record.state !== 'terminated',
    lastSeen: listed ? Math.max(record.lastSeen, lastCompletePoll ?? record.lastSeen) : record.lastSeen,
  }
}

/**
 * What the holdings of an instance's ENIs say of it, for one no poll has described (known from AWS
 * Config history alone, or from before instance records were kept): no state, and no subnet or VPC,
 * which only the instance's own record states (its ENIs may sit in other subnets).
 */
function fromHoldings(instanceId: string, holdings: readonly StoredHolding[]) {
  const newest = [...holdings].sort((a, b) => b.start.after - a.start.after)[0]!.holder
  const current = holdings.filter((h) => !h.end)
  return {
    instanceId,
    accountId: newest.accountId,
    region: newest.region,
    current: false,
    ...(newest.name !== undefined ? { name: newest.name } : {}),
    ...(newest.instanceType !== undefined ? { instanceType: newest.instanceType } : {}),
    ...(newest.imageId !== undefined ? { imageId: newest.imageId } : {}),
    ...(newest.tags !== undefined ? { tags: newest.tags } : {}),
    enis: [...new Set(current.map((h) => h.holder.eniId))].map((eniId) => ({ eniId })),
  }
}

function partFor(filter: s.InstanceStateFilter): InstancePart | 'all' {
  return filter.gone ? (filter.states.length > 0 ? 'all' : 'gone') : 'listed'
}

/** A listing's place: the target it is in and, within it, the last index key read. */
function encodeToken(accountId: string, region: string, after: string | undefined): string {
  return Buffer.from([accountId, region, after ?? ''].join('/')).toString('base64url')
}

function decodeToken(token: string): { key: string; after?: string } | undefined {
  const [accountId, region, after, ...rest] = Buffer.from(token, 'base64url').toString().split('/')
  if (!accountId || !region || after === undefined || rest.length > 0) return undefined
  return { key: `${accountId}/${region}`, ...(after ? { after } : {}) }
}

/** Whether the request's key may see this account's resources. */
function sees(req: FastifyRequest, accountId: string): boolean {
  const visible = visibleAccounts(req)
  return visible === 'all' || visible.has(accountId)
}

export const currentRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { options, cache, staleMs, targetStates }) => {
  const store = options.store.holdings
  const instances = options.store.instances
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
    { schema: { tags: [TAG.current], summary: 'An ENI: what holds it now and every address it held', description: 'Example: `GET /v1/enis/eni-0abc1234`', params: s.eniParams, response: { 200: z.unknown(), ...problems } } },
    async (req, reply) => {
      const text = await cached(`eni|${req.params.id}`, async () => {
        const holdings = await store.holdingsOfEni(req.params.id)
        if (holdings.length === 0) return { missing: true }
        const newest = holdings[holdings.length - 1]!.holder
        return { eniId: req.params.id, current: holdings.some((h) => !h.end), holder: newest, addresses: holdings.filter((h) => !h.end).map(address), history: holdings.map(address) }
      })
      // Cached for every key alike, so limited after the cache: another account's ENI is one never seen.
      if (text === '{"missing":true}' || !sees(req, (JSON.parse(text) as { holder: { accountId: string } }).holder.accountId)) throw new Problem(404, `whohad has never seen ${req.params.id}`)
      noteAudit(req, [req.params.id], 1)
      return reply.type('application/json; charset=utf-8').send(text as never)
    },
  )

  app.get(
    '/v1/instances/:id',
    { schema: { tags: [TAG.current], summary: 'An instance: its record, current addresses and address history', description: 'Example: `GET /v1/instances/i-0abc1234`', params: s.instanceParams, response: { 200: s.instanceDetail, ...problems } } },
    async (req, reply) => {
      const id = req.params.id
      const text = await cached(`instance|${id}`, async () => {
        const record = await instances.get(id)
        const holdings = await store.holdingsOfInstance(id, record?.enis.map((e) => e.eniId) ?? [])
        if (!record && holdings.length === 0) return { missing: true }
        const state = record && (await targetStates()).find((t) => t.accountId === record.accountId && t.region === record.region)
        const described = record ? present(record, state?.lastCompletePoll) : fromHoldings(id, holdings)
        return { ...described, addresses: holdings.filter((h) => !h.end).map(address), history: holdings.map(address) }
      })
      if (text === '{"missing":true}' || !sees(req, (JSON.parse(text) as { accountId: string }).accountId)) throw new Problem(404, `whohad has never seen ${id}`)
      noteAudit(req, [id], 1)
      return reply.type('application/json; charset=utf-8').send(text as never)
    },
  )

  app.get(
    '/v1/instances',
    {
      schema: {
        tags: [TAG.current],
        summary: 'Instances as the collector last saw them in DescribeInstances',
        description:
          'By default every instance the latest complete poll listed, in any state but terminated; `state` chooses others (`all`: every record, gone ones included). ' +
          `Filter by account, region, VPC or Name tag. A page holds about ${PAGE} instances; pass nextToken for the next.\n\n` +
          'Example: `GET /v1/instances?account=123456789012&region=eu-west-1&state=running,stopped`',
        querystring: s.instancesQuery,
        response: { 200: s.instancesAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const q = req.query
      const filter = q.state ?? s.DEFAULT_INSTANCE_STATES
      const part = partFor(filter)
      const wanted = new Set(filter.states)
      const targets = (await targetStates())
        .filter((t) => sees(req, t.accountId) && (q.account === undefined || t.accountId === q.account) && (q.region === undefined || t.region === q.region))
        .sort((a, b) => `${a.accountId}/${a.region}`.localeCompare(`${b.accountId}/${b.region}`))
      let i = 0
      let after: string | undefined
      if (q.nextToken) {
        const at = decodeToken(q.nextToken)
        i = at ? targets.findIndex((t) => `${t.accountId}/${t.region}` === at.key) : -1
        if (i < 0) throw new Problem(400, '"nextToken": not a token from this listing; start again without it')
        after = at!.after
      }
      const out: ReturnType<typeof present>[] = []
      // A page reads at most a few chunks, so that filters that match little cannot make one request read everything.
      for (let chunks = 0; i < targets.length && out.length < PAGE && chunks < MAX_CHUNKS; chunks++) {
        const t = targets[i]!
        const text = await cached(`instances|${t.accountId}|${t.region}|${part}|${after ?? ''}`, () =>
          instances.pageOfTarget(t.accountId, t.region, part, { ...(after !== undefined ? { after } : {}), limit: PAGE }),
        )
        const page = JSON.parse(text) as InstancePage
        for (const record of page.records) {
          if (!(record.gone === undefined ? wanted.has(record.state) : filter.gone)) continue
          if (q.vpc && record.vpcId !== q.vpc) continue
          if (q.name !== undefined && record.name !== q.name) continue
          out.push(present(record, t.lastCompletePoll))
        }
        after = page.next
        if (after === undefined) i++
      }
      const next = targets[i]
      noteAudit(req, [], out.length)
      return reply.send({ instances: out, ...(next ? { nextToken: encodeToken(next.accountId, next.region, after) } : {}) })
    },
  )
}
