/** The worker side of replayLedgerOffThread (verify/off-thread.ts): replays the ledger with its own connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { replayLedger } from './reconciliation';
import { errorData, type WorkerAnswer } from './threads';

const { databaseUrl, sqlDir } = workerData as { databaseUrl: string; sqlDir: string };
replayLedger(databaseUrl, sqlDir).then(
  (result) => parentPort!.postMessage({ result } satisfies WorkerAnswer<typeof result>),
  (err: unknown) => parentPort!.postMessage({ error: errorData(err) } satisfies WorkerAnswer<never>),
);
