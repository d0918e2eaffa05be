// The import-graph reader on small made-up trees: every form of import is seen, comments and strings
// are not imports, a type-only import closes a circle, and packages are named without their subpaths.
import t from 'tap'
import {
  buildImportGraph,
  describeCycle,
  findCycles,
  importersOf,
  packageName,
  parseImports,
  readImportGraph,
  resolveRelative,
  unresolvedImports,
} from '../../support/import-graph.ts'

const graphOf = (files: Record<string, string>) => buildImportGraph(new Map(Object.entries(files)))

t.test('every form of import, and nothing in comments or strings', async (t) => {
  const text = [
    "import a from './a.ts'",
    "import type { B } from './b.ts'",
    "import { type C } from './c.ts'",
    "export { d } from './d.ts'",
    "export type { E } from './e.ts'",
    "import './f.ts'",
    "const g = await import('./g.ts')",
    "type H = import('./h.ts').H",
    "import i = require('./i.ts')",
    "// import x from './comment.ts'",
    "/* export * from './block-comment.ts' */",
    "const s = \"import y from './string.ts'\"",
    "const u = `import('./template.ts')`",
    'const dynamicName = await import(a.name)',
  ].join('\n')
  t.strictSame(
    parseImports('x.ts', text).map((s) => [s.specifier, s.line, s.form, s.typeOnly]),
    [
      ['./a.ts', 1, 'import', false],
      ['./b.ts', 2, 'import', true],
      // Still loads ./c.ts at run time (verbatimModuleSyntax keeps the import).
      ['./c.ts', 3, 'import', false],
      ['./d.ts', 4, 'export', false],
      ['./e.ts', 5, 'export', true],
      ['./f.ts', 6, 'import', false],
      ['./g.ts', 7, 'dynamic', false],
      ['./h.ts', 8, 'import-type', true],
      ['./i.ts', 9, 'require', false],
    ],
  )
  t.strictSame(
    parseImports('page.js', "import { x } from './x.js'\nconst m = require('node:fs')").map((s) => s.specifier),
    ['./x.js', 'node:fs'],
    'plain JavaScript too',
  )
})

t.test('package names', async (t) => {
  t.equal(packageName('@aws-sdk/client-dynamodb'), '@aws-sdk/client-dynamodb')
  t.equal(packageName('@aws-sdk/client-dynamodb/dist-types/commands'), '@aws-sdk/client-dynamodb', 'without the subpath')
  t.equal(packageName('ipaddr.js'), 'ipaddr.js')
  t.equal(packageName('tap/plugin'), 'tap')
  t.equal(packageName('fs'), 'node:fs', "Node's built-ins with their node: prefix")
  t.equal(packageName('fs/promises'), 'node:fs/promises')
  t.equal(packageName('node:path'), 'node:path')
})

t.test('relative paths resolve to files of the graph', async (t) => {
  const files = new Set(['src/a.ts', 'src/b/index.ts', 'test/t.ts'])
  const exists = (f: string) => files.has(f)
  t.equal(resolveRelative('src/x.ts', './a.ts', exists), 'src/a.ts')
  t.equal(resolveRelative('src/x.ts', './a.js', exists), 'src/a.ts', 'a .js written for its .ts')
  t.equal(resolveRelative('src/x.ts', './a', exists), 'src/a.ts')
  t.equal(resolveRelative('src/x.ts', './b', exists), 'src/b/index.ts')
  t.equal(resolveRelative('src/deep/x.ts', '../../test/t.ts', exists), 'test/t.ts')
  t.equal(resolveRelative('src/x.ts', './missing.ts', exists), undefined)
  t.equal(resolveRelative('src/x.ts', '../../outside.ts', () => true), undefined, 'nothing above the root')
  t.equal(resolveRelative('src/x.ts', '/src/a.ts', () => true), undefined, 'an absolute path names no file of the tree')
})

t.test('a made-up circle is found, through a type-only import', async (t) => {
  const files = {
    'src/a.ts': "import { b } from './b.ts'\nexport const a = b",
    'src/b.ts': "import type { C } from './c.ts'\nexport const b: C = 1",
    'src/c.ts': "export { a } from './a.ts'\nexport type C = number",
    'src/leaf.ts': "import { a } from './a.ts'\nimport fs from 'node:fs'",
    'src/self.ts': "export * from './self.ts'",
    'src/lonely.ts': "// import { a } from './a.ts'\nimport './nowhere.ts'",
  }
  const cycles = findCycles(graphOf(files))
  t.strictSame(
    cycles.map(describeCycle),
    [
      {
        circle: 'src/a.ts → src/b.ts → src/c.ts → src/a.ts',
        imports: ["src/a.ts:1 imports './b.ts'", "src/b.ts:1 imports type './c.ts'", "src/c.ts:1 re-exports './a.ts'"],
      },
      { circle: 'src/self.ts → src/self.ts', imports: ["src/self.ts:1 re-exports './self.ts'"] },
    ],
    'the circle, with its type-only link; a file importing itself; a file that only imports into a circle is not in it',
  )
  t.strictSame(cycles[0]?.files, ['src/a.ts', 'src/b.ts', 'src/c.ts'])

  const withoutTypeLink = { ...files, 'src/b.ts': 'export const b = 1' }
  t.strictSame(findCycles(graphOf(withoutTypeLink)).map((c) => c.example.join(' → ')), ['src/self.ts → src/self.ts'], 'no type-only link, no circle')
})

t.test('the shortest circle is the example, and every import of the set is listed', async (t) => {
  // a → b → a and a → c → d → a share a: one strongly connected set.
  const graph = graphOf({
    'a.ts': "import './c.ts'\nimport './b.ts'",
    'b.ts': "import './a.ts'",
    'c.ts': "import './d.ts'",
    'd.ts': "import './a.ts'",
  })
  const [cycle, ...more] = findCycles(graph)
  t.strictSame(more, [])
  t.strictSame(cycle?.example, ['a.ts', 'b.ts', 'a.ts'])
  t.equal(cycle?.edges.length, 5)
})

t.test('unresolved imports and importers of a package', async (t) => {
  const graph = graphOf({
    'src/store/s.ts': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'",
    'src/api/x.ts': "import type { AttributeValue } from '@aws-sdk/client-dynamodb/dist-types/models'\nimport './gone.ts'",
    'test/y.ts': "const note = \"import '@aws-sdk/util-dynamodb'\"\nimport { marshall } from '@aws-sdk/util-dynamodb'",
  })
  t.strictSame(
    importersOf(graph, ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb']).map((e) => [e.from, e.line, e.typeOnly]),
    [
      ['src/api/x.ts', 1, true],
      ['src/store/s.ts', 1, false],
      ['test/y.ts', 2, false],
    ],
  )
  t.strictSame(unresolvedImports(graph).map((e) => `${e.from}:${e.specifier}`), ['src/api/x.ts:./gone.ts'])
})

t.test('reads a tree from disk, skipping node_modules, dot-folders and other files', async (t) => {
  const root = t.testdir({
    src: {
      'a.ts': "import { b } from './b.ts'\nimport data from './data.json' with { type: 'json' }",
      'b.ts': "import { a } from './a.ts'\nimport './folder'",
      'data.json': '{}',
      folder: { 'readme.md': '' },
      'notes.md': "import './a.ts'",
      node_modules: { 'm.ts': "import '../a.ts'" },
      '.hidden': { 'h.ts': "import '../a.ts'" },
    },
    test: { 't.test.ts': "import '../src/a.ts'" },
    elsewhere: { 'e.ts': "import '../src/a.ts'" },
  })
  const graph = readImportGraph(root, ['src', 'test', 'bench'])
  t.strictSame(graph.files, ['src/a.ts', 'src/b.ts', 'test/t.test.ts'])
  t.strictSame(graph.edges.find((e) => e.specifier === './data.json')?.to, 'src/data.json', 'an import of data names its file')
  t.strictSame(unresolvedImports(graph).map((e) => e.specifier), ['./folder'], 'a folder without index.ts is no file')
  t.strictSame(findCycles(graph).map((c) => c.example), [['src/a.ts', 'src/b.ts', 'src/a.ts']])
})
