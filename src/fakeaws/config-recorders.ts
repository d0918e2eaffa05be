// How AWS Config is set up in each account-region of the simulated organisation: what
// DescribeConfigurationRecorders / DescribeConfigurationRecorderStatus answer, and how the history
// actions behave to match (services/config.ts). Settable per account, per region or both, at start
// (WorldOptions.configRecording) and at runtime (world.configRecorders.set, POST /_fake/config-recorders).

/**
 * - `all`: a recorder recording every supported type continuously (the default; what whohad needs).
 * - `off`: no recorder: every Config read answers NoAvailableConfigurationRecorderException.
 * - `stopped`: a recorder stopped when the mode was set: history ends there.
 * - `without-enis`: a recorder that excludes AWS::EC2::NetworkInterface: no ENI is discovered.
 * - `daily`: ENIs recorded daily: one item per day, captured after the day ends.
 * - `failing`: recording, but the last status is a failure (delivery to a missing bucket).
 * - `denied`: the read role may not call Config at all (AccessDeniedException).
 */
export const CONFIG_RECORDER_MODES = ['all', 'off', 'stopped', 'without-enis', 'daily', 'failing', 'denied'] as const
export type ConfigRecorderMode = (typeof CONFIG_RECORDER_MODES)[number]

export interface ConfigRecorderSetting {
  readonly mode: ConfigRecorderMode
  /** When the mode was set (virtual ms): the recorder's last start or stop. */
  readonly since: number
}

export function isConfigRecorderMode(value: unknown): value is ConfigRecorderMode {
  return typeof value === 'string' && (CONFIG_RECORDER_MODES as readonly string[]).includes(value)
}

export class ConfigRecorders {
  private readonly settings = new Map<string, ConfigRecorderSetting>()

  constructor(
    private readonly defaultSetting: ConfigRecorderSetting,
    private readonly now: () => number,
  ) {}

  /** Sets the mode for one account-region, a whole account, a whole region, or (neither) everywhere. */
  set(mode: ConfigRecorderMode, where: { readonly accountId?: string; readonly region?: string } = {}): void {
    if (!isConfigRecorderMode(mode)) throw new Error(`unknown Config recorder mode ${String(mode)}; one of ${CONFIG_RECORDER_MODES.join(', ')}`)
    const key = `${where.accountId ?? '*'}/${where.region ?? '*'}`
    // Setting everywhere resets the narrower settings too, as a test that says "everywhere" means.
    if (key === '*/*') this.settings.clear()
    this.settings.set(key, { mode, since: this.now() })
  }

  /** The most specific setting: account-region, then account, then region, then everywhere. */
  of(accountId: string, region: string): ConfigRecorderSetting {
    return (
      this.settings.get(`${accountId}/${region}`) ??
      this.settings.get(`${accountId}/*`) ??
      this.settings.get(`*/${region}`) ??
      this.settings.get('*/*') ??
      this.defaultSetting
    )
  }

  list(): Array<{ accountId: string; region: string } & ConfigRecorderSetting> {
    const all: Array<readonly [string, ConfigRecorderSetting]> = [...(this.settings.has('*/*') ? [] : [['*/*', this.defaultSetting] as const]), ...this.settings]
    return all.map(([key, s]) => {
      const [accountId = '*', region = '*'] = key.split('/')
      return { accountId, region, ...s }
    })
  }
}
