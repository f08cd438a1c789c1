/** The ledger replay in a worker thread, beside the reconciliation (verify/threads.ts). */
import * as path from 'node:path';
import type { ReplayStart } from './checkers';
import { replayLedger } from './reconciliation';
import type { VerifySql } from './sql-source';
import { hasWorker, runWorker } from './threads';

type Replay = Awaited<ReturnType<typeof replayLedger>>;

/** What crosses to the worker: the start's maps as pairs. */
export interface ReplayJob {
  readonly databaseUrl: string;
  readonly sql: VerifySql;
  readonly start: { readonly balances: [string, { reserved: number; consumed: number }][]; readonly rows: [string, number][] } | null;
}

export function startOf(job: ReplayJob): ReplayStart | null {
  return job.start ? { balances: new Map(job.start.balances), rows: new Map(job.start.rows) } : null;
}

/** replayLedger in a worker thread; in this thread when there is no compiled worker (under ts-jest). */
export function replayLedgerOffThread(databaseUrl: string, sql: VerifySql, start: ReplayStart | null): Promise<Replay> {
  const script = path.join(__dirname, 'replay-worker.js');
  if (!hasWorker(script)) return replayLedger(databaseUrl, sql, start);
  const job: ReplayJob = { databaseUrl, sql, start: start ? { balances: [...start.balances], rows: [...start.rows] } : null };
  return runWorker<Replay>(script, job).answer;
}
