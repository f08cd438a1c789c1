/**
 * Reconciliation in Jepsen's style: the database judged against the history of what clients
 * were told, not only its final state. Pure functions of (history, baseline, ledger, balances).
 *
 *   lost          acknowledged (2xx) but not in the ledger
 *   duplicated    in the ledger more than once (a retried request applied twice)
 *   unexpected    refused (409 or another definite 4xx) but in the ledger
 *   mismatched    in the ledger under the request's key, but with another authorization,
 *                 operation or number of units than the request
 *   contradicted  the answers to one key cannot all be true: refused and acknowledged (a phantom
 *                 commit replayed on a retry), or acknowledged as different requests
 *   recovered     outcome unknown (timeout, reset, 5xx), found in the ledger   — allowed
 *   not_applied   outcome unknown, not in the ledger                            — allowed
 *   unattributed  written during the run (not in the baseline), but in no history: written by
 *                 someone else, or a history was lost — the verdict is then unknown
 *   bounds        per authorization, final balances outside the interval that the baseline and
 *                 the ok operations fix and the unknown ones widen (Jepsen's counter checker)
 *
 * The baseline is a snapshot of the same inputs taken from the database before the load: rows
 * already there are never attributed to the run, and the bounds start from it.
 */
import { WRITE_EFFECTS, type WriteKind } from 'artillery-plugin-isolation';
import type { KeyRecord } from './history';
import { type KeyRecords, recordsOf } from './key-store';
import { StringTable } from './string-table';
import { Validity, Verdict, summarize } from './verdict';

export type Operation = WriteKind;

/** How the history's requests are tied to ledger rows: by idempotency key, or by the id the API returned (`op:ref`). */
export type MatchBy = 'key' | 'ref';

/**
 * One line of ledger-keys.sql: ledger rows of one key with one (auth, op, units). A key's rows may
 * come on several lines (one per ledger row, or grouped): they add up.
 */
export interface LedgerKey {
  readonly key: string;
  readonly auth: string;
  readonly op: Operation;
  readonly units: number;
  /** Ledger rows this line stands for. */
  readonly rows: number;
}

export interface FinalBalance {
  readonly auth: string;
  readonly reserved: number;
  readonly consumed: number;
}

/** The reconciliation inputs as they were before the load. */
export interface Baseline {
  /** Ledger rows per key before the run. */
  readonly keys: ReadonlyMap<string, number>;
  readonly balances: ReadonlyMap<string, { readonly reserved: number; readonly consumed: number }>;
}

export const EMPTY_BASELINE: Baseline = { keys: new Map(), balances: new Map() };

export interface KeyError {
  readonly key: string;
  readonly auth: string;
  readonly op: string;
  readonly units: number;
  readonly detail: string;
  readonly severity: number;
}

export interface BoundsError {
  readonly auth: string;
  readonly field: 'reserved' | 'consumed';
  readonly final: number;
  readonly lower: number;
  readonly upper: number;
  readonly severity: number;
}

/**
 * Types that make the verdict false; `unattributed` (and, without keys, `unexplained`) makes it
 * unknown; the rest are allowed.
 */
export const FATAL_KEY_TYPES = ['lost', 'duplicated', 'unexpected', 'mismatched', 'contradicted', 'replay_differs'] as const;
/** Types that make the verdict unknown: rows written during the run that no answer explains. */
export const UNKNOWN_KEY_TYPES = ['unattributed', 'unexplained'] as const;

/**
 * Reconciles one history (all of it, or one partition) with the ledger rows of the same keys,
 * the ledger streamed in: a row is added to its key's count and compared with the request at
 * once, so the ledger is never held in memory. Errors come out in history order, as if the
 * ledger had been read first.
 *
 * `baseline: null` means the database before the load is not known: rows the history does not
 * explain cannot be told from rows that were there, so `unattributed` is not judged (the caller
 * says the verdict is unknown for want of a baseline).
 */
export class KeyReconciler {
  private readonly history: KeyRecords;
  private readonly rows: Float64Array;
  /** Ledger rows under a key whose request was something else (rare): by slot. */
  private readonly mismatches = new Map<number, LedgerKey[]>();
  /** Ledger keys in no history: their rows and first row (only judged with a baseline). */
  private readonly strangers = new Map<string, { first: LedgerKey; rows: number }>();

  constructor(
    history: KeyRecords | ReadonlyMap<string, KeyRecord>,
    private readonly baseline: Baseline | null = EMPTY_BASELINE,
    private readonly match: MatchBy = 'key',
  ) {
    this.history = recordsOf(history);
    this.rows = new Float64Array(this.history.size);
  }

  /** One row of ledger-keys.sql (its `key` is `op:ref` when requests are matched by the id the API returned). */
  ledger(l: LedgerKey): void {
    const slot = this.match === 'key' ? this.history.indexOf(l.key) : this.history.indexOfRef(l.key);
    if (slot >= 0) {
      this.rows[slot] += l.rows;
      if (!this.history.sameRequest(slot, l.auth, l.op, l.units)) {
        // Rows of one request may come one line each (ledger-keys.sql need not group them).
        const list = this.mismatches.get(slot) ?? [];
        const at = list.findIndex((m) => m.auth === l.auth && m.op === l.op && m.units === l.units);
        if (at === -1) list.push(l);
        else list[at] = { ...list[at]!, rows: list[at]!.rows + l.rows };
        this.mismatches.set(slot, list);
      }
      return;
    }
    if (this.baseline === null) return;
    const s = this.strangers.get(l.key);
    if (s) s.rows += l.rows;
    else this.strangers.set(l.key, { first: l, rows: l.rows });
  }

  /** The verdict; `visit` sees every history record on the way (the bounds are folded from them). */
  finish(visit?: (r: KeyRecord) => void): Verdict<KeyError> & { counts: Record<string, number> } {
    const baseline = this.baseline ?? EMPTY_BASELINE;
    const byRef = this.match === 'ref';
    const errors: (KeyError & { type: string })[] = [];
    const counts: Record<string, number> = { ok: 0, fail: 0, info: 0, recovered: 0, not_applied: 0, unattributed: 0, unexplained: 0, unidentified: 0 };
    for (const t of FATAL_KEY_TYPES) counts[t] = 0;
    const err = (type: string, r: { key: string; auth: string; op: string; units: number }, detail: string, severity: number): void => {
      counts[type]!++;
      errors.push({ type, key: r.key, auth: r.auth, op: r.op, units: r.units, detail, severity });
    };
    // Without keys, an unknown outcome with no id (a reservation that timed out) may be any
    // unexplained row of its resource, operation and units: these are the rows it may explain.
    const mayExplain = new Map<string, number>();
    for (let slot = 0; slot < this.history.size; slot++) {
      const r = this.history.at(slot);
      visit?.(r);
      counts[r.outcome]!++;
      if (r.contradiction) err('contradicted', r, r.contradiction, r.units);
      if (r.replayDiffers) err('replay_differs', r, r.replayDiffers, r.units);
      if (byRef && !r.ref) {
        // No id ties this request to a row: the bounds judge it, the rows cannot (a refusal needs neither).
        if (r.outcome !== 'fail') counts.unidentified!++;
        if (r.outcome === 'info') {
          const k = `${r.auth}|${r.op}|${r.units}`;
          mayExplain.set(k, (mayExplain.get(k) ?? 0) + 1);
          counts.not_applied!++;
        }
        continue;
      }
      const rows = this.rows[slot]! - (baseline.keys.get(byRef ? `${r.op}:${r.ref}` : r.key) ?? 0);
      const applied = rows > 0;
      if (rows > 1) err('duplicated', r, `${rows} ledger rows for one request (${r.sends} sends)`, rows * r.units);
      for (const l of this.mismatches.get(slot) ?? []) {
        err(
          'mismatched',
          r,
          `the request was ${r.op} ${r.units} on ${r.auth}; the ledger holds ${l.rows} row(s) of ${l.op} ${l.units} on ${l.auth} under its ${byRef ? 'id' : 'key'}`,
          l.units * l.rows,
        );
      }
      if (r.outcome === 'ok' && !applied) err('lost', r, `acknowledged (${r.statuses.join(', ')}) but not in the ledger`, r.units);
      if (r.outcome === 'fail' && applied) err('unexpected', r, `refused (${r.statuses.join(', ')}) but in the ledger`, r.units);
      if (r.outcome === 'info') counts[applied ? 'recovered' : 'not_applied']!++;
    }
    for (const [key, s] of this.strangers) {
      const added = s.rows - (baseline.keys.get(key) ?? 0);
      if (added <= 0) continue;
      if (byRef) {
        const k = `${s.first.auth}|${s.first.op}|${s.first.units}`;
        const may = Math.min(added, mayExplain.get(k) ?? 0);
        if (may > 0) {
          mayExplain.set(k, mayExplain.get(k)! - may);
          counts.recovered! += may;
          counts.not_applied! -= may;
        }
        if (added > may)
          err(
            'unexplained',
            s.first,
            `${added - may} ledger row(s) written during the run that no acknowledged answer names: without idempotency keys, a write committed behind a refusal, or someone else's write, looks like this`,
            s.first.units * (added - may),
          );
      } else err('unattributed', s.first, `${added} ledger row(s) written during the run, but in no client history`, s.first.units * added);
    }
    const fatal = errors.filter((e) => (FATAL_KEY_TYPES as readonly string[]).includes(e.type));
    const valid: Validity = fatal.length > 0 ? false : counts.unattributed! + counts.unexplained! > 0 ? 'unknown' : true;
    const grouped = summarize(
      errors,
      (e) => e.type,
      (e) => e.severity,
    );
    const stripped = Object.fromEntries(Object.entries(grouped).map(([t, s]) => [t, { count: s.count, first: strip(s.first), worst: strip(s.worst) }]));
    return { checker: 'history', valid, errors: stripped, counts };
  }
}

/** Pure: the reconciliation of a history with the whole ledger (see KeyReconciler). */
export function reconcileKeys(
  history: KeyRecords | ReadonlyMap<string, KeyRecord>,
  ledger: Iterable<LedgerKey>,
  baseline: Baseline | null = EMPTY_BASELINE,
  match: MatchBy = 'key',
): Verdict<KeyError> & { counts: Record<string, number> } {
  const r = new KeyReconciler(history, baseline, match);
  for (const l of ledger) r.ledger(l);
  return r.finish();
}

function strip(e: KeyError & { type?: string }): KeyError {
  const { type: _type, ...rest } = e;
  return rest;
}

/** The reserved/consumed deltas of one operation (WRITE_EFFECTS). */
function deltas(op: string, units: number): { reserved: number; consumed: number } {
  const e = WRITE_EFFECTS[op as Operation] ?? WRITE_EFFECTS.consume;
  return { reserved: e.reserved * units, consumed: e.consumed * units };
}

/**
 * Counter-style bounds per authorization: the baseline + every ok operation is certain; each
 * unknown (info) operation may or may not have happened, widening the interval by its delta.
 * Keys are added one at a time (from any number of partitions); memory grows with the
 * authorizations touched, not with the keys.
 */
export class BoundsFolder {
  private readonly iv = new Map<string, { reserved: [number, number]; consumed: [number, number] }>();

  constructor(private readonly base: Baseline['balances']) {}

  private get(auth: string): { reserved: [number, number]; consumed: [number, number] } {
    let v = this.iv.get(auth);
    if (!v) {
      const b = this.base.get(auth) ?? { reserved: 0, consumed: 0 };
      v = { reserved: [b.reserved, b.reserved], consumed: [b.consumed, b.consumed] };
      this.iv.set(auth, v);
    }
    return v;
  }

  add(r: KeyRecord): void {
    if (r.outcome === 'fail') return;
    const d = deltas(r.op, r.units);
    const v = this.get(r.auth);
    for (const field of ['reserved', 'consumed'] as const) {
      if (r.outcome === 'ok') {
        v[field][0] += d[field];
        v[field][1] += d[field];
      } else {
        v[field][0] += Math.min(0, d[field]);
        v[field][1] += Math.max(0, d[field]);
      }
    }
  }

  finish(finals: readonly FinalBalance[]): Verdict<BoundsError> {
    const errors: BoundsError[] = [];
    for (const f of finals) {
      const v = this.get(f.auth);
      for (const field of ['reserved', 'consumed'] as const) {
        const [lower, upper] = v[field];
        const final = f[field];
        if (final < lower || final > upper) errors.push({ auth: f.auth, field, final, lower, upper, severity: final < lower ? lower - final : final - upper });
      }
    }
    return {
      checker: 'bounds',
      valid: errors.length === 0,
      errors: summarize(
        errors,
        () => 'outside_bounds',
        (e) => e.severity,
      ),
    };
  }
}

export function checkBounds(
  history: KeyRecords | ReadonlyMap<string, KeyRecord>,
  base: Baseline['balances'],
  finals: readonly FinalBalance[],
): Verdict<BoundsError> {
  const folder = new BoundsFolder(base);
  const records = recordsOf(history);
  for (let slot = 0; slot < records.size; slot++) folder.add(records.at(slot));
  return folder.finish(finals);
}

/**
 * The verdict of reconcileKeys over the whole run from its verdicts over disjoint key partitions
 * (each key's history and ledger rows in the same partition): counts add up, the first example
 * of a type is the first partition's, the worst is the most severe of all.
 */
export function mergeKeyVerdicts(
  parts: readonly (Verdict<KeyError> & { counts: Record<string, number> })[],
): Verdict<KeyError> & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const errors: Record<string, { count: number; first: KeyError; worst: KeyError }> = {};
  for (const part of parts) {
    for (const [t, n] of Object.entries(part.counts)) counts[t] = (counts[t] ?? 0) + n;
    for (const [t, e] of Object.entries(part.errors)) {
      const m = errors[t];
      if (!m) errors[t] = { ...e };
      else {
        m.count += e.count;
        if (e.worst.severity > m.worst.severity) m.worst = e.worst;
      }
    }
  }
  const fatal = FATAL_KEY_TYPES.some((t) => (counts[t] ?? 0) > 0);
  const valid: Validity = fatal ? false : UNKNOWN_KEY_TYPES.some((t) => (counts[t] ?? 0) > 0) ? 'unknown' : true;
  return { checker: 'history', valid, errors, counts };
}

/** Fallback without a history (distributed runners): acknowledged units vs ledger units. */
export function checkCounters(
  acknowledged: Record<Operation, number>,
  unknownRequests: number,
  ledgerUnits: Record<Operation, number>,
  maxUnitsPerRequest: number,
): Verdict<{ op: string; acknowledged: number; ledger: number; slack: number; severity: number }> {
  const slack = unknownRequests * maxUnitsPerRequest;
  const errors: { type: string; op: string; acknowledged: number; ledger: number; slack: number; severity: number }[] = [];
  for (const op of ['reserve', 'release', 'consume', 'take_out'] as const) {
    const a = acknowledged[op];
    const l = ledgerUnits[op];
    if (l < a) errors.push({ type: 'lost_units', op, acknowledged: a, ledger: l, slack, severity: a - l });
    else if (l > a + slack) errors.push({ type: 'extra_units', op, acknowledged: a, ledger: l, slack, severity: l - a - slack });
  }
  return {
    checker: 'counters',
    valid: errors.length === 0,
    errors: summarize(
      errors,
      (e) => e.type,
      (e) => e.severity,
    ),
    note: 'no operation history: compared the units the plugin saw acknowledged with the units in the ledger; this cannot tell lost from duplicated writes that cancel out',
  };
}

/** What the run's history should hold, and what it does: the inputs of the completeness checker. */
export interface CompletenessInput {
  readonly files: number;
  readonly truncated: readonly string[];
  readonly badLines: number;
  /** Answers the history holds (every send). */
  readonly completions: number;
  /** Answers to unit requests the plugin counted (isolation.requests + isolation.resends); null: not measured. */
  readonly answered: number | null;
  readonly unkeyed: number | null;
  readonly pluginErrors: number | null;
}

/**
 * Never valid by default: the history must be whole for its verdict to mean anything. Each gap
 * makes the verdict `unknown` and is named: requests without a key (not in the history at all),
 * history lines the plugin could not write, lines that cannot be read, files cut short (no close
 * line), and fewer answers in the history than Artillery counted (a worker's file is missing).
 */
export function checkCompleteness(i: CompletenessInput): Verdict<{ detail: string; count: number }> {
  const gaps: { type: string; detail: string; count: number }[] = [];
  if (i.answered === null || i.unkeyed === null || i.pluginErrors === null) {
    gaps.push({
      type: 'not_measured',
      detail: 'the report lacks isolation.requests, isolation.unkeyed or isolation.plugin_errors: the history cannot be checked for completeness',
      count: 1,
    });
  }
  if ((i.unkeyed ?? 0) > 0)
    gaps.push({
      type: 'unkeyed_requests',
      detail: `${i.unkeyed} unit request(s) were sent without an Idempotency-Key: they are in no history`,
      count: i.unkeyed!,
    });
  if ((i.pluginErrors ?? 0) > 0)
    gaps.push({
      type: 'history_write_errors',
      detail: `${i.pluginErrors} failure(s) inside the plugin (isolation.plugin_errors): history lines may be missing`,
      count: i.pluginErrors!,
    });
  if (i.badLines > 0) gaps.push({ type: 'unreadable_lines', detail: `${i.badLines} history line(s) could not be read`, count: i.badLines });
  if (i.truncated.length > 0)
    gaps.push({
      type: 'truncated_files',
      detail: `${i.truncated.length} of ${i.files} history file(s) were cut short (no close line): ${i.truncated.slice(0, 3).join(', ')}`,
      count: i.truncated.length,
    });
  if (i.answered !== null && i.unkeyed !== null) {
    const expected = i.answered - i.unkeyed;
    if (i.completions < expected)
      gaps.push({
        type: 'missing_answers',
        detail: `Artillery counted ${expected} keyed answers; the history holds ${i.completions} (a worker's history file is missing or short)`,
        count: expected - i.completions,
      });
  }
  return {
    checker: 'completeness',
    valid: gaps.length === 0 ? true : 'unknown',
    errors: summarize(
      gaps,
      (g) => g.type,
      (g) => g.count,
    ),
  };
}

/** One ledger row in ledger order (ledger-order.sql): its effect on reserved and consumed units. */
export interface LedgerMove {
  readonly auth: string;
  /** The resource's capacity right after this row (a take-out lowers it). */
  readonly capacity: number;
  readonly reserved: number;
  readonly consumed: number;
  /** Where it stands in the order (a sequence or a commit time), for the report. */
  readonly at: string;
  /** The id that ties it to a reservation (a release or consume by id names it), when the SQL gives one. */
  readonly ref?: string | null;
  /** Its kind (reserve, release, consume, take_out), when the SQL gives it. */
  readonly op?: string | null;
}

/** Where the replay starts: the balances before the load, and how many ledger rows each resource had then. */
export interface ReplayStart {
  readonly balances: ReadonlyMap<string, { readonly reserved: number; readonly consumed: number }>;
  /** Ledger rows per resource before the load: the replay resumes after them, from the balance above. */
  readonly rows: ReadonlyMap<string, number>;
}

/**
 * The invariants the replay checks after every row:
 *   overbooked           reserved + consumed above the capacity (an acquisition let through)
 *   capacity_below_held  a take-out left the capacity below what was held
 *   negative_reserved    more released or consumed than was reserved
 *   negative_consumed    a consumed count below zero
 *   order_violation      a release or consume of a reservation before the reservation itself:
 *                        the order column is not the order the database applied the rows in
 */
export const REPLAY_VIOLATIONS = ['overbooked', 'capacity_below_held', 'negative_reserved', 'negative_consumed', 'order_violation'] as const;
export type ReplayViolation = (typeof REPLAY_VIOLATIONS)[number];

export interface ReplayError {
  readonly auth: string;
  /** The row's place in the order (the order column's value) and in the replay (1-based). */
  readonly at: string;
  readonly row: number;
  /** The state right after the row. */
  readonly capacity: number;
  readonly reserved: number;
  readonly consumed: number;
  /** By how much the invariant broke (units). */
  readonly excess: number;
  readonly detail: string;
  readonly severity: number;
}

/**
 * Every invariant at every moment, not only at the end: replays the ledger in its order, from the
 * balances before the load, and reports each violation by type with its first and its worst
 * example and where it happened. A later release can hide an overbooking, and a later reserve a
 * negative reservation, from a final-state check; not from this one. Memory: one running state per
 * resource, and the ids of the reservations seen (for the order check).
 */
export class LedgerReplay {
  /** The resources seen; a resource's id indexes the typed arrays (one hash lookup a row). */
  private readonly auths = new StringTable();
  private reserved = new Float64Array(1024);
  private consumed = new Float64Array(1024);
  /** Rows still to skip (from before the load), per resource; 0 once the replay has started there. */
  private skip = new Float64Array(1024);
  private readonly refs = new StringTable();
  /** Per type, per resource: the first and the worst error. */
  private readonly found = new Map<ReplayViolation, Map<string, { first: ReplayError; worst: ReplayError; moments: number }>>();
  rows = 0;
  skipped = 0;
  private startsDiffer = 0;

  constructor(private readonly start: ReplayStart | null = null) {}

  private slot(auth: string): number {
    const known = this.auths.size;
    const id = this.auths.add(auth);
    if (id >= this.reserved.length) {
      const grow = (a: Float64Array): Float64Array<ArrayBuffer> => {
        const g = new Float64Array(a.length * 2);
        g.set(a);
        return g;
      };
      this.reserved = grow(this.reserved);
      this.consumed = grow(this.consumed);
      this.skip = grow(this.skip);
    }
    if (id === known) {
      this.skip[id] = this.start?.rows.get(auth) ?? 0;
      if (this.skip[id] === 0) this.begin(id, auth);
    }
    return id;
  }

  /**
   * The resource's state where the replay starts: the balance before the load (the rows before
   * it, skipped, add up to it unless the balance was seeded without rows or the ledger was pruned:
   * counted in `starts_differ`), else what the skipped rows add up to.
   */
  private begin(id: number, auth: string): void {
    const b = this.start?.balances.get(auth);
    if (!b) return;
    if (b.reserved !== this.reserved[id] || b.consumed !== this.consumed[id]) this.startsDiffer++;
    this.reserved[id] = b.reserved;
    this.consumed[id] = b.consumed;
  }

  private report(type: ReplayViolation, e: ReplayError): void {
    let byAuth = this.found.get(type);
    if (!byAuth) this.found.set(type, (byAuth = new Map()));
    const prior = byAuth.get(e.auth);
    if (!prior) byAuth.set(e.auth, { first: e, worst: e, moments: 1 });
    else {
      prior.moments++;
      if (e.severity > prior.worst.severity) prior.worst = e;
    }
  }

  add(m: LedgerMove): void {
    const id = this.slot(m.auth);
    const isReservation = m.op === 'reserve';
    if (m.ref && isReservation) this.refs.add(`${m.auth} ${m.ref}`);
    if (this.skip[id]! > 0) {
      // A row from before the load: the replay resumes after the last of them.
      this.skipped++;
      this.reserved[id] += m.reserved;
      this.consumed[id] += m.consumed;
      if (--this.skip[id]! === 0) this.begin(id, m.auth);
      return;
    }
    this.rows++;
    const reserved = (this.reserved[id] += m.reserved);
    const consumed = (this.consumed[id] += m.consumed);
    const held = reserved + consumed;
    const at = { auth: m.auth, at: m.at, row: this.rows + this.skipped, capacity: m.capacity, reserved, consumed };
    if (held > m.capacity) {
      const taken = m.op === 'take_out';
      this.report(taken ? 'capacity_below_held' : 'overbooked', {
        ...at,
        excess: held - m.capacity,
        detail: taken
          ? `a take-out left ${m.capacity} units of capacity while ${held} were held`
          : `${held} units held (reserved ${reserved} + consumed ${consumed}) against a capacity of ${m.capacity}`,
        severity: held - m.capacity,
      });
    }
    if (reserved < 0) this.report('negative_reserved', { ...at, excess: -reserved, detail: `reserved went to ${reserved}`, severity: -reserved });
    if (consumed < 0) this.report('negative_consumed', { ...at, excess: -consumed, detail: `consumed went to ${consumed}`, severity: -consumed });
    if (m.ref && !isReservation && (m.op === 'release' || m.op === 'consume') && this.refs.get(`${m.auth} ${m.ref}`) < 0) {
      this.report('order_violation', {
        ...at,
        excess: 0,
        detail: `${m.op} of reservation ${m.ref} comes before the reservation in the order (the order column is not the commit order, or the reservation is not in the ledger)`,
        severity: 1,
      });
    }
  }

  verdict(): Verdict<ReplayError> & { counts: Record<string, number> } {
    const errors: Record<string, { count: number; first: ReplayError; worst: ReplayError }> = {};
    const counts: Record<string, number> = { rows: this.rows, skipped: this.skipped, authorizations: this.auths.size, starts_differ: this.startsDiffer };
    for (const type of REPLAY_VIOLATIONS) {
      const byAuth = this.found.get(type);
      if (!byAuth || byAuth.size === 0) continue;
      let first: ReplayError | null = null;
      let worst: ReplayError | null = null;
      let moments = 0;
      for (const e of byAuth.values()) {
        moments += e.moments;
        if (!first || e.first.row < first.row) first = e.first;
        if (!worst || e.worst.severity > worst.severity) worst = e.worst;
      }
      errors[type] = { count: byAuth.size, first: first!, worst: worst! };
      counts[`${type}_moments`] = moments;
    }
    return { checker: 'replay', valid: Object.keys(errors).length === 0, errors, counts };
  }
}
