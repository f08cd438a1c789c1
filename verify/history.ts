/**
 * Reading the operation history the plugin wrote (one NDJSON file per Artillery worker) and
 * folding it into one record per idempotency key. Merging is exact: every line stands alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HistoryEvent } from 'artillery-plugin-isolation';

export type { HistoryEvent };

export type KeyOutcome = 'ok' | 'fail' | 'info';

/** What the clients were told about one key (all sends of it, retries included). */
export interface KeyRecord {
  readonly key: string;
  readonly auth: string;
  readonly op: HistoryEvent['op'];
  readonly units: number;
  /** ok if any send of the key was acknowledged; else fail if any was definitely refused; else info. */
  readonly outcome: KeyOutcome;
  readonly sends: number;
  readonly statuses: readonly (number | null)[];
}

export interface History {
  readonly files: readonly string[];
  readonly events: number;
  readonly keys: ReadonlyMap<string, KeyRecord>;
  /** Lines that could not be parsed (a worker killed mid-write leaves at most one). */
  readonly badLines: number;
}

export function readHistoryDir(dir: string): History | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs.readdirSync(dir).filter((f) => /^history-.*\.ndjson$/.test(f)).map((f) => path.join(dir, f));
  if (files.length === 0) return null;
  const events: HistoryEvent[] = [];
  let badLines = 0;
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        badLines++;
      }
    }
  }
  return { files, events: events.length, keys: foldHistory(events), badLines };
}

/**
 * Folds events into one record per key. A key sent twice (a client retry) is acknowledged if
 * either send was; an `invoke` with no completion is `info` (the worker stopped before an answer).
 */
export function foldHistory(events: readonly HistoryEvent[]): Map<string, KeyRecord> {
  const acc = new Map<string, { auth: string; op: HistoryEvent['op']; units: number; invokes: number; ok: number; fail: number; info: number; statuses: (number | null)[] }>();
  for (const e of events) {
    let r = acc.get(e.key);
    if (!r) {
      r = { auth: e.auth, op: e.op, units: e.units ?? 0, invokes: 0, ok: 0, fail: 0, info: 0, statuses: [] };
      acc.set(e.key, r);
    }
    if (e.type === 'invoke') r.invokes++;
    else {
      r[e.type]++;
      r.statuses.push(e.status ?? null);
    }
  }
  const out = new Map<string, KeyRecord>();
  for (const [key, r] of acc) {
    const completions = r.ok + r.fail + r.info;
    const unanswered = Math.max(0, r.invokes - completions);
    const outcome: KeyOutcome = r.ok > 0 ? 'ok' : r.info + unanswered > 0 ? 'info' : 'fail';
    out.set(key, { key, auth: r.auth, op: r.op, units: r.units, outcome, sends: Math.max(r.invokes, completions), statuses: r.statuses });
  }
  return out;
}
