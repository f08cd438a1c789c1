/**
 * The folded history in columns: one slot per idempotency key, its fields in typed arrays, the
 * authorization and operation names interned. About 60 bytes a key plus the key itself, against
 * several hundred for a record object per key, so a partition holds millions of keys in a few
 * hundred MB (verify/partition.ts sizes partitions from that) and the garbage collector has
 * almost nothing to trace. Records are materialized one at a time, on demand.
 */
import type { HistoryEvent } from 'artillery-plugin-isolation';
import type { KeyOutcome, KeyRecord } from './history';

/** What the reconciliation reads of a folded history: a Map of records or a KeyStore. */
export interface KeyRecords {
  readonly size: number;
  /** The key's slot (0 … size−1), or −1 when the history has no such key. */
  indexOf(key: string): number;
  /** The record of a slot. */
  at(slot: number): KeyRecord;
  /** Whether the slot's request was this authorization, operation and number of units. */
  sameRequest(slot: number, auth: string, op: string, units: number): boolean;
}

/** A Map of records (tests, small histories) seen as KeyRecords. */
export function recordsOf(map: ReadonlyMap<string, KeyRecord>): KeyRecords {
  const list = [...map.values()];
  const index = new Map(list.map((r, i) => [r.key, i]));
  return {
    size: list.length,
    indexOf: (key) => index.get(key) ?? -1,
    at: (slot) => list[slot]!,
    sameRequest: (slot, auth, op, units) => list[slot]!.auth === auth && list[slot]!.op === op && list[slot]!.units === units,
  };
}

const NO_STATUS = -1;
const NONE = -1;

/** Strings seen many times (authorizations, operations), each kept once. */
class Names {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(name, id);
      this.list.push(name);
    }
    return id;
  }
}

function grow<T extends Int32Array | Uint32Array | Float64Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}

/** `units` as the signature shows it: a number, or null (NaN in the columns). */
const unitsCell = (u: number | null | undefined): number => (typeof u === 'number' ? u : Number.NaN);
const sameUnits = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

export class KeyStore implements KeyRecords {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly names = new Names();
  private capacity = 1024;
  private auth = new Int32Array(this.capacity);
  private op = new Int32Array(this.capacity);
  private units = new Float64Array(this.capacity);
  private invokes = new Uint32Array(this.capacity);
  private ok = new Uint32Array(this.capacity);
  private fail = new Uint32Array(this.capacity);
  private refused = new Uint32Array(this.capacity);
  private info = new Uint32Array(this.capacity);
  /** The first answer's status (NO_STATUS when it had none); every status once a key has two answers. */
  private status = new Int32Array(this.capacity);
  private readonly statuses = new Map<number, (number | null)[]>();
  /** The first acknowledged request (authorization, operation, units); the others, rare, as text. */
  private okAuth = new Int32Array(this.capacity);
  private okOp = new Int32Array(this.capacity);
  private okUnits = new Float64Array(this.capacity);
  private readonly otherSignatures = new Map<number, string[]>();

  get size(): number {
    return this.keys.length;
  }

  private slotFor(e: HistoryEvent): number {
    const found = this.index.get(e.key);
    if (found !== undefined) return found;
    const slot = this.keys.length;
    if (slot === this.capacity) {
      this.capacity *= 2;
      this.auth = grow(this.auth, this.capacity);
      this.op = grow(this.op, this.capacity);
      this.units = grow(this.units, this.capacity);
      this.invokes = grow(this.invokes, this.capacity);
      this.ok = grow(this.ok, this.capacity);
      this.fail = grow(this.fail, this.capacity);
      this.refused = grow(this.refused, this.capacity);
      this.info = grow(this.info, this.capacity);
      this.status = grow(this.status, this.capacity);
      this.okAuth = grow(this.okAuth, this.capacity);
      this.okOp = grow(this.okOp, this.capacity);
      this.okUnits = grow(this.okUnits, this.capacity);
    }
    this.index.set(e.key, slot);
    this.keys.push(e.key);
    this.auth[slot] = this.names.id(e.auth);
    // Operations are a handful: the previous key's is nearly always the same (a string compare).
    this.op[slot] = slot > 0 ? this.nameId(this.op[slot - 1]!, e.op) : this.names.id(e.op);
    this.units[slot] = e.units ?? 0;
    this.okAuth[slot] = NONE;
    return slot;
  }

  /** One invoke or answer of a key (the record takes its request from the key's first event). */
  add(e: HistoryEvent): void {
    const s = this.slotFor(e);
    if (e.type === 'invoke') {
      this.invokes[s]!++;
      return;
    }
    const answers = this.ok[s]! + this.fail[s]! + this.info[s]!;
    const status = typeof e.status === 'number' ? e.status : null;
    if (answers === 0) this.status[s] = status ?? NO_STATUS;
    else {
      const list = this.statuses.get(s);
      if (list) list.push(status);
      else this.statuses.set(s, [this.statusOf(s), status]);
    }
    if (e.type === 'ok') {
      this.ok[s]!++;
      this.addSignature(s, e);
    } else if (e.type === 'fail') {
      this.fail[s]!++;
      // A refusal the server gave (a status), not a request that never left the client.
      if (status !== null) this.refused[s]!++;
    } else this.info[s]!++;
  }

  private statusOf(s: number): number | null {
    return this.status[s] === NO_STATUS ? null : this.status[s]!;
  }

  private signature(auth: number, op: number, units: number): string {
    return `${this.names.list[auth]} ${this.names.list[op]} ${Number.isNaN(units) ? '?' : units}`;
  }

  /** The id of a name, compared first with the one the slot already holds (a string compare, no hashing). */
  private nameId(held: number, name: string): number {
    return this.names.list[held] === name ? held : this.names.id(name);
  }

  private addSignature(s: number, e: HistoryEvent): void {
    const auth = this.nameId(this.auth[s]!, e.auth);
    const op = this.nameId(this.op[s]!, e.op);
    const units = unitsCell(e.units);
    if (this.okAuth[s] === NONE) {
      this.okAuth[s] = auth;
      this.okOp[s] = op;
      this.okUnits[s] = units;
      return;
    }
    if (this.okAuth[s] === auth && this.okOp[s] === op && sameUnits(this.okUnits[s]!, units)) return;
    const text = this.signature(auth, op, units);
    const others = this.otherSignatures.get(s) ?? [];
    if (!others.includes(text)) others.push(text);
    this.otherSignatures.set(s, others);
  }

  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  sameRequest(slot: number, auth: string, op: string, units: number): boolean {
    return this.units[slot] === units && this.names.list[this.op[slot]!] === op && this.names.list[this.auth[slot]!] === auth;
  }

  at(s: number): KeyRecord {
    const ok = this.ok[s]!;
    const answers = ok + this.fail[s]! + this.info[s]!;
    const unanswered = Math.max(0, this.invokes[s]! - answers);
    const outcome: KeyOutcome = ok > 0 ? 'ok' : this.info[s]! + unanswered > 0 ? 'info' : 'fail';
    const statuses = this.statuses.get(s) ?? (answers > 0 ? [this.statusOf(s)] : []);
    const others = this.otherSignatures.get(s);
    const contradiction =
      ok > 0 && this.refused[s]! > 0
        ? `acknowledged and refused (${statuses.join(', ')})`
        : others
          ? `acknowledged as ${others.length + 1} different requests (${[this.signature(this.okAuth[s]!, this.okOp[s]!, this.okUnits[s]!), ...others].join('; ')})`
          : null;
    return {
      key: this.keys[s]!,
      auth: this.names.list[this.auth[s]!]!,
      op: this.names.list[this.op[s]!]! as HistoryEvent['op'],
      units: this.units[s]!,
      outcome,
      sends: Math.max(this.invokes[s]!, answers),
      statuses,
      contradiction,
    };
  }

  /** Every record, in the order the keys were first seen. */
  *records(): IterableIterator<KeyRecord> {
    for (let s = 0; s < this.keys.length; s++) yield this.at(s);
  }
}
