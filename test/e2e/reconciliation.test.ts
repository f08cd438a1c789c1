/**
 * Negative controls for reconciliation: the reference API in each deliberately broken mode, under
 * the quick mixed scenario (which also retries 5 % of requests with the same key). The
 * reconciliation must name exactly the defect injected, and the run must say NO-GO. The runs are
 * judged on correctness alone, so they run two at a time (the e2e project's maxConcurrency).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEnv } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosCopy, scenariosWith } from '../support/scenario-copy';

jest.setTimeout(240_000);

// `also`: what the scenario's resends and key-reuse probes add, each true of that defect too.
// - A retried double-applied request can be answered 200 then 409 (applied again, or refused,
//   instead of replayed): `contradicted`, and its second answer is not the first's
//   (`replay_differs`). With the key's uniqueness gone, a probe that reuses the key for another
//   body is written as well as refused (`unexpected`, `mismatched`).
// - A retried phantom 409 is replayed as the 200 it was: `contradicted`, `replay_differs`.
// - A lost write took its stored key with it: a resend is applied afresh under another id
//   (`replay_differs`), and a probe reusing the key for another body is applied (`mismatched`).
const MODES = [
  { mode: 'lost-ack', defect: 'lost', also: ['mismatched', 'replay_differs'], port: 3397 },
  { mode: 'double-apply', defect: 'duplicated', also: ['contradicted', 'replay_differs', 'mismatched', 'unexpected'], port: 3398 },
  { mode: 'phantom-409', defect: 'unexpected', also: ['contradicted', 'replay_differs'], port: 3399 },
] as const;

describe('reconciliation catches each injected defect by name', () => {
  for (const { mode, defect, also, port } of MODES) {
    it.concurrent(`${mode}: reports ${defect} writes and nothing else at the key level`, async () => {
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
      expect(keyLevel).toContain(`history.${defect}`);
      expect(keyLevel.filter((t) => ![defect, ...also].map((x) => `history.${x}`).includes(t))).toEqual([]);
      expect(recon.counts[defect]).toBeGreaterThan(0);
      expect(r.stdout).toMatch(new RegExp(`${defect} [1-9]\\d*`));

      // load-test:verify finds the same defect on its own (exit 1).
      const v = await runCli('verify', [], { ...env });
      expect(v.code).toBe(1);
      expect(v.stdout).toMatch(new RegExp(`${defect} [1-9]`));
    });
  }

  it.concurrent('off-contract: answers without their balance are caught by the contract checks (target description), while the data stays right', async () => {
    const env = runEnv('e2e_off_contract', 3404);
    const r = await runCli('run', ['scenario1', '--profile', 'quick', '--api-mode', 'off-contract'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    const [run] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, run!, 'summary.json'), 'utf8'));
    const rows = summary.scenarios[0].rows as { name: string; pass: boolean; kind: string }[];
    expect(rows.find((x) => x.name.startsWith('every answer follows the API contract'))).toMatchObject({ pass: false, kind: 'correctness' });
    // Nothing else is wrong: the exact counts, the integrity check and reconciliation all hold.
    expect(rows.filter((x) => !x.pass && x.kind === 'correctness').map((x) => x.name)).toEqual(['every answer follows the API contract (target description)']);
    expect(summary.scenarios[0].reconciliation.verdict.valid).toBe(true);
    expect(summary.crashes).toEqual([]);
    expect(summary.decision).toBe('NO-GO');
  });

  it.concurrent('slow-ack: answers that come after the client gave up are unknown (info); recovered and not applied are both allowed', async () => {
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

  it.concurrent('double-apply is caught in scenarios 1 and 2 and in the ladder too: every scenario resends a share of its requests', async () => {
    // A higher resend share than the default 5 % so that the negative control cannot miss by
    // chance; scenario 3 (above) runs with its default.
    const more = (y: string): string => y.replace('retryShare: 0.05', 'retryShare: 0.5');
    const dir = scenariosCopy({
      'high-contention.yml': more,
      'high-throughput.yml': more,
      'ladder.yml': more,
      'mixed-operations.yml': (y) => y.replace('order: 3', 'order: 3\n    inAll: false'),
    });
    const env = runEnv('e2e_recon_double_apply_all', 3403, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['all', '--profile', 'quick', '--api-mode', 'double-apply'], env, { timeoutMs: 230_000 });
    expect(r.code).toBe(1);
    const [run] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, run!, 'summary.json'), 'utf8'));
    expect(summary.scenarios.map((s: { id: string }) => s.id)).toEqual(['scenario1', 'scenario2']);
    for (const s of summary.scenarios) {
      const keyLevel = Object.keys(s.reconciliation.verdict.errors).filter((t) => t.startsWith('history.'));
      expect([s.id, s.reconciliation.verdict.valid, keyLevel.length > 0]).toEqual([s.id, false, true]);
      const allowed = ['duplicated', ...MODES[1].also].map((t) => `history.${t}`);
      expect([s.id, keyLevel.filter((t) => !allowed.includes(t))]).toEqual([s.id, []]);
    }

    const ladderReports = path.join(path.dirname(env.REPORTS_DIR), 'ladder-reports');
    const l = await runCli('ladder', ['--steps', '100', '--api-mode', 'double-apply'], { ...env, REPORTS_DIR: ladderReports }, { timeoutMs: 120_000 });
    expect(l.code).toBe(1);
    const [lrun] = fs.readdirSync(ladderReports);
    const step = JSON.parse(fs.readFileSync(path.join(ladderReports, lrun!, 'ladder.json'), 'utf8')).steps[0];
    const recon = step.rows.find((x: { name: string }) => x.name.includes('reconciliation'));
    expect(recon.pass).toBe(false);
    expect(recon.measured).toMatch(/[1-9]\d* duplicated|contradicted/);
  });
});
