/**
 * Capacity preflight: before any load is sent, compare what the chosen profile will ask of the
 * seeded data with what the data holds, and refuse a run that would exhaust capacity in a way
 * the scenario does not intend. Pure functions of (scenario config, authorizations, parameters).
 * A scenario names its checks in its YAML (`config.pack.preflight`); this file is the registry.
 *
 *   preflight:
 *     - { check: spread-journeys-fit, minAuthorizations: 50, minOrganizations: 3 }
 */
import { type FixtureAuthorization, NO_ORGANIZATION } from '../seed/fixture';
import { Capabilities, describeMix, effectiveMix } from '../processors/selection';
import { Phase, ScenarioConfig, phaseArrivals, plannedArrivals } from './scenario-config';
import { parseEntries } from '../lib/pack-entries';

export interface PreflightLine {
  readonly what: string;
  readonly needs: number;
  readonly has: number;
  readonly ok: boolean;
  /** How needs and has compare: "<=" means needs must not exceed has. */
  readonly rule: '<=' | '>=';
}

export interface PreflightReport {
  readonly scenario: string;
  readonly lines: readonly PreflightLine[];
  readonly ok: boolean;
}

function line(what: string, needs: number, rule: '<=' | '>=', has: number): PreflightLine {
  const n = Math.round(needs);
  const h = Math.round(has);
  return { what, needs: n, has: h, rule, ok: rule === '<=' ? n <= h : n >= h };
}

function report(scenario: string, lines: PreflightLine[]): PreflightReport {
  return { scenario, lines, ok: lines.every((l) => l.ok) };
}

type Params = Readonly<Record<string, unknown>>;
const param = (p: Params, name: string, def: number): number => (typeof p[name] === 'number' ? (p[name] as number) : def);

const free = (a: FixtureAuthorization): number => a.capacityUnits - (a.preReservedUnits ?? 0);
const variable = (s: ScenarioConfig, name: string, def: number): number => {
  const v = Number(s.config.variables?.[name]);
  return Number.isFinite(v) ? v : def;
};

/** The units a reserve of this scenario moves: the API's own where it fixes them, else the scenario's `units` variable. */
export function reserveUnits(s: ScenarioConfig, api: Pick<Capabilities, 'fixedUnits'>, def: number): number {
  return api.fixedUnits('reserve') ?? variable(s, 'units', def);
}

const arrivalPhases = (phases: readonly Phase[]): Phase[] => phases.filter((p) => p.pause === undefined);

/** Scenario 1: one wave per contention target, and each wave must be able to fill its target. */
export function preflightContention(s: ScenarioConfig, auths: readonly FixtureAuthorization[], _p: Params, api: Capabilities): PreflightReport {
  const targets = auths.filter((a) => a.tier === 'contention');
  const waves = arrivalPhases(s.config.phases);
  const units = reserveUnits(s, api, 10);
  const smallest = Math.min(...waves.map(phaseArrivals));
  const biggestTarget = Math.max(0, ...targets.map(free));
  return report('scenario1', [
    line('contention targets, one per wave', waves.length, '<=', targets.length),
    // A target already full (a previous run on data the pack does not reseed) would test nothing.
    line('contention targets with room left to fill', waves.length, '<=', targets.filter((a) => free(a) > 0).length),
    line(`units a wave asks for (${smallest} VUs × ${units}), at least a target's capacity`, smallest * units, '>=', biggestTarget),
  ]);
}

/** Scenario 2: enough authorizations, and capacity for what the journeys hold or keep. */
export function preflightThroughput(s: ScenarioConfig, auths: readonly FixtureAuthorization[], p: Params, api: Capabilities): PreflightReport {
  const spread = auths.filter((a) => a.tier === 'standard' || a.tier === 'bulk');
  const units = reserveUnits(s, api, 5);
  const loops = variable(s, 'loops', 1);
  // Each journey gives back what it reserved, with a release, or else holds it as consumed.
  const release = s.config.variables?.releaseAfterReserve !== false && api.has('release');
  const available = spread.reduce((n, a) => n + free(a), 0);
  const maxVusers = Math.max(...s.config.phases.map((p) => p.maxVusers ?? 0));
  const organizations = new Set(spread.map((a) => a.organizationId));
  const lines = [
    line('authorizations outside the contention targets', param(p, 'minAuthorizations', 50), '<=', spread.length),
    // An API without organizations (the fixture names none) has nothing to spread over.
    ...(organizations.size === 1 && organizations.has(NO_ORGANIZATION)
      ? []
      : [line('organizations covered', param(p, 'minOrganizations', 3), '<=', organizations.size)]),
  ];
  if (release) {
    // Each journey releases what it reserved: at most maxVusers × units are held at once.
    lines.push(line(`units held at once at the peak (${maxVusers} VUs × ${units}), within half the free units`, maxVusers * units, '<=', available / 2));
  } else {
    lines.push(
      line(
        `units reserved by ${Math.round(plannedArrivals(s.config.phases) * loops)} reserve-only requests × ${units}`,
        plannedArrivals(s.config.phases) * loops * units,
        '<=',
        available,
      ),
    );
  }
  return report('scenario2', lines);
}

/** Scenario 3: the shared and the spread authorizations must last the whole run. */
export function preflightMixed(s: ScenarioConfig, auths: readonly FixtureAuthorization[], _p: Params, api: Capabilities): PreflightReport {
  const shared = auths.find((a) => a.tier === 'shared');
  const spread = auths.filter((a) => a.tier === 'standard' || a.tier === 'bulk' || a.tier === 'waitlisted');
  const roomy = spread.filter((a) => (a.preReservedUnits ?? 0) < a.capacityUnits);
  const requests = plannedArrivals(s.config.phases) * variable(s, 'loops', 1);
  const { mix } = effectiveMix(s.config.variables ?? {}, api);
  const share = mix.sharedShare;
  const total = mix.reserve + mix.release + mix.consume + mix.take_out || 1;
  const consumeUnits = (mix.consume / total) * mix.consumeUnits;
  const netGrowth = (mix.reserve / total) * mix.reserveUnits - (mix.release / total) * mix.releaseUnits;
  const lines = [line('a shared authorization', 1, '<=', shared ? 1 : 0)];
  if (shared && consumeUnits > 0) {
    // Consumes move reserved units to consumed for good: if they ran out, releases and consumes
    // on the shared authorization would fail too and conflicts would pile up at the end.
    lines.push(
      line(
        `units consumed on the shared authorization (${Math.round(requests * share)} requests × ${describeMix(mix)}), within its reserved units`,
        requests * share * consumeUnits,
        '<=',
        shared.preReservedUnits ?? 0,
      ),
    );
  }
  const perAuth = roomy.length ? (requests * (1 - share)) / spread.length : 0;
  const smallestRoom = roomy.length ? Math.min(...roomy.map(free)) : 0;
  lines.push(
    line(
      `units one spread authorization gains (${Math.round(perAuth)} requests × ${netGrowth.toFixed(1)}), within 80 % of its free units`,
      perAuth * netGrowth,
      '<=',
      smallestRoom * 0.8,
    ),
  );
  return report('scenario3', lines);
}

interface PreflightCheck {
  readonly what: string;
  run(s: ScenarioConfig, auths: readonly FixtureAuthorization[], params: Params, api: Capabilities): PreflightReport;
}

/** What a preflight can check. Add a check here; scenarios name it in their YAML. */
export const PREFLIGHT_CHECKS: Readonly<Record<string, PreflightCheck>> = {
  'one-wave-per-contention-target': { what: 'one contention target per wave, and each wave can fill its target', run: preflightContention },
  'spread-journeys-fit': { what: 'enough spread authorizations (minAuthorizations, minOrganizations) and capacity for the journeys', run: preflightThroughput },
  'mix-lasts-the-run': { what: 'the shared and spread authorizations last the whole mixed run', run: preflightMixed },
};

export interface PreflightSpec {
  readonly check: string;
  readonly params: Params;
}

export function parsePreflight(raw: unknown, where: string, problems: string[]): PreflightSpec[] {
  return parseEntries(
    raw,
    where,
    problems,
    (e, at, _i, refuse) => {
      const { check, ...params } = e;
      if (typeof check !== 'string' || !(check in PREFLIGHT_CHECKS)) return refuse(`${at}.check must be one of ${Object.keys(PREFLIGHT_CHECKS).join(', ')}`);
      return { check, params };
    },
    'check',
  );
}

/** Pure: every preflight line of a scenario. */
export function runPreflight(
  scenario: string,
  specs: readonly PreflightSpec[],
  s: ScenarioConfig,
  auths: readonly FixtureAuthorization[],
  api: Capabilities,
): PreflightReport {
  const lines = specs.flatMap((spec) => PREFLIGHT_CHECKS[spec.check]!.run(s, auths, spec.params, api).lines);
  return { scenario, lines, ok: lines.every((l) => l.ok) };
}

export function formatPreflight(r: PreflightReport): string {
  return r.lines.map((l) => `  preflight ${l.ok ? 'ok  ' : 'FAIL'} ${describeLine(l)}`).join('\n');
}

export function describeLine(l: PreflightLine): string {
  return l.rule === '<=' ? `${l.what}: needs ${l.needs}, has ${l.has}` : `${l.what}: ${l.needs}, must be at least ${l.has}`;
}
