/**
 * The verifier's blind spots, closed (issue 24): each bug below went GO before. An API mode (or a
 * missing file) makes it happen in the scenario where a user would meet it, and the pack names it;
 * beside each, the same run on a correct API stays GO (or, here, the plan's own GO: test/e2e/plan).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { newestSummary, runEnv, tempDir } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosCopy } from '../support/scenario-copy';
import { ROOT } from '../support/cli';
import type { RunSummary } from '../../formats/summary';

jest.setTimeout(300_000);

const rowsOf = (s: RunSummary, id: string) => s.scenarios.find((x) => x.id === id)!.rows;
const row = (s: RunSummary, id: string, name: RegExp) => rowsOf(s, id).find((r) => name.test(r.name))!;

describe('every invariant at every moment, on every answer', () => {
  /**
   * A consume that does not check the reserved units. On data that starts with nothing reserved
   * (the plan's, and no shared hot spot: the run's own reservations are all there is), early
   * consumes take reserved below zero and later reserves bring it back: the final state is fine.
   */
  const emptyStart = (): string =>
    scenariosCopy({
      'mixed-operations.yml': (y) =>
        y
          .replace('seedProfile: mixed', 'seedProfile: plan')
          .replace('      - check: mix-lasts-the-run\n', '')
          .replace('    preflight:\n', '    preflight: []\n')
          .replace('between: [0.10, 0.20]', 'between: [0, 1]')
          .replace('between: [0.05, 0.25]', 'between: [0, 1]')
          .replace(
            'isolation.conflicts / isolation.requests >= 0.1 and isolation.conflicts / isolation.requests <= 0.2',
            'isolation.conflicts / isolation.requests >= 0',
          ),
    });

  it.concurrent(
    'unchecked-consume: reserved below zero mid-run is named by the replay and by the contract check of the answers (NO-GO); the same run on the correct API is GO',
    async () => {
      const dir = emptyStart();
      const bad = runEnv('e2e_blind_consume', 3440, { SCENARIOS_DIR: dir });
      const r = await runCli('run', ['scenario3', '--profile', 'quick', '--api-mode', 'unchecked-consume'], bad, { timeoutMs: 200_000 });
      expect(r.code).toBe(1);
      const s = newestSummary(bad.REPORTS_DIR);
      const replay = row(s, 'scenario3', /every invariant held at every moment/);
      expect([replay.pass, replay.measured]).toEqual([false, expect.stringMatching(/^negative_reserved on \d+ resource\(s\), worst reserved went to -\d+/)]);
      expect(Object.keys(s.scenarios[0]!.replay.verdict!.errors)).toContain('negative_reserved');
      // The answers said so too: a 200 whose balance holds reserved units below zero breaks the contract.
      expect(row(s, 'scenario3', /every answer follows the API contract/).pass).toBe(false);
      expect(r.stdout).toMatch(/isolation CONTRACT invariant: consume .*reserved is -\d+ \(below 0\)/);

      const good = runEnv('e2e_blind_consume_ok', 3441, { SCENARIOS_DIR: dir });
      const control = await runCli('run', ['scenario3', '--profile', 'quick'], good, { timeoutMs: 200_000 });
      expect([control.code, newestSummary(good.REPORTS_DIR).decision]).toEqual([0, 'GO']);
    },
  );

  it.concurrent(
    'without an order, a run with releases cannot be GO on every moment (UNKNOWN), a run that only reserved can; a history that was written and is gone is UNKNOWN (exit 2)',
    async () => {
      // The reference schema's SQL without ledger-order.sql: its ledger "has no order".
      const sql = tempDir('no-order');
      for (const f of ['verify-integrity.sql', 'ledger-keys.sql', 'balances.sql']) fs.copyFileSync(path.join(ROOT, 'verify', f), path.join(sql, f));
      const scenarios = scenariosCopy({ 'mixed-operations.yml': (y) => y.replace('order: 3', 'order: 3\n    inAll: false') });
      const env = runEnv('e2e_blind_no_order', 3442, { VERIFY_SQL: path.join(sql, 'verify-integrity.sql'), SCENARIOS_DIR: scenarios });
      const r = await runCli('run', ['all', '--profile', 'quick'], env, { timeoutMs: 250_000 });
      const s = newestSummary(env.REPORTS_DIR);
      const only = row(s, 'scenario1', /every invariant held at every moment/);
      expect([only.pass, only.unknown, only.notChecked]).toEqual([false, undefined, expect.stringMatching(/no ledger-order\.sql in/)]);
      const withReleases = row(s, 'scenario2', /every invariant held at every moment/);
      expect([withReleases.pass, withReleases.unknown, withReleases.measured]).toEqual([
        false,
        true,
        expect.stringMatching(/^not checked: .*this run acknowledged \d+ release operation\(s\), which can hide an overbooking/),
      ]);
      expect([r.code, s.decision]).toEqual([2, 'UNKNOWN']);
      expect(r.stdout).toMatch(/every invariant held at every moment .* was not checked \(no ledger-order\.sql in .*\), and this run needs it/);
      expect(r.stdout).toMatch(/NOT CHECKED/);
      expect(fs.readFileSync(path.join(s.runDir, 'junit.xml'), 'utf8')).toMatch(/<skipped message="not checked: no ledger-order\.sql in/);

      // The run recorded scenario 2's history; deleted, verify says UNKNOWN with why, never counters mode.
      fs.rmSync(s.scenarios.find((x) => x.id === 'scenario2')!.historyDir!, { recursive: true });
      const v = await runCli('verify', [], env);
      expect([v.code, v.stdout]).toEqual([
        2,
        expect.stringMatching(/history_missing: 1; first "the history .*throughput\.history that run .* recorded is missing or empty/),
      ]);
      expect(v.stdout).not.toContain('counters mode');
    },
  );
});

describe('keys reused and replays, in the plan itself', () => {
  it.concurrent(
    'reuse-replays-old: a key reused for another request answered with the old outcome is caught by name in load-test:all (scenario 1)',
    async () => {
      const env = runEnv('e2e_blind_reuse', 3443);
      const r = await runCli('run', ['scenario1', '--profile', 'quick', '--api-mode', 'reuse-replays-old'], env, { timeoutMs: 200_000 });
      expect(r.code).toBe(1);
      const s = newestSummary(env.REPORTS_DIR);
      const reuse = row(s, 'scenario1', /a key reused for another request is refused/);
      expect([reuse.pass, reuse.measured]).toEqual([false, expect.stringMatching(/^\d+ of \d+ not refused \(answered otherwise than 422\)/)]);
    },
  );

  it.concurrent('replay-other-body: a replay answered with the same status and another body is named replay_differs', async () => {
    const more = (y: string): string => y.replace('retryShare: 0.05', 'retryShare: 0.3');
    const env = runEnv('e2e_blind_replay', 3444, { SCENARIOS_DIR: scenariosCopy({ 'mixed-operations.yml': more }) });
    const r = await runCli('run', ['scenario3', '--profile', 'quick', '--api-mode', 'replay-other-body'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    const s = newestSummary(env.REPORTS_DIR);
    expect(s.scenarios[0]!.reconciliation.counts.replay_differs).toBeGreaterThan(0);
    expect(row(s, 'scenario3', /reconciliation/).measured).toMatch(/\d+ replay differs/);
  });
});
