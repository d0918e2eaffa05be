// /ec2/ as whohad serve answers it: the collector polls the simulated organisation (real SDK, over
// HTTP) into DynamoDB Local, buildApp serves the recorded descriptions, and the real EC2 client, signing
// with a whohad key, reads the same instances, ENIs and addresses as the organisation's own endpoint
// gives, in every account the key may see and in none it may not.
import {
  type Address,
  DescribeAddressesCommand,
  EC2Client,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../../../src/api/app.ts'
import { AS_OF_HEADER } from '../../../src/api/routes/ec2.ts'
import { fakeOrganisation } from '../../../support/fake-org.ts'
import { openTestStore } from '../../../support/stores.ts'

const byId = <T>(list: readonly T[], id: (x: T) => string | undefined) => [...list].sort((a, b) => (id(a)! < id(b)! ? -1 : id(a)! > id(b)! ? 1 : 0))

interface Seen {
  instances: Instance[]
  enis: NetworkInterface[]
  addresses: Address[]
}

async function read(client: EC2Client): Promise<Seen> {
  const instances: Instance[] = []
  const enis: NetworkInterface[] = []
  for await (const p of paginateDescribeInstances({ client, pageSize: 5 }, {})) for (const r of p.Reservations ?? []) instances.push(...(r.Instances ?? []))
  for await (const p of paginateDescribeNetworkInterfaces({ client, pageSize: 5 }, {})) enis.push(...(p.NetworkInterfaces ?? []))
  const addresses = (await client.send(new DescribeAddressesCommand({}))).Addresses ?? []
  return {
    instances: byId(instances, (i) => i.InstanceId),
    enis: byId(enis, (e) => e.NetworkInterfaceId),
    addresses: byId(addresses, (a) => a.AllocationId ?? a.PublicIp),
  }
}

t.test('whohad serves /ec2/ from what the collector recorded, to a signing key, within its accounts', async (t) => {
  const { session, region, targets, poll } = await fakeOrganisation({ seed: 41, accounts: 2, regions: 1, enisPerRegion: 12, churn: 0 }, (fn) => t.teardown(fn))
  const { store } = await openTestStore(t, 'dynamodb-local')
  t.equal(targets.length, 2, 'two accounts, one region')
  for (const target of targets) t.ok((await poll(store, target, 'p1')).complete, `${target.accountId} polled completely`)
  const [one, other] = targets.map((x) => x.accountId).sort()
  const app = await buildApp({
    store,
    signingKeys: [
      { name: 'discovery', scopes: ['lookup'], accessKeyId: 'AKIDDISCOVERY0001', secret: 'discovery-secret-0001' },
      { name: 'one-account', scopes: ['lookup'], accessKeyId: 'AKIDONEACCOUNT001', secret: 'one-account-secret-01', accounts: [one!] },
    ],
  })
  t.teardown(() => app.fastify.close())
  await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  const endpoint = `http://127.0.0.1:${(app.fastify.server.address() as AddressInfo).port}/ec2/`
  const client = (accessKeyId: string, secretAccessKey: string) => {
    const c = new EC2Client({ region, endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 })
    t.teardown(() => c.destroy())
    return c
  }

  // What the organisation's own EC2 endpoint says, account by account.
  const own = new Map<string, Seen>()
  for (const target of targets) own.set(target.accountId, await read(session.ec2(target)))
  const union = (accounts: readonly string[]): Seen => {
    const seen = accounts.map((a) => own.get(a)!)
    return {
      instances: byId(seen.flatMap((s) => s.instances), (i) => i.InstanceId),
      enis: byId(seen.flatMap((s) => s.enis), (e) => e.NetworkInterfaceId),
      addresses: byId(seen.flatMap((s) => s.addresses), (a) => a.AllocationId ?? a.PublicIp),
    }
  }
  t.ok(own.get(one!)!.instances.length > 0 && own.get(other!)!.instances.length > 0, 'both accounts have instances')

  const all = await read(client('AKIDDISCOVERY0001', 'discovery-secret-0001'))
  const want = union([one!, other!])
  t.same(all.instances, want.instances, `DescribeInstances: ${want.instances.length} instances, field for field`)
  t.same(all.enis, want.enis, `DescribeNetworkInterfaces: ${want.enis.length} ENIs`)
  t.same(all.addresses, want.addresses, `DescribeAddresses: ${want.addresses.length} addresses`)

  const limited = await read(client('AKIDONEACCOUNT001', 'one-account-secret-01'))
  const mine = union([one!])
  t.same(limited.instances, mine.instances, "a key limited to one account reads that account's instances, and no other's")
  t.same(limited.enis, mine.enis, '…its ENIs')
  t.same(limited.addresses, mine.addresses, '…its addresses')

  await t.rejects(client('AKIDDISCOVERY0001', 'not-the-secret').send(new DescribeAddressesCommand({})), { name: 'SignatureDoesNotMatch' }, 'a wrong secret is refused, in EC2 terms')
  const res = await fetch(endpoint, { method: 'POST' })
  t.equal(res.status, 403, 'an unsigned request is refused where keys are configured')
  t.match(await res.text(), /<Code>MissingAuthenticationToken<\/Code>/)

  // The answer says which complete poll it comes from.
  const states = await store.targets.getMany(targets)
  const oldest = Math.min(...[...states.values()].map((s) => s.lastCompletePoll!))
  const watched = client('AKIDDISCOVERY0001', 'discovery-secret-0001')
  let asOf: string | undefined
  watched.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args)
      asOf = (out.response as { headers: Record<string, string> }).headers[AS_OF_HEADER]
      return out
    },
    { step: 'deserialize', name: 'asOfHeader' },
  )
  await watched.send(new DescribeAddressesCommand({}))
  t.equal(asOf, new Date(oldest).toISOString(), `${AS_OF_HEADER}: the oldest complete poll of the accounts read`)
})
