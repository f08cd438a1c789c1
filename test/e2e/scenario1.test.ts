/**
 * End to end through the real CLI: `node dist/cli/run.js scenario1 --profile quick` starts the
 * reference API, runs the real `artillery` binary, checks and verifies. Assertions come from the
 * Artillery JSON, the database and the verifier's exit code, never from timings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { readArtilleryReport } from '../../report/artillery-json';
import { withDatabase } from '../../db/connect';
import { tempDir, testServerUrl } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(240_000);

function envFor(name: string, port: number) {
  const dir = tempDir(name);
  return {
    dir,
    env: {
      DATABASE_URL: withDatabase(testServerUrl(), name),
      API_PORT: String(port),
      REPORTS_DIR: path.join(dir, 'reports'),
      FIXTURE_PATH: path.join(dir, 'fixtures', 'test-data.json'),
      JWT_SECRET_FILE: path.join(dir, 'fixtures', '.jwt-secret'),
    },
  };
}

function onlyRun(reportsDir: string): string {
  const runs = fs.readdirSync(reportsDir);
  expect(runs).toHaveLength(1);
  return path.join(reportsDir, runs[0]!);
}

async function contentionUse(url: string): Promise<number[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ used: number }>(
      `SELECT (COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'reserve'), 0))::int AS used
         FROM authorizations a LEFT JOIN unit_ledger l ON l.authorization_id = a.id WHERE a.capacity_units = 50 GROUP BY a.id`,
    );
    return r.rows.map((x) => x.used);
  } finally {
    await c.end();
  }
}

describe('scenario 1 (high contention), quick profile, real Artillery', () => {
  it('SERIALIZABLE: exactly 50 successes, 450 409s, every target exactly full, verifier exit 0', async () => {
    const { env } = envFor('e2e_s1_safe', 3391);
    const r = await runCli('run', ['scenario1', '--profile', 'quick'], env, { timeoutMs: 200_000 });
    const runDir = onlyRun(env.REPORTS_DIR);
    const report = readArtilleryReport(path.join(runDir, 'contention.json'));
    expect(report.aggregate.counters['isolation.reserve.ok']).toBe(50);
    expect(report.aggregate.counters['isolation.reserve.conflict']).toBe(450);
    expect(report.aggregate.counters['isolation.conflict.insufficient_units']).toBe(450);
    expect(report.aggregate.counters['isolation.failed']).toBe(0);
    expect(report.aggregate.counters['http.codes.200']).toBe(50);
    expect(report.aggregate.counters['http.codes.409']).toBe(450);
    expect(await contentionUse(env.DATABASE_URL)).toEqual(Array(10).fill(50));

    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    const correctness = summary.scenarios[0].rows.filter((x: { kind: string }) => x.kind === 'correctness');
    expect(correctness.map((x: { name: string; pass: boolean }) => [x.name, x.pass])).toEqual(correctness.map((x: { name: string }) => [x.name, true]));
    expect(r.stdout).toContain('=== Summary');
    expect(r.stdout).toMatch(/VERDICT: (GO|CONDITIONAL|NO-GO)/);
    // Latency thresholds decide between GO and the other verdicts; they are measured, not asserted.
    expect([0, 1]).toContain(r.code);

    const v = await runCli('verify', [], { DATABASE_URL: env.DATABASE_URL });
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('(0 rows)');
  });

  it('negative control: READ COMMITTED overbooks, the run says NO-GO (exit 1), the verifier reports the rows (exit 1)', async () => {
    const { env } = envFor('e2e_s1_unsafe', 3392);
    const r = await runCli('run', ['scenario1', '--profile', 'quick', '--api-mode', 'unsafe-read-committed'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('VERDICT: NO-GO');
    const report = readArtilleryReport(path.join(onlyRun(env.REPORTS_DIR), 'contention.json'));
    expect(report.aggregate.counters['isolation.reserve.ok']).toBeGreaterThan(50);
    const use = await contentionUse(env.DATABASE_URL);
    expect(use.some((u) => u > 50)).toBe(true);

    const v = await runCli('verify', [], { DATABASE_URL: env.DATABASE_URL });
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/\| overbooked +\| 50 /);
    expect(v.stdout).toMatch(/\(\d+ rows?\)/);
  });
});
