import * as path from 'node:path';
import type { ArtilleryReport } from '../../formats/artillery-json';
import { ladderRows } from '../../runner/ladder-checks';
import { ScenarioConfig, loadScenario } from '../../runner/scenario-config';
import { discoverScenarios } from '../../runner/catalog';
import { seriesRow } from '../../runner/series-criteria';
import { period, reportOf } from '../support/periods';

const root = path.resolve(__dirname, '..', '..');
const defs = discoverScenarios(path.join(root, 'scenarios'));
const report = reportOf;
/** The time-series rows a scenario's YAML asks for, as the runner computes them. */
const seriesRows = async (def: { id: string }, ctx: { report: ArtilleryReport; scenario: ScenarioConfig }) =>
  ctx.scenario.checks.series.map((c) => seriesRow(def.id, c, ctx.report, ctx.scenario.config.phases));

describe('post-run checks fail when they should', () => {
  it('scenario 2: a rate under 100/s after the ramp fails, naming the measured rate', async () => {
    const def = defs.find((d) => d.id === 'scenario2')!;
    const scenario = loadScenario(def.file, 'full');
    const slow = report(Array.from({ length: 31 }, (_, i) => period(i, 800, 0)));
    const fast = report(Array.from({ length: 31 }, (_, i) => period(i, 1300, 0)));
    const [bad] = await seriesRows(def, { report: slow, scenario });
    expect(bad).toMatchObject({ pass: false, measured: '80.0/s', kind: 'performance' });
    const [good] = await seriesRows(def, { report: fast, scenario });
    expect(good).toMatchObject({ pass: true, measured: '130.0/s' });
  });

  it('scenario 3: conflicts piled up at the end fail the per-third check even when the total is in band', async () => {
    const def = defs.find((d) => d.id === 'scenario3')!;
    const scenario = loadScenario(def.file, 'quick');
    const late = report([period(0, 500, 0), period(1, 500, 5), period(2, 500, 220)]);
    const [row] = await seriesRows(def, { report: late, scenario });
    expect(row).toMatchObject({ pass: false, measured: '0.0% / 1.0% / 44.0%' });
    const flat = report([period(0, 500, 75), period(1, 500, 70), period(2, 500, 80)]);
    expect((await seriesRows(def, { report: flat, scenario }))[0]!.pass).toBe(true);
  });

  it('ladder: a request that timed out waiting for a pooled connection fails the step', () => {
    const base = { claims: 100, stock: 10, succeeded: 10, rejected: 90, failed: 0, remaining: 0, burstMs: 300, maxLatencyMs: 200 };
    expect(
      ladderRows({ ...base, pool: { max: 4, acquired: 100, waits: 96, timeouts: 0, errors: 0, maxInUse: 4, inUse: 0, waiting: 0 } }).every((r) => r.pass),
    ).toBe(true);
    const rows = ladderRows({ ...base, pool: { max: 4, acquired: 100, waits: 96, timeouts: 3, errors: 0, maxInUse: 4, inUse: 0, waiting: 0 } });
    expect(rows.find((r) => !r.pass)).toMatchObject({ name: 'requests failed for want of a pooled connection', measured: '3 (max in use 4/4, 96 waited)' });
    expect(
      ladderRows({ ...base, succeeded: 11, rejected: 89, remaining: -1, pool: null })
        .filter((r) => !r.pass)
        .map((r) => r.name),
    ).toEqual(['claims that succeed', 'claims refused with 409', 'remaining stock']);
  });
});
