#!/usr/bin/env node
// whohad's command line: one subcommand per module, each living beside the code it drives.
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  serve: () => import('./serve.ts'),
  collect: () => import('./collect.ts'),
  lookup: () => import('./lookup.ts'),
  demo: () => import('./demo.ts'),
  fakeaws: () => import('./fakeaws/cli.ts'),
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const load = name === undefined ? undefined : commands[name]
  if (!load) {
    process.stderr.write(`usage: whohad <${Object.keys(commands).join('|')}> [options]\n`)
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2
  }
  const command = await load()
  return command.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err: unknown) => {
    process.stderr.write(`whohad: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
