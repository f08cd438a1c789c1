/** The ledger replay in a worker thread, beside the reconciliation (verify/threads.ts). */
import * as path from 'node:path';
import { replayLedger } from './reconciliation';
import { hasWorker, runWorker } from './threads';

type Replay = Awaited<ReturnType<typeof replayLedger>>;

/** replayLedger in a worker thread; in this thread when there is no compiled worker (under ts-jest). */
export function replayLedgerOffThread(databaseUrl: string, sqlDir: string): Promise<Replay> {
  const script = path.join(__dirname, 'replay-worker.js');
  if (!hasWorker(script)) return replayLedger(databaseUrl, sqlDir);
  return runWorker<Replay>(script, { databaseUrl, sqlDir }).answer;
}
