/**
 * Checks made after the load through the API contract (so they hold for a user's API too). A
 * scenario names them in its YAML (`config.pack.postChecks`) with a kind; this file is the
 * registry of what can be checked.
 *
 *   postChecks:
 *     - { check: targets-exactly-full, tier: contention, kind: correctness }
 */
import { CompiledContract, METRICS } from 'artillery-plugin-isolation';
import type { Fixture, Tier } from '../seed/fixture';
import { TIERS } from '../seed/fixture';
import { tokenFor } from '../processors/selection';
import { CHECK_KINDS, CheckKind, CheckRow } from '../formats/summary';
import { counterOf } from '../formats/artillery-json';
import { readBalance } from './api-client';
import { parseEntries } from '../lib/pack-entries';
import type { ArtilleryReport } from '../formats/artillery-json';
import { EDGE_CLASSES, describeExpected, expectedFor, skipReason } from '../edge/classes';
import { requestShape } from '../edge/shape';
import { EDGE_METRICS, tallyClasses } from '../edge/metrics';

export interface PostCheckContext {
  readonly scenario: string;
  /** The API under test: its URL, its contract, its health path (null: none). */
  readonly target: string;
  readonly contract: CompiledContract;
  /** Whether it is the reference API (whose answers' reasons the edge classes know). */
  readonly reference: boolean;
  readonly health: string | null;
  readonly fixture: Fixture;
  /** The scenario's Artillery report (combined, on a distributed run). */
  readonly report: ArtilleryReport;
  /** The scenario's variables, in its profile (the units a request asks for). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The database's side of each resource's balance (its balances SQL, read only), for an API without a read operation. */
  readonly heldInDatabase: () => Promise<ReadonlyMap<string, { readonly held: number; readonly capacity: number | null }>>;
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

/** Units held on a resource (reserved + consumed), from a balance read through the contract; null when its balance says neither. */
const heldOf = (b: { reserved?: number; consumed?: number }): number | null =>
  b.reserved === undefined && b.consumed === undefined ? null : (b.reserved ?? 0) + (b.consumed ?? 0);

/**
 * Every authorization of a tier must end exactly full (reserved + consumed = capacity, or no room
 * left where its units cannot fill it exactly): no more, no less, read back through the contract's
 * read operation, or, for an API without one, from its database (the balances SQL: what the ledger
 * or the API's own counter holds).
 */
const targetsExactlyFull: PostCheck = {
  what: "every authorization of `tier` ends exactly full, read back through the contract's read operation",
  validate: (p) => (TIERS.includes(p.tier as Tier) ? [] : [`tier must be one of ${TIERS.join(', ')}`]),
  async run(ctx, spec) {
    const tier = spec.params.tier as Tier;
    const name = `every ${tier} target ends exactly full`;
    const targets = ctx.fixture.authorizations.filter((a) => a.tier === tier);
    const all = `${targets.length} of ${targets.length}`;
    const fromApi = ctx.contract.has('read');
    const stored = fromApi ? null : await ctx.heldInDatabase();
    const asked = Number(ctx.variables.units);
    const unit = ctx.contract.op('reserve').fixedUnits ?? (Number.isFinite(asked) && asked > 0 ? asked : 1);
    const off: string[] = [];
    for (const a of targets) {
      let used: number | null;
      let capacity: number;
      if (stored) {
        const s = stored.get(a.id);
        used = s?.held ?? 0;
        capacity = s?.capacity ?? a.capacityUnits;
      } else {
        const b = await readBalance(ctx.target, ctx.contract, { resource: a.id, organization: a.organizationId, token: tokenFor(ctx.fixture, a, 0) });
        used = heldOf(b);
        capacity = b.capacity ?? a.capacityUnits;
        if (used === null) throw new Error("the read operation's balance names neither reserved nor consumed units");
      }
      // Full: no more than the capacity, and less room left than one more request would take.
      if (used > capacity || capacity - used >= unit) off.push(`${a.id.slice(0, 8)} ${used}/${capacity}`);
    }
    const where = stored ? ' (from the database: the API has no read operation)' : '';
    return {
      name,
      limit: all,
      measured:
        (off.length === 0 ? all : `${targets.length - off.length} of ${targets.length} (${off.slice(0, 3).join(', ')}${off.length > 3 ? ', …' : ''})`) + where,
      pass: off.length === 0 && targets.length > 0,
    };
  },
};

/**
 * Keys reused for another request (the scenarios' reuse probes) must all be refused as the contract
 * says a reused key is: an API that replays the first outcome, or applies the new request, is named.
 * Not checked for an API without keys, or whose description does not say how it refuses a reuse.
 */
const reusedKeysRefused: PostCheck = {
  what: 'every key reused for another request was refused as the contract says (the isolation.key_reuse.* counters)',
  validate: () => [],
  async run(ctx) {
    const name = 'a key reused for another request is refused, never answered with the first outcome';
    const c = ctx.report.aggregate;
    const reused = ctx.contract.reused;
    const limit = reused ? `every one ${reused.status}${reused.reason ? ` ${reused.reason}` : ''}` : 'every one refused';
    if (!ctx.contract.keyed)
      return { name, limit, measured: 'not checked: the API has no idempotency keys', pass: false, notChecked: 'the API has no idempotency keys' };
    if (!reused)
      return {
        name,
        limit,
        measured: 'not checked: the target description does not say how the API refuses a reused key (api.idempotency.reused)',
        pass: false,
        notChecked: 'the target description does not say how the API refuses a reused key',
      };
    const sent = counterOf(c, METRICS.keyReuse.sent) ?? 0;
    const refused = counterOf(c, METRICS.keyReuse.refused) ?? 0;
    const not = counterOf(c, METRICS.keyReuse.notRefused) ?? 0;
    if (sent === 0)
      return { name, limit, measured: 'not checked: no key was reused in this run (reuseShare)', pass: false, notChecked: 'no key was reused in this run' };
    return {
      name,
      limit,
      measured: not === 0 ? `${refused} of ${sent} refused` : `${not} of ${sent} not refused (answered otherwise than ${reused.status})`,
      pass: not === 0,
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
    const shape = requestShape(ctx.contract, { reference: ctx.reference });
    const tally = tallyClasses(
      counters,
      EDGE_CLASSES.map((c) => c.name),
    );
    const off: string[] = [];
    const skipped = new Map<string, string[]>();
    let answered = 0;
    for (const c of EDGE_CLASSES) {
      const t = tally.get(c.name)!;
      if (t.off > 0) {
        const got = Object.entries(t.got)
          .map(([what, n]) => `${what} × ${n}`)
          .join(', ');
        off.push(`${c.name}: expected ${describeExpected(expectedFor(c, shape))}, got ${got}`);
      }
      if (t.skipped > 0 && t.expected + t.off === 0) {
        const why = skipReason(c, shape, true) ?? "no signing secret for the fixture's tokens";
        skipped.set(why, [...(skipped.get(why) ?? []), c.name]);
      }
      if (t.expected + t.off > 0) answered++;
    }
    const sent = counters[EDGE_METRICS.sent] ?? 0;
    const skippedCount = [...skipped.values()].reduce((n, l) => n + l.length, 0);
    const all = EDGE_CLASSES.length - skippedCount;
    const measured =
      off.length === 0
        ? `${answered} of ${all} classes (${sent} requests)`
        : `${all - off.length} of ${all} classes; ${off.length} off the contract: ${off.slice(0, 5).join('; ')}${off.length > 5 ? '; …' : ''}`;
    const why = [...skipped].map(([reason, names]) => `${names.length} skipped (${reason}): ${names.join(', ')}`).join('; ');
    return Promise.resolve({
      name: 'every bad-input class gets its expected 4xx',
      limit: `${all} of ${all}`,
      measured: skipped.size > 0 ? `${measured}; ${why}` : measured,
      pass: off.length === 0 && answered === all && sent > 0,
    });
  },
};

/** The API answers its health check after the scenario (nothing it was sent took it down). */
const healthyAfter: PostCheck = {
  what: "the target's health path answers 200 after the scenario",
  validate: () => [],
  async run(ctx) {
    const name = `the API is healthy afterwards (GET ${ctx.health ?? 'health'})`;
    if (ctx.health === null)
      return { name, limit: '200', measured: 'not checked: the target description names no health path', pass: false, notChecked: 'no health path' };
    const res = await fetch(`${ctx.target}${ctx.health}`, { signal: AbortSignal.timeout(5000) }).catch((err: Error) => err);
    const status = res instanceof Error ? `no answer (${res.message})` : String(res.status);
    return { name, limit: '200', measured: status, pass: status === '200' };
  },
};

/** What a post-check can be. Add one here; scenarios name it in their YAML. */
export const POST_CHECKS: Readonly<Record<string, PostCheck>> = {
  'targets-exactly-full': targetsExactlyFull,
  'reused-keys-refused': reusedKeysRefused,
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
