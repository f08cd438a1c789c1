/**
 * The scenarios of the plan, in the order `load-test:all` runs them: which seed profile each
 * starts from, its capacity preflight, and the checks it makes after the load (through the API
 * contract and the run's time series, so they hold for a user's API too).
 */
import * as path from 'node:path';
import type { Fixture } from '../seed/fixture';
import type { SeedProfile } from '../seed/plan';
import type { ArtilleryReport } from '../report/artillery-json';
import { readBalance } from './api-client';
import { tokenFor } from '../processors/selection';
import { conflictRateByThird, sustainedRate } from './derived';
import type { CheckRow } from './judge';
import { PreflightReport, preflightContention, preflightMixed, preflightThroughput } from './preflight';
import { ScenarioConfig, plannedSeconds } from './scenario-config';

export interface PostCheckContext {
  readonly target: string;
  readonly fixture: Fixture;
  readonly report: ArtilleryReport;
  readonly scenario: ScenarioConfig;
}

export interface ScenarioDef {
  readonly id: 'scenario1' | 'scenario2' | 'scenario3';
  readonly title: string;
  /** Short name used for report files: reports/<run>/<slug>.json */
  readonly slug: string;
  readonly file: string;
  readonly seedProfile: SeedProfile;
  readonly preflight: (s: ScenarioConfig, authorizations: Fixture['authorizations']) => PreflightReport;
  /** Seconds the run should take: the phases plus a virtual user's session after the last arrival. */
  readonly expectedSeconds: (s: ScenarioConfig) => number;
  readonly postChecks: (ctx: PostCheckContext) => Promise<CheckRow[]>;
}

const ms = (v: unknown, def: number): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(String(v ?? ''));
  if (!m) return def;
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
};
const loops = (s: ScenarioConfig): number => Number(s.config.variables?.loops ?? 1);
const pct = (v: number | null): string => (v === null ? 'missing' : `${(v * 100).toFixed(1)}%`);

/** Scenario 1 expects every contention target to end exactly full: no more, no less. */
async function contentionTargetsFull(ctx: PostCheckContext): Promise<CheckRow[]> {
  const targets = ctx.fixture.authorizations.filter((a) => a.tier === 'contention');
  const off: string[] = [];
  for (const a of targets) {
    const b = await readBalance(ctx.target, tokenFor(ctx.fixture, a, 0), a.id);
    const used = b.reservedUnits + b.consumedUnits;
    if (used !== a.capacityUnits) off.push(`${a.id.slice(0, 8)} ${used}/${a.capacityUnits}`);
  }
  return [
    {
      scenario: 'scenario1',
      name: 'every contention target ends exactly full',
      limit: `${targets.length} of ${targets.length}`,
      measured: off.length === 0 ? `${targets.length} of ${targets.length}` : `${targets.length - off.length} of ${targets.length} (${off.slice(0, 3).join(', ')}${off.length > 3 ? ', …' : ''})`,
      pass: off.length === 0,
      kind: 'correctness',
      overBy: null,
    },
  ];
}

/** Scenario 2: at least 100 requests/s once the ramp is over, until the last arrival. */
async function sustainedThroughput(ctx: PostCheckContext): Promise<CheckRow[]> {
  const phases = ctx.scenario.config.phases;
  const rampEnd = phases[0]?.duration ?? 0;
  const { rps, periods } = sustainedRate(ctx.report, rampEnd, plannedSeconds(phases));
  return [
    {
      scenario: 'scenario2',
      name: `sustained request rate after the ramp (${periods} periods)`,
      limit: '≥ 100.0/s',
      measured: rps === null ? 'missing' : `${rps.toFixed(1)}/s`,
      pass: rps !== null && rps >= 100,
      kind: 'performance',
      overBy: rps === null || rps >= 100 ? null : (100 - rps) / 100,
    },
  ];
}

/** Scenario 3: conflicts are spread over the run, not piled up at the end. */
async function conflictsOverTime(ctx: PostCheckContext): Promise<CheckRow[]> {
  const thirds = conflictRateByThird(ctx.report);
  const inBand = (v: number | null): boolean => v !== null && v >= 0.05 && v <= 0.25;
  const worst = thirds.reduce<number>((w, v) => (v === null ? Infinity : Math.max(w, v < 0.05 ? (0.05 - v) / 0.05 : v > 0.25 ? (v - 0.25) / 0.25 : 0)), 0);
  return [
    {
      scenario: 'scenario3',
      name: 'conflict rate of each third of the run within 5-25%',
      limit: '5.0%–25.0%',
      measured: thirds.map(pct).join(' / '),
      pass: thirds.every(inBand),
      kind: 'performance',
      overBy: thirds.every(inBand) ? null : worst,
    },
  ];
}

export function scenarioDefs(scenariosDir: string): readonly ScenarioDef[] {
  const file = (name: string): string => path.join(scenariosDir, name);
  return [
    {
      id: 'scenario1',
      title: 'High contention',
      slug: 'contention',
      file: file('high-contention.yml'),
      seedProfile: 'plan',
      preflight: preflightContention,
      expectedSeconds: (s) => plannedSeconds(s.config.phases),
      postChecks: contentionTargetsFull,
    },
    {
      id: 'scenario2',
      title: 'High throughput',
      slug: 'throughput',
      file: file('high-throughput.yml'),
      seedProfile: 'throughput',
      preflight: preflightThroughput,
      expectedSeconds: (s) => plannedSeconds(s.config.phases) + (loops(s) * 2 * ms(s.config.variables?.thinkTime, 1500)) / 1000,
      postChecks: sustainedThroughput,
    },
    {
      id: 'scenario3',
      title: 'Mixed operations',
      slug: 'mixed',
      file: file('mixed-operations.yml'),
      seedProfile: 'mixed',
      preflight: preflightMixed,
      expectedSeconds: (s) => plannedSeconds(s.config.phases) + (loops(s) * ms(s.config.variables?.thinkTime, 2000)) / 1000,
      postChecks: conflictsOverTime,
    },
  ];
}
