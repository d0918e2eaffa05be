// The AWS CLI for tests that check /ec2/ with it: Debian's `awscli` at /usr/bin/aws, which `npm test`
// installs on CI (scripts/prerequisites.ts), before any other `aws` on the PATH (a pyenv or pip AWS CLI
// v1 answers differently: it is not what CI runs). Missing on CI is a failure, not a skip: a skipped
// CLI test there would pass without checking anything.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const DEBIAN_AWS_CLI = '/usr/bin/aws'

/** The AWS CLI to run, or why there is none (a reason to skip, off CI). Throws on CI when it is missing. */
export async function awsCli(): Promise<{ readonly path: string } | { readonly missing: string }> {
  const candidates = existsSync(DEBIAN_AWS_CLI) ? [DEBIAN_AWS_CLI] : ['aws']
  for (const path of candidates) {
    try {
      await run(path, ['--version'], { timeout: 30_000 })
      return { path }
    } catch {
      // Not runnable: reported below.
    }
  }
  const missing = `the AWS CLI is not installed (apt-get install -y awscli, or npm test as root on Debian)`
  if (process.env.CI === 'true') throw new Error(`${missing}; CI must run the AWS CLI tests`)
  return { missing }
}
