/**
 * The unit rules of an authorization, as pure functions. The reference API applies them inside
 * one database transaction; tests and the verifier use them without a database.
 */
export const OPERATIONS = ['reserve', 'release', 'consume'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Balance {
  readonly capacity: number;
  readonly reserved: number;
  readonly consumed: number;
  readonly available: number;
}

export function emptyBalance(capacity: number): Balance {
  return { capacity, reserved: 0, consumed: 0, available: capacity };
}

export type Decision =
  | { readonly ok: true; readonly next: Balance; readonly delta: { readonly reserved: number; readonly consumed: number } }
  | { readonly ok: false; readonly reason: 'insufficient_units'; readonly needed: number; readonly have: number };

/**
 *   reserve n : needs available >= n; reserved += n
 *   release n : needs reserved  >= n; reserved -= n
 *   consume n : needs reserved  >= n; reserved -= n, consumed += n
 */
export function decide(op: Operation, units: number, b: Balance, from: Balance = b): Decision {
  const have = op === 'reserve' ? b.available : b.reserved;
  if (have < units) return { ok: false, reason: 'insufficient_units', needed: units, have };
  const delta =
    op === 'reserve' ? { reserved: units, consumed: 0 } : op === 'release' ? { reserved: -units, consumed: 0 } : { reserved: -units, consumed: units };
  // `from`: the balance the change applies to, when the check was made on another (a negative control's).
  const reserved = from.reserved + delta.reserved;
  const consumed = from.consumed + delta.consumed;
  return { ok: true, delta, next: { capacity: from.capacity, reserved, consumed, available: from.capacity - reserved - consumed } };
}
