/**
 * Reading the operation history the plugin wrote (one NDJSON file per Artillery worker) and
 * folding it into one record per idempotency key. Merging is exact: every line stands alone.
 * Files are streamed line by line, so memory grows with the number of keys, not of lines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HistoryEvent, HistoryLine } from 'artillery-plugin-isolation';
import { KeyStore, type KeyStoreSnapshot } from './key-store';
import { eachLine, lineStart } from './lines';
import { hasWorker, runWorker } from './threads';

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
  /** The id tying the request to its ledger row: what the API returned for a reservation, or the reservation a release named. */
  readonly ref?: string | null;
  /**
   * Why the answers to this key cannot all be true, or null: the server both refused and
   * acknowledged it (a phantom commit replayed on a retry), or acknowledged it as different requests.
   */
  readonly contradiction: string | null;
  /** A replay whose meaningful answer (status, reason, id, units) differs from the first answer's, or null. */
  readonly replayDiffers?: string | null;
  /** Epoch ms of the first send: the operation took effect after it, if at all. */
  readonly invokedAt?: number | null;
  /** Epoch ms of the first acknowledgement: the operation had taken effect by then. */
  readonly ackedAt?: number | null;
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

/** A HistoryFolder as data that crosses a thread. */
export interface FolderSnapshot {
  readonly events: number;
  readonly completions: number;
  readonly probes: number;
  readonly first: number;
  readonly last: number;
  readonly store: KeyStoreSnapshot;
}

/** Folds lines into one record per key, one line at a time (so a reader can stream). */
export class HistoryFolder {
  private readonly store = new KeyStore();
  events = 0;
  completions = 0;
  /** Keys reused for another request on purpose (`probe` lines): judged by the plugin's counters, not folded here. */
  probes = 0;
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
    if (e.probe) {
      this.probes++;
      return;
    }
    if (e.type === 'invoke') this.first = Math.min(this.first, e.time);
    else {
      this.completions++;
      this.last = Math.max(this.last, e.time);
    }
    if (this.forward) this.forward(e, line);
    else this.store.add(e);
  }

  /** The counts and the records another folder made of the next part of the history (another thread's). */
  absorb(o: FolderSnapshot): void {
    this.events += o.events;
    this.completions += o.completions;
    this.probes += o.probes;
    this.first = Math.min(this.first, o.first);
    this.last = Math.max(this.last, o.last);
    this.store.absorb(o.store);
  }

  /** This folder as data for another thread. */
  snapshot(): FolderSnapshot {
    return { events: this.events, completions: this.completions, probes: this.probes, first: this.first, last: this.last, store: this.store.snapshot() };
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

/** A byte range of a history file that starts and ends on line boundaries (a whole file, or a part read by another thread). */
export interface Segment {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** What reading a segment found, for its file's completeness: lines (close lines aside), unreadable ones, the last close line. */
export interface SegmentScan {
  readonly file: string;
  readonly lines: number;
  readonly bad: number;
  /** The last close line: how many lines came before it in this segment, and how many it counts. */
  readonly close: { readonly before: number; readonly expected: number } | null;
}

type Sink = { add(e: HistoryEvent, line: string): void };

/** Streams one segment into the folder. */
export async function scanSegment(seg: Segment, folder: Sink): Promise<SegmentScan> {
  let lines = 0;
  let bad = 0;
  let close: SegmentScan['close'] = null;
  await eachLine(
    seg.file,
    (line) => {
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
        close = { before: lines, expected: parsed.lines };
        return;
      }
      lines++;
      folder.add(parsed, line);
    },
    { start: seg.start, end: seg.end },
  );
  return { file: seg.file, lines, bad, close };
}

/**
 * Pure: per file, from its segments' scans in file order, the unreadable lines and whether it is
 * complete: its last close line counts every line before it.
 */
export function judgeScans(files: readonly string[], scans: readonly SegmentScan[]): { badLines: number; truncated: string[] } {
  let badLines = 0;
  const truncated: string[] = [];
  for (const f of files) {
    let before = 0;
    let complete = false;
    for (const s of scans.filter((x) => x.file === f)) {
      if (s.close) complete = before + s.close.before === s.close.expected;
      before += s.lines;
      badLines += s.bad;
    }
    if (!complete) truncated.push(path.basename(f));
  }
  return { badLines, truncated };
}

/** The files as whole segments. */
export function wholeFiles(files: readonly string[]): Segment[] {
  return files.map((file) => ({ file, start: 0, end: fs.statSync(file).size }));
}

/** Whole files (wholeFiles) cut in two at the line nearest the middle byte: the first and the second half, in file order. */
export async function halves(whole: readonly Segment[]): Promise<[Segment[], Segment[]]> {
  let middle = whole.reduce((n, s) => n + s.end, 0) / 2;
  const first: Segment[] = [];
  const second: Segment[] = [];
  for (const seg of whole) {
    if (middle <= 0) second.push(seg);
    else if (middle >= seg.end) first.push(seg);
    else {
      const cut = await lineStart(seg.file, Math.round(middle));
      if (cut > 0) first.push({ ...seg, end: cut });
      if (cut < seg.end) second.push({ ...seg, start: cut });
    }
    middle -= seg.end;
  }
  return [first, second];
}

/** The history files of a folder (none when it does not exist). */
export function historyFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => HISTORY_FILE.test(f))
    .map((f) => path.join(dir, f));
}

/** Below this much history, a second thread costs more than it saves. */
export const TWO_THREADS_BYTES = 32 * 1024 * 1024;

/**
 * Below this many cores, a second thread costs more than it saves: while the history is read,
 * PostgreSQL's three queries and the ledger replay's thread keep a second core busy, so a second
 * fold thread only adds the merge and its memory (measured with two cores: 7.66 s against 7.75 s
 * for verify at a million rows, 0.6 s less CPU and 100 MB less memory in one thread).
 */
export const TWO_THREADS_CORES = 4;

/**
 * scanHistory on two cores: this thread folds the first half of the history (by bytes, cut at a
 * line), a worker thread the second, whose folder is then absorbed as if read after. The same
 * result as scanHistory; in one thread for small histories, on a machine with few cores, or where
 * there is no compiled worker.
 */
export async function foldInTwo(
  files: readonly string[],
  folder: HistoryFolder,
  opts: { minBytes?: number; cores?: number } = {},
): Promise<{ badLines: number; truncated: string[]; threads: 1 | 2 }> {
  const script = path.join(__dirname, 'fold-worker.js');
  const whole = wholeFiles(files);
  const bytes = whole.reduce((n, s) => n + s.end, 0);
  const cores = opts.cores ?? os.availableParallelism();
  if (bytes < (opts.minBytes ?? TWO_THREADS_BYTES) || cores < TWO_THREADS_CORES || !hasWorker(script))
    return { ...(await scanHistory(files, folder, whole)), threads: 1 };
  const [mine, theirs] = await halves(whole);
  const worker = runWorker<{ folder: FolderSnapshot; scans: SegmentScan[] }>(script, { segments: theirs });
  const scans: SegmentScan[] = [];
  try {
    for (const seg of mine) scans.push(await scanSegment(seg, folder));
  } catch (err) {
    worker.answer.catch(() => undefined); // its answer is no longer wanted: the worker is stopped
    worker.stop();
    throw err;
  }
  const other = await worker.answer;
  folder.absorb(other.folder);
  return { ...judgeScans(files, [...scans, ...other.scans]), threads: 2 };
}

/** Streams every file into the folder, line by line: unparseable lines and files cut short are counted. */
export async function scanHistory(files: readonly string[], folder: Sink, whole = wholeFiles(files)): Promise<{ badLines: number; truncated: string[] }> {
  const scans: SegmentScan[] = [];
  for (const seg of whole) scans.push(await scanSegment(seg, folder));
  return judgeScans(files, scans);
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
