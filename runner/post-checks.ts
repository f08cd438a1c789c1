/**
 * Checks made after the load through the API contract (so they hold for a user's API too). A
 * scenario names them in its YAML (`config.pack.postChecks`) with a kind; this file is the
 * registry of what can be checked.
 *
 *   postChecks:
 *     - { check: targets-exactly-full, tier: contention, kind: correctness }
 */
import type { Fixture, Tier } from '../seed/fixture';
import { TIERS } from '../seed/fixture';
import { tokenFor } from '../processors/selection';
import { CHECK_KINDS, CheckKind, CheckRow } from '../formats/summary';
import { readBalance } from './api-client';
import { parseEntries } from './pack-entries';
import type { ArtilleryReport } from '../formats/artillery-json';
import { EDGE_CLASSES, describeExpected } from '../edge/classes';
import { EDGE_METRICS, tallyClasses } from '../edge/metrics';

export interface PostCheckContext {
  readonly scenario: string;
  readonly target: string;
  readonly fixture: Fixture;
  /** The scenario's Artillery report (combined, on a distributed run). */
  readonly report: ArtilleryReport;
}

export interface PostCheckSpec {
  readonly check: string;
  readonly kind: CheckKind;
  readonly params: Readonly<Record<string, unknown>>;
}

interface PostCheck {
  readonly what: string;
  /** Problems of the parameters, or an empty list. */
  validate(params: Readonly<Record<string, unknown>>): string[];
  run(ctx: PostCheckContext, spec: PostCheckSpec): Promise<Omit<CheckRow, 'scenario' | 'kind' | 'overBy'>>;
}

/** Every authorization of a tier must end exactly full (reserved + consumed = capacity): no more, no less. */
const targetsExactlyFull: PostCheck = {
  what: 'every authorization of `tier` ends exactly full, read back through GET /api/authorizations/:id',
  validate: (p) => (TIERS.includes(p.tier as Tier) ? [] : [`tier must be one of ${TIERS.join(', ')}`]),
  async run(ctx, spec) {
    const tier = spec.params.tier as Tier;
    const targets = ctx.fixture.authorizations.filter((a) => a.tier === tier);
    const off: string[] = [];
    for (const a of targets) {
      const b = await readBalance(ctx.target, tokenFor(ctx.fixture, a, 0), a.id);
      const used = b.reservedUnits + b.consumedUnits;
      if (used !== a.capacityUnits) off.push(`${a.id.slice(0, 8)} ${used}/${a.capacityUnits}`);
    }
    const all = `${targets.length} of ${targets.length}`;
    return {
      name: `every ${tier} target ends exactly full`,
      limit: all,
      measured: off.length === 0 ? all : `${targets.length - off.length} of ${targets.length} (${off.slice(0, 3).join(', ')}${off.length > 3 ? ', …' : ''})`,
      pass: off.length === 0 && targets.length > 0,
    };
  },
};

/**
 * load-test:edge: every bad-input class got the answer the contract names. Lists each class that
 * did not, with what came back, and each class skipped, with why.
 */
const edgeClasses: PostCheck = {
  what: 'every bad-input class of edge/classes.ts was answered as the contract says (from the edge.* counters)',
  validate: () => [],
  run(ctx) {
    const counters = ctx.report.aggregate.counters;
    const tally = tallyClasses(
      counters,
      EDGE_CLASSES.map((c) => c.name),
    );
    const off: string[] = [];
    const skipped: string[] = [];
    let answered = 0;
    for (const c of EDGE_CLASSES) {
      const t = tally.get(c.name)!;
      if (t.off > 0) {
        const got = Object.entries(t.got)
          .map(([what, n]) => `${what} × ${n}`)
          .join(', ');
        off.push(`${c.name}: expected ${describeExpected(c.expect)}, got ${got}`);
      }
      if (t.skipped > 0 && t.expected + t.off === 0) skipped.push(c.name);
      if (t.expected + t.off > 0) answered++;
    }
    const sent = counters[EDGE_METRICS.sent] ?? 0;
    const all = EDGE_CLASSES.length - skipped.length;
    const measured =
      off.length === 0
        ? `${answered} of ${all} classes (${sent} requests)`
        : `${all - off.length} of ${all} classes; ${off.length} off the contract: ${off.slice(0, 5).join('; ')}${off.length > 5 ? '; …' : ''}`;
    return Promise.resolve({
      name: 'every bad-input class gets its expected 4xx',
      limit: `${all} of ${all}`,
      measured: skipped.length > 0 ? `${measured}; skipped (no signing secret for the fixture's tokens): ${skipped.join(', ')}` : measured,
      pass: off.length === 0 && answered === all && sent > 0,
    });
  },
};

/** The API answers its health check after the scenario (nothing it was sent took it down). */
const healthyAfter: PostCheck = {
  what: 'GET /health answers 200 after the scenario',
  validate: () => [],
  async run(ctx) {
    const res = await fetch(new URL('/health', ctx.target), { signal: AbortSignal.timeout(5000) }).catch((err: Error) => err);
    const status = res instanceof Error ? `no answer (${res.message})` : String(res.status);
    return { name: 'the API is healthy afterwards (GET /health)', limit: '200', measured: status, pass: status === '200' };
  },
};

/** What a post-check can be. Add one here; scenarios name it in their YAML. */
export const POST_CHECKS: Readonly<Record<string, PostCheck>> = {
  'targets-exactly-full': targetsExactlyFull,
  'edge-classes': edgeClasses,
  'healthy-after': healthyAfter,
};

export function parsePostChecks(raw: unknown, where: string, problems: string[]): PostCheckSpec[] {
  return parseEntries(raw, where, problems, (e, at, _i, refuse) => {
    const { check, kind, ...params } = e;
    if (typeof check !== 'string' || !(check in POST_CHECKS)) return refuse(`${at}.check must be one of ${Object.keys(POST_CHECKS).join(', ')}`);
    if (!CHECK_KINDS.includes(kind as CheckKind)) return refuse(`${at}.kind must be correctness or performance`);
    const bad = POST_CHECKS[check]!.validate(params);
    if (bad.length > 0) return refuse(...bad.map((b) => `${at}: ${b}`));
    return { check, kind: kind as CheckKind, params };
  });
}

/** Runs a scenario's post-checks; a check that cannot get its answer fails with what went wrong. */
export async function postCheckRows(ctx: PostCheckContext, specs: readonly PostCheckSpec[]): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const spec of specs) {
    try {
      const r = await POST_CHECKS[spec.check]!.run(ctx, spec);
      rows.push({ scenario: ctx.scenario, kind: spec.kind, overBy: null, ...r });
    } catch (err) {
      rows.push({
        scenario: ctx.scenario,
        name: `${spec.check} (through the API)`,
        limit: 'answered',
        measured: (err as Error).message,
        pass: false,
        kind: spec.kind,
        overBy: null,
      });
    }
  }
  return rows;
}
