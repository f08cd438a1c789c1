/**
 * Pure choices a virtual user makes: which authorization, which token, which wave. No I/O, no
 * clock of its own (time is passed in), so unit tests pin every decision.
 */
import type { WriteKind } from 'artillery-plugin-isolation';
import type { Fixture, FixtureAuthorization } from '../seed/fixture';

/**
 * Groups arrivals into waves: an arrival more than `gapMs` after the previous one starts a new
 * wave. Each Artillery worker sees every phase (arrivals are split across workers, pauses are
 * not), so every worker counts the same waves without talking to the others.
 */
export class WaveTracker {
  private wave = -1;
  private last = -Infinity;
  private start = 0;

  constructor(private readonly gapMs: number) {}

  arrive(now: number): { wave: number; waveStart: number } {
    if (now - this.last > this.gapMs) {
      this.wave++;
      this.start = now;
    }
    this.last = now;
    return { wave: this.wave, waveStart: this.start };
  }
}

export function contentionTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'contention');
}

/** The authorization wave n fires at: the targets in turn. */
export function targetForWave(targets: readonly FixtureAuthorization[], wave: number): FixtureAuthorization {
  if (targets.length === 0) throw new Error('the fixture has no contention targets');
  return targets[wave % targets.length]!;
}

/**
 * A token that may act on the authorization (its organization's, else one for every organization
 * under "*"), rotating over them; '' when the API under test takes no per-user token.
 */
export function tokenFor(f: Fixture, a: FixtureAuthorization, n: number): string {
  const tokens = f.tokensByOrganization[a.organizationId] ?? f.tokensByOrganization['*'];
  if (!tokens || tokens.length === 0) return '';
  return tokens[n % tokens.length]!;
}

/** How long a VU waits so that every VU of its wave fires at the same instant. */
export function barrierDelay(now: number, waveStart: number, barrierMs: number): number {
  return Math.max(0, waveStart + barrierMs - now);
}

/** Authorizations outside the contention targets and the shared hot spot, with room (scenario 2). */
export function spreadTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'standard' || a.tier === 'bulk');
}

/** The spread authorizations of scenario 3: those with room and those waitlisted (full on purpose). */
export function mixedSpreadTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'standard' || a.tier === 'bulk' || a.tier === 'waitlisted');
}

export function sharedTarget(f: Fixture): FixtureAuthorization | null {
  return f.authorizations.find((a) => a.tier === 'shared') ?? null;
}

export function pickUniform<T>(items: readonly T[], rng: () => number): T {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.min(items.length - 1, Math.floor(rng() * items.length))]!;
}

export type MixedOperation = WriteKind;

/** What the processors and the preflight need to know of the API under test (a CompiledContract fits). */
export interface Capabilities {
  has(kind: string): boolean;
  /** release / consume by units, or of an earlier reservation by its id. */
  by(kind: 'release' | 'consume'): 'units' | 'acquisition';
  /** The units every request of this operation moves whatever is asked (a claim of one), or null. */
  fixedUnits(kind: string): number | null;
  readonly keyed: boolean;
  /** Whether the contract says how the API refuses a key reused for another request (so reuse probes can be judged). */
  readonly keyReuse: boolean;
}

export interface MixWeights {
  /** Share of requests aimed at the one shared authorization (the plan: 0.2). */
  readonly sharedShare: number;
  /** Operation weights (the plan: 70 / 20 / 10, no take-outs). */
  readonly reserve: number;
  readonly release: number;
  readonly consume: number;
  readonly take_out: number;
  /** Units per operation (the plan: reserve 5, release 5, consume 3). */
  readonly reserveUnits: number;
  readonly releaseUnits: number;
  readonly consumeUnits: number;
  readonly take_outUnits: number;
}

/** The plan's mix (seeds/004, scenario 3): what a scenario's variables fall back to. */
export const PLAN_MIX: MixWeights = {
  sharedShare: 0.2,
  reserve: 70,
  release: 20,
  consume: 10,
  take_out: 0,
  reserveUnits: 5,
  releaseUnits: 5,
  consumeUnits: 3,
  take_outUnits: 1,
};

const MIX_KINDS = ['reserve', 'release', 'consume', 'take_out'] as const;

/**
 * The mix a scenario's variables ask for (reserveShare, releaseShare, consumeShare, takeOutShare,
 * reserveUnits, releaseUnits, consumeUnits, takeOutUnits, sharedShare), with every operation the
 * API under test does not have taken out and its units fixed where the API fixes them. The
 * processors draw from it and the preflight prints it: one function, the same YAML.
 */
export function effectiveMix(vars: Readonly<Record<string, unknown>>, api: Capabilities): { mix: MixWeights; dropped: string[] } {
  const n = (name: string, def: number): number => {
    const v = Number(vars[name]);
    return vars[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : def;
  };
  const dropped: string[] = [];
  const weight = (kind: (typeof MIX_KINDS)[number], name: string, def: number): number => {
    const w = n(name, def);
    if (w > 0 && !api.has(kind)) {
      dropped.push(`${kind} (${w}: the API has no ${kind} operation)`);
      return 0;
    }
    return w;
  };
  const units = (kind: (typeof MIX_KINDS)[number], name: string, def: number): number => api.fixedUnits(kind) ?? n(name, def);
  return {
    mix: {
      sharedShare: n('sharedShare', PLAN_MIX.sharedShare),
      reserve: weight('reserve', 'reserveShare', PLAN_MIX.reserve),
      release: weight('release', 'releaseShare', PLAN_MIX.release),
      consume: weight('consume', 'consumeShare', PLAN_MIX.consume),
      take_out: weight('take_out', 'takeOutShare', PLAN_MIX.take_out),
      reserveUnits: units('reserve', 'reserveUnits', PLAN_MIX.reserveUnits),
      releaseUnits: units('release', 'releaseUnits', PLAN_MIX.releaseUnits),
      consumeUnits: units('consume', 'consumeUnits', PLAN_MIX.consumeUnits),
      take_outUnits: units('take_out', 'takeOutUnits', PLAN_MIX.take_outUnits),
    },
    dropped,
  };
}

/** Pure: the mix in words, as the preflight prints it. */
export function describeMix(m: MixWeights): string {
  const total = MIX_KINDS.reduce((t, k) => t + m[k], 0) || 1;
  return MIX_KINDS.filter((k) => m[k] > 0)
    .map((k) => `${Math.round((m[k] / total) * 100)} % ${k} ${m[`${k}Units`]}`)
    .join(', ');
}

/** Scenario 3: one request of the mix, a share on the shared authorization, the rest spread. */
export function pickMixed(f: Fixture, mix: MixWeights, rng: () => number): { target: FixtureAuthorization; operation: MixedOperation; units: number } {
  const shared = sharedTarget(f);
  const target = shared && rng() < mix.sharedShare ? shared : pickUniform(mixedSpreadTargets(f), rng);
  const total = MIX_KINDS.reduce((t, k) => t + mix[k], 0);
  let r = rng() * total;
  let operation: MixedOperation = 'reserve';
  for (const k of MIX_KINDS) {
    if (r < mix[k]) {
      operation = k;
      break;
    }
    r -= mix[k];
  }
  return { target, operation, units: mix[`${operation}Units`] };
}

/**
 * Another request under the same key (a reuse probe), one the API sees as different: other units
 * where the operation sends any, else another resource of the same organization (for an operation
 * addressed by resource), else another operation. The API must refuse it as the contract says a
 * reused key is refused, never replay the first outcome or apply it.
 */
export function probeVariant(
  last: { readonly kind: string; readonly resource: string | null; readonly units: number | null },
  api: Capabilities,
  others: readonly string[],
  n: number,
): { op: string; resource: string | null; units: number | null } {
  const byResource = last.kind === 'reserve' || last.kind === 'take_out' || api.by(last.kind as 'release' | 'consume') === 'units';
  const choices: { op: string; resource: string | null; units: number | null }[] = [];
  if (byResource && api.fixedUnits(last.kind) === null && last.units !== null) choices.push({ op: last.kind, resource: last.resource, units: last.units + 1 });
  const other = others.find((r) => r !== last.resource);
  if (byResource && other !== undefined) choices.push({ op: last.kind, resource: other, units: last.units });
  for (const k of ['release', 'reserve'] as const)
    if (k !== last.kind && api.has(k) && (k === 'reserve' || api.by(k) === 'units')) choices.push({ op: k, resource: last.resource, units: last.units });
  return choices[n % Math.max(1, choices.length)] ?? { op: last.kind, resource: last.resource, units: last.units };
}

/**
 * Whether a request is sent a second time with the same Idempotency-Key, as a client does after a
 * timeout: a share `share` (0..1) of requests. The API must answer the resend with the first
 * outcome (a replay), never apply it twice.
 */
export function shouldResend(share: number, rng: () => number): boolean {
  return share > 0 && rng() < share;
}
