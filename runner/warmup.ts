/**
 * Warm-up before the first scenario, so that the measured scenarios do not pay for a cold API (JIT
 * compilation, opening pool connections, the database's plan cache), through the contract:
 *
 *   writes  reserve/release pairs (release by id where the API releases so), only on data the
 *           pack owns and reseeds afterwards;
 *   reads   the contract's read operation, where it is safe (reads are, unless the description
 *           says `safe: false`): what a user's API gets, since its data is not the pack's to change.
 *
 * Where neither can be sent, the run says the warm-up was skipped, and why.
 */
import type { CompiledContract } from 'artillery-plugin-isolation';
import type { Fixture, FixtureAuthorization } from '../seed/fixture';
import { tokenFor } from '../processors/selection';
import { send } from './api-client';

export interface WarmUpResult {
  /** What was sent ("200 reserve/release pairs", "400 reads"), or null when skipped. */
  readonly sent: string | null;
  readonly statuses: Readonly<Record<number, number>>;
  /** Why it was skipped, when it was. */
  readonly skipped: string | null;
}

/** Pure: what the warm-up can send to this API, or why nothing. */
export function warmUpPlan(contract: CompiledContract, ownsData: boolean): { kind: 'writes' | 'reads' } | { skipped: string } {
  if (ownsData && contract.has('release')) return { kind: 'writes' };
  if (contract.has('read') && contract.op('read').safe) return { kind: 'reads' };
  return {
    skipped: contract.has('read')
      ? "the read operation is marked safe: false, and the data is not the pack's to write"
      : "the API has no read operation, and the data is not the pack's to write",
  };
}

/** Sends `count` warm-up rounds, `concurrency` at a time; returns the statuses seen. */
export async function warmUp(
  baseUrl: string,
  contract: CompiledContract,
  f: Fixture,
  opts: { count: number; ownsData: boolean; concurrency?: number },
): Promise<WarmUpResult> {
  const plan = warmUpPlan(contract, opts.ownsData);
  if ('skipped' in plan) return { sent: null, statuses: {}, skipped: plan.skipped };
  const pool = f.authorizations.filter((a) => a.tier === 'bulk' || a.tier === 'standard');
  const targets: FixtureAuthorization[] = pool.length > 0 ? pool : [...f.authorizations];
  const statuses: Record<number, number> = {};
  const seen = (s: number): void => void (statuses[s] = (statuses[s] ?? 0) + 1);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.count) {
      const a = targets[next++ % targets.length]!;
      const ctx = { resource: a.id, organization: a.organizationId, token: tokenFor(f, a, 0), units: 1 };
      try {
        if (plan.kind === 'reads') {
          seen((await send(baseUrl, contract, 'read', ctx)).status);
          continue;
        }
        const r = await send(baseUrl, contract, 'reserve', ctx);
        seen(r.status);
        if (r.judged.outcome !== 'ok') continue;
        const byId = contract.op('release').by === 'acquisition';
        if (byId && r.judged.ref === null) continue;
        seen((await send(baseUrl, contract, 'release', { ...ctx, acquisition: r.judged.ref })).status);
      } catch {
        seen(0);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, opts.count) }, worker));
  return { sent: `${opts.count} ${plan.kind === 'reads' ? 'reads' : 'reserve/release pairs'}`, statuses, skipped: null };
}
