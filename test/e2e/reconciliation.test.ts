/**
 * Negative controls for reconciliation: the reference API in each deliberately broken mode, under
 * the quick mixed scenario (which also retries 5 % of requests with the same key). The
 * reconciliation must name exactly the defect injected, and the run must say NO-GO.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEnv } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosWith } from '../support/scenario-copy';

jest.setTimeout(240_000);

const MODES = [
  { mode: 'lost-ack', defect: 'lost', port: 3397 },
  { mode: 'double-apply', defect: 'duplicated', port: 3398 },
  { mode: 'phantom-409', defect: 'unexpected', port: 3399 },
] as const;

describe('reconciliation catches each injected defect by name', () => {
  for (const { mode, defect, port } of MODES) {
    it(`${mode}: reports ${defect} writes and nothing else at the key level`, async () => {
      const env = runEnv(`e2e_recon_${mode.replace(/-/g, '_')}`, port);
      const r = await runCli('run', ['scenario3', '--profile', 'quick', '--api-mode', mode], env, { timeoutMs: 200_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('VERDICT: NO-GO');
      const [run] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
      const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, run!, 'summary.json'), 'utf8'));
      const recon = summary.scenarios[0].reconciliation;
      expect(recon.mode).toBe('history');
      expect(recon.verdict.valid).toBe(false);
      const keyLevel = Object.keys(recon.verdict.errors).filter((t) => t.startsWith('history.'));
      expect(keyLevel).toEqual([`history.${defect}`]);
      expect(recon.counts[defect]).toBeGreaterThan(0);
      expect(r.stdout).toMatch(new RegExp(`${defect} [1-9]\\d*`));

      // load-test:verify finds the same defect on its own (exit 1).
      const v = await runCli('verify', [], { ...env });
      expect(v.code).toBe(1);
      expect(v.stdout).toMatch(new RegExp(`${defect} [1-9]`));
    });
  }

  it('slow-ack: answers that come after the client gave up are unknown (info); recovered and not applied are both allowed', async () => {
    const dir = scenariosWith('mixed-operations.yml', (y) => y.replace('timeout: 10', 'timeout: 1'));
    const env = runEnv('e2e_recon_slow_ack', 3401, { SCENARIOS_DIR: dir, API_SLOW_ACK_MS: '2000' });
    const r = await runCli('run', ['scenario3', '--profile', 'quick', '--api-mode', 'slow-ack'], env, { timeoutMs: 200_000 });
    const [run] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, run!, 'summary.json'), 'utf8'));
    const recon = summary.scenarios[0].reconciliation;
    expect(recon.mode).toBe('history');
    expect(recon.counts.info).toBeGreaterThan(0);
    expect(recon.counts.recovered).toBeGreaterThan(0);
    expect(recon.counts.not_applied).toBeGreaterThan(0);
    expect([recon.counts.lost, recon.counts.duplicated, recon.counts.unexpected, recon.counts.bounds]).toEqual([0, 0, 0, 0]);
    expect(recon.verdict.valid).toBe(true);
    // The timeouts are failed requests for the error rate, so the run itself is not GO.
    expect(r.stdout).toMatch(/error rate < 2%.*FAIL/);
  });
});
