/**
 * The whole plan through the real CLI: `run all --profile quick` (three scenarios, each seeded,
 * run with the real Artillery binary, checked and verified), a deliberately failing threshold,
 * and the capacity preflight refusing an impossible plan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readArtilleryReport } from '../../report/artillery-json';
import { withDatabase } from '../../db/connect';
import { tempDir, testServerUrl } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosWith } from '../support/scenario-copy';

jest.setTimeout(420_000);

function envFor(name: string, port: number, extra: Record<string, string> = {}) {
  const dir = tempDir(name);
  return {
    DATABASE_URL: withDatabase(testServerUrl(), name),
    API_PORT: String(port),
    REPORTS_DIR: path.join(dir, 'reports'),
    FIXTURE_PATH: path.join(dir, 'fixtures', 'test-data.json'),
    JWT_SECRET_FILE: path.join(dir, 'fixtures', '.jwt-secret'),
    ...extra,
  };
}

describe('load-test:all, quick profile, real Artillery', () => {
  it('runs the three scenarios from a known state each: exact counts, conflict band, integrity', async () => {
    const env = envFor('e2e_all', 3394);
    const r = await runCli('run', ['all', '--profile', 'quick'], env, { timeoutMs: 400_000 });
    const [runName] = fs.readdirSync(env.REPORTS_DIR);
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

    const v = await runCli('verify', [], { DATABASE_URL: env.DATABASE_URL });
    expect(v.code).toBe(0);
  });

  it('a deliberately failing threshold gives exit 1 and names the criterion, its limit and the measured value', async () => {
    const dir = scenariosWith('high-contention.yml', (y) => y.replace('http.response_time.p95: 200', 'http.response_time.p95: 1'));
    const env = envFor('e2e_threshold', 3395, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['scenario1', '--profile', 'quick'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/scenario1 +http\.response_time\.p95 < 1 +< 1 ms +[\d.]+ ms +FAIL/);
    expect(r.stdout).toMatch(/- scenario1: http\.response_time\.p95 < 1 missed by more than 50% \(limit < 1 ms, measured [\d.]+ ms\)/);
    expect(r.stdout).toContain('VERDICT: NO-GO');
  });

  it('the preflight refuses an impossible plan before sending load (exit 3), and writes nothing', async () => {
    const dir = scenariosWith('high-throughput.yml', (y) => y.replace('releaseAfterReserve: true', 'releaseAfterReserve: false'));
    const env = envFor('e2e_preflight', 3396, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['scenario2'], env, { timeoutMs: 60_000 });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/preflight FAIL units reserved by \d+ reserve-only requests × 5: needs 90000, has 44000/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error LT_PREFLIGHT_REFUSED: the full profile would exhaust capacity/);
    expect(fs.existsSync(env.REPORTS_DIR)).toBe(false);
    expect(fs.existsSync(env.FIXTURE_PATH)).toBe(false);
  });
});
