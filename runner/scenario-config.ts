/**
 * Reads a scenario YAML the way Artillery will run it: the chosen environment (profile) merged
 * into `config` with lodash's merge, which merges arrays INDEX BY INDEX. Returns the phases that
 * will really run and the criteria the run is judged by.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import merge from 'lodash/merge';
import cloneDeep from 'lodash/cloneDeep';
import { parse } from 'yaml';
import { CriteriaError, Criterion, parseCriteria } from 'artillery-plugin-isolation';
import { PackError } from '../lib/errors';
import { PostCheckSpec, parsePostChecks } from './post-checks';
import { FaultSpec, parseFaults } from '../faults/registry';
import { PreflightSpec, parsePreflight } from './preflight';
import { PressureSpec, parsePressure } from './pressure';
import { SeriesCriterion, parseSeriesCriteria } from './series-criteria';
import { EXPECTED, ExpectedValues, expectedNames, fillExpected, placeholderValues } from './expected';

export interface Phase {
  readonly name?: string;
  readonly duration?: number;
  readonly arrivalCount?: number;
  readonly arrivalRate?: number;
  readonly rampTo?: number;
  readonly maxVusers?: number;
  readonly pause?: number;
}

/** The checks a scenario's `config.pack` block names (after the profile is merged in). */
export interface PackChecks {
  readonly preflight: readonly PreflightSpec[];
  readonly postChecks: readonly PostCheckSpec[];
  readonly series: readonly SeriesCriterion[];
  /** Faults injected while the load runs (faults/registry.ts), in time order. */
  readonly faults: readonly FaultSpec[];
  /** The swarm and pressure's comparison (runner/pressure.ts), or null. */
  readonly pressure: PressureSpec | null;
  /** What `{{ $expected.x }}` in the criteria is derived from (runner/expected.ts), or null. */
  readonly expected: string | null;
}

export interface ScenarioConfig {
  readonly file: string;
  readonly profile: string;
  readonly profiles: readonly string[];
  readonly config: Record<string, unknown> & { phases: Phase[]; variables?: Record<string, unknown> };
  readonly scenarios: readonly Record<string, unknown>[];
  readonly criteria: readonly Criterion[];
  readonly checks: PackChecks;
}

/**
 * A scenario as Artillery will run it in one profile. `values` fill its `{{ $expected.x }}`
 * placeholders (runner/expected.ts); without them, stand-ins of 1 check that it is well formed.
 */
export function parseScenario(file: string, text: string, profile: string, values?: ExpectedValues): ScenarioConfig {
  let doc: { config?: Record<string, unknown>; scenarios?: Record<string, unknown>[] };
  try {
    doc = parse(text) as typeof doc;
  } catch (err) {
    throw new PackError('LT_USAGE', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { hint: 'fix the YAML syntax' });
  }
  if (!doc?.config || !Array.isArray(doc.scenarios))
    throw new PackError('LT_USAGE', `${file} needs config: and scenarios:`, { hint: 'see scenarios/high-contention.yml' });
  const derivation = ((doc.config.pack ?? {}) as { expected?: unknown }).expected ?? null;
  if (derivation !== null && (typeof derivation !== 'string' || !(derivation in EXPECTED)))
    throw new PackError('LT_USAGE', `${file}: config.pack.expected must be one of ${Object.keys(EXPECTED).join(', ')}`, {
      hint: 'fix the config.pack block of the scenario YAML (runner/expected.ts)',
    });
  const used = expectedNames(text);
  const known = derivation ? EXPECTED[derivation as string]!.names : [];
  const unknown = [...new Set(used.filter((n) => !known.includes(n)))];
  if (unknown.length > 0)
    throw new PackError(
      'LT_USAGE',
      `${file} names ${unknown.map((n) => `{{ $expected.${n} }}`).join(', ')}, ${derivation ? `which ${derivation} does not derive (it derives ${known.join(', ')})` : 'but config.pack.expected names no derivation'}`,
      { hint: 'fix the placeholder, or name a derivation in config.pack.expected (runner/expected.ts)' },
    );
  const filled = fillExpected(
    doc as { config: Record<string, unknown>; scenarios: Record<string, unknown>[] },
    values ?? placeholderValues(derivation as string | null),
  );
  const environments = (filled.config.environments ?? {}) as Record<string, unknown>;
  const profiles = Object.keys(environments);
  if (!profiles.includes(profile)) {
    throw new PackError('LT_USAGE', `profile "${profile}" is not defined in ${file} (defined: ${profiles.join(', ') || 'none'})`, {
      hint: `use --profile ${profiles[0] ?? 'full'}`,
    });
  }
  // Exactly what Artillery does with -e: _.merge(script.config, environments[env]).
  const config = merge(cloneDeep(filled.config), environments[profile]) as ScenarioConfig['config'];
  if (!Array.isArray(config.phases) || config.phases.length === 0) throw new PackError('LT_USAGE', `${file} has no phases for profile ${profile}`);
  const plugins = (config.plugins ?? {}) as Record<string, unknown>;
  let criteria: Criterion[];
  try {
    criteria = parseCriteria(config.ensure ?? plugins.ensure, (plugins.isolation as { expect?: unknown } | undefined)?.expect);
  } catch (err) {
    if (err instanceof CriteriaError) throw new PackError('LT_USAGE', `${file}: ${err.message}`, { hint: 'fix the criteria in the scenario YAML' });
    throw err;
  }
  const pack = (config.pack ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const checks: PackChecks = {
    preflight: parsePreflight(pack.preflight, 'config.pack.preflight', problems),
    postChecks: parsePostChecks(pack.postChecks, 'config.pack.postChecks', problems),
    series: parseSeriesCriteria(pack.series, 'config.pack.series', problems),
    faults: parseFaults(pack.faults, 'config.pack.faults', problems),
    pressure: parsePressure(pack.pressure, config.variables ?? {}, 'config.pack.pressure', problems),
    expected: (derivation as string | null) ?? null,
  };
  if (problems.length > 0)
    throw new PackError('LT_USAGE', `${file} (profile ${profile}): ${problems.join('; ')}`, {
      hint: 'fix the config.pack block of the scenario YAML (docs/architecture.md)',
    });
  return { file, profile, profiles, config, scenarios: filled.scenarios, criteria, checks };
}

export function loadScenario(file: string, profile: string, values?: ExpectedValues): ScenarioConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new PackError('LT_USAGE', `cannot read scenario ${file}`, { hint: 'check the path' });
  }
  return parseScenario(file, text, profile, values);
}

/** Seconds of load the phases describe (pauses included). */
export function plannedSeconds(phases: readonly Phase[]): number {
  return phases.reduce((s, p) => s + (p.pause ?? p.duration ?? 0), 0);
}

/** A YAML value with its {{ variables }} filled in, as Artillery would. */
function render(v: unknown, vars: Readonly<Record<string, unknown>>): string {
  return String(v ?? '').replace(/\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g, (_m, name: string) => String(vars[name] ?? ''));
}

function durationSeconds(v: unknown, vars: Readonly<Record<string, unknown>>): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(render(v, vars).trim());
  if (!m) return 0;
  return m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]);
}

/**
 * Seconds one virtual user's session lasts: every `think` of its flow, loops multiplied out; or,
 * for virtual users that run until a deadline (the swarm), the `runSeconds` variable.
 */
export function sessionSeconds(s: ScenarioConfig): number {
  const vars = s.config.variables ?? {};
  if (Number(vars.runSeconds) > 0) return Number(vars.runSeconds);
  const walk = (steps: unknown): number => {
    if (!Array.isArray(steps)) return 0;
    let t = 0;
    for (const step of steps as Record<string, unknown>[]) {
      if (typeof step !== 'object' || step === null) continue;
      if ('think' in step) t += durationSeconds(step.think, vars);
      if (Array.isArray(step.loop)) {
        const count = Number(render(step.count ?? 1, vars));
        t += walk(step.loop) * (Number.isFinite(count) && count > 0 ? count : 1);
      }
    }
    return t;
  };
  return Math.max(0, ...s.scenarios.map((sc) => walk(sc.flow)));
}

/** Seconds the run should take: the phases plus a virtual user's session after the last arrival. */
export function expectedSeconds(s: ScenarioConfig): number {
  return plannedSeconds(s.config.phases) + sessionSeconds(s);
}

/** Virtual users one phase creates: its arrivalCount, or the mean rate × duration (0 for a pause). */
export function phaseArrivals(p: Phase): number {
  if (p.pause !== undefined) return 0;
  if (p.arrivalCount !== undefined) return p.arrivalCount;
  if (p.arrivalRate !== undefined) return ((p.arrivalRate + (p.rampTo ?? p.arrivalRate)) / 2) * (p.duration ?? 0);
  return 0;
}

/** Virtual users the phases create. */
export function plannedArrivals(phases: readonly Phase[]): number {
  return Math.round(phases.reduce((n, p) => n + phaseArrivals(p), 0));
}

/**
 * For a script written elsewhere than its YAML (a distributed worker's, a breakpoint step's): what
 * the scenario names relative to itself (processor, includeFiles, payload files) made absolute, in place.
 */
export function absolutizePaths(config: Record<string, unknown>, scenarioFile: string): void {
  const from = path.dirname(path.resolve(scenarioFile));
  if (typeof config.processor === 'string') config.processor = path.resolve(from, config.processor);
  if (Array.isArray(config.includeFiles)) config.includeFiles = (config.includeFiles as string[]).map((f) => path.resolve(from, f));
  if (Array.isArray(config.payload)) for (const p of config.payload as { path?: string }[]) if (typeof p.path === 'string') p.path = path.resolve(from, p.path);
}
