/**
 * Issue 13 §2 and §3 through the real CLI and Artillery: `load-test:swarm` (writers on 100,000
 * cold authorizations while expensive reads hit the same tables) and `load-test:breakpoint` (the
 * stepped ramp to the knee), each in its quick profile, each ending with its table. Negative
 * controls: budgets the API cannot meet break the breakpoint at its first step (and
 * --expect-rate then fails the run); the pressure rows fail in unit tests (test/unit/swarm.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BreakpointResult } from '../../formats/breakpoint';
import { newestSummary, runEnv } from '../support/db';
import { runCli } from '../support/cli';
import { scenariosWith } from '../support/scenario-copy';

jest.setTimeout(600_000);

function newestRun(reportsDir: string, prefix: string): string {
  const runs = fs
    .readdirSync(reportsDir)
    .filter((d) => d.includes(prefix))
    .sort();
  return path.join(reportsDir, runs[runs.length - 1]!);
}

describe('swarm and pressure (quick)', () => {
  const env = runEnv('e2e_swarm', 3410);

  it('writers and the pressure reads in one run: GO, the Pressure table, the Database section, integrity and reconciliation', async () => {
    const r = await runCli('run', ['swarm', '--profile', 'quick'], env, { timeoutMs: 300_000 });
    if (r.code !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('seeded profile swarm: 100000 authorizations');
    expect(r.stdout).toContain('=== Pressure: swarm ===');
    const s = newestSummary(env.REPORTS_DIR);
    expect(s.decision).toBe('GO');
    const sc = s.scenarios[0]!;
    const p = sc.pressure!;
    expect(p.reads).toBeGreaterThanOrEqual(4);
    expect(p.readsFailed).toBe(0);
    expect(p.writeTpsWithout).toBeGreaterThan(0);
    expect(p.writeTpsWith).toBeGreaterThan(0);
    expect(p.readP95).not.toBeNull();
    expect(p.deadlocks).toBe(0);
    expect(sc.database?.headline.samples).toBeGreaterThan(10);
    expect(sc.reconciliation.mode).toBe('history');
    expect(sc.reconciliation.verdict.valid).toBe(true);
    const names = sc.rows.map((x) => x.name);
    for (const n of ['write throughput under the pressure reads, against without them', 'pressure reads answered 2xx', 'deadlocks during the run'])
      expect(names).toContain(n);
    const html = fs.readFileSync(path.join(s.runDir, 'swarm.html'), 'utf8');
    expect(html).toContain('<section id="pressure">');
    expect(html).toContain('"label":"pressure reads"');
  });
});

describe('breakpoint (quick)', () => {
  const env = runEnv('e2e_breakpoint', 3411);

  it('steps up from smoke until an SLO or the generator breaks, and reports the knee, the first break and the chart', async () => {
    const r = await runCli('breakpoint', ['--profile', 'quick'], env, { timeoutMs: 400_000 });
    if (r.code !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/=== Breakpoint \(quick\)/);
    expect(r.stdout).toMatch(/highest rate holding every SLO: \d+\/s/);
    const dir = newestRun(env.REPORTS_DIR, 'breakpoint-quick');
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'breakpoint.json'), 'utf8')) as BreakpointResult;
    expect(b.correctnessHeld).toBe(true);
    expect(b.steps.length).toBeGreaterThanOrEqual(2);
    expect(b.steps[0]!.stage).toBe('smoke');
    expect(b.highestHeldRate).toBeGreaterThanOrEqual(b.steps[0]!.offeredRate);
    // It stopped at the first step that broke or saturated the generator, or ran every step.
    const last = b.steps[b.steps.length - 1]!;
    const stopped = !last.held || last.generatorSaturated;
    expect(b.steps.slice(0, -1).every((s) => s.held && !s.generatorSaturated)).toBe(true);
    if (stopped) expect(b.firstBreak !== null || b.generatorLimited).toBe(true);
    if (b.generatorLimited) expect(r.stdout).toMatch(/warning: .*load generator/);
    for (const s of b.steps) {
      expect(s.p95ReadMs).not.toBeNull();
      expect(s.p95WriteMs).not.toBeNull();
      expect(s.correctness.map((c) => c.name)).toContain(
        'every answer agrees with the ledger: nothing lost, duplicated, unexpected or outside bounds (reconciliation)',
      );
    }
    const html = fs.readFileSync(path.join(dir, 'breakpoint.html'), 'utf8');
    expect(html).toContain('Latency against the offered rate');
    expect(fs.existsSync(path.join(dir, 'junit.xml'))).toBe(true);
  });

  it('negative control: budgets the API cannot meet break at the first step, and --expect-rate fails the run', async () => {
    const scenarios = scenariosWith('breakpoint.yml', (y) => y.replace('p95WriteMs: 2000', 'p95WriteMs: 0.001'));
    const r = await runCli('breakpoint', ['--profile', 'quick', '--expect-rate', '5'], { ...env, SCENARIOS_DIR: scenarios }, { timeoutMs: 300_000 });
    expect(r.code).toBe(1);
    const b = JSON.parse(fs.readFileSync(path.join(newestRun(env.REPORTS_DIR, 'breakpoint-quick'), 'breakpoint.json'), 'utf8')) as BreakpointResult;
    expect(b.steps).toHaveLength(1);
    expect(b.highestHeldRate).toBeNull();
    expect(b.firstBreak).toMatchObject({ criterion: 'p95 write', atRate: b.steps[0]!.offeredRate });
    expect(b.correctnessHeld).toBe(true);
    expect(r.stdout).toContain('first to break: p95 write at');
    expect(r.stdout).toContain('expected at least 5/s to hold: MISSED');
  });
});
