// The abuse desk page in a real browser (Debian's chromium through playwright-core) against a real
// server on the real store: load, ask, read the answer, see the timeline, click a holding, use a key.
// Screenshots land in .tap/screenshots/ for review.
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const SHOTS = path.resolve('.tap/screenshots')

async function serve(t: Parameters<typeof openTestStore>[0], keys: { name: string; scopes: string[]; key: string }[] = []) {
  const { store } = await openTestStore(t, 'embedded')
  const web = (eni: string, instance: string, name: string, start: [number, number], end?: [number, number]) => {
    const h = makeHolding({ address: '203.0.113.7', eni, instance, start, ...(end ? { end } : {}) })
    return { ...h, holder: { ...h.holder, name, tags: { Name: name, team: 'web' } } }
  }
  await store.holdings.apply([
    { kind: 'close', holding: web('eni-0a1', 'i-0a1', 'web-prod-2', [T0 - 180 * MIN, T0 - 179 * MIN], [T0 - 10 * MIN, T0 - 9 * MIN]), closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: web('eni-0b2', 'i-0b2', 'web-prod-3', [T0 - 9 * MIN, T0 - 8 * MIN]) },
  ])
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 240 * MIN, lastCompletePoll: T0 + 120 * MIN })
  const app = await buildApp({ store, apiKeys: keys.map((k) => ({ name: k.name, scopes: k.scopes, sha256: createHash('sha256').update(k.key).digest('hex') })) })
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.fastify.close())
  return url
}

async function browser(t: Parameters<typeof openTestStore>[0]) {
  const b = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] })
  t.teardown(() => b.close())
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  return { page, errors }
}

t.test('the page: ask, read the answer in words, see the timeline, click a holding, share the link', async (t) => {
  mkdirSync(SHOTS, { recursive: true })
  const url = await serve(t)
  const { page, errors } = await browser(t)
  await page.goto(url)
  t.match(await page.title(), /^whohad/, 'the page loads')
  // As a complaint writes it: local time with its offset (10:30 +01:00 is 09:30 UTC, web-prod-2's time).
  await page.getByLabel('IP address').fill('203.0.113.7')
  await page.getByLabel(/time/i).fill('2026-11-20 10:30 +0100')
  await page.getByLabel('Give or take').selectOption('0s')
  await page.getByRole('button', { name: 'Who held it?' }).click()
  const answer = page.locator('#answer')
  await answer.locator('li').first().waitFor()
  t.equal(await page.locator('#verdict').innerText(), 'At 2026-11-20T09:30:00.000Z, 203.0.113.7 was held by i-0a1 (web-prod-2), account 111111111111, eu-west-1 (certain)', 'the verdict first')
  const words = await answer.innerText()
  t.match(words, /web-prod-2/, 'the answer names the holder')
  t.match(words, /i-0a1/)
  t.match(words, /111111111111/)
  t.match(words, /eu-west-1/)
  t.notMatch(words, /web-prod-3/, 'and not the next holder')
  t.match(await page.locator('#coverage').innerText(), /watched|complete/i, 'the coverage is stated')
  await page.locator('#timeline .holding').first().waitFor()
  t.equal(await page.locator('#timeline .holding').count(), 2, 'the timeline shows both holdings around T')
  t.equal(await page.locator('#timeline .t-mark').count(), 1, 'with T marked')
  t.ok((await page.locator('#timeline .bar-possible').count()) >= 2, 'uncertainty shaded')
  await page.locator('#timeline .holding').nth(1).click()
  await page.locator('#evidence').waitFor({ state: 'visible' })
  const evidence = await page.locator('#evidence').innerText()
  t.match(evidence, /eni-0b2/, 'clicking a holding shows its evidence')
  t.match(evidence, /ec2-poll/)
  t.match(page.url(), /\?ip=203\.0\.113\.7&at=2026-11-20\+10%3A30\+%2B0100&window=0s/, 'the URL holds the query')
  await page.screenshot({ path: path.join(SHOTS, 'answer.png'), fullPage: true })

  // At the handover both holders are possible: shown differently from a certain one.
  await page.goto(`${url}/?ip=203.0.113.7&at=${encodeURIComponent(new Date(T0 - 9 * MIN).toISOString())}&window=0s`)
  await answer.locator('li').first().waitFor()
  t.equal(await answer.locator('li.possible').count(), 2, 'a shared link reproduces the query; both holders possible at the handover')
  t.equal(await answer.locator('li.certain').count(), 0)
  await page.screenshot({ path: path.join(SHOTS, 'handover.png'), fullPage: true })

  // Keyboard only: tab to a holding, press Enter.
  await page.locator('#timeline .holding').first().waitFor()
  await page.locator('#timeline .holding').first().focus()
  await page.keyboard.press('Enter')
  t.match(await page.locator('#evidence').innerText(), /eni-0a1/, 'a holding opens from the keyboard')

  // Before collection began: an empty answer that says it was not watching.
  await page.goto(`${url}/?ip=198.51.100.1&at=2026-11-01T00:00:00Z`)
  await page.locator('#coverage').filter({ hasText: /./ }).waitFor()
  t.match(await page.locator('#result').innerText(), /not watching/i, 'an empty answer says whether whohad was watching')
  t.same(errors, [], 'no errors in the browser console')
})

t.test('the page asks for a key when the server needs one and keeps it for the tab', async (t) => {
  const url = await serve(t, [{ name: 'desk', scopes: ['lookup'], key: 'k-desk' }])
  const { page } = await browser(t)
  await page.goto(`${url}/?ip=203.0.113.7&at=${encodeURIComponent(new Date(T0).toISOString())}`)
  await page.locator('#key-dialog').waitFor({ state: 'visible' })
  await page.locator('#key').fill('k-desk')
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.locator('#answer li').first().waitFor()
  t.match(await page.locator('#answer').innerText(), /web-prod-3/, 'answered with the key')
  t.equal(await page.evaluate(() => sessionStorage.getItem('whohad-api-key')), 'k-desk', 'kept in session storage')
  t.equal(await page.evaluate(() => localStorage.length), 0, 'and nowhere more lasting')
  await page.screenshot({ path: path.join(SHOTS, 'with-key.png'), fullPage: true })
})

t.test('the page names what held it from the holder resource, and guesses as before for older holdings', async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  const at = (address: string, eni: string) => makeHolding({ address, eni, start: [T0 - 90 * MIN, T0 - 89 * MIN] })
  const alb = at('198.51.100.21', 'eni-0f7')
  const old = at('198.51.100.22', 'eni-0f8')
  await store.holdings.apply([
    { kind: 'open', holding: { ...alb, holder: { ...alb.holder, kind: 'load-balancer', name: 'web', resource: { type: 'application-load-balancer', id: 'app/web/5bd164072db03311', name: 'web' } } } },
    { kind: 'open', holding: { ...old, holder: { ...old.holder, kind: 'nat-gateway' } } },
  ])
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 240 * MIN, lastCompletePoll: T0 + 120 * MIN })
  const app = await buildApp({ store })
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.fastify.close())
  const { page, errors } = await browser(t)

  await page.goto(`${url}/?ip=198.51.100.21&at=${encodeURIComponent(new Date(T0).toISOString())}&window=0s`)
  await page.locator('#answer li').first().waitFor()
  t.match(await page.locator('#answer').innerText(), /application load balancer web \(app\/web\/5bd164072db03311\)/, 'the resource in words')
  await page.locator('#timeline .holding').first().click()
  await page.locator('#evidence').waitFor({ state: 'visible' })
  t.match(await page.locator('#evidence').innerText(), /resource\s+application load balancer, id app\/web\/5bd164072db03311, name web/, 'the evidence lists type, id and name')

  await page.goto(`${url}/?ip=198.51.100.22&at=${encodeURIComponent(new Date(T0).toISOString())}&window=0s`)
  await page.locator('#answer li').first().waitFor()
  t.match(await page.locator('#answer').innerText(), /NAT gateway eni-0f8/, 'a holding stored before resources reads as it did')
  t.same(errors, [], 'no errors in the browser console')
})
