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
