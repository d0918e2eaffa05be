// What the suite needs from the machine besides Node and npm, and what `npm test` does about each part
// that is missing: install it when it may (root on Debian), or stop before the suite saying which parts
// are missing and the command that installs each. A part found missing deep in the suite (a failing
// redis test, a browser that does not launch) costs minutes and explains nothing. Pure; the probes and
// apt-get run in scripts/test.ts.

export interface Part {
  /** How a person recognises it: a command or a path. */
  readonly name: string
  readonly neededFor: string
  /** The Debian package that provides it. */
  readonly debianPackage: string
}

export const PARTS: readonly Part[] = [
  { name: 'java', neededFor: 'AWS DynamoDB Local, the store the tests run against', debianPackage: 'default-jre-headless' },
  { name: 'redis-server', neededFor: 'the cache and stress tests, which run a real Redis', debianPackage: 'redis-server' },
  { name: '/usr/bin/chromium', neededFor: 'the page test, which drives a real browser', debianPackage: 'chromium' },
  // Debian's AWS CLI (2.9), at its own path: another `aws` on the PATH (pip's v1) is not what is tested.
  { name: '/usr/bin/aws', neededFor: "the /ec2/ tests, which run the AWS CLI against whohad's EC2 API", debianPackage: 'awscli' },
]

export interface Host {
  /** Running as root, so apt-get may install. */
  readonly root: boolean
  /** A Debian (or Debian-based) system with apt-get. */
  readonly debian: boolean
}

export type Plan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'stop'; readonly message: string }

const aptInstall = (packages: readonly string[]) => ['apt-get', 'install', '-y', ...packages]

/** What to do about the parts found missing on this host. */
export function planPrerequisites(missing: readonly Part[], host: Host): Plan {
  if (missing.length === 0) return { kind: 'ready' }
  const packages = missing.map((p) => p.debianPackage)
  if (host.root && host.debian) return { kind: 'install', commands: [['apt-get', 'update'], aptInstall(packages)] }
  // Without root, the same commands through sudo; elsewhere, Debian's names as the nearest exact advice.
  const sudo = host.root ? '' : 'sudo '
  const command = (pkgs: readonly string[]) => `${sudo}apt-get update && ${sudo}${aptInstall(pkgs).join(' ')}`
  const lines = [
    `npm test needs ${missing.length === 1 ? 'a part' : 'parts'} this machine does not have:`,
    ...missing.map((p) => `  ${p.name} (${p.neededFor}): ${command([p.debianPackage])}`),
  ]
  if (missing.length > 1) lines.push(`All at once: ${command(packages)}`)
  if (!host.debian) lines.push('Those are the commands on Debian; elsewhere, install the same parts with your system\'s packages.')
  else lines.push('Run as root, npm test installs them itself.')
  return { kind: 'stop', message: lines.join('\n') }
}
