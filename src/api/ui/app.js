// The abuse desk page: plain JavaScript, no build step. It asks the API the same questions a script
// would (/v1/ips/{ip}, its timeline and its incident note) and draws the answer: the verdict first, the
// holdings nearest the time below it, then a timeline. The URL holds the query, so a link reproduces it;
// ?ip=…&from=…&to=… shows the timeline of a range alone.
const $ = (id) => document.getElementById(id)
const KEY = 'whohad-api-key'
let lastAnswer = null

// ---- talking to the API -------------------------------------------------------------------------
async function api(path, as = 'json') {
  for (;;) {
    const key = sessionStorage.getItem(KEY)
    const res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} })
    if (res.status === 401 || res.status === 403) {
      if (res.status === 403 && key) throw new Error('this API key may not run lookups')
      sessionStorage.removeItem(KEY)
      await askForKey()
      continue
    }
    if (!res.ok) {
      const body = await res.json().catch(() => ({}))
      throw new Error(body.detail || body.title || `the server answered ${res.status}`)
    }
    return as === 'text' ? res.text() : res.json()
  }
}

function askForKey() {
  const dialog = $('key-dialog')
  dialog.hidden = false
  $('key').focus()
  return new Promise((resolve) => {
    $('key-form').onsubmit = (e) => {
      e.preventDefault()
      sessionStorage.setItem(KEY, $('key').value.trim())
      $('key').value = ''
      dialog.hidden = true
      resolve()
    }
  })
}

// ---- words ------------------------------------------------------------------------------------
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z')
const short = (ms) => iso(ms).replace('T', ' ').replace('Z', ' UTC')

// The words for each resource type the classifier (src/model/eni-class.ts) names.
const RESOURCE_WORDS = {
  instance: 'instance',
  'nat-gateway': 'NAT gateway',
  'classic-load-balancer': 'classic load balancer',
  'application-load-balancer': 'application load balancer',
  'network-load-balancer': 'network load balancer',
  'gateway-load-balancer': 'gateway load balancer',
  'load-balancer': 'load balancer',
  'lambda-function': 'Lambda function',
  'vpc-endpoint': 'VPC endpoint',
  'gateway-load-balancer-endpoint': 'Gateway Load Balancer endpoint',
  'efs-mount-target': 'EFS mount target',
  rds: 'RDS',
  'rds-proxy': 'RDS proxy',
  'eks-cluster': 'EKS cluster',
  'transit-gateway-attachment': 'Transit Gateway attachment',
  'global-accelerator': 'Global Accelerator',
  'api-gateway-vpc-link': 'API Gateway VPC link',
  'resource-gateway': 'resource gateway',
  'network-interface': 'network interface',
}

// "NAT gateway nat-0a8…", "application load balancer web (app/web/5bd1…)", "RDS ENI eni-…" (nothing
// names the resource), "instance i-0a1" with its Name tag beside the account.
function resourceLabel(x) {
  const r = x.resource
  const words = RESOURCE_WORDS[r.type] || r.type
  if (r.type === 'network-interface') return `${x.kind === 'requester-managed' ? 'AWS-managed network interface' : 'network interface'} ${r.id || x.eniId}`
  if (r.type === 'instance') return r.id || x.instanceId || `instance ENI ${x.eniId}`
  const called = r.name || r.id
  if (!called) return `${words} ENI ${x.eniId}`
  return r.name && r.id && r.name !== r.id ? `${words} ${r.name} (${r.id})` : `${words} ${called}`
}

// Holdings stored before holders had a resource: guessed from the kind and name, as then.
function legacyLabel(x) {
  return {
    instance: x.instanceId,
    'nat-gateway': `NAT gateway ${x.name || x.eniId}`,
    'load-balancer': `load balancer ${x.name || x.eniId}`,
    lambda: `Lambda function ENI ${x.eniId}`,
    'vpc-endpoint': `VPC endpoint ENI ${x.eniId}`,
    rds: `RDS ENI ${x.eniId}`,
  }[x.kind] || `${x.kind || 'interface'} ${x.eniId}`
}

function holderName(h) {
  const x = h.holder || {}
  const where = [x.accountId && `account ${x.accountId}`, x.region].filter(Boolean).join(', ')
  const label = x.resource && x.resource.type ? resourceLabel(x) : legacyLabel(x)
  const instanceName = x.kind === 'instance' && ((x.resource && x.resource.name) || x.name)
  const extra = [instanceName, where].filter(Boolean).join(', ')
  return extra ? `${label} (${extra})` : label
}

/** The resource as its parts, for the evidence panel: what to look up in the console. */
function resourceText(x) {
  const r = x.resource
  if (!r || !r.type) return undefined
  return [RESOURCE_WORDS[r.type] || r.type, r.id && `id ${r.id}`, r.name && r.name !== r.id && `name ${r.name}`].filter(Boolean).join(', ')
}

function boundText(b, open) {
  if (!b) return open
  return b.after === b.by ? short(b.after) : `between ${short(b.after)} and ${short(b.by)}`
}

function sentence(h, ip) {
  const from = boundText(h.start, 'an unknown time')
  const to = h.end ? boundText(h.end, '') : 'now (still holds it)'
  const scope = h.scope && h.scope !== 'global' ? ` in ${h.scope}` : ''
  return `${holderName(h)} held ${h.address === ip ? ip : `${ip} (in ${h.address})`}${scope} from ${from} to ${to}`
}

function coverageText(c) {
  if (!c) return { cls: 'partial', text: 'The server said nothing about coverage: treat an empty answer with care.' }
  const state = c.state
  // Where AWS Config history is missing, short holdings may be too, whatever the polls say.
  const config = c.config && c.config.state !== 'available' ? ` ${c.config.detail}.` : ''
  if (state === 'complete') return { cls: 'complete', text: `Every account and region that could hold this address was being watched then.${config}` }
  if (state === 'not-watching') return { cls: 'not-watching', text: `Not watching then: ${c.detail || 'collection had not begun'}. An empty answer does not mean none of ours held it.` }
  return { cls: 'partial', text: `Partly watched: ${c.detail || 'some accounts or regions were failing or not yet polled'}. Holders there may be missing.${config}` }
}

// ---- the answer ---------------------------------------------------------------------------------
// Where the time asked about lies in a holding, in words (the answer's atT and distanceMs).
function atTText(h, T) {
  if (!h.atT) return h.certainty
  if (h.atT !== 'outside') return `${h.atT} at that time`
  const d = h.distanceMs, words = d < 120_000 ? `${Math.round(d / 1000)} s` : d < 7_200_000 ? `${Math.round(d / 60_000)} min` : `${Math.round(d / 3_600_000)} h`
  return `not then: ${words} ${T < h.start.after ? 'before it began' : 'after it ended'}`
}

function fieldList(pairs) {
  const dl = document.createElement('dl')
  for (const [k, v] of pairs) {
    if (!v) continue
    const dt = document.createElement('dt'); dt.textContent = k
    const dd = document.createElement('dd'); dd.textContent = v
    dl.append(dt, dd)
  }
  return dl
}

function holdingPairs(h, ip) {
  const x = h.holder || {}
  return [
    ['holder', holderName(h)],
    ['address', h.address === ip ? '' : `${ip} (in ${h.address})`],
    ['network', h.scope && h.scope !== 'global' ? [x.vpcId || h.scope, x.subnetId].filter(Boolean).join(', ') : ''],
    ['from', boundText(h.start, 'an unknown time')],
    ['to', h.end ? boundText(h.end, '') : `still held (proven until ${short(h.provenUntil ?? h.start.by)})`],
    ['evidence', [...(h.start.evidence || []).map((e) => `start: ${e.source}`), ...((h.end && h.end.evidence) || []).map((e) => `end: ${e.source}`)].join(', ')],
  ]
}

function renderAnswer(ip, body) {
  const T = Date.parse(body.at)
  const verdict = body.verdict || { state: 'unknown', text: 'The server gave no verdict.' }
  $('verdict').className = `verdict ${verdict.state}`
  $('verdict').textContent = verdict.text
  const list = $('answer')
  list.replaceChildren()
  const holdings = body.holdings || []
  $('holdings-title').textContent = holdings.length === 0 ? 'No holdings near that time' : body.window ? `Holdings within ${body.window} s of that time, nearest first` : 'Holdings at that time'
  for (const h of holdings) {
    const li = document.createElement('li')
    const at = h.atT || h.certainty
    li.className = at
    const badge = document.createElement('span')
    badge.className = `badge ${at}`
    badge.textContent = atTText(h, T)
    li.append(badge, fieldList(holdingPairs(h, ip)))
    list.append(li)
  }
  const cov = coverageText(body.coverage)
  $('coverage').className = `coverage ${cov.cls}`
  $('coverage').textContent = cov.text
}

// ---- the timeline -------------------------------------------------------------------------------
// HTML rather than SVG text: labels wrap whole at any width, and bars are placed in percent of the
// range shown. Solid: proven; hatched: an end known only within bounds.
const GLYPHS = [
  [/^instance$/, 'EC2', 'instance'],
  [/^nat-gateway$/, 'NAT', 'NAT gateway'],
  [/load-balancer$/, 'LB', 'load balancer'],
  [/^lambda-function$/, 'λ', 'Lambda function'],
  [/^vpc-endpoint|endpoint$/, 'VPCE', 'VPC endpoint'],
]
function glyphOf(h) {
  const x = h.holder || {}
  const type = (x.resource && x.resource.type) || { lambda: 'lambda-function', 'load-balancer': 'load-balancer', 'nat-gateway': 'nat-gateway', instance: 'instance', 'vpc-endpoint': 'vpc-endpoint' }[x.kind] || 'other'
  for (const [re, glyph, words] of GLYPHS) if (re.test(type)) return { glyph, words, cls: glyph === 'λ' ? 'lambda' : glyph.toLowerCase() }
  return { glyph: 'ENI', words: 'other network interface', cls: 'eni' }
}

const view = { ip: '', T: undefined, from: 0, to: 0, fetched: undefined, holdings: [] }

// The range around T that shows the answer: the holdings that may contain T, and the near end of the
// nearest on each side (where one handed over to the next), with a margin; within what was fetched,
// and never past the present.
function rangeAround(T, holdings, now, fetched) {
  const endOf = (h) => (h.end ? h.end.by : Math.min(now, Math.max(h.provenUntil ?? h.start.by, T)))
  let lo = T, hi = T
  const before = holdings.filter((h) => endOf(h) < T).sort((a, b) => endOf(b) - endOf(a))[0]
  const after = holdings.filter((h) => h.start.after > T).sort((a, b) => a.start.after - b.start.after)[0]
  for (const h of holdings.filter((h) => h.start.after <= T && endOf(h) >= T)) {
    lo = Math.min(lo, h.start.after)
    hi = Math.max(hi, endOf(h))
  }
  if (before) lo = Math.min(lo, before.end ? before.end.after : before.start.by)
  if (after) hi = Math.max(hi, after.start.by)
  lo = Math.max(lo, fetched[0])
  hi = Math.min(hi, fetched[1])
  const span = Math.max(hi - lo, 10 * 60_000)
  const mid = (lo + hi) / 2
  lo = Math.min(lo, mid - span / 2) - span * 0.15
  hi = Math.max(hi, mid + span / 2) + span * 0.15
  if (hi > now && T <= now) { lo -= hi - now; hi = now }
  return [Math.round(Math.max(lo, fetched[0])), Math.round(Math.min(hi, fetched[1]))]
}

function ticksFor(from, to, most) {
  const steps = [60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3]
  const step = steps.find((s) => (to - from) / s <= most) || steps[steps.length - 1]
  const out = []
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t)
  return out
}

function div(cls, text) {
  const e = document.createElement('div')
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

function drawTimeline() {
  const { ip, T, from, to, holdings } = view
  const pct = (t) => ((Math.min(Math.max(t, from), to) - from) / (to - from)) * 100
  const place = (e, a, b) => { e.style.left = `${pct(a)}%`; e.style.width = `${Math.max(0.3, pct(b) - pct(a))}%`; return e }
  const now = Date.now()
  const chart = div('tl-chart')
  chart.setAttribute('role', 'group')
  chart.setAttribute('aria-label', `Timeline of ${ip} from ${short(from)} to ${short(to)}`)
  chart.dataset.from = String(from)
  chart.dataset.to = String(to)
  if (T !== undefined) chart.dataset.t = String(T)
  const axis = div('tl-axis')
  axis.append(div('tl-label tl-axis-label', 'UTC'))
  const scale = div('tl-track tl-scale')
  // About one label per 90 px of track, so that narrow screens get fewer, not overlapping, labels.
  const ticks = ticksFor(from, to, Math.max(2, Math.min(8, Math.floor(($('timeline').clientWidth || 600) * (window.innerWidth > 640 ? 0.7 : 1) / 90))))
  const sameDay = new Date(from).toISOString().slice(0, 10) === new Date(to).toISOString().slice(0, 10)
  ticks.forEach((t) => {
    const tick = div('tick', sameDay ? short(t).slice(11, 16) : short(t).slice(5, 16))
    tick.style.left = `${pct(t)}%`
    // The last and first labels stay inside the chart rather than half outside it.
    if (pct(t) > 92) tick.classList.add('tick-end')
    if (pct(t) < 8) tick.classList.add('tick-start')
    scale.append(tick)
  })
  if (T !== undefined && T >= from && T <= to) {
    const mark = div('t-mark')
    mark.style.left = `${pct(T)}%`
    mark.title = `the time asked about: ${short(T)}`
    const label = div('t-mark-label', `asked: ${short(T).slice(11, 19)}`)
    label.style.left = `${pct(T)}%`
    if (pct(T) > 80) label.classList.add('tick-end')
    scale.append(mark, label)
  }
  axis.append(scale)
  chart.append(axis)
  const shown = holdings.filter((h) => h.start.after <= to && (h.end ? h.end.by : now) >= from)
  for (const h of shown) {
    const endBy = h.end ? h.end.by : now
    const endAfter = h.end ? h.end.after : (h.provenUntil ?? h.start.by)
    const g = glyphOf(h)
    const row = div('tl-row holding')
    row.tabIndex = 0
    row.setAttribute('role', 'button')
    const label = div('tl-label')
    const chip = document.createElement('span')
    chip.className = `glyph glyph-${g.cls}`
    chip.textContent = g.glyph
    chip.title = g.words
    // The row's name is its visible label, then the holding in words for a screen reader.
    const words = document.createElement('span')
    words.className = 'visually-hidden'
    words.textContent = ` (${g.words}): ${sentence(h, ip)}`
    label.append(chip, document.createTextNode(holderName(h)), words)
    label.title = sentence(h, ip)
    const track = div('tl-track')
    track.append(place(div('bar-possible'), h.start.after, endBy))
    if (endAfter >= h.start.by) track.append(place(div('bar-certain'), h.start.by, endAfter))
    if (T !== undefined && T >= from && T <= to) { const line = div('t-line'); line.style.left = `${pct(T)}%`; track.append(line) }
    row.append(label, track)
    const select = () => {
      for (const other of chart.querySelectorAll('.holding')) other.classList.remove('selected')
      row.classList.add('selected')
      showEvidence(h, ip)
    }
    row.addEventListener('click', select)
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select() } })
    chart.append(row)
  }
  if (shown.length === 0) chart.append(div('tl-empty', 'No holdings in this range.'))
  const legend = document.createElement('ul')
  legend.className = 'tl-legend'
  const kinds = new Map(shown.map((h) => { const g = glyphOf(h); return [g.cls, g] }))
  for (const g of kinds.values()) {
    const li = document.createElement('li')
    const chip = document.createElement('span')
    chip.className = `glyph glyph-${g.cls}`
    chip.textContent = g.glyph
    li.append(chip, document.createTextNode(` ${g.words}`))
    legend.append(li)
  }
  for (const [cls, words] of [['bar-certain', 'held for certain'], ['bar-possible', 'may have started or ended in this stretch']]) {
    const li = document.createElement('li')
    li.append(div(`swatch ${cls}`), document.createTextNode(` ${words}`))
    legend.append(li)
  }
  // From a focused row: arrows move the range, + and - zoom (the buttons above do the same).
  chart.addEventListener('keydown', (e) => {
    const act = { ArrowLeft: () => pan(-0.25), ArrowRight: () => pan(0.25), '+': () => zoom(0.5), '=': () => zoom(0.5), '-': () => zoom(2) }[e.key]
    if (!act) return
    e.preventDefault()
    const focused = [...chart.querySelectorAll('.holding')].indexOf(document.activeElement)
    act().then(() => { const rows = $('timeline').querySelectorAll('.holding'); if (focused >= 0 && rows[focused]) rows[focused].focus() }, showError)
  })
  $('tl-range').textContent = `${short(from)} to ${short(to)}`
  $('timeline').replaceChildren(chart, legend)
}

// Zoom and pan move the range shown; a range past what was fetched is fetched again.
async function moveView(from, to) {
  view.from = Math.round(from)
  view.to = Math.round(to)
  const f = view.fetched
  if (!f || view.from < f[0] || view.to > f[1]) {
    // A span either side, so that panning does not fetch at every step; a timeline covers at most 31 days.
    const span = view.to - view.from
    const extra = Math.max(0, Math.min(span, Math.floor((31 * 86400e3 - 1000 - span) / 2)))
    const [a, b] = [view.from - extra, view.to + extra]
    const timeline = await api(`/v1/ips/${encodeURIComponent(view.ip)}/timeline?${new URLSearchParams({ from: iso(a), to: iso(b) })}`)
    view.fetched = [a, b]
    view.holdings = timeline.holdings || []
  }
  drawTimeline()
}

function zoom(factor) {
  const mid = view.T !== undefined && view.T >= view.from && view.T <= view.to ? view.T : (view.from + view.to) / 2
  const span = Math.min(Math.max((view.to - view.from) * factor, 60_000), 30 * 86400e3)
  const left = (mid - view.from) / (view.to - view.from)
  return moveView(mid - span * left, mid + span * (1 - left))
}
const pan = (fraction) => moveView(view.from + (view.to - view.from) * fraction, view.to + (view.to - view.from) * fraction)

async function showTimeline(ip, T, from, to) {
  view.ip = ip
  view.T = T
  view.fetched = undefined
  const wide = T === undefined ? [from, to] : [T - 6 * 3600e3, T + 6 * 3600e3]
  const timeline = await api(`/v1/ips/${encodeURIComponent(ip)}/timeline?${new URLSearchParams({ from: iso(wide[0]), to: iso(wide[1]) })}`)
  view.fetched = wide
  view.holdings = timeline.holdings || []
  ;[view.from, view.to] = T === undefined ? [from, to] : rangeAround(T, view.holdings, Date.now(), wide)
  drawTimeline()
}

function showEvidence(h, ip) {
  $('evidence').hidden = false
  $('evidence-title').textContent = `Evidence: ${holderName(h)}`
  const dl = $('evidence-list')
  dl.replaceChildren()
  const add = (k, v) => { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = v; dl.append(dt, dd) }
  add('holding', sentence(h, ip))
  const resource = resourceText(h.holder)
  if (resource) add('resource', resource)
  add('ENI', h.holder.eniId)
  if (h.holder.vpcId) add('VPC / subnet', `${h.holder.vpcId} / ${h.holder.subnetId ?? '?'}`)
  for (const [label, b] of [['start', h.start], ['end', h.end]]) {
    if (!b) { add(label, 'still open'); continue }
    add(label, boundText(b, ''))
    for (const e of b.evidence || []) add(`  ${label} evidence`, `${e.source} at ${short(e.at)} — ${e.ref}`)
  }
  if (h.holder.tags) add('tags', Object.entries(h.holder.tags).map(([k, v]) => `${k}=${v}`).join(', '))
}

// ---- the query ----------------------------------------------------------------------------------
let asked = null

function startResult(timelineOnly) {
  $('result').hidden = false
  $('error').hidden = true
  $('answer-part').hidden = timelineOnly
  $('timeline-part').hidden = false
  $('evidence').hidden = true
  $('note').hidden = true
  $('copied').textContent = ''
  $('answer').replaceChildren()
  $('timeline').replaceChildren()
}

function showError(err) {
  // An error replaces the answer: no buttons to copy nothing, no empty timeline.
  $('answer-part').hidden = true
  $('timeline-part').hidden = true
  $('error').hidden = false
  // A request with several bad fields is told them all: one line each.
  const parts = err.message.split(/; (?=")/)
  if (parts.length < 2) { $('error').textContent = err.message; return }
  const list = document.createElement('ul')
  for (const part of parts) { const li = document.createElement('li'); li.textContent = part; list.append(li) }
  $('error').replaceChildren(list)
}

async function run(ip, at, windowText) {
  startResult(false)
  const params = new URLSearchParams({ at, window: windowText })
  asked = { ip, params }
  history.replaceState(null, '', `?${new URLSearchParams({ ip, at, window: windowText })}`)
  try {
    const body = await api(`/v1/ips/${encodeURIComponent(ip)}?${params}`)
    lastAnswer = body
    renderAnswer(body.ip ?? ip, body)
    await showTimeline(body.ip ?? ip, Date.parse(body.at), undefined, undefined)
  } catch (err) {
    showError(err)
  }
}

async function runTimeline(ip, fromText, toText) {
  startResult(true)
  asked = { ip }
  $('ip').value = ip
  try {
    const from = Date.parse(fromText), to = Date.parse(toText)
    if (Number.isNaN(from) || Number.isNaN(to)) throw new Error('"from" and "to" must be ISO-8601 times like 2026-11-20T10:00:00Z')
    await showTimeline(ip, undefined, from, to)
  } catch (err) {
    showError(err)
  }
}

async function copyNote() {
  if (!asked || !asked.params) return
  const note = await api(`/v1/ips/${encodeURIComponent(asked.ip)}/note?${asked.params}`, 'text')
  $('note').value = note
  $('note').hidden = false
  // The clipboard needs a secure context (https or localhost): elsewhere the note is there to select.
  const copied = navigator.clipboard ? await navigator.clipboard.writeText(note).then(() => true, () => false) : false
  $('copied').textContent = copied ? 'incident note copied (Markdown)' : 'select the note below and copy it'
}

async function downloadCsv() {
  const params = new URLSearchParams({ from: iso(view.from), to: iso(view.to), format: 'csv' })
  const csv = await api(`/v1/ips/${encodeURIComponent(view.ip)}/timeline?${params}`, 'text')
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }))
  a.download = `whohad-${view.ip.replaceAll(':', '-')}-${iso(view.from).slice(0, 19).replaceAll(':', '')}.csv`
  document.body.append(a)
  a.click()
  a.remove()
  URL.revokeObjectURL(a.href)
}

function init() {
  const q = new URLSearchParams(location.search)
  if (q.get('ip')) $('ip').value = q.get('ip')
  if (q.get('at')) $('at').value = q.get('at')
  if (q.get('window')) $('window').value = q.get('window')
  $('query').addEventListener('submit', (e) => {
    e.preventDefault()
    run($('ip').value.trim(), $('at').value.trim(), $('window').value)
  })
  $('copy-note').addEventListener('click', () => copyNote().catch(showError))
  $('copy-json').addEventListener('click', async () => {
    await navigator.clipboard?.writeText(JSON.stringify(lastAnswer, null, 2)).catch(() => {})
    $('copied').textContent = 'answer copied as JSON'
  })
  $('copy-link').addEventListener('click', async () => {
    await navigator.clipboard?.writeText(location.href).catch(() => {})
    $('copied').textContent = 'link copied'
  })
  $('zoom-in').addEventListener('click', () => zoom(0.5).catch(showError))
  $('zoom-out').addEventListener('click', () => zoom(2).catch(showError))
  $('pan-earlier').addEventListener('click', () => pan(-0.25).catch(showError))
  $('pan-later').addEventListener('click', () => pan(0.25).catch(showError))
  $('download-csv').addEventListener('click', () => downloadCsv().catch(showError))
  if (q.get('ip') && q.get('at')) run(q.get('ip'), q.get('at'), q.get('window') || '5m')
  else if (q.get('ip') && q.get('from') && q.get('to')) runTimeline(q.get('ip'), q.get('from'), q.get('to'))
}

init()
