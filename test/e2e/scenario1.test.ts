/**
 * End to end through the real CLI: `node dist/cli/run.js scenario1 --profile quick` starts the
 * reference API, runs the real `artillery` binary, checks and verifies. Assertions come from the
 * Artillery JSON, the database and the verifier's exit code, never from timings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { readArtilleryReport } from '../../formats/artillery-json';
import { runEnv } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(240_000);

function onlyRun(reportsDir: string): string {
  const runs = fs.readdirSync(reportsDir).filter((d) => d !== 'latest');
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

describe('scenario 1 (high contention), quick profile, real Artillery: negative control', () => {
  // The SERIALIZABLE run of scenario 1 is asserted in plan.test.ts (load-test:all).
  it('negative control: READ COMMITTED overbooks, the run says NO-GO (exit 1), the verifier reports the rows (exit 1)', async () => {
    const env = runEnv('e2e_s1_unsafe', 3392);
    const r = await runCli('run', ['scenario1', '--profile', 'quick', '--api-mode', 'unsafe-read-committed'], env, { timeoutMs: 200_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('VERDICT: NO-GO');
    const report = readArtilleryReport(path.join(onlyRun(env.REPORTS_DIR), 'contention.json'));
    // Negative control of LOADTEST_PROFILE_GENERATOR (catalog.test.ts): unset, no profile is written.
    expect(fs.readdirSync(onlyRun(env.REPORTS_DIR)).filter((f) => f.includes('generator-cpu'))).toEqual([]);
    expect(report.aggregate.counters['isolation.reserve.ok']).toBeGreaterThan(50);
    // The processors ran as the build compiled them (runner/compiled-processor.ts): Artillery did not
    // bundle the TypeScript again (it says so when it does, as in runs before this change).
    expect(fs.readFileSync(path.join(onlyRun(env.REPORTS_DIR), 'contention.artillery.log'), 'utf8')).not.toContain('Bundled Typescript');
    const use = await contentionUse(env.DATABASE_URL);
    expect(use.some((u) => u > 50)).toBe(true);

    const v = await runCli('verify', [], { DATABASE_URL: env.DATABASE_URL });
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/\| overbooked +\| 50 /);
    expect(v.stdout).toMatch(/\(\d+ rows?\)/);
  });
});
