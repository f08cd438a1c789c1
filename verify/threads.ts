/**
 * Work on a second core. The verifier's reads are bound by this process's CPU (parsing history
 * lines and rows), not by the database: the ledger replay and half of the history run in worker
 * threads beside the main one (B5, `npm run bench`). Errors cross as data and are rebuilt.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PackError, type ErrorCode } from '../lib/errors';

export type ErrorData = { name: string; message: string; packCode?: ErrorCode; hint?: string; props: Record<string, string | number> };

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

/** What a worker script posts once: its result, or its error. */
export type WorkerAnswer<T> = { result: T; error?: undefined } | { error: ErrorData; result?: undefined };

/** Whether the compiled worker script is there (not under ts-jest, which runs the sources: then the caller works in its own thread). */
export const hasWorker = (script: string): boolean => fs.existsSync(script);

/** Runs a worker script with its data; `stop` ends it early (when the caller failed and no longer wants the answer). */
export function runWorker<T>(script: string, workerData: unknown): { answer: Promise<T>; stop: () => void } {
  const worker = new Worker(script, { workerData });
  const answer = new Promise<T>((resolve, reject) => {
    let settled = false;
    worker.once('message', (m: WorkerAnswer<T>) => {
      settled = true;
      if (m.error) reject(errorFrom(m.error));
      else resolve(m.result as T);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the worker thread ${script} exited with ${code} before answering`));
    });
  });
  return { answer, stop: () => void worker.terminate() };
}
