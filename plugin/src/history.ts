/**
 * The operation history: one NDJSON file per Artillery worker, in the run's history folder.
 * Every unit request is written as `invoke` before it is sent and as `ok`, `fail` or `info` when
 * it ends, like a Jepsen history. Lines are buffered off the request's path and appended in
 * batches (every 200 ms or 256 lines, and at close), so a worker that dies loses at most the last
 * moment and leaves a readable prefix; merging is exact (each line is self-contained). When the worker stops
 * cleanly it writes a last `close` line with the number of lines before it: a file without one,
 * or with another count, was cut short, and the verdict is then `unknown`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Operation } from './metrics';
import type { Outcome } from './classify';

export interface HistoryEvent {
  readonly type: 'invoke' | Outcome;
  /** Epoch milliseconds. */
  readonly time: number;
  /** The request's idempotency key; where the API has no keys, the history's own request id (never sent). */
  readonly key: string;
  readonly op: Operation;
  /** The resource (authorization, event, item) the operation is on. */
  readonly auth: string;
  readonly units: number | null;
  /**
   * The id that ties the operation to its ledger row: on an acknowledged reservation, the id the API
   * returned; on a release or consume by id, the reservation it names (known at invoke).
   */
  readonly ref?: string | null;
  readonly status?: number | null;
  readonly reason?: string | null;
  readonly attempts?: number | null;
  readonly replayed?: boolean;
  /** A digest of the answer's meaningful part (answerDigest): a replay must repeat the first answer's. */
  readonly digest?: string;
  /** A key reused for another request on purpose: not a send of the key's request, judged apart. */
  readonly probe?: 'reuse';
  /** How the answer broke the contract (contract.ts VIOLATIONS), when it did. */
  readonly violation?: string;
  readonly worker: string;
}

/**
 * The digest of an answer's meaningful part: its status, its reason, the id the API gave the
 * operation and the units it says it acknowledged. A balance is left out on purpose: an API may
 * rebuild a replay from its ledger, and a balance that moved since is not a wrong replay. FNV-1a,
 * 32 bits, as 8 hex digits.
 */
export function answerDigest(status: number, reason: string | null, ref: string | null, units: number | null): string {
  const text = `${status}|${reason ?? ''}|${ref ?? ''}|${units ?? ''}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The last line of a complete history file. */
export interface HistoryClose {
  readonly type: 'close';
  readonly time: number;
  readonly worker: string;
  /** Lines written before this one. */
  readonly lines: number;
}

/** One line of a history file: the format the plugin writes and `verify/history.ts` reads. */
export type HistoryLine = HistoryEvent | HistoryClose;

export class HistoryWriter {
  private fd: number | null = null;
  private lines = 0;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Batches that could not be written (a full disk): the recorder reports them as plugin errors. */
  failures = 0;
  readonly file: string;
  readonly worker: string;

  constructor(
    dir: string,
    private readonly flushEveryMs = 200,
    private readonly maxBuffered = 256,
  ) {
    this.worker = `${process.pid}-${threadId}`;
    this.file = path.join(dir, `history-${this.worker}.ndjson`);
  }

  /** Buffers one line. The file is opened on the first write, so a history that cannot be written fails at once. */
  write(event: Omit<HistoryEvent, 'worker'>): void {
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = fs.openSync(this.file, 'a');
    }
    this.buffer.push(`${JSON.stringify({ ...event, worker: this.worker })}\n`);
    this.lines++;
    if (this.buffer.length >= this.maxBuffered) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.flushEveryMs);
      this.timer.unref();
    }
  }

  /** Appends what is buffered; never throws (it runs in a timer): a failure is counted. */
  flush(): void {
    if (this.fd === null || this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    try {
      fs.writeSync(this.fd, text);
    } catch {
      this.failures++;
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
    if (this.fd !== null) {
      const last: HistoryClose = { type: 'close', time: Date.now(), worker: this.worker, lines: this.lines };
      try {
        fs.writeSync(this.fd, `${JSON.stringify(last)}\n`);
      } finally {
        fs.closeSync(this.fd);
        this.fd = null;
      }
    }
  }
}

/** Whether a history file ends with its close line (reads only its tail). */
export function endsClosed(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 4096);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const last = buf.toString('utf8').trimEnd().split('\n').pop() ?? '';
    return (JSON.parse(last) as { type?: string }).type === 'close';
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Main thread, at shutdown: waits until every worker's history file in `dir` ends with its close
 * line, or until `timeoutMs`. Artillery 2.0.21 asks its workers to stop without waiting for them
 * before it exits, so a worker's last lines (and its close line) can be cut off by the main
 * thread's exit; this wait gives them the time. Returns the files still open at the end.
 */
export async function waitForClosedHistories(dir: string, timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let open: string[];
    try {
      open = fs
        .readdirSync(dir)
        .filter((f) => /^history-.*\.ndjson$/.test(f))
        .filter((f) => !endsClosed(path.join(dir, f)));
    } catch {
      return []; // no history folder: nothing was written
    }
    if (open.length === 0 || Date.now() >= until) return open;
    await new Promise((r) => setTimeout(r, 100));
  }
}
