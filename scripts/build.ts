// `npm run build` (and `npm ci`, through prepare): src/ compiled to dist/, which is all that `whohad`,
// the image and every child process run. Files src/ reads at run time (the page's HTML, CSS and
// browser JavaScript) are copied beside the code that reads them, so a module finds them the same way
// from src/ (under tsx) and from dist/.
import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SRC = path.join(ROOT, 'src')
const DIST = path.join(ROOT, 'dist')

// A clean directory, so that a module deleted or moved in src/ leaves nothing behind to be imported.
rmSync(DIST, { recursive: true, force: true })
execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' })
cpSync(SRC, DIST, { recursive: true, filter: (from) => statSync(from).isDirectory() || !/\.(ts|md)$/.test(from) })
// What npm does for an installed package's bin, done for a checkout too: `./dist/cli.js` runs as is.
chmodSync(path.join(DIST, 'cli.js'), 0o755)
