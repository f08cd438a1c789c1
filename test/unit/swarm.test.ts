/**
 * The swarm and pressure's pure parts: who writes and who reads, a writer's walk through its own
 * authorizations, the pressure's reads, the seed profile's size, and what the pressure cost the
 * writers (with its negative controls).
 */
import * as path from 'node:path';
import { METRICS } from 'artillery-plugin-isolation';
import { breakpointRequest, jitterMs, pressureRead, startWriter, swarmRole, writerRequest } from '../../processors/swarm-plan';
import { SWARM, buildSeedData } from '../../seed/plan';
import { fixtureAuthorizations } from '../../seed/seed';
import { parsePressure, pressureEffect, pressureRows } from '../../runner/pressure';
import { loadScenario } from '../../runner/scenario-config';
import { pressureSection } from '../../report/pressure';
import type { Exchange } from '../../faults/analysis';
import type { ArtilleryReport } from '../../formats/artillery-json';
import type { Fixture } from '../../seed/fixture';
import type { DbHeadline } from '../../formats/db-samples';

const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('the swarm', () => {
  it('makes the first arrivals of a worker the pressure, the rest writers', () => {
    expect([0, 1, 2, 3].map((n) => swarmRole(n, 1))).toEqual(['pressure', 'writer', 'writer', 'writer']);
    expect([0, 1, 2].map((n) => swarmRole(n, 0))).toEqual(['writer', 'writer', 'writer']);
  });

  it('walks a writer through its own run of authorizations: reserve, then consume, then the next', () => {
    let s = startWriter(10, seq(0.95));
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = writerRequest(s, 10);
      seen.push(`${r.operation}@${r.index}`);
      s = r.after;
    }
    expect(seen).toEqual(['reserve@9', 'consume@9', 'reserve@0', 'consume@0', 'reserve@1', 'consume@1']);
    expect(() => startWriter(0, Math.random)).toThrow(/no authorizations/);
    expect(jitterMs(100, 500, seq(0))).toBe(100);
    expect(jitterMs(100, 500, seq(0.999999))).toBe(500);
  });

  it('alternates balances and usage over the organizations, with a window around now', () => {
    const f = { organizations: [{ id: 'o1' }, { id: 'o2' }] } as unknown as Fixture;
    const o = { balancesLimit: 1000, usagePeriod: 'minute', usageWindowMs: 3_600_000 };
    const now = Date.UTC(2026, 0, 1, 12);
    const reads = [0, 1, 2, 3].map((n) => pressureRead(f, n, now, o));
    expect(reads.map((r) => `${r.read}:${r.organizationId}`)).toEqual(['balances:o1', 'usage:o1', 'balances:o2', 'usage:o2']);
    expect(reads[0]!.url).toBe('/api/organizations/o1/balances?limit=1000');
    expect(reads[1]!.url).toBe('/api/organizations/o1/usage?period=minute&from=2026-01-01T11:00:00.000Z&to=2026-01-01T12:01:00.000Z');
  });

  it('draws the breakpoint mix: reads at the read share, reserves and releases in equal parts', () => {
    expect([0.1, 0.74, 0.8, 0.9].map((r) => breakpointRequest(0.75, seq(r)))).toEqual(['read', 'read', 'reserve', 'release']);
    expect(breakpointRequest(0, seq(0))).toBe('reserve');
  });

  it('seeds 100,000 authorizations over many organizations, each with units reserved', () => {
    const d = buildSeedData(undefined, 'swarm');
    expect(d.authorizations).toHaveLength(SWARM.authorizations);
    expect(d.organizations).toHaveLength(SWARM.organizations);
    expect(new Set(d.authorizations.map((a) => a.id)).size).toBe(SWARM.authorizations);
    const perOrg = new Map<string, number>();
    for (const a of d.authorizations) perOrg.set(a.organizationId, (perOrg.get(a.organizationId) ?? 0) + 1);
    expect(Math.min(...perOrg.values())).toBeGreaterThanOrEqual(Math.floor(SWARM.authorizations / SWARM.organizations));
    expect(fixtureAuthorizations(d).every((a) => a.preReservedUnits === SWARM.preReservedUnits)).toBe(true);
  });
});

const FILE = path.resolve(__dirname, '..', '..', 'scenarios', 'swarm-pressure.yml');
const spec = { afterSeconds: 10, runSeconds: 25, minWriteRatio: 0.5, maxDeadlocks: 0, maxReadErrorRate: 0.03 };
const report = (counters: Record<string, number>, read?: Record<string, number>) =>
  ({ aggregate: { counters, summaries: read ? { [METRICS.readTime]: read } : {}, histograms: {} }, intermediate: [] }) as unknown as ArtilleryReport;
const db = { deadlocks: 0, rollbacks: 4, peakPredicateLocks: 120 } as DbHeadline;

/** Writes answered 200 at `perSecond` per second over [fromS, toS) of a run that starts at t0. */
function writes(t0: number, fromS: number, toS: number, perSecond: number): Exchange[] {
  const out: Exchange[] = [];
  for (let t = fromS * 1000; t < toS * 1000; t += 1000 / perSecond) out.push({ sentAt: t0 + t, endedAt: t0 + t + 5, status: 200 });
  return out;
}

describe('what the pressure cost the writers', () => {
  it("reads the scenario's pressure block with its variables", () => {
    expect(loadScenario(FILE, 'quick').checks.pressure).toEqual({ ...spec, afterSeconds: 10, runSeconds: 25 });
    expect(loadScenario(FILE, 'full').checks.pressure).toMatchObject({ afterSeconds: 60, runSeconds: 180 });
    const problems: string[] = [];
    parsePressure({ minWriteRatio: 2 }, { runSeconds: 10, pressureAfterSeconds: 9 }, 'p', problems);
    expect(problems).toHaveLength(2);
  });

  it('measures writes per second before and under the pressure, and passes when the writers keep half', () => {
    const t0 = 1_000_000;
    const x = [...writes(t0, 0, 10, 40), ...writes(t0, 10, 25, 30)];
    const o = pressureEffect(spec, x, report({ [METRICS.reads]: 7, [METRICS.readsFailed]: 0, [METRICS.retries]: 3 }, { p50: 20, p95: 40, p99: 60 }), db);
    expect(o.writeTpsWithout).toBeCloseTo(40, 0);
    expect(o.writeTpsWith).toBeCloseTo(30, 0);
    expect(o.writeRatio).toBeCloseTo(0.75, 1);
    expect(o.pressureFromMs).toBe(t0 + 10_000);
    expect(o.readP95).toBe(40);
    expect(pressureRows('swarm', spec, o).every((r) => r.pass)).toBe(true);
    expect(pressureSection(o).rows.find(([k]) => k === 'with / without')![1]).toBe('75%');
  });

  it('fails when the pressure more than halves the writes, when no read was answered, when a deadlock happened, or when nothing was measured', () => {
    const t0 = 5_000;
    const halved = pressureEffect(spec, [...writes(t0, 0, 10, 40), ...writes(t0, 10, 25, 10)], report({ [METRICS.reads]: 7, [METRICS.readsFailed]: 0 }), db);
    const rows = (o: ReturnType<typeof pressureEffect>) => Object.fromEntries(pressureRows('swarm', spec, o).map((r) => [r.name.split(' ')[0], r.pass]));
    expect(rows(halved)).toEqual({ write: false, pressure: true, deadlocks: true });
    const noReads = pressureEffect(spec, writes(t0, 0, 25, 40), report({ [METRICS.reads]: 0, [METRICS.readsFailed]: 0 }), db);
    expect(rows(noReads)).toEqual({ write: true, pressure: false, deadlocks: true });
    const failedReads = pressureEffect(spec, writes(t0, 0, 25, 40), report({ [METRICS.reads]: 10, [METRICS.readsFailed]: 1 }), db);
    expect(rows(failedReads).pressure).toBe(false);
    const deadlock = pressureEffect(spec, writes(t0, 0, 25, 40), report({ [METRICS.reads]: 5, [METRICS.readsFailed]: 0 }), { ...db, deadlocks: 1 });
    expect(rows(deadlock).deadlocks).toBe(false);
    const blind = pressureEffect(spec, null, report({}), null);
    expect(rows(blind)).toEqual({ write: false, pressure: false, deadlocks: false });
    expect(pressureRows('swarm', spec, blind)[0]!.measured).toMatch(/not measured/);
  });
});
