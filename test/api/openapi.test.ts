// The OpenAPI document (/docs) covers every route of the API, each under one of its four areas and with
// an example, and names the areas.
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { openTestStore } from '../../support/stores.ts'

/** Every (method, path) Fastify routes, from its route tree ("├── v1/ips/:ip (GET, HEAD)" …). */
function routesOf(tree: string): { method: string; path: string }[] {
  const stack: string[] = []
  const out: { method: string; path: string }[] = []
  for (const line of tree.split('\n')) {
    const m = /^([│├└─\s]*)([^│├└─\s].*?) \(([A-Z, ]+)\)/.exec(line)
    if (!m) continue
    const depth = Math.round([...m[1]!].length / 4)
    stack.length = depth
    const path = `${stack[depth - 1] ?? ''}${m[2]}`
    stack[depth] = path
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push({ method, path })
  }
  return out
}

t.test('every route is documented, tagged by area, with an example', async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  const app = await buildApp({ store })
  t.teardown(() => app.fastify.close())
  await app.fastify.ready()
  const doc = (await app.fastify.inject({ method: 'GET', url: '/docs/json' })).json() as {
    tags: { name: string; description: string }[]
    paths: Record<string, Record<string, { tags?: string[]; summary?: string; description?: string }>>
  }
  const areas = ['lookups', 'current state', 'enrichment', 'operations']
  t.same(doc.tags.map((x) => x.name), areas, 'the four areas, each described')
  t.ok(doc.tags.every((x) => x.description.length > 20))

  const routes = routesOf(app.fastify.printRoutes({ commonPrefix: false }))
  t.ok(routes.some((r) => r.path === '/v1/ips/:ip/note'), 'the route tree was read')
  // The API's routes; not the page's files, /docs itself, nor the aliases documented under their other spelling.
  const api = routes.filter((r) => /^\/(v1\/|ec2\/|healthz|readyz|metrics)/.test(r.path) && !r.path.endsWith('*'))
  t.ok(api.length >= 13, `${api.length} API routes`)
  for (const r of api) {
    const path = r.path.replace(/:(\w+)/g, '{$1}')
    const op = doc.paths[path]?.[r.method.toLowerCase()]
    t.ok(op, `documented: ${r.method} ${path}`)
    if (!op) continue
    t.ok(op.tags?.length === 1 && areas.includes(op.tags[0]!), `${r.method} ${path} is in one area (${op.tags})`)
    t.ok(op.summary, `${r.method} ${path} has a summary`)
    t.match(op.description ?? '', /Example: /, `${r.method} ${path} has an example`)
  }
  for (const route of ['/healthz', '/readyz', '/metrics']) t.same(doc.paths[route]?.get?.tags, ['operations'], `${route} under operations`)
})
