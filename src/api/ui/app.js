// The abuse desk page: plain JavaScript, no build step. It asks the API the same questions a script
// would (/v1/ips/{ip} and its timeline) and draws the answer; the URL holds the query, so a link
// reproduces it.
const $ = (id) => document.getElementById(id)
const KEY = 'whohad-api-key'
let lastAnswer = null

// ---- talking to the API -------------------------------------------------------------------------
async function api(path) {
  for (;;) {
    const key = sessionStorage.getItem(KEY)
    const res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} })
    if (res.status === 401 || res.status === 403) {
      if (res.status === 403 && key) throw new Error('this API key may not run lookups')
      sessionStorage.removeItem(KEY)
      await askForKey()
      continue
    }
    const body = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(body.detail || body.title || `the server answered ${res.status}`)
    return body
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
function renderAnswer(ip, body) {
  const list = $('answer')
  list.replaceChildren()
  const holdings = body.holdings || []
  holdings.sort((a, b) => (a.certainty === b.certainty ? 0 : a.certainty === 'certain' ? -1 : 1))
  if (holdings.length === 0) {
    const li = document.createElement('li')
    li.textContent = `No holder of ${ip} found at ${short(body.at ?? Date.now())}.`
    list.append(li)
  }
  for (const h of holdings) {
    const li = document.createElement('li')
    li.className = h.certainty
    const badge = document.createElement('span')
    badge.className = `badge ${h.certainty}`
    badge.textContent = h.certainty
    li.append(badge, document.createTextNode(sentence(h, ip)))
    list.append(li)
  }
  const cov = coverageText(body.coverage)
  $('coverage').className = `coverage ${cov.cls}`
  $('coverage').textContent = cov.text
}

// ---- the timeline -------------------------------------------------------------------------------
const SVG = 'http://www.w3.org/2000/svg'
function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

function renderTimeline(ip, T, from, to, holdings, now) {
  const width = 960, rowH = 28, left = 250, top = 30
  const height = top + Math.max(1, holdings.length) * rowH + 30
  const x = (t) => left + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (width - left - 10)
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Timeline of ${ip}` })
  const defs = el('defs')
  const pattern = el('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' })
  pattern.append(el('rect', { width: 6, height: 6, fill: '#fff4d6' }), el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#8a5a00', 'stroke-width': 2 }))
  defs.append(pattern)
  svg.append(defs)
  for (let i = 0; i <= 4; i++) {
    const t = from + ((to - from) * i) / 4
    svg.append(el('line', { x1: x(t), y1: top - 8, x2: x(t), y2: height - 20, stroke: '#d0d6de' }))
    svg.append(el('text', { x: x(t), y: top - 12, 'text-anchor': 'middle' }, short(t).slice(5, 16)))
  }
  holdings.forEach((h, i) => {
    const y = top + i * rowH
    const endBy = h.end ? h.end.by : now
    const endAfter = h.end ? h.end.after : (h.provenUntil ?? h.start.by)
    const g = el('g', { class: 'holding', tabindex: 0, role: 'button', 'aria-label': sentence(h, ip) })
    // The whole row is the click target, not only the thin bars and the label's glyphs.
    g.append(el('rect', { class: 'row-hit', x: 0, y, width, height: rowH, fill: 'transparent', 'pointer-events': 'all' }))
    g.append(el('text', { x: 4, y: y + 17 }, holderName(h).slice(0, 38)))
    g.append(el('rect', { class: 'bar-possible', x: x(h.start.after), y: y + 5, width: Math.max(1, x(endBy) - x(h.start.after)), height: rowH - 10 }))
    if (endAfter >= h.start.by) {
      g.append(el('rect', { class: 'bar-certain', x: x(h.start.by), y: y + 5, width: Math.max(1, x(endAfter) - x(h.start.by)), height: rowH - 10 }))
    }
    const select = () => {
      for (const other of svg.querySelectorAll('.holding')) other.classList.remove('selected')
      g.classList.add('selected')
      showEvidence(h, ip)
    }
    g.addEventListener('click', select)
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select() } })
    svg.append(g)
  })
  svg.append(el('line', { class: 't-mark', x1: x(T), y1: top - 8, x2: x(T), y2: height - 20 }))
  svg.append(el('text', { x: x(T), y: height - 6, 'text-anchor': 'middle', fill: '#b3261e' }, `asked: ${short(T).slice(11)}`))
  if (holdings.length === 0) svg.append(el('text', { x: left, y: top + 18 }, 'no holdings in this range'))
  $('timeline').replaceChildren(svg)
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
async function run(ip, at, windowText) {
  $('result').hidden = false
  $('error').hidden = true
  $('evidence').hidden = true
  $('answer').replaceChildren()
  $('timeline').replaceChildren()
  const params = new URLSearchParams({ at, window: windowText })
  history.replaceState(null, '', `?${new URLSearchParams({ ip, at, window: windowText })}`)
  try {
    const body = await api(`/v1/ips/${encodeURIComponent(ip)}?${params}`)
    lastAnswer = body
    renderAnswer(body.ip ?? ip, body)
    const T = typeof body.at === 'number' ? body.at : Date.parse(body.at)
    const span = 6 * 3600_000
    const timeline = await api(`/v1/ips/${encodeURIComponent(ip)}/timeline?${new URLSearchParams({ from: iso(T - span), to: iso(T + span) })}`)
    renderTimeline(body.ip ?? ip, T, T - span, T + span, timeline.holdings || [], Date.now())
  } catch (err) {
    $('error').hidden = false
    $('error').textContent = err.message
  }
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
  $('copy-json').addEventListener('click', async () => {
    await navigator.clipboard?.writeText(JSON.stringify(lastAnswer, null, 2)).catch(() => {})
    $('copied').textContent = 'answer copied as JSON'
  })
  $('copy-link').addEventListener('click', async () => {
    await navigator.clipboard?.writeText(location.href).catch(() => {})
    $('copied').textContent = 'link copied'
  })
  if (q.get('ip') && q.get('at')) run(q.get('ip'), q.get('at'), q.get('window') || '5m')
}

init()
