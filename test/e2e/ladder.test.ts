/**
 * The exact-count ladder through the real CLI. The 500-claim step runs in CI (CI=true) and is
 * left out of a local `npm test`, like the source document's CI-only tag.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEnv } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(240_000);

describe('load-test:ladder', () => {
  it(`exact counts at ${process.env.CI ? '100, 200 and 500' : '100 and 200 (500 runs in CI)'} concurrent claims, no pool failures`, async () => {
    const steps = process.env.CI ? '100,200,500' : '100,200';
    const env = runEnv('e2e_ladder', 3400);
    const r = await runCli('ladder', ['--steps', steps], env, { timeoutMs: 220_000 });
    // On failure, show the ladder's table and reasons, so a failure in CI explains itself.
    expect([r.code, r.code === 0 ? '' : r.stdout.slice(r.stdout.indexOf('=== Exact-count ladder'))]).toEqual([0, '']);
    const [run] = fs.readdirSync(env.REPORTS_DIR);
    const result = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, run!, 'ladder.json'), 'utf8'));
    for (const s of result.steps) {
      expect([s.claims, s.succeeded, s.rejected, s.failed, s.remaining]).toEqual([s.claims, s.stock, s.claims - s.stock, 0, 0]);
      expect(s.pool.timeouts).toBe(0);
      expect(s.pool.maxInUse).toBeLessThanOrEqual(s.pool.max);
      expect(s.burstMs).toBeGreaterThan(0);
    }
    expect(result.steps.map((s: { claims: number }) => s.claims).join(',')).toBe(steps);
  });

  it('refuses an unknown step with exit 254', async () => {
    const r = await runCli('ladder', ['--steps', '100,300'], {});
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('--steps takes a comma-separated list of 100, 200, 500');
  });
});
