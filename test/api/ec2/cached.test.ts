// /ec2/ from the cache, as whohad serve answers it: the collector polls the simulated organisation into
// DynamoDB Local and the real EC2 client, signing with whohad keys, reads through buildApp. The store's
// description reads are counted through a wrapper: repeated calls read nothing again, a burst of calls
// on a cold server reads each listing once, a new complete poll is answered from its new descriptions
// on the first call after its target state is read (staleMs 0 reads target states on every call, so
// "after" is exact here, not a wait), and a key limited to some accounts never gets an answer built
// for another key's accounts, in either order.
import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, EC2Client, type Instance, paginateDescribeInstances } from '@aws-sdk/client-ec2'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../../../src/api/app.ts'
import { AS_OF_HEADER } from '../../../src/api/routes/ec2.ts'
import type { DescriptionStore } from '../../../src/store/descriptions.ts'
import { fakeOrganisation } from '../../../support/fake-org.ts'
import { openTestStore } from '../../../support/stores.ts'

const ALL = { accessKeyId: 'AKIDCACHEALL00001', secretAccessKey: 'cache-all-secret-0001' }
const ONE = { accessKeyId: 'AKIDCACHEONE00001', secretAccessKey: 'cache-one-secret-0001' }

async function instances(client: EC2Client): Promise<Instance[]> {
  const out: Instance[] = []
  for await (const p of paginateDescribeInstances({ client }, {})) for (const r of p.Reservations ?? []) out.push(...(r.Instances ?? []))
  return out.sort((a, b) => (a.InstanceId! < b.InstanceId! ? -1 : 1))
}

const ids = (list: readonly Instance[]) => list.map((i) => i.InstanceId!)

t.test('/ec2/ answers from the cache: no store read when nothing changed, the new descriptions after a complete poll, scopes kept apart', async (t) => {
  const { fake, session, region, targets, poll } = await fakeOrganisation({ seed: 43, accounts: 2, regions: 1, enisPerRegion: 12, churn: 120 }, (fn) => t.teardown(fn))
  const { store } = await openTestStore(t, 'dynamodb-local')
  let pollNo = 0
  const pollAll = async () => {
    pollNo++
    for (const target of targets) t.ok((await poll(store, target, `p${pollNo}`)).complete, `poll ${pollNo} of ${target.accountId} complete`)
  }
  await pollAll()
  const [one, other] = targets.map((x) => x.accountId).sort()

  // Every read of the recorded descriptions, counted.
  let reads = 0
  const counted = new Proxy(store.descriptions, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if ((name === 'list' || name === 'reservations') && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads++
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      }
      return value
    },
  }) as DescriptionStore

  const app = await buildApp({
    store: { ...store, descriptions: counted },
    staleMs: 0,
    signingKeys: [
      { name: 'all', scopes: ['lookup'], accessKeyId: ALL.accessKeyId, secret: ALL.secretAccessKey },
      { name: 'one', scopes: ['lookup'], accessKeyId: ONE.accessKeyId, secret: ONE.secretAccessKey, accounts: [one!] },
    ],
  })
  t.teardown(() => app.fastify.close())
  await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  const endpoint = `http://127.0.0.1:${(app.fastify.server.address() as AddressInfo).port}/ec2/`
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const c = new EC2Client({ region, endpoint, credentials, maxAttempts: 1 })
    t.teardown(() => c.destroy())
    return c
  }
  const all = client(ALL)
  const limited = client(ONE)
  const own = async () => (await Promise.all(targets.map((x) => instances(session.ec2(x))))).flat().sort((a, b) => (a.InstanceId! < b.InstanceId! ? -1 : 1))

  await t.test('a burst of calls on a cold server reads each listing once; repeated calls read nothing', async (t) => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => all.send(new DescribeInstancesCommand({}))))
    t.equal(reads, 2, 'twelve concurrent DescribeInstances: one read per account')
    const first = burst[0]!.Reservations!.flatMap((r) => r.Instances ?? [])
    t.ok(first.length > 0, `${first.length} instances`)
    t.ok(burst.every((b) => b.Reservations!.flatMap((r) => r.Instances ?? []).length === first.length), 'every call of the burst got them all')
    t.same(await instances(all), await own(), "the same instances as the organisation's own endpoint")
    const someId = first[0]!.InstanceId!
    const byId = await all.send(new DescribeInstancesCommand({ InstanceIds: [someId] }))
    t.same(ids(byId.Reservations!.flatMap((r) => r.Instances ?? [])), [someId], 'by id, from the cached listing')
    const byIp = await all.send(new DescribeInstancesCommand({ Filters: [{ Name: 'private-ip-address', Values: [first[0]!.PrivateIpAddress!] }] }))
    t.ok(ids(byIp.Reservations!.flatMap((r) => r.Instances ?? [])).includes(someId), 'by private address, from the cached listing')
    await all.send(new DescribeInstancesCommand({ InstanceIds: [someId] }))
    t.equal(reads, 2, 'no further reads for repeated and other instance queries')
    await all.send(new DescribeNetworkInterfacesCommand({}))
    t.equal(reads, 4, 'another kind: one read per account')
    await all.send(new DescribeNetworkInterfacesCommand({}))
    t.equal(reads, 4, '…once')
  })

  await t.test('a key limited to one account never gets an answer cached for all of them, nor the other way', async (t) => {
    const everything = await instances(all)
    const mine = everything.filter((i) => i.NetworkInterfaces?.[0]?.OwnerId === one)
    const theirs = everything.filter((i) => i.NetworkInterfaces?.[0]?.OwnerId === other)
    t.ok(mine.length > 0 && theirs.length > 0, 'both accounts have instances')
    t.same(ids(await instances(limited)), ids(mine), "after the unlimited key's identical request, the limited key reads its account's instances only")
    const theirId = theirs[0]!.InstanceId!
    await all.send(new DescribeInstancesCommand({ InstanceIds: [theirId] }))
    await t.rejects(limited.send(new DescribeInstancesCommand({ InstanceIds: [theirId] })), { name: 'InvalidInstanceID.NotFound' }, "another account's instance, just answered to the unlimited key, does not exist for the limited one")
    const mineFirst = await limited.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['*'] }] }))
    const allAfter = await all.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['*'] }] }))
    t.same(ids(mineFirst.Reservations!.flatMap((r) => r.Instances ?? [])).sort(), ids(mine), 'the limited key first: its own')
    t.same(ids(allAfter.Reservations!.flatMap((r) => r.Instances ?? [])).sort(), ids(everything), 'then the unlimited key, the same request: everything')
  })

  await t.test('after a new complete poll, the first call answers from its descriptions', async (t) => {
    const before = await instances(all)
    const readsBefore = reads
    fake.clock.advance(3_600_000)
    const now = await own()
    t.notSame(ids(now), ids(before), 'the organisation changed (launches and terminations)')
    await pollAll()
    let asOf: string | undefined
    all.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args)
        asOf = (out.response as { headers: Record<string, string> }).headers[AS_OF_HEADER]
        return out
      },
      { step: 'deserialize', name: 'asOfHeader' },
    )
    t.same(await instances(all), now, "the first DescribeInstances after the poll: the organisation's instances now, field for field")
    const states = await store.targets.getMany(targets)
    t.equal(asOf, new Date(Math.min(...[...states.values()].map((s) => s.lastCompletePoll!))).toISOString(), `${AS_OF_HEADER}: the new poll`)
    t.equal(reads, readsBefore + 2, 'the new poll: one read per account')
  })
})
