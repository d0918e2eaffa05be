// The compiled `whohad` command, for tests, benchmarks and scripts that run it as a child process: they
// run what users and the image run (`node dist/cli.js`), never the TypeScript through tsx. A dist/ older
// than src/ would test yesterday's code, so it is refused with the command that rebuilds it (`npm test`
// builds before the suite; a single test file run by hand needs `npm run build` after an edit).
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** Absolute path of the compiled command line. */
export const CLI = path.join(ROOT, 'dist', 'cli.js')

/** The most recent change under `dir`: a file's, or a folder's (a file added, renamed or deleted). */
function newestUnder(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: dir, mtimeMs: statSync(dir).mtimeMs }
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.endsWith('.md')) continue // not built (scripts/build.ts)
    const full = path.join(dir, e.name)
    const candidate = e.isDirectory() ? newestUnder(full) : { file: full, mtimeMs: statSync(full).mtimeMs }
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate
  }
  return newest
}

/** Why dist/ cannot stand in for src/ (missing, or older than a source file), or undefined when it can. */
export function staleBuild(root = ROOT): string | undefined {
  let built: number
  try {
    built = statSync(path.join(root, 'dist', 'cli.js')).mtimeMs
  } catch {
    return 'dist/cli.js does not exist'
  }
  const newest = newestUnder(path.join(root, 'src'))
  return newest.mtimeMs > built ? `${path.relative(root, newest.file)} changed after dist/ was built` : undefined
}

/** CLI, once dist/ is known to be current; throws saying how to rebuild it otherwise. */
export function compiledCli(): string {
  const stale = staleBuild()
  if (stale) throw new Error(`${stale}: run \`npm run build\``)
  return CLI
}
