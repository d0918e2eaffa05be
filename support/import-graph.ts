// The repository's import graph, for test/imports.test.ts: which file imports which file or package,
// the circles in it, and who imports a given package. Imports are read with the TypeScript compiler's
// own parser rather than a regex, so an import written in a comment or a string is not one, and every
// form counts: `import`, `import type`, `export … from`, `import('…')` calls and `import('…').T` types.
// Parsing and the graph decisions are pure; only readImportGraph touches the disk.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import ts from 'typescript'

/** The folders whose code the graph covers. */
export const SOURCE_FOLDERS = ['src', 'support', 'test', 'bench', 'scripts'] as const

const CODE_FILE = /\.(?:[cm]?ts|tsx|[cm]?js)$/
const SCRIPT_KIND: Record<string, ts.ScriptKind> = { '.tsx': ts.ScriptKind.TSX, '.js': ts.ScriptKind.JS, '.mjs': ts.ScriptKind.JS, '.cjs': ts.ScriptKind.JS }

/** How an import is written. */
export type ImportForm = 'import' | 'export' | 'dynamic' | 'import-type' | 'require'

/** One import as one file writes it. */
export interface ImportSite {
  readonly specifier: string
  /** 1-based. */
  readonly line: number
  /** Nothing but types cross it (`import type`, `export type … from`, `import('…').T`): erased at run time, but still a dependency. */
  readonly typeOnly: boolean
  readonly form: ImportForm
}

/** An import with what it names: a file of the graph, a package, or (a relative path naming no file) neither. */
export interface ImportEdge extends ImportSite {
  /** The importing file, relative to the root, with forward slashes. */
  readonly from: string
  /** For a relative import: the file it names, relative to the root (a file of the graph, or data such as JSON); undefined when no such file exists. */
  readonly to?: string
  /** For a bare specifier: the package's name (`@aws-sdk/client-dynamodb`, `ipaddr.js`, `node:fs`). */
  readonly package?: string
}

export interface ImportGraph {
  /** Every file read, relative to the root, sorted. */
  readonly files: readonly string[]
  readonly edges: readonly ImportEdge[]
}

/** A set of files each of which reaches every other by imports, the imports among them, and one shortest circle through them. */
export interface ImportCycle {
  readonly files: readonly string[]
  /** Every import between two files of the set: each lies on some circle, so each is a place to break one. */
  readonly edges: readonly ImportEdge[]
  /** The first file, the files a shortest circle passes through, and the first file again. */
  readonly example: readonly string[]
}

/** The imports a file's text makes, in the order written. */
export function parseImports(fileName: string, text: string): ImportSite[] {
  const kind = SCRIPT_KIND[path.extname(fileName)] ?? ts.ScriptKind.TS
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind)
  const sites: ImportSite[] = []
  const add = (literal: ts.Node, typeOnly: boolean, form: ImportForm) => {
    if (!ts.isStringLiteralLike(literal)) return
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1
    sites.push({ specifier: literal.text, line, typeOnly, form })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      // `import { type A } from` is not type-only: under verbatimModuleSyntax the module is still loaded.
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false, 'import')
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly, 'export')
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly, 'require')
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true, 'import-type')
    } else if (ts.isCallExpression(node) && node.arguments[0]) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false, 'dynamic')
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(node.arguments[0], false, 'require')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return sites
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..' || specifier.startsWith('/')
}

/** The package a bare specifier names: its scope and name, without a subpath; Node's built-ins always as `node:…`. */
export function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
  return builtinModules.includes(specifier) || builtinModules.includes(name) ? `node:${specifier}` : name
}

/**
 * The file a relative specifier names, relative to the root, or undefined (an absolute path, a path
 * above the root, or no such file). Tried in this order: the path as written, a `.js` written for its
 * `.ts`, then the path with `.ts` or `/index.ts` added.
 */
export function resolveRelative(from: string, specifier: string, exists: (file: string) => boolean): string | undefined {
  if (specifier.startsWith('/')) return undefined
  const base = path.posix.join(path.posix.dirname(from), specifier)
  const candidates = [base, base.replace(/\.([cm]?)js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`]
  return candidates.find((c) => !c.startsWith('../') && exists(c))
}

/**
 * The graph of given files' texts (relative paths with forward slashes): pure, for tests of it too.
 * `exists` says whether a relative import names a file; by default, one of the texts. Reading the
 * disk, any file counts, so an import of `../package.json` names it rather than nothing.
 */
export function buildImportGraph(texts: ReadonlyMap<string, string>, exists: (file: string) => boolean = (f) => texts.has(f)): ImportGraph {
  const files = [...texts.keys()].sort()
  const edges: ImportEdge[] = []
  for (const from of files) {
    for (const site of parseImports(from, texts.get(from) ?? '')) {
      if (isRelative(site.specifier)) {
        const to = resolveRelative(from, site.specifier, exists)
        edges.push(to === undefined ? { ...site, from } : { ...site, from, to })
      } else {
        edges.push({ ...site, from, package: packageName(site.specifier) })
      }
    }
  }
  return { files, edges }
}

/** Reads every code file under the folders (node_modules and dot-folders skipped) into a graph. */
export function readImportGraph(root: string, folders: readonly string[] = SOURCE_FOLDERS): ImportGraph {
  const texts = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(rel)
      else if (entry.isFile() && CODE_FILE.test(entry.name)) texts.set(rel, readFileSync(path.join(root, rel), 'utf8'))
    }
  }
  for (const folder of folders) if (existsSync(path.join(root, folder))) walk(folder)
  const isFile = (f: string) => statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile() ?? false
  return buildImportGraph(texts, (f) => texts.has(f) || isFile(f))
}

/** Relative imports that name no file. */
export function unresolvedImports(graph: ImportGraph): ImportEdge[] {
  return graph.edges.filter((e) => isRelative(e.specifier) && e.to === undefined)
}

/** The imports of any of the packages (subpaths included), in file order. */
export function importersOf(graph: ImportGraph, packages: readonly string[]): ImportEdge[] {
  return graph.edges.filter((e) => e.package !== undefined && packages.includes(e.package))
}

/** The circles of the graph: its strongly connected sets of more than one file, or of one file importing itself (Tarjan). */
export function findCycles(graph: ImportGraph): ImportCycle[] {
  const next = new Map<string, ImportEdge[]>(graph.files.map((f) => [f, []]))
  for (const e of graph.edges) if (e.to !== undefined) next.get(e.from)?.push(e)

  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const groups: string[][] = []
  const connect = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const { to: w } of next.get(v) ?? []) {
      if (w === undefined) continue
      if (!index.has(w)) {
        connect(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const group: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      group.push(w)
    } while (w !== v)
    groups.push(group.sort())
  }
  for (const f of graph.files) if (!index.has(f)) connect(f)

  return groups
    .map((files) => {
      const members = new Set(files)
      const edges = graph.edges.filter((e) => members.has(e.from) && e.to !== undefined && members.has(e.to))
      return { files, edges, example: shortestCircle(files[0]!, edges) }
    })
    .filter((c) => c.edges.length > 0)
    .sort((a, b) => (a.files[0]! < b.files[0]! ? -1 : 1))
}

/** Breadth first from `start` along the edges back to it; [] when no circle passes through it. */
function shortestCircle(start: string, edges: readonly ImportEdge[]): string[] {
  const cameFrom = new Map<string, string>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!
    for (const e of edges) {
      if (e.from !== v || e.to === undefined) continue
      if (e.to === start) {
        const back = [v]
        while (back.at(-1) !== start) back.push(cameFrom.get(back.at(-1)!)!)
        return [...back.reverse(), start]
      }
      if (!cameFrom.has(e.to) && e.to !== start) {
        cameFrom.set(e.to, v)
        queue.push(e.to)
      }
    }
  }
  return []
}

/** `src/a.ts:3 imports type './b.ts'`, the line a failure message shows for one import. */
export function describeImport(e: ImportEdge): string {
  const how = e.form === 'export' ? 're-exports' : e.form === 'dynamic' ? 'loads' : 'imports'
  return `${e.from}:${e.line} ${how}${e.typeOnly ? ' type' : ''} '${e.specifier}'`
}

/** A circle as a failure message shows it: a shortest one, then every import inside it. */
export function describeCycle(c: ImportCycle): { circle: string; imports: string[] } {
  return { circle: c.example.join(' → '), imports: c.edges.map(describeImport) }
}
