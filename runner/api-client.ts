/**
 * The few calls the runner makes to the API under test, through the documented contract.
 */
import type { PoolStats } from '../formats/summary';

export interface BalanceBody {
  readonly capacityUnits: number;
  readonly reservedUnits: number;
  readonly consumedUnits: number;
  readonly availableUnits: number;
}

export async function readBalance(target: string, token: string, id: string): Promise<BalanceBody> {
  const res = await fetch(`${target}/api/authorizations/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`GET /api/authorizations/${id} answered ${res.status}`);
  const body = (await res.json()) as { balance?: BalanceBody };
  if (!body.balance) throw new Error(`GET /api/authorizations/${id} has no balance in its body`);
  return body.balance;
}

/** Connection-pool usage the reference API reports (GET /internal/pool); null for other targets. */
export async function poolStats(target: string, action: 'read' | 'reset', internalToken: string): Promise<PoolStats | null> {
  try {
    const res = await fetch(`${target}/internal/pool${action === 'reset' ? '/reset' : ''}`, {
      method: action === 'reset' ? 'POST' : 'GET',
      headers: { 'x-internal-token': internalToken },
      signal: AbortSignal.timeout(3000),
    });
    return res.ok ? ((await res.json()) as PoolStats) : null;
  } catch {
    return null;
  }
}
