// `npm run bench`: every benchmark, one after another on this machine, then docs/BENCHMARKS.md, written
// from exactly what each printed (and printed here too). Ratios, not absolute times, are the figures to
// compare across machines: each is measured side by side in one run.
// `npm run bench -- describe enrich` runs only those and rewrites only their sections; every other
// section stays as it was, with the date it was measured on.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'

const BENCHES = [
  { name: 'store', command: 'npm run bench:store', script: 'bench/store.ts', what: 'a point lookup of a public IP with 1,000 past holders vs one GetItem' },
  { name: 'api', command: 'npm run bench:api', script: 'bench/api.ts', what: 'the API under autocannon: cached lookups vs hello world, batches, uncached lookups' },
  { name: 'describe', command: 'npm run bench:describe', script: 'bench/describe.ts', what: "EC2's Query API (/ec2/) from the cache under autocannon, with the SDK's own signed requests, vs hello world" },
  { name: 'enrich', command: 'npm run bench:enrich', script: 'bench/enrich.ts', what: 'SIEM enrichment: never-held addresses from memory, a held-address mix in batches and NDJSON streams, vs the store floor' },
  { name: 'collector', command: 'npm run bench:collect', script: 'bench/collect.ts', what: 'the collector on a 100,000-ENI organisation: initial sync, steady-state writes, memory; and on 17,000 mostly empty targets: CPU and AWS requests per minute' },
]

const DOC = 'docs/BENCHMARKS.md'
const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !BENCHES.some((b) => b.name === name))
if (unknown.length > 0) {
  process.stderr.write(`bench: no benchmark named ${unknown.join(', ')}; they are ${BENCHES.map((b) => b.name).join(', ')}\n`)
  process.exit(2)
}

/** The sections of the existing document, by benchmark name (a subset run keeps the others). */
function existingSections(): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(DOC)) return out
  const parts = readFileSync(DOC, 'utf8').split(/^(?=## )/m).slice(1)
  for (const part of parts) {
    const name = /^## (\w+):/.exec(part)?.[1]
    if (name) out.set(name, part.trimEnd() + '\n')
  }
  return out
}

const began = new Date()
const day = began.toISOString().slice(0, 10)
const kept = existingSections()
const sections: string[] = []
for (const b of BENCHES) {
  if (asked.length > 0 && !asked.includes(b.name)) {
    const old = kept.get(b.name)
    if (old) sections.push(old)
    continue
  }
  process.stderr.write(`bench: ${b.command} …\n`)
  const t = Date.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', b.script], { encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, maxBuffer: 64 * 1024 * 1024 })
  const seconds = ((Date.now() - t) / 1000).toFixed(0)
  const status = r.status === 0 ? '' : ` — exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`
  sections.push(`## ${b.name}: ${b.what}\n\n\`${b.command}\` (${seconds} s, on ${day}${status})\n\n\`\`\`\n${(r.stdout ?? '').trimEnd()}\n\`\`\`\n`)
}
const cpus = os.cpus()
const doc = `# Benchmarks

Produced by \`npm run bench\` (each section says the day it was measured; \`npm run bench -- <names>\`
measures only those again); every figure below is what the command printed, in one run on one
machine. Absolute times depend on the machine and on what else ran on it; the ratios are measured
side by side in the same run and are the figures to compare.

Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}.
AWS DynamoDB Local (Java), \`redis-server\` and the simulated organisation run on the same machine.

${sections.join('\n')}`
writeFileSync(DOC, doc)
process.stdout.write(doc)
