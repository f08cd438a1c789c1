import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const probe = `const { PostHog } = require('posthog-node'); process.stdout.write(PostHog.name);`;
const run = (env: Record<string, string>) =>
  execFileSync(process.execPath, ['--require', path.join(ROOT, 'dist', 'runner', 'no-telemetry.js'), '-e', probe], {
    cwd: path.join(ROOT, 'node_modules', 'artillery'),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });

describe('the no-telemetry preload of the Artillery process', () => {
  it('gives posthog-node a client that sends nothing when ARTILLERY_DISABLE_TELEMETRY is set', () => {
    expect(run({ ARTILLERY_DISABLE_TELEMETRY: 'true' })).toBe('SilentPostHog');
  });

  it('changes nothing when it is not set (the control)', () => {
    expect(run({})).toBe('PostHog');
  });
});
