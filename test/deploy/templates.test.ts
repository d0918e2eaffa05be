// deploy/ against the code: the table template has the keys and indexes tableDefinition() has, and the
// IAM policies grant exactly the AWS calls the code makes (none missing, none extra). The calls are read
// from the source: every command, paginator and waiter imported from an AWS SDK client package.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parseDocument } from 'yaml'
import { loadConfig } from '../../src/config.ts'
import { tableDefinition, TTL_ATTRIBUTE } from '../../src/store/table.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const deploy = (name: string) => path.join(root, 'deploy', name)

/** AWS SDK client package → IAM service prefix. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-config-service': 'config',
  '@aws-sdk/client-organizations': 'organizations',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-dynamodb': 'dynamodb',
}
/** SDK packages that make no AWS calls of their own. */
const NO_CALLS = new Set(['@aws-sdk/types', '@aws-sdk/util-dynamodb'])
/** Waiters poll an operation; their names do not say which. */
const WAITER_ACTIONS: Record<string, string> = {
  'dynamodb:waitUntilTableExists': 'dynamodb:DescribeTable',
  'dynamodb:waitForTableExists': 'dynamodb:DescribeTable',
  'dynamodb:waitUntilTableNotExists': 'dynamodb:DescribeTable',
  'dynamodb:waitForTableNotExists': 'dynamodb:DescribeTable',
}
/** Services whose clients run on the read role in member accounts (src/aws/session.ts); the rest run on the collector's own role. */
const MEMBER_SERVICES = new Set(['ec2', 'config'])
/**
 * Calls the code can make that the deployment deliberately does not grant, each with why. The test
 * also fails when one of these is no longer called, so the list cannot go stale.
 */
const NOT_GRANTED: Record<string, string> = {
  // Empty: CreateTable, UpdateTimeToLive (ensureTable on a missing table) and Scan (scanAll, for exports
  // and `whohad demo`) are granted, on whohad's own table only, so that the policy is exactly the code's calls.
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (p !== path.join(root, 'src', 'fakeaws')) out.push(...sourceFiles(p))
    } else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) {
      out.push(p)
    }
  }
  return out
}

/** Every IAM action the code's AWS calls need, with where each call is made. */
function actionsCalledByCode(): { actions: Map<string, Set<string>>; problems: string[] } {
  const actions = new Map<string, Set<string>>()
  const problems: string[] = []
  const add = (action: string, where: string) => {
    const set = actions.get(action) ?? new Set<string>()
    set.add(where)
    actions.set(action, set)
  }
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const where = path.relative(root, file)
    const text = readFileSync(file, 'utf8')
    const mentions = [...text.matchAll(/['"](@aws-sdk\/[\w-]+)['"]/g)].length
    const imports = [...text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[\w-]+)['"]/g)]
    if (mentions !== imports.length) problems.push(`${where}: uses the AWS SDK other than by named imports; this test cannot tell which calls it makes`)
    const constructed = new Set<string>()
    for (const [, typeOnly, names, pkg] of imports) {
      if (typeOnly) continue
      if (NO_CALLS.has(pkg!)) continue
      const service = SERVICE_OF_PACKAGE[pkg!]
      if (!service) {
        problems.push(`${where}: imports ${pkg}, which this test does not map to an IAM service`)
        continue
      }
      for (const spec of names!.split(',').map((s) => s.trim()).filter(Boolean)) {
        if (spec.startsWith('type ')) continue
        const name = spec.split(/\s+as\s+/)[0]!.trim()
        let m: RegExpMatchArray | null
        if ((m = /^(\w+)Command$/.exec(name))) {
          add(`${service}:${m[1]}`, where)
          constructed.add(name)
        } else if ((m = /^paginate(\w+)$/.exec(name))) {
          add(`${service}:${m[1]}`, where)
        } else if (/^wait(Until|For)\w+$/.test(name)) {
          const action = WAITER_ACTIONS[`${service}:${name}`]
          if (action) add(action, where)
          else problems.push(`${where}: waiter ${name} of ${pkg}: add the operation it polls to WAITER_ACTIONS`)
        } else if (/^\w+\$$/.test(name)) {
          // A shape's schema (e.g. DescribeInstancesResult$, which /ec2/ writes its XML from): data, not a call.
        } else if (!/(Client|Exception)$/.test(name)) {
          problems.push(`${where}: imports ${name} from ${pkg}; this test cannot tell whether it calls AWS`)
        }
      }
    }
    // Every command constructed is one imported from a package mapped above.
    for (const [, name] of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      if (!constructed.has(name!)) problems.push(`${where}: new ${name}(…) of a package this test does not map to an IAM service`)
    }
  }
  return { actions, problems }
}

interface Statement {
  Effect?: string
  Action?: string | string[]
  NotAction?: unknown
  Resource?: string | string[]
}

function actionsOf(statements: Statement[], where: string): { actions: Set<string>; problems: string[] } {
  const actions = new Set<string>()
  const problems: string[] = []
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue
    if (s.NotAction !== undefined) problems.push(`${where}: NotAction grants more than it names`)
    for (const a of typeof s.Action === 'string' ? [s.Action] : (s.Action ?? [])) {
      if (a.includes('*')) problems.push(`${where}: wildcard action ${a}`)
      actions.add(a)
    }
  }
  return { actions, problems }
}

function readYaml(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, 'utf8'))
  // Unknown tags (CloudFormation's !Ref short forms) parse as warnings: the templates use the long forms.
  const issues = [...doc.errors, ...doc.warnings].map((e) => e.message)
  if (issues.length) throw new Error(`${path.basename(file)}: ${issues.join('; ')}`)
  return doc.toJS() as Record<string, unknown>
}

type Template = {
  Parameters: Record<string, { Default?: string }>
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>
}

function collectorPolicy(): { Statement: (Statement & { Sid?: string })[] } {
  return JSON.parse(readFileSync(deploy('collector-policy.json'), 'utf8')) as { Statement: Statement[] }
}

function memberRole(): { template: Template; role: Record<string, unknown> } {
  const template = readYaml(deploy('member-role.yaml')) as Template
  const roles = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role')
  if (roles.length !== 1) throw new Error(`member-role.yaml: expected one AWS::IAM::Role, found ${roles.length}`)
  return { template, role: roles[0]!.Properties }
}

function memberRoleStatements(role: Record<string, unknown>): Statement[] {
  const policies = (role.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  if (role.ManagedPolicyArns !== undefined) throw new Error('member-role.yaml: managed policies grant actions this test cannot see')
  return policies.flatMap((p) => p.PolicyDocument.Statement)
}

const sorted = (s: Iterable<string>) => [...s].sort()
const difference = (a: Iterable<string>, b: Set<string>) => sorted([...a].filter((x) => !b.has(x)))

t.test('deploy/table.yaml defines the table tableDefinition() defines', async (t) => {
  const template = readYaml(deploy('table.yaml')) as Template
  const tables = Object.values(template.Resources).filter((r) => r.Type === 'AWS::DynamoDB::Table')
  t.equal(tables.length, 1, 'one table')
  const p = tables[0]!.Properties
  const want = tableDefinition('x')
  t.strictSame(p.KeySchema, want.KeySchema, 'key schema')
  t.strictSame(p.AttributeDefinitions, want.AttributeDefinitions, 'attribute definitions')
  t.strictSame(p.GlobalSecondaryIndexes, want.GlobalSecondaryIndexes, 'global secondary indexes')
  t.notOk(p.LocalSecondaryIndexes ?? want.LocalSecondaryIndexes, 'no local secondary indexes')
  t.equal(p.BillingMode, want.BillingMode, 'billing mode')
  t.strictSame(p.TimeToLiveSpecification, { AttributeName: TTL_ATTRIBUTE, Enabled: true }, 'TTL on the attribute closed holdings carry')
  t.strictSame(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true }, 'point-in-time recovery')
  t.strictSame(p.TableName, { Ref: 'TableName' }, 'the table name is the parameter')
  t.equal(template.Parameters.TableName?.Default, loadConfig({}).store.tableName, "the parameter's default is WHOHAD_TABLE's")
})

t.test('the IAM policies grant exactly the AWS calls the code makes', async (t) => {
  const called = actionsCalledByCode()
  t.strictSame(called.problems, [], 'every use of the AWS SDK is understood')
  t.ok(called.actions.size > 0, 'found the calls')
  const collector = actionsOf(collectorPolicy().Statement, 'collector-policy.json')
  const { role } = memberRole()
  const member = actionsOf(memberRoleStatements(role), 'member-role.yaml')
  t.strictSame([...collector.problems, ...member.problems], [], 'no wildcards')

  for (const [action, why] of Object.entries(NOT_GRANTED)) {
    t.ok(called.actions.has(action), `${action} is still called (else drop it from NOT_GRANTED): ${why}`)
    t.notOk(collector.actions.has(action) || member.actions.has(action), `${action} is not granted: ${why}`)
  }
  const needed = new Set([...called.actions.keys()].filter((a) => !(a in NOT_GRANTED)))
  const neededMember = new Set([...needed].filter((a) => MEMBER_SERVICES.has(a.split(':')[0]!)))
  const neededCollector = new Set([...needed].filter((a) => !neededMember.has(a)))
  const report = (label: string, want: Set<string>, have: Set<string>) => {
    const missing = difference(want, have).map((a) => `${a} (called in ${sorted(called.actions.get(a) ?? []).join(', ')})`)
    const extra = difference(have, want)
    t.strictSame(
      { missing, extra },
      { missing: [], extra: [] },
      `${label}: ${missing.length ? `missing ${missing.join('; ')}` : 'nothing missing'}; ${extra.length ? `extra (no code calls them) ${extra.join(', ')}` : 'nothing extra'}`,
    )
  }
  report('deploy/member-role.yaml (calls made in member accounts)', neededMember, member.actions)
  report('deploy/collector-policy.json (calls made with the collector\'s own credentials)', neededCollector, collector.actions)
  t.comment(`actions called: ${sorted(called.actions.keys()).join(', ')}`)
})

t.test('the policies name what the collector assumes and writes', async (t) => {
  const config = loadConfig({})
  const settings = config.collector
  const statements = collectorPolicy().Statement
  const assume = statements.filter((s) => s.Action === 'sts:AssumeRole' || (Array.isArray(s.Action) && s.Action.includes('sts:AssumeRole')))
  t.strictSame(assume.map((s) => s.Resource), [`arn:aws:iam::*:role/${settings.roleName}`], 'AssumeRole only on the read role, by its default name')
  const dynamo = statements.filter((s) => [s.Action ?? []].flat().some((a) => a.startsWith('dynamodb:')))
  t.strictSame(
    sorted(dynamo.flatMap((s) => [s.Resource ?? []].flat())),
    sorted([`arn:aws:dynamodb:*:*:table/${config.store.tableName}`, `arn:aws:dynamodb:*:*:table/${config.store.tableName}/index/*`]),
    'DynamoDB only on the table and its indexes, by its default name',
  )

  const { template, role } = memberRole()
  t.strictSame(role.RoleName, { Ref: 'RoleName' }, 'the role name is the parameter')
  t.equal(template.Parameters.RoleName?.Default, settings.roleName, "the role name's default is WHOHAD_ROLE_NAME's")
  t.notOk(role.Path, 'no path: the collector assumes arn:aws:iam::<account>:role/<name>')
  const trust = (role.AssumeRolePolicyDocument as { Statement: (Statement & { Condition?: Record<string, Record<string, unknown>> })[] }).Statement
  t.ok(trust.length > 0, 'a trust policy')
  for (const s of trust) {
    t.equal(s.Effect, 'Allow')
    t.equal(s.Action, 'sts:AssumeRole', 'trust allows AssumeRole only')
    t.strictSame(s.Condition?.StringEquals?.['sts:ExternalId'], { Ref: 'ExternalId' }, 'trust requires the ExternalId')
    t.strictSame(s.Condition?.ArnEquals?.['aws:PrincipalArn'], { Ref: 'CollectorRoleArn' }, "trust is narrowed to the collector's role")
  }
})
