/**
 * Per-authorization batching (safe mode): operations on one authorization that arrive while
 * another is in flight wait here, in order, instead of each taking a pooled connection to conflict
 * in PostgreSQL and retry; when the one in flight ends, they go together as one statement
 * (`apply_unit_operations`, db/migrations/006) in one SERIALIZABLE transaction. The first
 * operation on an idle authorization goes at once, alone: batching adds no wait where there is no
 * contention.
 *
 * Correctness does not rest on this: several API processes, or a batch and a lone operation, are
 * kept apart by SERIALIZABLE as before. This removes the in-process conflicts that made scenario
 * 1's waves of 50 spend their time in retries and backoff (issue 10, B3).
 */
export interface Batcher<Req, Res> {
  submit(key: string, req: Req): Promise<Res>;
}

interface Waiting<Req, Res> {
  readonly req: Req;
  readonly resolve: (r: Res) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * `runOne` applies a lone operation; `runMany` a batch, its results in the order given. At most
 * `maxBatch` operations go in one batch.
 */
export function createBatcher<Req, Res>(
  runOne: (req: Req) => Promise<Res>,
  runMany: (reqs: readonly Req[]) => Promise<Res[]>,
  maxBatch: number,
): Batcher<Req, Res> {
  /** Per key: the operations waiting while one (or a batch) is in flight; absent when idle. */
  const queues = new Map<string, Waiting<Req, Res>[]>();

  const drain = async (key: string): Promise<void> => {
    for (;;) {
      const q = queues.get(key)!;
      if (q.length === 0) {
        queues.delete(key);
        return;
      }
      const batch = q.splice(0, maxBatch);
      try {
        const results = batch.length === 1 ? [await runOne(batch[0]!.req)] : await runMany(batch.map((w) => w.req));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  };

  return {
    submit(key, req) {
      const q = queues.get(key);
      if (q) return new Promise<Res>((resolve, reject) => q.push({ req, resolve, reject }));
      queues.set(key, []);
      return runOne(req).finally(() => void drain(key));
    },
  };
}
