// The one configuration schema: its sections, a sentence for every bad value (the variable, the value,
// what is accepted), and the README's Configuration table, which must list exactly the variables the
// schema knows, with the schema's defaults.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ConfigError, DEFAULTS, loadConfig, VARIABLES } from '../src/config.ts'

t.test('embedded defaults', async (t) => {
  const c = loadConfig({})
  t.equal(c.store.mode, 'embedded')
  t.equal(c.store.tableName, 'whohad')
  t.equal(c.store.dataDir, './data')
  t.equal(c.store.retentionMs, 400 * 86_400_000)
  t.same(c.serve, { host: '127.0.0.1', port: 8080, apiKeys: [], signingKeys: [], audit: { destination: 'off', level: 'info' }, logLevel: 'warn', rateLimitPerMinute: 6000, maxCidrAddresses: 256, membershipFilter: true })
  t.same(c.cache, { cluster: false, staleMs: 2000 })
  t.same(c.lookup, {})
  t.equal(c.collector.intervalMs, 60_000)
  t.equal(c.collector.roleName, 'whohad-read')
  t.equal(c.collector.homeRegion, 'us-east-1')
})

t.test('an endpoint means DynamoDB, with local credentials unless AWS keys are set', async (t) => {
  const c = loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: 'http://localhost:8000' })
  t.equal(c.store.mode, 'dynamodb')
  t.equal(c.store.localCredentials, true)
  t.equal(loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: 'http://localhost:8000', AWS_ACCESS_KEY_ID: 'AKIA' }).store.localCredentials, false)
  t.equal(loadConfig({ WHOHAD_STORE: 'dynamodb' }).store.mode, 'dynamodb')
  t.equal(loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: '' }).store.mode, 'embedded', 'an empty endpoint is unset')
})

t.test('every section from one environment', async (t) => {
  const sha = 'AB'.repeat(32)
  const c = loadConfig({
    AWS_REGION: 'eu-west-1',
    WHOHAD_ACCOUNTS: '111111111111, 222222222222',
    WHOHAD_REGIONS: 'eu-west-1 us-east-1',
    WHOHAD_POLL_INTERVAL: '1m30s',
    WHOHAD_CONFIG_HORIZON_DAYS: '2',
    WHOHAD_API_KEYS: `desk:lookup:${sha}, ops:lookup+metrics:${sha}`,
    WHOHAD_HOST: '0.0.0.0',
    WHOHAD_PORT: '0',
    REDIS_URL: 'rediss://cache:6380',
    WHOHAD_REDIS_CLUSTER: '1',
    WHOHAD_URL: 'http://whohad:8080',
    WHOHAD_API_KEY: 'k-123',
  })
  t.same(c.collector.accounts, ['111111111111', '222222222222'])
  t.same(c.collector.regions, ['eu-west-1', 'us-east-1'])
  t.equal(c.collector.intervalMs, 90_000)
  t.equal(c.collector.configHorizonMs, 2 * 86_400_000)
  t.equal(c.collector.homeRegion, 'eu-west-1', 'AWS_REGION is the collector home region')
  t.equal(c.store.region, 'eu-west-1', 'and the table region')
  t.same(c.serve.apiKeys, [
    { name: 'desk', scopes: ['lookup'], sha256: sha.toLowerCase() },
    { name: 'ops', scopes: ['lookup', 'metrics'], sha256: sha.toLowerCase() },
  ])
  t.equal(c.serve.host, '0.0.0.0')
  t.equal(c.serve.port, 0)
  t.same(c.cache, { redisUrl: 'rediss://cache:6380', cluster: true, staleMs: 2000 })
  t.same(c.lookup, { url: 'http://whohad:8080', apiKey: 'k-123' })
})

// One refused value for every variable: each is a sentence naming the variable, the value and what is
// accepted (every message says what the value must be).
const BAD: Record<string, string> = {
  WHOHAD_STORE: 'postgres',
  WHOHAD_DYNAMODB_ENDPOINT: 'not a url',
  WHOHAD_TABLE: 'x',
  WHOHAD_DATA_DIR: '',
  WHOHAD_RETENTION_DAYS: 'soon',
  AWS_REGION: 'mars',
  WHOHAD_HOST: ' ',
  WHOHAD_PORT: '65536',
  WHOHAD_API_KEYS: 'desk:lookup:abc',
  WHOHAD_SIGNING_KEYS: 'svc lookup',
  WHOHAD_SIGNING_KEYS_FILE: '/nonexistent/whohad-signing-keys',
  WHOHAD_AUDIT_LOG: ' ',
  WHOHAD_AUDIT_LEVEL: 'debug',
  WHOHAD_LOG_LEVEL: 'loud',
  WHOHAD_RATE_LIMIT: '0',
  WHOHAD_MAX_CIDR_ADDRESSES: '1e3',
  WHOHAD_MEMBERSHIP_FILTER: 'sometimes',
  WHOHAD_MAX_HEAP_MB: '12',
  REDIS_URL: 'http://cache:6379',
  WHOHAD_REDIS_CLUSTER: 'yes',
  WHOHAD_CACHE_STALE_MS: '60001',
  WHOHAD_ACCOUNTS: '1234',
  WHOHAD_ACCOUNTS_INCLUDE: '111111111111,abc',
  WHOHAD_ACCOUNTS_EXCLUDE: 'x',
  WHOHAD_REGIONS: 'eu-west-1,moon',
  WHOHAD_ROLE_NAME: 'role with spaces',
  WHOHAD_EXTERNAL_ID: 'x',
  WHOHAD_AWS_ENDPOINT: 'localhost',
  WHOHAD_SELF_ACCOUNT: '12',
  WHOHAD_POLL_INTERVAL: 'abc',
  WHOHAD_MAX_GAP: '5 minutes',
  WHOHAD_QUIET_INTERVAL: 'soon',
  WHOHAD_CLOCK_SKEW: '2h',
  WHOHAD_CONCURRENCY: '0',
  WHOHAD_LEASE_SHARDS: '-1',
  WHOHAD_LEASE_PERIOD: '31d',
  WHOHAD_CONFIG_HORIZON_DAYS: '401',
  WHOHAD_CONFIG_EVERY: '2d',
  WHOHAD_CONFIG_MAX_DELAY: 'never',
  WHOHAD_URL: 'ftp://whohad',
  WHOHAD_API_KEY: 'a key',
}

/** The error loading `env` throws, or undefined when it loads. */
function refusal(env: Record<string, string>): Error | undefined {
  try {
    loadConfig(env)
    return undefined
  } catch (err) {
    return err as Error
  }
}

t.test('a bad value of every variable: one sentence naming it, the value and what is accepted', async (t) => {
  t.same(Object.keys(BAD).sort(), [...VARIABLES].sort(), 'a bad value for every variable the schema knows')
  for (const [name, value] of Object.entries(BAD)) {
    const err = refusal({ [name]: value })
    t.ok(err instanceof ConfigError, `${name}=${JSON.stringify(value)} is refused`)
    const lines = (err?.message ?? '').split('\n')
    t.equal(lines[0], 'invalid configuration:')
    t.equal(lines.length, 2, `${name}: one sentence`)
    const shown = name === 'WHOHAD_API_KEY' || name === 'WHOHAD_SIGNING_KEYS' ? '(hidden)' : JSON.stringify(value)
    t.equal(lines[1]!.slice(0, `  ${name}=${shown}: must `.length), `  ${name}=${shown}: must `, `${name}: the variable, the value, then what is accepted: ${lines[1]}`)
  }
  t.notMatch(refusal({ WHOHAD_API_KEY: 'secret key' })?.message, /secret/, 'a key is never repeated')
})

t.test('keys limited to accounts, and signing keys from the variable and the file, never shown in a refusal', async (t) => {
  const sha = 'a'.repeat(64)
  t.same(loadConfig({ WHOHAD_API_KEYS: `svc:lookup:${sha}:accounts=111111111111+222222222222,desk:admin:${sha}` }).serve.apiKeys, [
    { name: 'svc', scopes: ['lookup'], sha256: sha, accounts: ['111111111111', '222222222222'] },
    { name: 'desk', scopes: ['admin'], sha256: sha },
  ])
  t.throws(() => loadConfig({ WHOHAD_API_KEYS: `svc:lookup:${sha}:accounts=1111` }), /WHOHAD_API_KEYS=.*: must be keys like/)
  const file = '# the payments service\npay:lookup:AKIDPAYMENTS0001:file-secret-0123456789:accounts=333333333333\n\n'
  const c = loadConfig({ WHOHAD_SIGNING_KEYS: 'desk:lookup:AKIDDESK00000001:env-secret-0123456789', WHOHAD_SIGNING_KEYS_FILE: '/etc/whohad/keys' }, (p) => {
    t.equal(p, '/etc/whohad/keys')
    return file
  })
  t.same(c.serve.signingKeys, [
    { name: 'desk', scopes: ['lookup'], accessKeyId: 'AKIDDESK00000001', secret: 'env-secret-0123456789' },
    { name: 'pay', scopes: ['lookup'], accessKeyId: 'AKIDPAYMENTS0001', secret: 'file-secret-0123456789', accounts: ['333333333333'] },
  ])
  const bad = [
    () => loadConfig({ WHOHAD_SIGNING_KEYS: 'desk:lookup:AKIDDESK00000001:short-secret' }),
    () => loadConfig({ WHOHAD_SIGNING_KEYS_FILE: '/k' }, () => 'pay:lookup:AKIDPAYMENTS0001:file-secret-0123456789:accounts=12'),
    () => loadConfig({ WHOHAD_SIGNING_KEYS_FILE: '/k' }, () => 'a:lookup:AKIDPAYMENTS0001:file-secret-0123456789\nb:lookup:AKIDPAYMENTS0001:file-secret-9876543210'),
    () => loadConfig({ WHOHAD_SIGNING_KEYS: 'desk:lookup:AKIDDESK00000001:env-secret-0123456789', WHOHAD_SIGNING_KEYS_FILE: '/k' }, () => 'a:lookup:AKIDDESK00000001:file-secret-0123456789'),
    () => loadConfig({ WHOHAD_SIGNING_KEYS: 'desk lookup env-secret-0123456789' }),
  ]
  for (const load of bad) {
    const err = t.throws(load) as Error
    t.ok(err instanceof ConfigError, err.message)
    t.notMatch(err.message, /secret-|short-secret/, 'no secret in the message')
  }
  t.match(t.throws(bad[1]!) as Error, { message: /WHOHAD_SIGNING_KEYS_FILE="\/k", entry 1: must be/ })
  t.same(loadConfig({ WHOHAD_AUDIT_LOG: '/var/log/whohad-audit.log' }).serve.audit, { destination: { file: '/var/log/whohad-audit.log' }, level: 'info' })
  t.same(loadConfig({ WHOHAD_AUDIT_LOG: 'stdout', WHOHAD_AUDIT_LEVEL: 'silent' }).serve.audit, { destination: 'stdout', level: 'silent' })
})

t.test('every bad value at once: one line each, in one error', async (t) => {
  t.throws(() => loadConfig({ WHOHAD_TABLE: 'x', WHOHAD_PORT: 'http', WHOHAD_POLL_INTERVAL: 'abc' }), {
    message: 'invalid configuration:\n  WHOHAD_TABLE="x": must be 3-255 letters, digits, _ . or -\n  WHOHAD_PORT="http": must be a port number 0-65535\n  WHOHAD_POLL_INTERVAL="abc": must be a duration like 5m, 90s or 1h30m, at most 30d',
  })
  t.throws(() => loadConfig({ WHOHAD_CLOCK_SKEW: '2h' }), /WHOHAD_CLOCK_SKEW="2h": must be at most 1h$/)
})

/** The README's Configuration table: variable → its default cell. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8')
  const section = /\n## Configuration\n([\s\S]*?)(\n## |$)/.exec(readme)
  if (!section) throw new Error('no Configuration section in the README')
  const rows = new Map<string, string>()
  for (const line of section[1]!.split('\n').filter((l) => l.startsWith('| `'))) {
    const [, variable, fallback] = line.split('|').map((c) => c.trim())
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(variable!)
    if (!name) throw new Error(`a row of the README's table names one variable, alone: ${line}`)
    rows.set(name[1]!, fallback!)
  }
  return rows
}

t.test("the README's Configuration table and the schema agree both ways, defaults included", async (t) => {
  const table = readmeTable()
  t.ok(table.size >= 30, `the README lists ${table.size} variables`)
  for (const name of VARIABLES) t.ok(table.has(name), `${name} is in the README's table`)
  for (const name of table.keys()) t.ok(VARIABLES.includes(name), `${name} (in the README) is in the schema`)
  const defaults: Record<string, string> = DEFAULTS
  for (const [name, cell] of table) {
    const fallback = defaults[name]
    if (fallback !== undefined) t.equal(cell, `\`${fallback}\``, `${name}: the README's default is the schema's`)
    else t.notMatch(cell, /^`[^`]*`$/, `${name}: no default in the schema, so none stated alone in the README (${cell})`)
  }
  for (const name of Object.keys(DEFAULTS)) t.ok(VARIABLES.includes(name), `${name}: a default of a variable the schema knows`)
})
