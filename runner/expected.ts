/**
 * Exact outcomes a scenario's criteria name as `{{ $expected.<name> }}`, derived right before each
 * run from the data it starts on, the unit size and the load shape, so that "exactly N succeed"
 * holds for any API and any fixture, not only for the reference data set. A scenario names its
 * derivation in its YAML (`config.pack.expected`); this file is the registry.
 *
 *   pack:
 *     expected: contention-waves
 *   plugins:
 *     isolation:
 *       expect:
 *         - { metric: isolation.reserve.ok, equals: "{{ $expected.successes }}" }
 *
 * Pure: the runner passes the fixture, the baseline balances and the API's capabilities in.
 */
import type { Fixture, FixtureAuthorization } from '../seed/fixture';
import type { Capabilities } from '../processors/selection';
import { contentionTargets, targetForWave } from '../processors/selection';
import { Phase, phaseArrivals } from './scenario-config';

export interface ExpectedInput {
  readonly phases: readonly Phase[];
  readonly variables: Readonly<Record<string, unknown>>;
  readonly fixture: Pick<Fixture, 'authorizations'>;
  /** Units held (reserved + consumed) per resource before the load; absent: the fixture's preReservedUnits. */
  readonly held?: ReadonlyMap<string, number>;
  /** Capacity per resource before the load, when the database says it; absent: the fixture's. */
  readonly capacity?: ReadonlyMap<string, number>;
  readonly api: Pick<Capabilities, 'fixedUnits'>;
}

export type ExpectedValues = Readonly<Record<string, number>>;

interface Derivation {
  readonly what: string;
  /** The names it derives (what `{{ $expected.<name> }}` may say). */
  readonly names: readonly string[];
  derive(input: ExpectedInput): ExpectedValues;
}

const num = (v: unknown, def: number): number => {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) ? n : def;
};

/**
 * Waves at targets, each wave's arrivals racing for one target's room: exactly floor(room / units)
 * of them succeed (no more than arrive), the others are refused. A resend or a reuse probe is not
 * a request of its own here, as in the plugin's counters.
 */
function waves(input: ExpectedInput, targets: readonly FixtureAuthorization[]): ExpectedValues {
  const units = input.api.fixedUnits('reserve') ?? num(input.variables.units, 1);
  const arrivals = input.phases.filter((p) => p.pause === undefined).map((p) => Math.round(phaseArrivals(p)));
  let successes = 0;
  let requests = 0;
  const perWave: number[] = [];
  arrivals.forEach((n, w) => {
    const t = targetForWave(targets, w);
    const capacity = input.capacity?.get(t.id) ?? t.capacityUnits;
    const held = input.held?.get(t.id) ?? t.preReservedUnits ?? 0;
    const ok = Math.max(0, Math.min(n, Math.floor((capacity - held) / units)));
    perWave.push(ok);
    successes += ok;
    requests += n;
  });
  return {
    successes,
    refusals: requests - successes,
    units: successes * units,
    requests,
    waves: arrivals.length,
    unitsPerRequest: units,
    // The same number for every wave, else the smallest (the names read "per target").
    perTarget: perWave.length ? Math.min(...perWave) : 0,
  };
}

const NAMES = ['successes', 'refusals', 'units', 'requests', 'waves', 'unitsPerRequest', 'perTarget'] as const;

/** What a scenario's criteria can be derived from. Add one here; scenarios name it in their YAML. */
export const EXPECTED: Readonly<Record<string, Derivation>> = {
  'contention-waves': {
    what: 'waves in turn at the contention targets: each target ends exactly full, the rest refused',
    names: NAMES,
    derive: (input) => waves(input, contentionTargets(input.fixture as Fixture)),
  },
  'ladder-step': {
    what: 'one wave of claims at the ladder stock of size `stock`',
    names: NAMES,
    derive: (input) => {
      const stock = num(input.variables.stock, 10);
      const target = input.fixture.authorizations.find((a) => a.tier === 'ladder' && a.capacityUnits === stock);
      if (!target) throw new Error(`the fixture has no ladder authorization with stock ${stock}`);
      return waves(input, [target]);
    },
  },
};

const PLACEHOLDER = /\{\{\s*\$expected\.([A-Za-z]+)\s*\}\}/g;

/** Pure: the names a text's `{{ $expected.x }}` placeholders use. */
export function expectedNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/**
 * Pure: a value (a parsed YAML document) with every `{{ $expected.x }}` replaced by its number. A
 * string that is nothing but one placeholder becomes a number, so that `equals:` gets one.
 */
export function fillExpected<T>(value: T, values: ExpectedValues): T {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\s*\{\{\s*\$expected\.([A-Za-z]+)\s*\}\}\s*$/.exec(v);
      if (whole) return values[whole[1]!] ?? v;
      return v.replace(PLACEHOLDER, (m, name: string) => (values[name] === undefined ? m : String(values[name])));
    }
    if (Array.isArray(v)) return v.map(fill);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(value) as T;
}

/** Stand-in values to validate a scenario before its data exists (every name is 1). */
export function placeholderValues(derivation: string | null): ExpectedValues {
  return Object.fromEntries((derivation ? (EXPECTED[derivation]?.names ?? []) : []).map((n) => [n, 1]));
}
