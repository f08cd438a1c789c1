import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ARTILLERY_DIR, ARTILLERY_VERSION, ROOT } from '../support/artillery';

const run = (probe: string, env: Record<string, string>) =>
  execFileSync(process.execPath, ['--require', path.join(ROOT, 'dist', 'runner', 'no-telemetry.js'), '-e', probe], {
    cwd: ARTILLERY_DIR,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
const probe = `const { PostHog } = require('posthog-node'); process.stdout.write(PostHog.name);`;

// Artillery 2.0.21 sends its telemetry through posthog-node, which waits about 12 s on an offline
// host even when telemetry is disabled; from 2.0.22 a disabled telemetry sends nothing, and
// posthog-node is gone from its dependencies.
let usesPosthog = true;
try {
  require.resolve('posthog-node', { paths: [ARTILLERY_DIR] });
} catch {
  usesPosthog = false;
}

describe(`the no-telemetry preload of the Artillery process (Artillery ${ARTILLERY_VERSION})`, () => {
  (usesPosthog ? it : it.skip)('gives posthog-node a client that sends nothing when ARTILLERY_DISABLE_TELEMETRY is set', () => {
    expect(run(probe, { ARTILLERY_DISABLE_TELEMETRY: 'true' })).toBe('SilentPostHog');
  });

  (usesPosthog ? it : it.skip)('changes nothing when it is not set (the control)', () => {
    expect(run(probe, {})).toBe('PostHog');
  });

  it('loads beside an Artillery without posthog-node too, and changes nothing else it requires', () => {
    expect(run(`process.stdout.write(require('node:path').sep + typeof require('debug'))`, { ARTILLERY_DISABLE_TELEMETRY: 'true' })).toBe('/function');
  });
});
