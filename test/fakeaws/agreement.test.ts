// The API and the ground truth agree: at any virtual time, what a complete DescribeNetworkInterfaces
// sweep of every target shows is exactly the ledger's open entries, and each shown holding is what
// the ledger answers for that address at that time.
import type { EC2Client } from '@aws-sdk/client-ec2'
import { paginateDescribeInstances } from '@aws-sdk/client-ec2'
import fc from 'fast-check'
import t from 'tap'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { ec2For, entryKey, sweep } from './fixtures/sdk.ts'

t.test('DescribeNetworkInterfaces shows exactly the open ledger entries', async (t) => {
  let checks = 0
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.integer({ min: 1, max: 20 * 60_000 }), { minLength: 6, maxLength: 10 }),
      fc.integer({ min: 5, max: 60 }),
      async (seed, advances, pageSize) => {
        const fake = await startFakeAws({ seed, accounts: 3, regions: 2, enisPerRegion: 30, churn: 900, throttling: 'off' })
        try {
          const clients = new Map<string, EC2Client>()
          for (const ms of [0, ...advances]) {
            fake.clock.advance(ms)
            const shown = await sweep(fake, pageSize, clients)
            const open = new Set(fake.ledger.current().map(entryKey))
            const missing = [...open].filter((k) => !shown.has(k))
            const extra = [...shown].filter((k) => !open.has(k))
            if (missing.length > 0 || extra.length > 0) {
              throw new Error(`seed ${seed} at +${ms}: ledger-only ${missing.slice(0, 3).join(', ')}; api-only ${extra.slice(0, 3).join(', ')}`)
            }
            // Point lookups answer the same holder for each shown address.
            const now = fake.clock.now()
            for (const key of [...shown].slice(0, 25)) {
              const [ip = '', scope, eni] = key.split('|')
              if (!fake.ledger.at(ip, now).some((e) => e.scope === scope && e.eniId === eni)) throw new Error(`ledger.at(${ip}) misses ${key}`)
            }
            checks++
          }
        } finally {
          await fake.close()
        }
      },
    ),
    { numRuns: 4, seed: 20261120, endOnFailure: true },
  )
  t.ok(checks >= 28, `${checks} sweeps agreed with the ledger`)
})

t.test("DescribeInstances' public addresses are the ledger's", async (t) => {
  const fake = await startFakeAws({ seed: 77, accounts: 2, regions: 1, enisPerRegion: 60, churn: 600, throttling: 'off' })
  t.teardown(() => fake.close())
  for (let step = 0; step < 5; step++) {
    fake.clock.advance(7 * 60_000)
    for (const accountId of fake.activeAccountIds) {
      const client = ec2For(fake, accountId, 'us-east-1')
      for await (const page of paginateDescribeInstances({ client, pageSize: 25 }, {})) {
        for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          const primary = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)
          const truth = primary ? fake.ledger.current().filter((e) => e.eniId === primary.NetworkInterfaceId && e.kind === 'public-ipv4') : []
          if ((instance.PublicIpAddress ?? null) !== (truth[0]?.ip ?? null)) {
            t.fail(`${instance.InstanceId}: API says ${instance.PublicIpAddress}, ledger says ${truth[0]?.ip}`)
          }
          if (instance.State?.Name === 'terminated' && (instance.NetworkInterfaces?.length ?? 0) > 0) t.fail('terminated instances have no ENIs')
        }
      }
    }
  }
  t.pass('instances agree at every step')
})
