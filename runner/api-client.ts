/**
 * The few calls the runner makes to the API under test, through the documented contract.
 */
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
