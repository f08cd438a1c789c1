/**
 * The few calls the runner makes to the API under test (the warm-up, the checks through the API
 * after a load), each rendered and judged with the contract of its target description: the
 * runner spells no path, body or status of its own.
 */
import type { Balance, CompiledContract, Judged, OperationKind, RenderContext } from 'artillery-plugin-isolation';
import { newKey } from 'artillery-plugin-isolation';
import type { PoolStats } from '../formats/summary';

export interface Sent {
  readonly status: number;
  readonly judged: Judged;
}

/** One operation of the contract, sent and judged (a fresh key where the API takes keys). */
export async function send(baseUrl: string, contract: CompiledContract, kind: OperationKind, ctx: RenderContext, timeoutMs = 10_000): Promise<Sent> {
  const op = contract.op(kind);
  const r = op.render({ key: newKey(), ...ctx, units: op.fixedUnits ?? ctx.units });
  const res = await fetch(`${baseUrl}${r.path}`, {
    method: r.method,
    headers: { ...(r.json === undefined ? {} : { 'content-type': 'application/json' }), ...r.headers },
    ...(r.json === undefined ? {} : { body: JSON.stringify(r.json) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, judged: op.judge(res.status, Object.fromEntries(res.headers), text) };
}

/** A resource's balance, read through the contract's read operation. */
export async function readBalance(baseUrl: string, contract: CompiledContract, ctx: RenderContext): Promise<Balance> {
  if (!contract.has('read')) throw new Error('the API under test has no read operation (its target description names none): its balances cannot be read back');
  const { status, judged } = await send(baseUrl, contract, 'read', ctx, 5000);
  if (judged.outcome !== 'ok') throw new Error(`reading ${ctx.resource} answered ${status}`);
  // A balance that breaks an invariant is still the balance: the caller judges it (an overbooked target is not "full").
  if (!judged.balance || (judged.violation && judged.violation.type !== 'invariant'))
    throw new Error(`reading ${ctx.resource}: ${judged.violation?.detail ?? 'no balance in the answer'}`);
  return judged.balance;
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
