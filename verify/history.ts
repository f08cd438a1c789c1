/**
 * Reading the operation history the plugin wrote (one NDJSON file per Artillery worker) and
 * folding it into one record per idempotency key. Merging is exact: every line stands alone.
 * Files are streamed line by line, so memory grows with the number of keys, not of lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HistoryEvent, HistoryLine } from 'artillery-plugin-isolation';
import { KeyStore } from './key-store';
import { eachLine } from './lines';

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
  /**
   * Why the answers to this key cannot all be true, or null: the server both refused and
   * acknowledged it (a phantom commit replayed on a retry), or acknowledged it as different requests.
   */
  readonly contradiction: string | null;
}

export interface History {
  readonly files: readonly string[];
  readonly events: number;
  readonly keys: ReadonlyMap<string, KeyRecord>;
  /** Lines that could not be parsed (a worker killed mid-write leaves at most one). */
  readonly badLines: number;
  /** Answers (ok, fail, info lines), every send counted. */
  readonly completions: number;
  /** Files that do not end with their close line, or whose close line counts other lines: cut short. */
  readonly truncated: readonly string[];
  /** First invoke and last answer (epoch ms), or null when there is none. */
  readonly span: { readonly first: number; readonly last: number } | null;
}

export const HISTORY_FILE = /^history-.*\.ndjson$/;

/** Folds lines into one record per key, one line at a time (so a reader can stream). */
export class HistoryFolder {
  private readonly store = new KeyStore();
  events = 0;
  completions = 0;
  first = Infinity;
  last = -Infinity;

  /**
   * With `forward`, the folder only counts (events, completions, first and last) and hands each
   * event on, keeping nothing per key: the reconciliation partitions a large history that way.
   */
  constructor(private readonly forward?: (e: HistoryEvent, line: string) => void) {}

  /** One event; `line` is its text as read (handed on as is, so a partition need not re-serialize it). */
  add(e: HistoryEvent, line = ''): void {
    this.events++;
    if (e.type === 'invoke') this.first = Math.min(this.first, e.time);
    else {
      this.completions++;
      this.last = Math.max(this.last, e.time);
    }
    if (this.forward) this.forward(e, line);
    else this.store.add(e);
  }

  /** The folded records, in columns (what the reconciliation reads). */
  records(): KeyStore {
    return this.store;
  }

  /** The folded records as a Map (small histories). */
  keys(): Map<string, KeyRecord> {
    return new Map([...this.store.records()].map((r) => [r.key, r]));
  }
}

/** Pure: folds events into one record per key (see HistoryFolder). */
export function foldHistory(events: readonly HistoryEvent[]): Map<string, KeyRecord> {
  const f = new HistoryFolder();
  for (const e of events) f.add(e);
  return f.keys();
}

/** Streams one file into the folder; returns its line counts and whether it ended with a matching close line. */
async function readFile(file: string, folder: { add(e: HistoryEvent, line: string): void }): Promise<{ bad: number; complete: boolean }> {
  let lines = 0;
  let bad = 0;
  let closedAt: number | null = null;
  await eachLine(file, (line) => {
    if (!line.trim()) return;
    let parsed: HistoryLine;
    try {
      parsed = JSON.parse(line) as HistoryLine;
    } catch {
      bad++;
      lines++;
      return;
    }
    if (parsed.type === 'close') {
      closedAt = parsed.lines === lines ? lines : -1;
      return;
    }
    lines++;
    folder.add(parsed, line);
  });
  return { bad, complete: closedAt !== null && closedAt >= 0 };
}

/** The history files of a folder (none when it does not exist). */
export function historyFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => HISTORY_FILE.test(f))
    .map((f) => path.join(dir, f));
}

/** Streams every file into the folder, line by line: unparseable lines and files cut short are counted. */
export async function scanHistory(
  files: readonly string[],
  folder: { add(e: HistoryEvent, line: string): void },
): Promise<{ badLines: number; truncated: string[] }> {
  let badLines = 0;
  const truncated: string[] = [];
  for (const f of files) {
    const r = await readFile(f, folder);
    badLines += r.bad;
    if (!r.complete) truncated.push(path.basename(f));
  }
  return { badLines, truncated };
}

/** The whole history of a folder folded in memory (small histories: the ladder, tests); null when there is none. */
export async function readHistoryDir(dir: string): Promise<History | null> {
  const files = historyFiles(dir);
  if (files.length === 0) return null;
  const folder = new HistoryFolder();
  const { badLines, truncated } = await scanHistory(files, folder);
  return {
    files,
    events: folder.events,
    keys: folder.keys(),
    badLines,
    completions: folder.completions,
    truncated,
    span: Number.isFinite(folder.first) && Number.isFinite(folder.last) ? { first: folder.first, last: folder.last } : null,
  };
}

/** Every invoke and outcome line of a run's history, in file order (for short runs: load-test:faults reads it whole). */
export function readHistoryEvents(dir: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const file of historyFiles(dir)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as HistoryEvent | { type: 'close' };
        if (e.type !== 'close') out.push(e);
      } catch {
        /* an unreadable line is counted by the reconciliation, not here */
      }
    }
  }
  return out;
}
