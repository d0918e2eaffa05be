// `npm test`: type-check, lint, then the whole tap suite against one shared AWS DynamoDB Local.
import { spawnSync } from 'node:child_process'
import { startDynamoDbLocal } from '../test/helpers/dynamodb-local.ts'

function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  process.stdout.write(`\n== ${name}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env })
  if (r.status !== 0) {
    process.stderr.write(`\n${name} failed (exit ${r.status ?? r.signal})\n`)
    process.exit(r.status ?? 1)
  }
}

step('type-check', 'npx', ['tsc', '--noEmit'])
step('lint', 'npx', ['eslint', '.'])
process.stdout.write('\n== starting DynamoDB Local\n')
const local = await startDynamoDbLocal()
process.stdout.write(`DynamoDB Local at ${local.endpoint}\n`)
try {
  step('tests', 'npx', ['tap', ...process.argv.slice(2)], {
    ...process.env,
    WHOHAD_TEST_DYNAMODB_ENDPOINT: local.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  })
} finally {
  await local.stop()
}
