/**
 * The worker side of replayLedgerOffThread (verify/off-thread.ts): replays the ledger with its own
 * connection and posts the verdict, or the error as plain data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replayLedger } from './reconciliation';
import { errorData } from './off-thread';

const { databaseUrl, sqlDir } = workerData as { databaseUrl: string; sqlDir: string };
replayLedger(databaseUrl, sqlDir).then(
  (verdict) => parentPort!.postMessage({ verdict }),
  (err: unknown) => parentPort!.postMessage({ error: errorData(err) }),
);
