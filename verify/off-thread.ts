/**
 * The ledger replay on a second core. The verifier's reads are Node-bound (parsing rows and
 * history lines), not database-bound: the replay in a worker thread runs beside the
 * reconciliation instead of taking turns with it on the main thread (B5, `npm run bench`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PackError, type ErrorCode } from '../lib/errors';
import { replayLedger } from './reconciliation';

type ErrorData = { name: string; message: string; packCode?: ErrorCode; hint?: string; props: Record<string, string | number> };

/** An error as data that crosses a thread: its message, and a PackError's code and hint, or the system error's fields. */
export function errorData(err: unknown): ErrorData {
  const e = err instanceof Error ? err : new Error(String(err));
  const props: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'string' || typeof v === 'number') props[k] = v;
  return e instanceof PackError ? { name: e.name, message: e.message, packCode: e.code, hint: e.hint, props } : { name: e.name, message: e.message, props };
}

/** The error again, on this side. */
export function errorFrom(d: ErrorData): Error {
  if (d.packCode) return new PackError(d.packCode, d.message, d.hint === undefined ? undefined : { hint: d.hint });
  return Object.assign(new Error(d.message), d.props, { name: d.name });
}

type Replay = Awaited<ReturnType<typeof replayLedger>>;

/** replayLedger in a worker thread; in this thread when there is no compiled worker (under ts-jest). */
export function replayLedgerOffThread(databaseUrl: string, sqlDir: string): Promise<Replay> {
  const script = path.join(__dirname, 'replay-worker.js');
  if (!fs.existsSync(script)) return replayLedger(databaseUrl, sqlDir);
  return new Promise<Replay>((resolve, reject) => {
    const worker = new Worker(script, { workerData: { databaseUrl, sqlDir } });
    let settled = false;
    worker.once('message', (m: { verdict?: Replay; error?: ErrorData }) => {
      settled = true;
      if (m.error) reject(errorFrom(m.error));
      else resolve(m.verdict ?? null);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the ledger replay's worker thread exited with ${code} before answering`));
    });
  });
}
