/**
 * Reconciliation in Jepsen's style: the database judged against the history of what clients
 * were told, not only its final state. Pure functions of (history, ledger, balances).
 *
 *   lost         acknowledged (2xx) but not in the ledger
 *   duplicated   in the ledger more than once (a retried request applied twice)
 *   unexpected   refused (409 or another definite 4xx) but in the ledger
 *   recovered    outcome unknown (timeout, reset, 5xx), found in the ledger   — allowed
 *   not_applied  outcome unknown, not in the ledger                            — allowed
 *   unattributed in the ledger, but in no history (written by someone else, or a history was lost)
 *   bounds       per authorization, final balances outside the interval that the ok operations
 *                fix and the unknown ones widen (Jepsen's counter checker)
 */
import type { KeyRecord } from './history';
import { Validity, Verdict, summarize } from './verdict';

export interface LedgerKey {
  readonly key: string;
  readonly auth: string;
  readonly op: 'reserve' | 'release' | 'consume';
  readonly units: number;
  /** Ledger rows with this key (more than 1 only without the unique constraint). */
  readonly rows: number;
}

export interface FinalBalance {
  readonly auth: string;
  readonly reserved: number;
  readonly consumed: number;
}

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

/** Keys the seeder wrote (initial reservations); not client operations. */
export const SEED_KEY_PREFIX = 'seed-';

export function reconcileKeys(history: ReadonlyMap<string, KeyRecord>, ledger: readonly LedgerKey[]): Verdict<KeyError> & { counts: Record<string, number> } {
  const inLedger = new Map(ledger.map((l) => [l.key, l]));
  const errors: (KeyError & { type: string })[] = [];
  const counts: Record<string, number> = { ok: 0, fail: 0, info: 0, lost: 0, duplicated: 0, unexpected: 0, recovered: 0, not_applied: 0, unattributed: 0 };
  const err = (type: string, r: { key: string; auth: string; op: string; units: number }, detail: string, severity: number): void => {
    counts[type]!++;
    errors.push({ type, key: r.key, auth: r.auth, op: r.op, units: r.units, detail, severity });
  };
  for (const r of history.values()) {
    counts[r.outcome]!++;
    const l = inLedger.get(r.key);
    if (l && l.rows > 1) err('duplicated', r, `${l.rows} ledger rows for one request (${r.sends} sends)`, l.rows * l.units);
    if (r.outcome === 'ok' && !l) err('lost', r, `acknowledged (${r.statuses.join(', ')}) but not in the ledger`, r.units);
    if (r.outcome === 'fail' && l) err('unexpected', r, `refused (${r.statuses.join(', ')}) but in the ledger`, l.units);
    if (r.outcome === 'info') counts[l ? 'recovered' : 'not_applied']!++;
  }
  for (const l of ledger) {
    if (!history.has(l.key) && !l.key.startsWith(SEED_KEY_PREFIX)) err('unattributed', l, 'in the ledger but in no client history', l.units);
  }
  const fatal = errors.filter((e) => e.type !== 'unattributed');
  const valid: Validity = fatal.length > 0 ? false : counts.unattributed! > 0 ? 'unknown' : true;
  const grouped = summarize(errors, (e) => e.type, (e) => e.severity);
  const stripped = Object.fromEntries(Object.entries(grouped).map(([t, s]) => [t, { count: s.count, first: strip(s.first), worst: strip(s.worst) }]));
  return { checker: 'history', valid, errors: stripped, counts };
}

function strip(e: KeyError & { type?: string }): KeyError {
  const { type: _type, ...rest } = e;
  return rest;
}

/** The reserved/consumed deltas of one operation. */
function deltas(op: string, units: number): { reserved: number; consumed: number } {
  if (op === 'reserve') return { reserved: units, consumed: 0 };
  if (op === 'release') return { reserved: -units, consumed: 0 };
  return { reserved: -units, consumed: units };
}

/**
 * Counter-style bounds per authorization: base (seeded) + every ok operation is certain; each
 * unknown (info) operation may or may not have happened, widening the interval by its delta.
 */
export function checkBounds(
  history: ReadonlyMap<string, KeyRecord>,
  base: ReadonlyMap<string, { reserved: number; consumed: number }>,
  finals: readonly FinalBalance[],
): Verdict<BoundsError> {
  const iv = new Map<string, { reserved: [number, number]; consumed: [number, number] }>();
  const get = (auth: string) => {
    let v = iv.get(auth);
    if (!v) {
      const b = base.get(auth) ?? { reserved: 0, consumed: 0 };
      v = { reserved: [b.reserved, b.reserved], consumed: [b.consumed, b.consumed] };
      iv.set(auth, v);
    }
    return v;
  };
  for (const r of history.values()) {
    if (r.outcome === 'fail') continue;
    const d = deltas(r.op, r.units);
    const v = get(r.auth);
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
  const errors: BoundsError[] = [];
  for (const f of finals) {
    const v = get(f.auth);
    for (const field of ['reserved', 'consumed'] as const) {
      const [lower, upper] = v[field];
      const final = f[field];
      if (final < lower || final > upper) errors.push({ auth: f.auth, field, final, lower, upper, severity: final < lower ? lower - final : final - upper });
    }
  }
  return { checker: 'bounds', valid: errors.length === 0, errors: summarize(errors, () => 'outside_bounds', (e) => e.severity) };
}

/** Fallback without a history (distributed runners): acknowledged units vs ledger units. */
export function checkCounters(
  acknowledged: { reserve: number; release: number; consume: number },
  unknownRequests: number,
  ledgerUnits: { reserve: number; release: number; consume: number },
  maxUnitsPerRequest: number,
): Verdict<{ op: string; acknowledged: number; ledger: number; slack: number; severity: number }> {
  const slack = unknownRequests * maxUnitsPerRequest;
  const errors: { type: string; op: string; acknowledged: number; ledger: number; slack: number; severity: number }[] = [];
  for (const op of ['reserve', 'release', 'consume'] as const) {
    const a = acknowledged[op];
    const l = ledgerUnits[op];
    if (l < a) errors.push({ type: 'lost_units', op, acknowledged: a, ledger: l, slack, severity: a - l });
    else if (l > a + slack) errors.push({ type: 'extra_units', op, acknowledged: a, ledger: l, slack, severity: l - a - slack });
  }
  return {
    checker: 'counters',
    valid: errors.length === 0,
    errors: summarize(errors, (e) => e.type, (e) => e.severity),
    note: 'no operation history: compared the units the plugin saw acknowledged with the units in the ledger; this cannot tell lost from duplicated writes that cancel out',
  };
}
