/**
 * The whole plan through the real CLI: `run all --profile quick` (three scenarios, each seeded,
 * run with the real Artillery binary, checked and verified), a deliberately failing threshold,
 * and the capacity preflight refusing an impossible plan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readArtilleryReport } from '../../formats/artillery-json';
import { runEnv, tempDir } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosWith } from '../support/scenario-copy';
import { browserMissing, checkPage, launch } from '../support/browser';
import { buildFixture } from '../../seed/seed';
import { buildSeedData } from '../../seed/plan';

jest.setTimeout(420_000);

describe('load-test:all, quick profile, real Artillery', () => {
  it('runs the three scenarios from a known state each: exact counts, conflict band, integrity', async () => {
    const env = runEnv('e2e_all', 3394);
    const r = await runCli('run', ['all', '--profile', 'quick'], env, { timeoutMs: 400_000 });
    const [runName] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const runDir = path.join(env.REPORTS_DIR, runName!);

    const s1 = readArtilleryReport(path.join(runDir, 'contention.json')).aggregate.counters;
    expect([s1['isolation.reserve.ok'], s1['isolation.reserve.conflict'], s1['isolation.failed']]).toEqual([50, 450, 0]);

    const s2 = readArtilleryReport(path.join(runDir, 'throughput.json')).aggregate.counters;
    expect(s2['isolation.reserve.ok']).toBe(s2['isolation.release.ok']);
    expect(s2['isolation.conflicts']).toBe(0);

    const s3 = readArtilleryReport(path.join(runDir, 'mixed.json')).aggregate.counters;
    const band = s3['isolation.conflicts']! / s3['isolation.requests']!;
    expect(band).toBeGreaterThanOrEqual(0.1);
    expect(band).toBeLessThanOrEqual(0.2);
    expect(s3['isolation.release.ok']).toBeGreaterThan(0);
    expect(s3['isolation.consume.ok']).toBeGreaterThan(0);

    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    expect(summary.scenarios.map((s: { id: string }) => s.id)).toEqual(['scenario1', 'scenario2', 'scenario3']);
    for (const s of summary.scenarios) {
      const integrity = s.rows.find((x: { name: string }) => x.name.startsWith('integrity'));
      expect(integrity.pass).toBe(true);
      for (const row of s.rows.filter((x: { kind: string }) => x.kind === 'correctness')) expect([s.id, row.name, row.pass]).toEqual([s.id, row.name, true]);
    }
    expect(r.stdout).toMatch(/\[scenario 3\/3\] \d+:\d\d elapsed/);
    expect(r.stdout).toMatch(/scenario3 +conflict rate \(409 \/ requests\) within 10-20%/);
    expect(r.stdout).toMatch(/VERDICT: (GO|CONDITIONAL|NO-GO)/);
    expect(r.code).toBe(summary.decision === 'GO' ? 0 : 1);

    // Reconciliation ran after every scenario and found nothing lost, duplicated or unexpected.
    for (const s of summary.scenarios) {
      expect([s.id, s.reconciliation.mode, s.reconciliation.counts.lost, s.reconciliation.counts.duplicated, s.reconciliation.counts.unexpected]).toEqual([
        s.id,
        'history',
        0,
        0,
        0,
      ]);
    }
    expect(r.stdout).toMatch(/lost 0, duplicated 0, unexpected 0/);

    // Reports: written at the end of the run, paths printed, readable offline in a real browser.
    expect(r.stdout).toContain(`index:   ${path.join(runDir, 'index.html')}`);
    const md = fs.readFileSync(path.join(runDir, 'PERFORMANCE_TEST_RESULTS.md'), 'utf8');
    expect(md).toContain('## GO/NO-GO recommendation');
    const missing = browserMissing();
    if (missing) process.stderr.write(`browser check skipped: ${missing}\n`);
    else {
      const browser = await launch();
      try {
        for (const slug of ['contention', 'throughput', 'mixed']) {
          const c = await checkPage(
            browser,
            path.join(runDir, `${slug}.html`),
            ['#verdict', '#integrity', '#reconciliation', '#criteria'],
            path.join(runDir, `${slug}.png`),
          );
          expect([slug, c.consoleErrors, c.blockedRequests]).toEqual([slug, [], []]);
          expect(c.canvases.length).toBeGreaterThanOrEqual(7);
          for (const cv of c.canvases) expect([slug, cv.id, cv.drawn > 500]).toEqual([slug, cv.id, true]);
          expect(Object.values(c.visible).every(Boolean)).toBe(true);
          expect(c.text).toMatch(/0 rows/);
        }
        const index = await checkPage(browser, path.join(runDir, 'index.html'), ['#verdict', '#scenarios']);
        expect(index.consoleErrors).toEqual([]);
        expect(index.text).toMatch(/scenario3 Mixed operations/);
      } finally {
        await browser.close();
      }
    }

    const v = await runCli('verify', [], { DATABASE_URL: env.DATABASE_URL, REPORTS_DIR: env.REPORTS_DIR, FIXTURE_PATH: env.FIXTURE_PATH });
    expect(v.stdout).toContain('=== Reconciliation (history mode');
    expect(v.code).toBe(0);
  });

  it('compares two runs: a table of deltas and an HTML version', async () => {
    const dir = tempDir('compare');
    for (const run of ['runA', 'runB']) {
      fs.mkdirSync(path.join(dir, run));
      fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'artillery-plain.json'), path.join(dir, run, 'throughput.json'));
    }
    const r = await runCli('compare', ['runA', 'runB'], { REPORTS_DIR: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/throughput +p95 latency +[\d.]+ ms +[\d.]+ ms +0\.0 ms \(0\.0%\)/);
    expect(fs.existsSync(path.join(dir, 'compare-runA-vs-runB.html'))).toBe(true);
    expect((await runCli('compare', ['runA'], { REPORTS_DIR: dir })).code).toBe(254);
  });

  it('a deliberately failing threshold gives exit 1 and names the criterion, its limit and the measured value', async () => {
    const dir = scenariosWith('high-contention.yml', (y) => y.replace('isolation.response_time.write.p95: 200', 'isolation.response_time.write.p95: 1'));
    const env = runEnv('e2e_threshold', 3395, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['scenario1', '--profile', 'quick'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/scenario1 +isolation\.response_time\.write\.p95 < 1 +< 1 ms +[\d.]+ ms +FAIL/);
    expect(r.stdout).toMatch(/- scenario1: isolation\.response_time\.write\.p95 < 1 missed by more than 50% \(limit < 1 ms, measured [\d.]+ ms\)/);
    expect(r.stdout).toContain('VERDICT: NO-GO');
  });

  it('the preflight refuses an impossible plan before sending load (exit 3), and writes nothing', async () => {
    const dir = scenariosWith('high-throughput.yml', (y) => y.replace('releaseAfterReserve: true', 'releaseAfterReserve: false'));
    const env = runEnv('e2e_preflight', 3396, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['scenario2'], env, { timeoutMs: 60_000 });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/preflight FAIL units reserved by \d+ reserve-only requests × 5: needs 90000, has 44000/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error LT_PREFLIGHT_REFUSED: the data does not fit what the full profile asks of it/);
    expect(fs.existsSync(env.REPORTS_DIR)).toBe(false);
    expect(fs.existsSync(env.FIXTURE_PATH)).toBe(false);
  });

  it('refuses a hand-written fixture whose tokens expire before the run would end (exit 3)', async () => {
    const env = runEnv('e2e_tokens', 3402);
    fs.mkdirSync(path.dirname(env.FIXTURE_PATH), { recursive: true });
    const soon = buildFixture(buildSeedData(), 'k'.repeat(40), 30, new Date());
    fs.writeFileSync(env.FIXTURE_PATH, JSON.stringify(soon));
    const r = await runCli('run', ['scenario1', '--profile', 'quick', '--no-seed'], env, { timeoutMs: 60_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/LT_TOKEN_EXPIRES: a token expires in \d+ s, before the run would end/);
    expect(fs.existsSync(env.REPORTS_DIR)).toBe(false);
  });
});
