// The environment for a `whohad` child process in a test: the parent's, minus tap's coverage hooks.
// Children that inherited them wrote coverage of their own, which tap merged line-shifted into the
// suite's report (files loaded through the tsx child showed wrong, low figures); a child process's
// behaviour is what these tests check, and its code is covered in-process elsewhere.
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('_TAPJS_') || k === 'NODE_OPTIONS' || k.startsWith('TAP')) continue
    env[k] = v
  }
  // Stripping is not enough: tap's processinfo wraps child_process in the test process and puts its hook
  // back into every child's NODE_OPTIONS. This switch, which the hook reads, keeps the child from writing
  // coverage (a child that exited cleanly, like the demo after SIGINT, broke the merged report: every
  // file but one counted as 100% of nothing, and the thresholds failed).
  return { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env, ...extra, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
}
