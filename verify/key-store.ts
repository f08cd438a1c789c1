/**
 * The folded history in columns: one slot per idempotency key, its fields in typed arrays, the
 * authorization and operation names interned. About 60 bytes a key plus the key itself, against
 * several hundred for a record object per key, so a partition holds millions of keys in a few
 * hundred MB (verify/partition.ts sizes partitions from that) and the garbage collector has
 * almost nothing to trace. Records are materialized one at a time, on demand.
 */
import type { HistoryEvent } from 'artillery-plugin-isolation';
import type { KeyOutcome, KeyRecord } from './history';
import { StringTable } from './string-table';

/** What the reconciliation reads of a folded history: a Map of records or a KeyStore. */
export interface KeyRecords {
  readonly size: number;
  /** The key's slot (0 … size−1), or −1 when the history has no such key. */
  indexOf(key: string): number;
  /** The record of a slot. */
  at(slot: number): KeyRecord;
  /** Whether the slot's request was this authorization, operation and number of units. */
  sameRequest(slot: number, auth: string, op: string, units: number): boolean;
  /** The slot whose operation and id (`reserve:<id>`, what the API returned or a release named) is this, or −1. */
  indexOfRef(opRef: string): number;
}

/** KeyRecords as they are, or a Map of records (tests, small histories) seen as KeyRecords. */
export function recordsOf(history: KeyRecords | ReadonlyMap<string, KeyRecord>): KeyRecords {
  if (!(history instanceof Map)) return history as KeyRecords;
  const list = [...history.values()] as KeyRecord[];
  const index = new Map(list.map((r, i) => [r.key, i]));
  const refs = new Map<string, number>(list.flatMap((r, i): [string, number][] => (r.ref ? [[`${r.op}:${r.ref}`, i]] : [])));
  return {
    size: list.length,
    indexOf: (key) => index.get(key) ?? -1,
    at: (slot) => list[slot]!,
    sameRequest: (slot, auth, op, units) => list[slot]!.auth === auth && list[slot]!.op === op && list[slot]!.units === units,
    indexOfRef: (opRef) => refs.get(opRef) ?? -1,
  };
}

const NO_STATUS = -1;
const NONE = -1;

/** The columns, one entry per slot. */
const COLUMNS = {
  auth: Int32Array,
  op: Int32Array,
  units: Float64Array,
  invokes: Uint32Array,
  ok: Uint32Array,
  fail: Uint32Array,
  refused: Uint32Array,
  info: Uint32Array,
  /** The first answer's status (NO_STATUS when it had none); every status once a key has two answers is in `statuses`. */
  status: Int32Array,
  /** The first acknowledged request (authorization, operation, units); the others, rare, as text in `otherSignatures`. */
  okAuth: Int32Array,
  okOp: Int32Array,
  okUnits: Float64Array,
  /** The id tying the request to its ledger row (in `refs`), or NONE. */
  ref: Int32Array,
  /** The first definite answer's digest (history.ts answerDigest), and whether there is one (0 or 1). */
  digest: Uint32Array,
  hasDigest: Uint32Array,
  /** Epoch ms of the first send (0: none): the operation cannot have taken effect before it. */
  invokedAt: Float64Array,
  /** Epoch ms of the first acknowledgement (0: none): the operation had surely taken effect by then. */
  ackedAt: Float64Array,
} as const;
type ColumnName = keyof typeof COLUMNS;
type Columns = { [K in ColumnName]: InstanceType<(typeof COLUMNS)[K]> };

function allocate(capacity: number, from?: Columns): Columns {
  const out = {} as Record<ColumnName, Int32Array | Uint32Array | Float64Array>;
  for (const name of Object.keys(COLUMNS) as ColumnName[]) {
    out[name] = new COLUMNS[name](capacity);
    if (from) out[name].set(from[name]);
  }
  return out as Columns;
}

/** A KeyStore as data that crosses a thread (its columns' buffers are transferred, not copied). */
export interface KeyStoreSnapshot {
  readonly keys: readonly string[];
  readonly names: readonly string[];
  readonly columns: Columns;
  readonly statuses: [number, (number | null)[]][];
  readonly otherSignatures: [number, string[]][];
  readonly refs: readonly string[];
  readonly otherDigests: [number, string[]][];
  readonly probes: number;
}

/** `units` as the signature shows it: a number, or null (NaN in the columns). */
const unitsCell = (u: number | null | undefined): number => (typeof u === 'number' ? u : Number.NaN);
const sameUnits = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

export class KeyStore implements KeyRecords {
  /** The idempotency keys: a key's id is its slot. */
  private readonly keys = new StringTable(1024);
  /** Strings seen many times (authorizations, operations), each kept once. */
  private readonly names = new StringTable();
  private capacity = 1024;
  private c: Columns = allocate(this.capacity);
  private readonly statuses = new Map<number, (number | null)[]>();
  private readonly otherSignatures = new Map<number, string[]>();
  /** The ids the API returned or a request named. */
  private readonly refs = new StringTable();
  /** Definite answers to a key whose digest differs from the first's: "status digest", by slot. */
  private readonly otherDigests = new Map<number, string[]>();
  /** `op:ref` → slot, built on first use (after every event is in). */
  private refIndex: { table: StringTable; slots: Int32Array } | null = null;
  /** Lines of keys reused for another request on purpose (judged apart: not a send of the key's request). */
  probes = 0;

  get size(): number {
    return this.keys.size;
  }

  /** A new slot's columns: room for it. */
  private fit(slot: number): void {
    if (slot < this.capacity) return;
    this.capacity *= 2;
    this.c = allocate(this.capacity, this.c);
  }

  private slotFor(e: HistoryEvent): number {
    const known = this.keys.size;
    const slot = this.keys.add(e.key);
    if (slot < known) return slot;
    this.fit(slot);
    this.c.auth[slot] = this.names.add(e.auth);
    // Operations are a handful: the previous key's is nearly always the same (a string compare).
    this.c.op[slot] = slot > 0 ? this.nameId(this.c.op[slot - 1]!, e.op) : this.names.add(e.op);
    this.c.units[slot] = e.units ?? 0;
    this.c.okAuth[slot] = NONE;
    this.c.ref[slot] = NONE;
    return slot;
  }

  /** One invoke or answer of a key (the record takes its request from the key's first event). */
  add(e: HistoryEvent): void {
    if (e.probe) {
      this.probes++;
      return;
    }
    const s = this.slotFor(e);
    if (e.ref && this.c.ref[s] === NONE) {
      this.c.ref[s] = this.refs.add(e.ref);
      this.refIndex = null;
    }
    if (e.type === 'invoke') {
      this.c.invokes[s]!++;
      if (this.c.invokedAt[s] === 0 || e.time < this.c.invokedAt[s]!) this.c.invokedAt[s] = e.time;
      return;
    }
    if (e.digest && typeof e.status === 'number' && e.type !== 'info') this.addDigest(s, e.status, parseInt(e.digest, 16) >>> 0);
    const answers = this.c.ok[s]! + this.c.fail[s]! + this.c.info[s]!;
    const status = typeof e.status === 'number' ? e.status : null;
    if (answers === 0) this.c.status[s] = status ?? NO_STATUS;
    else {
      const list = this.statuses.get(s);
      if (list) list.push(status);
      else this.statuses.set(s, [this.statusOf(s), status]);
    }
    if (e.type === 'ok') {
      this.c.ok[s]!++;
      if (this.c.ackedAt[s] === 0 || e.time < this.c.ackedAt[s]!) this.c.ackedAt[s] = e.time;
      this.addSignature(s, e);
    } else if (e.type === 'fail') {
      this.c.fail[s]!++;
      // A refusal the server gave (a status), not a request that never left the client.
      if (status !== null) this.c.refused[s]!++;
    } else this.c.info[s]!++;
  }

  /** A definite answer's digest: the first is kept, any later one that differs is a replay unlike the first answer. */
  private addDigest(s: number, status: number, digest: number): void {
    if (!this.c.hasDigest[s]) {
      this.c.hasDigest[s] = 1;
      this.c.digest[s] = digest;
      return;
    }
    if (this.c.digest[s] === digest) return;
    const text = `${status} ${digest.toString(16).padStart(8, '0')}`;
    const list = this.otherDigests.get(s) ?? [];
    if (!list.includes(text)) list.push(text);
    this.otherDigests.set(s, list);
  }

  indexOfRef(opRef: string): number {
    if (!this.refIndex) {
      const table = new StringTable(this.refs.size);
      const slots: number[] = [];
      for (let s = 0; s < this.keys.size; s++) {
        if (this.c.ref[s] === NONE) continue;
        const id = table.add(`${this.names.at(this.c.op[s]!)}:${this.refs.at(this.c.ref[s]!)}`);
        if (id === slots.length) slots.push(s);
      }
      this.refIndex = { table, slots: Int32Array.from(slots) };
    }
    const id = this.refIndex.table.get(opRef);
    return id < 0 ? -1 : this.refIndex.slots[id]!;
  }

  private statusOf(s: number): number | null {
    return this.c.status[s] === NO_STATUS ? null : this.c.status[s]!;
  }

  private signature(auth: number, op: number, units: number): string {
    return `${this.names.at(auth)} ${this.names.at(op)} ${Number.isNaN(units) ? '?' : units}`;
  }

  /** The id of a name, compared first with the one the slot already holds (a string compare, no hashing). */
  private nameId(held: number, name: string): number {
    return this.names.at(held) === name ? held : this.names.add(name);
  }

  private addSignature(s: number, e: HistoryEvent): void {
    const auth = this.nameId(this.c.auth[s]!, e.auth);
    const op = this.nameId(this.c.op[s]!, e.op);
    const units = unitsCell(e.units);
    if (this.c.okAuth[s] === NONE) {
      this.c.okAuth[s] = auth;
      this.c.okOp[s] = op;
      this.c.okUnits[s] = units;
      return;
    }
    if (this.c.okAuth[s] === auth && this.c.okOp[s] === op && sameUnits(this.c.okUnits[s]!, units)) return;
    this.addOther(s, this.signature(auth, op, units));
  }

  indexOf(key: string): number {
    return this.keys.get(key);
  }

  sameRequest(slot: number, auth: string, op: string, units: number): boolean {
    return this.c.units[slot] === units && this.names.at(this.c.op[slot]!) === op && this.names.at(this.c.auth[slot]!) === auth;
  }

  at(s: number): KeyRecord {
    const ok = this.c.ok[s]!;
    const answers = ok + this.c.fail[s]! + this.c.info[s]!;
    const unanswered = Math.max(0, this.c.invokes[s]! - answers);
    const outcome: KeyOutcome = ok > 0 ? 'ok' : this.c.info[s]! + unanswered > 0 ? 'info' : 'fail';
    const statuses = this.statuses.get(s) ?? (answers > 0 ? [this.statusOf(s)] : []);
    const others = this.otherSignatures.get(s);
    const contradiction =
      ok > 0 && this.c.refused[s]! > 0
        ? `acknowledged and refused (${statuses.join(', ')})`
        : others
          ? `acknowledged as ${others.length + 1} different requests (${[this.signature(this.c.okAuth[s]!, this.c.okOp[s]!, this.c.okUnits[s]!), ...others].join('; ')})`
          : null;
    const others2 = this.otherDigests.get(s);
    return {
      key: this.keys.at(s),
      auth: this.names.at(this.c.auth[s]!),
      op: this.names.at(this.c.op[s]!) as HistoryEvent['op'],
      units: this.c.units[s]!,
      ref: this.c.ref[s] === NONE ? null : this.refs.at(this.c.ref[s]!),
      outcome,
      sends: Math.max(this.c.invokes[s]!, answers),
      statuses,
      contradiction,
      invokedAt: this.c.invokedAt[s] || null,
      ackedAt: this.c.ackedAt[s] || null,
      replayDiffers: others2
        ? `a replay answered otherwise than the first answer (${this.c.digest[s]!.toString(16).padStart(8, '0')}, then ${others2.join(', ')}: status, reason, id or units differ)`
        : null,
    };
  }

  /** This store as data for another thread: the columns cut to the keys held (transfer their buffers). */
  snapshot(): KeyStoreSnapshot {
    const columns = {} as Record<ColumnName, Int32Array | Uint32Array | Float64Array>;
    for (const name of Object.keys(COLUMNS) as ColumnName[]) columns[name] = this.c[name].slice(0, this.keys.size);
    return {
      keys: this.keys.strings,
      names: this.names.strings,
      columns: columns as Columns,
      statuses: [...this.statuses],
      otherSignatures: [...this.otherSignatures],
      refs: this.refs.strings,
      otherDigests: [...this.otherDigests],
      probes: this.probes,
    };
  }

  /**
   * Folds in another store's keys, as if its events had come after this one's (the next part of
   * the history, read by another thread): counts add up, statuses and acknowledged requests keep
   * their order, and a key new here takes its request from the other store.
   */
  absorb(o: KeyStoreSnapshot): void {
    const statuses = new Map(o.statuses);
    const others = new Map(o.otherSignatures);
    const otherDigests = new Map(o.otherDigests);
    const refIds = o.refs.map((r) => this.refs.add(r));
    this.probes += o.probes;
    this.refIndex = null;
    // The other store's names as this one's ids, each looked up once.
    const ids = o.names.map((n) => this.names.add(n));
    const name = (id: number): number => (id === NONE ? NONE : ids[id]!);
    const oc = o.columns;
    for (let j = 0; j < o.keys.length; j++) {
      const known = this.keys.size;
      const s = this.keys.add(o.keys[j]!);
      const oAnswers = oc.ok[j]! + oc.fail[j]! + oc.info[j]!;
      if (s >= known) {
        this.fit(s);
        this.c.auth[s] = name(oc.auth[j]!);
        this.c.op[s] = name(oc.op[j]!);
        this.c.units[s] = oc.units[j]!;
        this.c.status[s] = oc.status[j]!;
        this.c.okAuth[s] = NONE;
        this.c.ref[s] = NONE;
        if (statuses.has(j)) this.statuses.set(s, [...statuses.get(j)!]);
      } else if (oAnswers > 0) {
        const answers = this.c.ok[s]! + this.c.fail[s]! + this.c.info[s]!;
        if (answers === 0) {
          this.c.status[s] = oc.status[j]!;
          if (statuses.has(j)) this.statuses.set(s, [...statuses.get(j)!]);
        } else {
          const oStatuses = statuses.get(j) ?? [oc.status[j] === NO_STATUS ? null : oc.status[j]!];
          this.statuses.set(s, [...(this.statuses.get(s) ?? [this.statusOf(s)]), ...oStatuses]);
        }
      }
      this.c.invokes[s] += oc.invokes[j]!;
      this.c.ok[s] += oc.ok[j]!;
      this.c.fail[s] += oc.fail[j]!;
      this.c.refused[s] += oc.refused[j]!;
      this.c.info[s] += oc.info[j]!;
      for (const t of ['invokedAt', 'ackedAt'] as const) if (oc[t][j] !== 0 && (this.c[t][s] === 0 || oc[t][j]! < this.c[t][s]!)) this.c[t][s] = oc[t][j]!;
      if (this.c.ref[s] === NONE && oc.ref[j] !== NONE) this.c.ref[s] = refIds[oc.ref[j]!]!;
      if (oc.hasDigest[j]) {
        const status = oc.status[j] === NO_STATUS ? 0 : oc.status[j]!;
        this.addDigest(s, status, oc.digest[j]!);
      }
      for (const text of otherDigests.get(j) ?? []) {
        const [status, hex] = text.split(' ');
        this.addDigest(s, Number(status), parseInt(hex!, 16) >>> 0);
      }
      if (oc.okAuth[j] === NONE) continue;
      const auth = name(oc.okAuth[j]!);
      const op = name(oc.okOp[j]!);
      const units = oc.okUnits[j]!;
      if (this.c.okAuth[s] === NONE) {
        this.c.okAuth[s] = auth;
        this.c.okOp[s] = op;
        this.c.okUnits[s] = units;
      } else if (!(this.c.okAuth[s] === auth && this.c.okOp[s] === op && sameUnits(this.c.okUnits[s]!, units)))
        this.addOther(s, this.signature(auth, op, units));
      for (const text of others.get(j) ?? []) this.addOther(s, text);
    }
  }

  private addOther(s: number, text: string): void {
    if (text === this.signature(this.c.okAuth[s]!, this.c.okOp[s]!, this.c.okUnits[s]!)) return;
    const list = this.otherSignatures.get(s) ?? [];
    if (!list.includes(text)) list.push(text);
    this.otherSignatures.set(s, list);
  }

  /** Every record, in the order the keys were first seen. */
  *records(): IterableIterator<KeyRecord> {
    for (let s = 0; s < this.keys.size; s++) yield this.at(s);
  }
}
