// npm test's decision about missing machine parts: install (root on Debian) or stop naming each part
// and its exact install command.
import t from 'tap'
import { PARTS, planPrerequisites } from '../../scripts/prerequisites.ts'

const part = (name: string) => PARTS.find((p) => p.name === name)!
const java = part('java')
const redis = part('redis-server')
const chromium = part('/usr/bin/chromium')

t.test('the parts and their Debian packages', async (t) => {
  t.same(PARTS.map((p) => p.debianPackage), ['default-jre-headless', 'redis-server', 'chromium', 'awscli'])
  t.equal(part('/usr/bin/aws').debianPackage, 'awscli', "Debian's AWS CLI, at the path the tests prefer (support/aws-cli.ts)")
})

t.test('nothing missing: ready, wherever it runs', async (t) => {
  for (const root of [true, false]) for (const debian of [true, false]) t.same(planPrerequisites([], { root, debian }), { kind: 'ready' })
})

t.test('root on Debian: apt-get update, then one install of every missing package', async (t) => {
  t.same(planPrerequisites([java, chromium], { root: true, debian: true }), {
    kind: 'install',
    commands: [['apt-get', 'update'], ['apt-get', 'install', '-y', 'default-jre-headless', 'chromium']],
  })
})

t.test('not root on Debian: stops, naming each missing part and the sudo command for it', async (t) => {
  const plan = planPrerequisites([java, redis, chromium], { root: false, debian: true })
  if (plan.kind !== 'stop') throw new Error(`expected stop, got ${plan.kind}`)
  const lines = plan.message.split('\n')
  for (const p of [java, redis, chromium]) {
    t.ok(lines.includes(`  ${p.name} (${p.neededFor}): sudo apt-get update && sudo apt-get install -y ${p.debianPackage}`), p.name)
  }
  t.ok(lines.includes('All at once: sudo apt-get update && sudo apt-get install -y default-jre-headless redis-server chromium'))
  t.match(plan.message, /Run as root, npm test installs them itself/)
})

t.test('one part missing: named alone, no "all at once"', async (t) => {
  const plan = planPrerequisites([redis], { root: false, debian: true })
  if (plan.kind !== 'stop') throw new Error(`expected stop, got ${plan.kind}`)
  t.match(plan.message, /^npm test needs a part this machine does not have:\n {2}redis-server \(/)
  t.notMatch(plan.message, /All at once/)
})

t.test('not Debian: stops even as root, with the Debian commands as the reference', async (t) => {
  const plan = planPrerequisites([java], { root: true, debian: false })
  if (plan.kind !== 'stop') throw new Error(`expected stop, got ${plan.kind}`)
  t.match(plan.message, /java \(.*\): apt-get update && apt-get install -y default-jre-headless/)
  t.match(plan.message, /elsewhere, install the same parts/)
})

