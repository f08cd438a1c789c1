/**
 * Every invariant at every moment, judged by the clients' real-time order: the check made when
 * the ledger has no commit order to replay (a schema with only created_at DEFAULT now(), which is
 * a transaction's start, not its commit).
 *
 * An operation takes effect after it was first sent and, when it was acknowledged, before its
 * first acknowledgement arrived (Jepsen's real-time bound; Knossos checks linearizability on the
 * same intervals). So at every moment t, per resource:
 *
 *   held  ≥ held before the load + reservations acknowledged by t − releases sent by t
 *           (every release that may have happened: acknowledged or unknown)
 *   room  ≤ capacity before the load − take-outs acknowledged by t
 *   reserved ≤ reserved before the load + reservations sent by t (acknowledged or unknown)
 *              − releases and consumes acknowledged by t
 *
 * `overbooked` is the lower bound of what was held above the upper bound of the room, and
 * `negative_reserved` the upper bound of what was reserved below zero: each is certain, whatever
 * order the database applied the operations in. It is sound, not complete: an overbooking that
 * lasted less than the overlap of the operations around it is not seen. A refused release is taken
 * at its word here (were it applied, the reconciliation names it `unexpected`). Times are the
 * clients' clocks: sound across workers of one machine; across machines, within their skew.
 *
 * Pure: the caller folds the history (verify/history.ts) and hands each record in.
 */
import type { KeyRecord } from './history';
import type { ReplayError } from './checkers';
import { StringTable } from './string-table';
import type { Verdict } from './verdict';

/** A resource before the load (the baseline): its capacity and balance. */
export interface RealTimeStart {
  readonly capacity: number;
  readonly reserved: number;
  readonly consumed: number;
}

/** What an event does to the bounds, in the order events of one instant are applied (loosening first). */
const enum Move {
  /** A release sent: what is held may be lower from now on. */
  ReleaseSent = 0,
  /** A reservation sent: what is reserved may be higher from now on. */
  ReserveSent = 1,
  /** A reservation acknowledged: it is held from now on. */
  ReserveAcked = 2,
  /** A release or consume acknowledged: what is reserved is lower from now on. */
  LowerAcked = 3,
  /** A take-out acknowledged: the room is smaller from now on. */
  TakeOutAcked = 4,
}

export const REALTIME_VIOLATIONS = ['overbooked', 'negative_reserved'] as const;

export class RealTimeFolder {
  private readonly auths = new StringTable();
  private auth: number[] = [];
  private time: number[] = [];
  private move: Move[] = [];
  private units: number[] = [];
  /** Releases by id whose units the history does not say: resolved from their reservation at the end. */
  private readonly pending: { event: number; ref: string }[] = [];
  private readonly reservedUnits = new Map<string, number>();
  operations = 0;
  /** Releases, consumes and take-outs acknowledged: what can hide a short violation from the final state. */
  decreasing = 0;

  constructor(private readonly start: ReadonlyMap<string, RealTimeStart>) {}

  private push(auth: string, time: number | null | undefined, move: Move, units: number): number {
    if (!time) return -1;
    this.auth.push(this.auths.add(auth));
    this.time.push(time);
    this.move.push(move);
    this.units.push(units);
    return this.auth.length - 1;
  }

  add(r: KeyRecord): void {
    if (r.outcome === 'fail') return;
    this.operations++;
    if (r.outcome === 'ok' && r.op !== 'reserve') this.decreasing++;
    const units = Number.isFinite(r.units) && r.units > 0 ? r.units : NaN;
    switch (r.op) {
      case 'reserve':
        if (r.ref && !Number.isNaN(units)) this.reservedUnits.set(r.ref, units);
        this.push(r.auth, r.invokedAt, Move.ReserveSent, units);
        if (r.outcome === 'ok') this.push(r.auth, r.ackedAt, Move.ReserveAcked, units);
        break;
      case 'release': {
        const sent = this.push(r.auth, r.invokedAt, Move.ReleaseSent, units);
        const acked = r.outcome === 'ok' ? this.push(r.auth, r.ackedAt, Move.LowerAcked, units) : -1;
        if (Number.isNaN(units) && r.ref) for (const e of [sent, acked]) if (e >= 0) this.pending.push({ event: e, ref: r.ref });
        break;
      }
      case 'consume':
        if (r.outcome === 'ok') {
          const e = this.push(r.auth, r.ackedAt, Move.LowerAcked, units);
          if (Number.isNaN(units) && r.ref && e >= 0) this.pending.push({ event: e, ref: r.ref });
        }
        break;
      case 'take_out':
        if (r.outcome === 'ok') this.push(r.auth, r.ackedAt, Move.TakeOutAcked, units);
        break;
      default: {
        // A new write kind (WRITE_EFFECTS) must say here when it holds and frees units.
        // (Checked when compiling; at run time a kind the history does not know moves nothing.)
        const unhandled: never = r.op;
        void unhandled;
      }
    }
  }

  finish(): Verdict<ReplayError> & { counts: Record<string, number> } {
    for (const p of this.pending) this.units[p.event] = this.reservedUnits.get(p.ref) ?? NaN;
    const n = this.auth.length;
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => this.auth[a]! - this.auth[b]! || this.time[a]! - this.time[b]! || this.move[a]! - this.move[b]!,
    );
    const found = new Map<string, { count: number; first: ReplayError; worst: ReplayError }>();
    const report = (type: string, e: ReplayError): void => {
      const f = found.get(type);
      // Once per resource and type (`seen`): the count is of resources.
      if (!f) found.set(type, { count: 1, first: e, worst: e });
      else {
        f.count++;
        if (e.severity > f.worst.severity) f.worst = e;
      }
    };
    let unbounded = 0;
    let resources = 0;
    let moments = 0;
    for (let i = 0; i < n;) {
      const id = this.auth[order[i]!]!;
      let end = i;
      while (end < n && this.auth[order[end]!] === id) end++;
      const name = this.auths.at(id);
      const s = this.start.get(name);
      resources++;
      // Without the state before the load, or with a release whose size is unknown, the bounds say nothing.
      if (!s || order.slice(i, end).some((k) => Number.isNaN(this.units[k]!))) {
        unbounded++;
        i = end;
        continue;
      }
      let heldLow = s.reserved + s.consumed;
      let room = s.capacity;
      let reservedHigh = s.reserved;
      const seen = new Set<string>();
      for (let k = i; k < end; k++) {
        const e = order[k]!;
        const u = this.units[e]!;
        switch (this.move[e]) {
          case Move.ReleaseSent:
            heldLow -= u;
            break;
          case Move.ReserveSent:
            reservedHigh += u;
            break;
          case Move.ReserveAcked:
            heldLow += u;
            break;
          case Move.LowerAcked:
            reservedHigh -= u;
            break;
          case Move.TakeOutAcked:
            room -= u;
            break;
        }
        moments++;
        const at = { auth: name, at: new Date(this.time[e]!).toISOString(), row: k - i + 1, capacity: room, reserved: reservedHigh, consumed: s.consumed };
        if (heldLow > room && !seen.has('overbooked')) {
          report('overbooked', {
            ...at,
            excess: heldLow - room,
            detail: `at least ${heldLow} units held against a capacity of at most ${room}: ${heldLow - room} more than fit, by the clients' acknowledgements alone`,
            severity: heldLow - room,
          });
          seen.add('overbooked');
        }
        if (reservedHigh < 0 && !seen.has('negative_reserved')) {
          report('negative_reserved', {
            ...at,
            excess: -reservedHigh,
            detail: `at most ${reservedHigh} units reserved: more released or consumed than was ever reserved, by the clients' acknowledgements alone`,
            severity: -reservedHigh,
          });
          seen.add('negative_reserved');
        }
      }
      i = end;
    }
    const errors: Record<string, { count: number; first: ReplayError; worst: ReplayError }> = {};
    for (const [type, f] of found) errors[type] = f;
    return {
      checker: 'realtime',
      valid: found.size === 0,
      errors,
      counts: { operations: this.operations, decreasing: this.decreasing, events: n, moments, authorizations: resources, unbounded, rows: this.operations },
    };
  }
}

/** Pure: the real-time check of folded records (tests, small histories). */
export function checkRealTime(records: Iterable<KeyRecord>, start: ReadonlyMap<string, RealTimeStart>): ReturnType<RealTimeFolder['finish']> {
  const f = new RealTimeFolder(start);
  for (const r of records) f.add(r);
  return f.finish();
}
