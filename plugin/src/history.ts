/**
 * The operation history: one NDJSON file per Artillery worker, in the run's history folder.
 * Every unit request is written as `invoke` before it is sent and as `ok`, `fail` or `info` when
 * it ends, like a Jepsen history. Files are appended synchronously, so a worker that dies leaves
 * a readable prefix, and merging is exact (each line is self-contained). When the worker stops
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
  readonly key: string;
  readonly op: Operation;
  readonly auth: string;
  readonly units: number | null;
  readonly status?: number | null;
  readonly reason?: string | null;
  readonly attempts?: number | null;
  readonly replayed?: boolean;
  readonly worker: string;
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
  readonly file: string;
  readonly worker: string;

  constructor(dir: string) {
    this.worker = `${process.pid}-${threadId}`;
    this.file = path.join(dir, `history-${this.worker}.ndjson`);
  }

  write(event: Omit<HistoryEvent, 'worker'>): void {
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = fs.openSync(this.file, 'a');
    }
    fs.writeSync(this.fd, `${JSON.stringify({ ...event, worker: this.worker })}\n`);
    this.lines++;
  }

  close(): void {
    if (this.fd !== null) {
      const last: HistoryClose = { type: 'close', time: Date.now(), worker: this.worker, lines: this.lines };
      fs.writeSync(this.fd, `${JSON.stringify(last)}\n`);
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
