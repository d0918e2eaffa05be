// The page's looks and accessibility in a real browser (Debian's chromium through playwright-core), at
// three widths, in four states: the empty form, a verdict, a private address held in several VPCs, and
// an error. axe-core checks each for serious and critical violations; the screenshots land in
// test-output/screenshots/ (gitignored) for a reviewer. And the page's incident note is the text
// `whohad lookup --format markdown` prints for the same answer.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'
import { bound, makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const SHOTS = path.resolve('test-output/screenshots')
const WIDTHS = [1400, 1000, 420]
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

async function serve(t: Parameters<typeof openTestStore>[0]) {
  const { store } = await openTestStore(t, 'embedded')
  const named = (h: ReturnType<typeof makeHolding>, name: string, tags: Record<string, string> = {}) => ({ ...h, holder: { ...h.holder, name, tags: { Name: name, ...tags } } })
  const nat = (h: ReturnType<typeof makeHolding>, id: string) => ({ ...h, holder: { ...h.holder, kind: 'nat-gateway' as const, name: id, resource: { type: 'nat-gateway' as const, id } } })
  await store.holdings.apply([
    // A public address handed from one instance to another 10 minutes before T0.
    { kind: 'close', holding: { ...named(makeHolding({ address: '203.0.113.7', eni: 'eni-0a1', instance: 'i-0a1', start: [T0 - 180 * MIN, T0 - 179 * MIN] }), 'web-prod-2', { team: 'web' }), end: bound([T0 - 10 * MIN, T0 - 9 * MIN]) }, closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: named(makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 9 * MIN, T0 - 8 * MIN] }), 'web-prod-3', { team: 'web' }) },
    // A private address in three VPCs of two accounts at once: an instance, a NAT gateway, an interface.
    { kind: 'open', holding: named(makeHolding({ address: '10.0.1.5', eni: 'eni-0c3', instance: 'i-0c3', vpc: 'vpc-0aaa', start: [T0 - 90 * MIN, T0 - 89 * MIN] }), 'payments-api-blue-canary-eu-west-1a') },
    { kind: 'open', holding: nat(makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0bbb', account: '222222222222', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), 'nat-0a8b0e0d28266841f') },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0e5', vpc: 'vpc-0ccc', start: [T0 - 30 * MIN, T0 - 29 * MIN] }) },
  ])
  for (const accountId of ['111111111111', '222222222222']) {
    await store.targets.put({ accountId, region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 240 * MIN, lastCompletePoll: T0 + 120 * MIN })
  }
  const app = await buildApp({ store })
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.fastify.close())
  return url
}

/** axe-core's serious and critical violations on the page as it is, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE })
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
}

interface State {
  readonly name: string
  readonly path: (url: string) => string
  readonly ready: (page: Page) => Promise<unknown>
}

const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString())
const STATES: readonly State[] = [
  { name: 'empty-form', path: (url) => `${url}/`, ready: (page) => page.getByRole('button', { name: 'Who held it?' }).waitFor() },
  { name: 'verdict', path: (url) => `${url}/?ip=203.0.113.7&at=${at(T0 - 30 * MIN)}&window=5m`, ready: (page) => page.locator('#timeline .holding').first().waitFor() },
  { name: 'private-vpcs', path: (url) => `${url}/?ip=10.0.1.5&at=${at(T0)}&window=5m`, ready: (page) => page.locator('#timeline .holding').first().waitFor() },
  { name: 'error', path: (url) => `${url}/?ip=203.0.113.999&at=noon&window=5m`, ready: (page) => page.locator('#error').waitFor({ state: 'visible' }) },
]

t.test('four states at three widths: no serious or critical accessibility violation; the verdict, the T marker and whole labels shown', async (t) => {
  mkdirSync(SHOTS, { recursive: true })
  const url = await serve(t)
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] })
  t.teardown(() => browser.close())
  for (const width of WIDTHS) {
    // bypassCSP: axe-core is injected as a script the page's own policy (script-src 'self') would refuse.
    const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    for (const state of STATES) {
      await page.goto(state.path(url))
      await state.ready(page)
      const where = `${state.name} at ${width} px`
      t.same(await seriousViolations(page), [], `${where}: no serious or critical axe-core violation`)
      await page.screenshot({ path: path.join(SHOTS, `${state.name}-${width}.png`), fullPage: true })
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${where}: nothing wider than the window`)

      if (state.name === 'verdict') {
        t.equal(await page.locator('#verdict').innerText(), 'At 2026-11-20T09:30:00.000Z, 203.0.113.7 was held by i-0a1 (web-prod-2), account 111111111111, eu-west-1 (certain)', `${where}: the verdict`)
        const chart = await page.locator('.tl-chart').evaluate((e: HTMLElement) => ({ from: Number(e.dataset.from), to: Number(e.dataset.to), t: Number(e.dataset.t) }))
        t.ok(chart.from < chart.t && chart.t < chart.to, `${where}: T inside the chart's range`)
        t.ok(chart.to - chart.from < 6 * 3_600_000, `${where}: the chart is scaled to the holdings around T, not the 12 hours fetched`)
        const mark = (await page.locator('.t-mark').boundingBox())!
        const scale = (await page.locator('.tl-scale').boundingBox())!
        t.ok(mark.x >= scale.x && mark.x <= scale.x + scale.width, `${where}: the T marker is drawn inside the chart`)
        const tick = await page.locator('.tick').last().boundingBox()
        t.ok(tick && tick.x + tick.width <= scale.x + scale.width + 1, `${where}: the last axis label is not clipped`)
      }
      if (state.name === 'verdict' || state.name === 'private-vpcs') {
        const labels = await page.locator('.tl-row .tl-label').evaluateAll((els) => els.map((e) => ({ text: (e as HTMLElement).innerText, clipped: e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight })))
        t.ok(labels.length >= 2, `${where}: ${labels.length} rows`)
        t.same(labels.filter((l) => l.clipped), [], `${where}: no row label is cut off`)
        if (state.name === 'private-vpcs') {
          t.ok(labels.some((l) => l.text.includes('i-0c3 (payments-api-blue-canary-eu-west-1a, account 111111111111, eu-west-1)')), `${where}: a long label whole`)
          t.ok(labels.some((l) => l.text.includes('NAT gateway nat-0a8b0e0d28266841f (account 222222222222, eu-west-1)')), `${where}: the NAT gateway's label whole`)
          t.match(await page.locator('#verdict').innerText(), /^At 2026-11-20T10:00:00\.000Z, 10\.0\.1\.5 was held by i-0c3 .*in vpc-0aaa and by NAT gateway nat-0a8b0e0d28266841f, account 222222222222, eu-west-1, in vpc-0bbb and by interface eni-0e5, .*in vpc-0ccc \(certain\)$/, `${where}: every VPC's holder in the verdict`)
          t.match(await page.locator('.tl-legend').innerText(), /EC2\s+instance[\s\S]*NAT\s+NAT gateway/, `${where}: a legend of the glyphs`)
        }
      }
      if (state.name === 'error') {
        const error = await page.locator('#error').innerText()
        t.match(error, /203\.0\.113\.999/, `${where}: the bad address`)
        t.match(error, /"at"/, `${where}: and the bad time, in one message`)
        t.equal(await page.locator('#error li').count(), 2, `${where}: one line each`)
        t.notOk(await page.locator('#copy-json').isVisible(), `${where}: no buttons to copy an answer there is not`)
        t.notOk(await page.locator('#timeline-title').isVisible(), `${where}: no empty timeline`)
      }
    }
    t.same(errors, [], `${width} px: no errors in the page`)
    await context.close()
  }
})

t.test('the timeline zooms and pans from the keyboard, and its range downloads as CSV', async (t) => {
  const url = await serve(t)
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, acceptDownloads: true })
  await page.goto(`${url}/?ip=203.0.113.7&at=${at(T0 - 30 * MIN)}&window=5m`)
  await page.locator('#timeline .holding').first().waitFor()
  const range = () => page.locator('.tl-chart').evaluate((e: HTMLElement) => [Number(e.dataset.from), Number(e.dataset.to)])
  const [from, to] = await range()
  await page.locator('#zoom-out').focus()
  await page.keyboard.press('Enter')
  await page.waitForFunction((span) => { const e = document.querySelector<HTMLElement>('.tl-chart'); return e && Number(e.dataset.to) - Number(e.dataset.from) > span }, to! - from!)
  const [from2, to2] = await range()
  t.ok(Math.abs((to2! - from2!) - 2 * (to! - from!)) < 1000, 'zoom out doubles the range')
  await page.locator('#pan-earlier').focus()
  await page.keyboard.press('Enter')
  await page.waitForFunction((f) => Number(document.querySelector<HTMLElement>('.tl-chart')?.dataset.from) < f, from2!)
  const [from3, to3] = await range()
  t.ok(from3! < from2! && to3! - from3! === to2! - from2!, 'earlier moves the range back, same width')
  // From a focused row: the arrow keys pan, + zooms in; the row keeps the focus.
  await page.locator('#timeline .holding').first().focus()
  await page.keyboard.press('ArrowRight')
  await page.waitForFunction((f) => Number(document.querySelector<HTMLElement>('.tl-chart')?.dataset.from) > f, from3!)
  await page.keyboard.press('+')
  await page.waitForFunction((span) => { const e = document.querySelector<HTMLElement>('.tl-chart'); return e && Number(e.dataset.to) - Number(e.dataset.from) < span }, to3! - from3!)
  t.ok(await page.evaluate(() => document.activeElement?.classList.contains('holding')), 'the arrow keys and + moved and zoomed the range, and a row keeps the focus')
  // Out as far as it goes (30 days): each step fetches what it shows, never more than a timeline may cover.
  for (let i = 0; i < 10; i++) await page.locator('#zoom-out').click()
  await page.waitForFunction(() => { const e = document.querySelector<HTMLElement>('.tl-chart'); return e && Number(e.dataset.to) - Number(e.dataset.from) === 30 * 86_400_000 })
  t.notOk(await page.locator('#error').isVisible(), 'zoomed out to 30 days without an error')
  for (let i = 0; i < 10; i++) await page.locator('#zoom-in').click()
  await page.locator('#timeline .holding').first().waitFor()
  const download = page.waitForEvent('download')
  await page.locator('#download-csv').click()
  const file = await download
  t.match(file.suggestedFilename(), /^whohad-203\.0\.113\.7-.*\.csv$/)
  const csv = readFileSync((await file.path())!, 'utf8')
  t.match(csv, /^address,scope,holder,/, 'the CSV of the range shown')
  t.match(csv, /i-0a1 \(web-prod-2\)/)

  // The same chart for a range alone, as /v1/ips/{ip}/timeline answers it.
  await page.goto(`${url}/?ip=203.0.113.7&from=${at(T0 - 240 * MIN)}&to=${at(T0)}`)
  await page.locator('#timeline .holding').first().waitFor()
  t.equal(await page.locator('#timeline .holding').count(), 2, 'a range alone: the timeline of both holdings')
  t.notOk(await page.locator('#verdict').isVisible(), 'and no verdict, as no time was asked')
  t.same(await range(), [T0 - 240 * MIN, T0], 'over the range asked')
})

t.test('the page\'s incident note is the text whohad lookup --format markdown prints', async (t) => {
  const url = await serve(t)
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } })
  await page.goto(`${url}/?ip=10.0.1.5&at=${at(T0)}&window=5m`)
  await page.locator('#answer li').first().waitFor()
  await page.getByRole('button', { name: 'Copy incident note' }).click()
  await page.locator('#note').waitFor({ state: 'visible' })
  const note = await page.locator('#note').inputValue()
  const { stdout } = await promisify(execFile)(process.execPath, [compiledCli(), 'lookup', '10.0.1.5', '--at', new Date(T0).toISOString(), '--window', '5m', '--format', 'markdown', '--url', url], { env: childEnv({}) })
  t.equal(note, stdout, 'the same Markdown')
  t.match(note, /#### NAT gateway nat-0a8b0e0d28266841f: held it \(certain\)/)
  t.match(note, new RegExp(`- \\*\\*Link:\\*\\* <${url.replaceAll('.', '\\.')}/\\?ip=10\\.0\\.1\\.5&at=2026-11-20T10%3A00%3A00\\.000Z&window=300s>`))
})
