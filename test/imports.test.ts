// The shape of the code as its imports show it: no circle anywhere, DynamoDB spoken only by src/store,
// src/ standing on its own, and the pure modules depending on nothing that does I/O. Type-only imports
// count everywhere: a type names the module that defines it. Each failure lists the offending imports
// as `file:line imports 'specifier'`.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { describeCycle, describeImport, findCycles, type ImportEdge, importersOf, readImportGraph, unresolvedImports } from '../support/import-graph.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const graph = readImportGraph(ROOT)

const DYNAMODB_PACKAGES = ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb']

/** Files outside src/store that may import the DynamoDB SDK, and why each must. */
const DYNAMODB_EXCEPTIONS: Readonly<Record<string, string>> = {
  'test/store/ttl.test.ts': 'reads the table description (DescribeTimeToLive) to check the TTL setting, which the store has no call for',
  'test/api/membership.test.ts': 'removes the member registry\'s marker item to make a table as an older whohad left it, which the store has no call for',
  'test/store/table-check.test.ts': 'creates tables as an older whohad or a hand (CreateTable with other projections) would have left them, which the store has no call for',
  'test/store/batch.test.ts': 'hands the batch writer a stub client and raw WriteRequests, to test its retry of unprocessed items',
  'support/stores.ts': "builds each test's store on a client of its own and counts that client's requests with a middleware, for the request-cost tests",
  'bench/store.ts': 'measures the floor: a bare GetItem and an empty Query straight through the SDK, beside the store doing the same work',
  'bench/api.ts': 'measures the floor: a bare GetItem straight through the SDK, beside the API answering',
  'bench/enrich.ts': "measures the store floor: bare Queries straight through the SDK at the server's concurrency, beside the server answering",
}

/** The modules docs/architecture.md calls pure: decisions without I/O, tested without servers. */
const PURE_MODULES = [
  'src/model/',
  'src/collector/reconcile.ts',
  'src/collector/config-refine.ts',
  'src/collector/poll-state.ts',
  'src/collector/lease-plan.ts',
  'src/api/coverage.ts',
  'src/api/answers.ts',
  'src/api/bounds.ts',
  'src/api/sigv4.ts',
  'src/api/ec2/refusals.ts',
  'src/api/verdict.ts',
  'src/api/holder-words.ts',
  'src/api/holding-fields.ts',
  'src/api/note.ts',
  'src/api/timeline-csv.ts',
  'src/cli/stories.ts',
  'src/cache/types.ts', // the cache's contract: types and one constant
]

/** Packages a pure module may import, and why each does no I/O. */
const PURE_PACKAGES: Readonly<Record<string, string>> = {
  'ipaddr.js': 'parses and formats addresses',
  'node:crypto': 'lease-plan hashes names with createHash and sigv4 computes HMACs: functions of their input',
}

/** Packages a pure module may take types from (nothing of theirs is loaded), and why. */
const PURE_TYPE_PACKAGES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-ec2': "src/model/description.ts keeps EC2's descriptions in the SDK's own shapes",
}

const isPure = (file: string) => PURE_MODULES.some((m) => (m.endsWith('/') ? file.startsWith(m) : file === m))

const list = (edges: readonly ImportEdge[]) => edges.map(describeImport)

t.test('the graph covers the code and resolves every relative import', async (t) => {
  for (const file of ['src/cli.ts', 'src/store/table.ts', 'support/import-graph.ts', 'test/imports.test.ts', 'bench/all.ts', 'scripts/test.ts']) {
    t.ok(graph.files.includes(file), file)
  }
  t.strictSame(list(unresolvedImports(graph)), [], 'relative imports that name no file of src, support, test, bench or scripts')
})

t.test('no import circle', async (t) => {
  t.strictSame(findCycles(graph).map(describeCycle), [], 'circles (a shortest one, then each import inside it; break one of those)')
})

t.test('only src/store imports the DynamoDB SDK', async (t) => {
  const importers = importersOf(graph, DYNAMODB_PACKAGES)
  const offending = importers.filter((e) => !e.from.startsWith('src/store/') && !(e.from in DYNAMODB_EXCEPTIONS))
  t.strictSame(list(offending), [], 'imports of the DynamoDB SDK outside src/store (ask the store for what you need)')
  const stale = Object.keys(DYNAMODB_EXCEPTIONS).filter((file) => !importers.some((e) => e.from === file))
  t.strictSame(stale, [], 'exceptions that no longer import the DynamoDB SDK: remove them from DYNAMODB_EXCEPTIONS')
})

t.test('src/ imports nothing from test, support, bench or scripts', async (t) => {
  const outward = graph.edges.filter((e) => e.from.startsWith('src/') && ['test/', 'support/', 'bench/', 'scripts/'].some((f) => e.to?.startsWith(f)))
  t.strictSame(list(outward), [], 'imports from src/ into the folders that test, measure and build it')
})

t.test('pure modules import only the shared nouns of src/model and packages without I/O', async (t) => {
  const pure = graph.files.filter(isPure)
  for (const m of PURE_MODULES) t.ok(pure.some((f) => f.startsWith(m)), `${m} exists`)
  // Another pure module brings no I/O either, so pure modules may build on each other.
  const allowed = (e: ImportEdge) => (e.to !== undefined ? isPure(e.to) : e.package !== undefined && (e.package in PURE_PACKAGES || (e.typeOnly && e.package in PURE_TYPE_PACKAGES)))
  const offending = graph.edges.filter((e) => isPure(e.from) && !allowed(e))
  t.strictSame(list(offending), [], 'imports by pure modules of modules that are not pure (move the nouns into src/model) or of packages not in PURE_PACKAGES')
})
