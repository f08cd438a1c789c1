/** The worker side of foldInTwo (verify/history.ts): folds its segments of the history and posts the folder, its columns transferred. */
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryFolder, scanSegment, type FolderSnapshot, type Segment, type SegmentScan } from './history';
import { errorData, type WorkerAnswer } from './threads';

type Result = { folder: FolderSnapshot; scans: SegmentScan[] };

(async () => {
  const folder = new HistoryFolder();
  const scans: SegmentScan[] = [];
  for (const seg of (workerData as { segments: Segment[] }).segments) scans.push(await scanSegment(seg, folder));
  const snapshot = folder.snapshot();
  const buffers = Object.values(snapshot.store.columns).map((c) => c.buffer as ArrayBuffer);
  parentPort!.postMessage({ result: { folder: snapshot, scans } } satisfies WorkerAnswer<Result>, buffers);
})().catch((err: unknown) => parentPort!.postMessage({ error: errorData(err) } satisfies WorkerAnswer<never>));
