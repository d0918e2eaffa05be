// The abuse desk's page: three static files beside this module's parent (src/api/ui, copied to dist/
// by the build), read once when the plugin is registered and served from memory.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { Problem, printable } from '../problem.ts'

const UI_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'ui')
const UI_TYPES: Record<string, string> = { 'app.js': 'text/javascript', 'style.css': 'text/css', 'index.html': 'text/html' }

export const uiRoutes: FastifyPluginAsync = async (app) => {
  const files = new Map(
    await Promise.all(Object.entries(UI_TYPES).map(async ([name, type]) => [name, { type: `${type}; charset=utf-8`, body: await readFile(path.join(UI_DIR, name)) }] as const)),
  )
  const index = files.get('index.html')!
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type(index.type).send(index.body))
  app.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true } }, async (req, reply) => {
    const file = files.get(req.params.file)
    if (!file) throw new Problem(404, `no file ${printable(req.params.file)}; the page's files are ${[...files.keys()].join(', ')}`)
    return reply.type(file.type).send(file.body)
  })
}
