#!/usr/bin/env node
// whohad's command line: one subcommand per module, each living beside the code it drives.
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  serve: () => import('./cli/serve.ts'),
  collect: () => import('./cli/collect.ts'),
  lookup: () => import('./cli/lookup.ts'),
  demo: () => import('./cli/demo.ts'),
  fakeaws: () => import('./cli/fakeaws.ts'),
}

const USAGE = `usage: whohad <command> [options]

  serve     the API, the page and the collector (npm start)
  collect   poll every account and region into the store (--once: one pass and a summary)
  lookup    who held an address at a time, from a terminal
  demo      whohad in a minute on a simulated organisation (npm run demo)
  fakeaws   the simulated organisation alone

whohad <command> --help shows a command's options. Configuration is read from the environment
(see the README, Configuration); a bad value stops every command before it starts.
`

// Commands that run the collector get its heap policy (WHOHAD_MAX_HEAP_MB, src/heap-policy.ts) before
// they load: the process re-executes itself with the V8 flags, once, keeping its pid and stdio.
const HEAP_POLICY = new Set(['collect'])

async function applyHeapPolicy(): Promise<void> {
  const [{ ConfigError, loadConfig }, { heapReexec }] = await Promise.all([import('./config.ts'), import('./heap-policy.ts')])
  let maxHeapMb: number
  try {
    maxHeapMb = loadConfig().collector.maxHeapMb
  } catch (err) {
    // A bad setting: the command itself refuses it, in the words every command uses.
    if (err instanceof ConfigError) return
    throw err
  }
  const flags = heapReexec(maxHeapMb, process.execArgv, process.env.NODE_OPTIONS)
  // process.execve exists on POSIX systems from Node 22.15 and 23.11; elsewhere the process runs with V8's defaults.
  if (flags && typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env)
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const load = commands[name]
  if (!load) {
    process.stderr.write(`whohad: no command ${JSON.stringify(name)}\n\n${USAGE}`)
    return 2
  }
  if (HEAP_POLICY.has(name)) await applyHeapPolicy()
  const command = await load()
  try {
    return await command.run(rest)
  } catch (err) {
    // node:util parseArgs refuses unknown options and missing values with these codes.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`whohad ${name}: ${(err as Error).message}\nwhohad ${name} --help shows its options\n`)
      return 2
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err: unknown) => {
    process.stderr.write(`whohad: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
