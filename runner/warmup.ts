/**
 * Warm-up before the first scenario: a burst of reserve/release pairs on the seeded data, so that
 * the measured scenarios do not pay for a cold API (JIT compilation, opening pool connections,
 * PostgreSQL's plan cache). Runs only on data the pack reseeds afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Fixture } from '../seed/fixture';
import { tokenFor } from '../processors/selection';

async function post(target: string, token: string, id: string, op: 'reserve' | 'release', units: number): Promise<number> {
  const res = await fetch(`${target}/api/authorizations/${id}/${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `warmup-${randomUUID()}` },
    body: JSON.stringify({ units }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `pairs` reserve-then-release pairs, `concurrency` at a time; returns the statuses seen. */
export async function warmUp(target: string, f: Fixture, pairs: number, concurrency = 8): Promise<Record<number, number>> {
  const auths = f.authorizations.filter((a) => a.tier === 'bulk');
  const seen: Record<number, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pairs) {
      const a = auths[next++ % auths.length]!;
      for (const op of ['reserve', 'release'] as const) {
        const s = await post(target, tokenFor(f, a, 0), a.id, op, 1).catch(() => 0);
        seen[s] = (seen[s] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pairs) }, worker));
  return seen;
}
