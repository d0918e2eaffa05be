// `whohad fakeaws`: runs the simulated organisation standalone until SIGINT/SIGTERM.
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { EC2_VARIANTS, type Ec2Variant, isEc2Variant } from '../fakeaws/ec2-variants.ts'
import type { FakeAwsOptions } from '../fakeaws/fake.ts'
import { startFakeAws } from '../fakeaws/fake.ts'

const USAGE = `usage: whohad fakeaws [options]
  --accounts N          accounts in the organisation, management included (default 3)
  --regions N|a,b       how many standard regions, or which (default 2)
  --enis-per-region N   ENIs per account-region at the start (default 40)
  --empty-share F       share of account-regions with no ENI and no churn, 0-1 (default 0)
  --churn N             churn events per account-region per hour (default 60)
  --seed N              world seed (default 1)
  --host H              listen address (default 127.0.0.1)
  --port N              listen port (default 0: any free port)
  --realtime            follow the wall clock (default: virtual time, moved via POST /_fake/advance)
  --external-id X       ExternalId every member role requires
  --role-name X         role name in every account (default whohad-read)
  --no-throttling       turn off AWS's default token buckets
  --variants            EC2 answers fill only some of the places that state a fact, a seeded mix
  --variant NAME        only this variant, everywhere it applies (repeatable); one of
                        ${EC2_VARIANTS.join(', ')}
`

export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  /** Resolves when the server should stop; default: the first SIGINT or SIGTERM. */
  readonly until?: Promise<unknown>
}

export async function run(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let options: FakeAwsOptions
  try {
    const parsed = parseFlags(argv)
    if (parsed === 'help') {
      io.stdout.write(USAGE)
      return 0
    }
    options = parsed
  } catch (err) {
    io.stderr.write(`whohad fakeaws: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`)
    return 2
  }
  // The simulated organisation reads no whohad setting, but a bad one stops every command alike: the
  // collector that would poll it from this environment would stop on it anyway.
  loadConfig()
  const started = performance.now()
  const fake = await startFakeAws(options)
  const buildMs = performance.now() - started
  const s = fake.world.stats()
  const mgmt = fake.managementCredentials
  const variants = fake.world.ec2Variants.setting
  io.stdout.write(
    [
      `fakeaws listening on ${fake.endpoint}`,
      `management account ${fake.managementAccountId}: AWS_ACCESS_KEY_ID=${mgmt.accessKeyId} AWS_SECRET_ACCESS_KEY=${mgmt.secretAccessKey}`,
      `member role ${fake.roleArn('<account>')}${fake.externalId ? ` (ExternalId ${fake.externalId})` : ''}`,
      `world: ${s.accounts} accounts (${fake.activeAccountIds.length} active) x ${fake.regions.length} regions [${fake.regions.join(',')}], ` +
        `${s.enis} ENIs, ${s.instances} instances, ${s.addresses} addresses held; seed ${fake.world.seed}; ` +
        `${fake.clock.mode} clock at ${new Date(fake.clock.now()).toISOString()}; built in ${(buildMs / 1000).toFixed(2)} s`,
      ...(variants.mode === 'off' ? [] : [`EC2 answers in variants: ${variants.mode === 'mix' ? 'a seeded mix of all' : variants.variants.join(', ')}`]),
      '',
    ].join('\n'),
  )
  await (io.until ?? waitForSignal())
  await fake.close()
  io.stdout.write('fakeaws stopped\n')
  return 0
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

export function parseFlags(argv: string[]): FakeAwsOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      accounts: { type: 'string' },
      regions: { type: 'string' },
      'enis-per-region': { type: 'string' },
      'empty-share': { type: 'string' },
      churn: { type: 'string' },
      seed: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      realtime: { type: 'boolean' },
      'external-id': { type: 'string' },
      'role-name': { type: 'string' },
      'no-throttling': { type: 'boolean' },
      variants: { type: 'boolean' },
      variant: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined
    if (!/^-?\d+$/.test(text)) throw new Error(`--${name} must be a whole number, not ${JSON.stringify(text)}`)
    return Number(text)
  }
  const regionsText = values.regions
  const regions = regionsText === undefined ? undefined : /^\d+$/.test(regionsText) ? Number(regionsText) : regionsText.split(',').map((r) => r.trim())
  const churnText = values.churn
  if (churnText !== undefined && !(Number(churnText) >= 0)) throw new Error(`--churn must be a number >= 0, not ${JSON.stringify(churnText)}`)
  const emptyText = values['empty-share']
  if (emptyText !== undefined && !(Number(emptyText) >= 0 && Number(emptyText) <= 1)) throw new Error(`--empty-share must be a number from 0 to 1, not ${JSON.stringify(emptyText)}`)
  const forced = values.variant ?? []
  for (const v of forced) if (!isEc2Variant(v)) throw new Error(`--variant must be one of ${EC2_VARIANTS.join(', ')}, not ${JSON.stringify(v)}`)
  if (values.variants && forced.length > 0) throw new Error('--variants (a mix) and --variant (forced) exclude each other')
  const options: FakeAwsOptions = {
    ...defined('accounts', int('accounts', values.accounts)),
    ...defined('regions', regions),
    ...defined('enisPerRegion', int('enis-per-region', values['enis-per-region'])),
    ...defined('churn', churnText === undefined ? undefined : Number(churnText)),
    ...defined('emptyShare', emptyText === undefined ? undefined : Number(emptyText)),
    ...defined('seed', int('seed', values.seed)),
    ...defined('host', values.host),
    ...defined('port', int('port', values.port)),
    ...defined('externalId', values['external-id']),
    ...defined('roleName', values['role-name']),
    ...defined('variants', forced.length > 0 ? (forced as Ec2Variant[]) : values.variants ? true : undefined),
    clock: values.realtime ? 'realtime' : 'virtual',
    throttling: values['no-throttling'] ? 'off' : 'aws',
  }
  return options
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
