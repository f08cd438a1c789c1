/** The worker side of replayLedgerOffThread (verify/off-thread.ts): replays the ledger with its own connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { replayLedger } from './reconciliation';
import { ReplayJob, startOf } from './off-thread';
import { errorData, type WorkerAnswer } from './threads';

const job = workerData as ReplayJob;
replayLedger(job.databaseUrl, job.sql, startOf(job)).then(
  (result) => parentPort!.postMessage({ result } satisfies WorkerAnswer<typeof result>),
  (err: unknown) => parentPort!.postMessage({ error: errorData(err) } satisfies WorkerAnswer<never>),
);
