/**
 * How the API under test spells a unit request, taken from its contract, for the bad-input
 * classes (edge/classes.ts): which path an operation has for a resource, which headers carry the
 * token and the key, and how a body carries units. The classes change one part of a good request;
 * this module says what the good request is. Pure.
 */
import type { CompiledContract, OperationKind } from 'artillery-plugin-isolation';

/** A stand-in for the units, found again in the rendered body (no API sends this number). */
const UNITS_MARK = 987654321;
const MARK = (name: string): string => `__edge_${name}__`;

export interface RequestShape {
  /** Whether this is the reference API, whose reasons the classes know (others are judged by status). */
  readonly reference: boolean;
  has(kind: OperationKind): boolean;
  /** How the operation is released or consumed (by units, or a reservation by its id). */
  by(kind: 'release' | 'consume'): 'units' | 'acquisition';
  method(kind: OperationKind): string;
  /** The operation's path for this resource (its id URL-encoded). */
  path(kind: OperationKind, resource: string): string;
  /** The same, the id left as it is (raw bytes in the request target). */
  rawPath(kind: OperationKind, resource: string): string;
  /** The header authentication travels in ("Authorization"), or null when the API takes none. */
  readonly authHeader: string | null;
  /** Whether that header carries a per-user bearer token (JWT classes apply). */
  readonly bearer: boolean;
  authValue(token: string): string;
  /** The idempotency key's header, or null when the API has no keys. */
  readonly keyHeader: string | null;
  /** Whether the operation's body carries the units (the units_* classes apply). */
  carriesUnits(kind: OperationKind): boolean;
  /**
   * The operation's body with `units` (a raw JSON literal, possibly not a number) where the units
   * go, and `extra` (raw JSON members) added to its top-level object; null when it has no body.
   */
  body(kind: OperationKind, units: string, extra?: string, acquisition?: string): string | null;
  /** The statuses the contract gives a refusal for want of units (the impossible classes). */
  capacityStatuses(kind: OperationKind): number[];
  /** How a reused key is refused, when the contract says. */
  readonly reused: { readonly status: number; readonly reason: string | null } | null;
}

export function requestShape(contract: CompiledContract, opts: { reference: boolean }): RequestShape {
  const auth = Object.entries(contract.spec.headers ?? {}).find(([, v]) => v.includes('{token}')) ?? Object.entries(contract.spec.headers ?? {})[0] ?? null;
  const render = (kind: OperationKind, resource: string, units: number, acquisition: string) =>
    contract
      .op(kind)
      .render({ resource, units, acquisition, token: MARK('token'), key: null, organization: MARK('organization'), vu: MARK('vu'), request: MARK('request') });
  return {
    reference: opts.reference,
    has: (kind) => contract.has(kind),
    by: (kind) => contract.op(kind).by,
    method: (kind) => contract.op(kind).method,
    path: (kind, resource) => render(kind, resource, 1, resource).path,
    rawPath: (kind, resource) =>
      render(kind, MARK('id'), 1, MARK('id'))
        .path.split(encodeURIComponent(MARK('id')))
        .join(resource)
        .split(MARK('id'))
        .join(resource),
    authHeader: auth ? auth[0] : null,
    bearer: auth !== null && auth[1].includes('{token}'),
    authValue: (token) => (auth ? auth[1].replace('{token}', token) : token),
    keyHeader: contract.idempotency?.header ?? null,
    carriesUnits: (kind) => {
      const r = render(kind, 'x', UNITS_MARK, 'x');
      return r.json !== undefined && JSON.stringify(r.json).includes(String(UNITS_MARK));
    },
    body: (kind, units, extra, acquisition) => {
      const r = render(kind, 'x', UNITS_MARK, acquisition ?? 'x');
      if (r.json === undefined) return extra ? `{${extra}}` : null;
      let text = JSON.stringify(r.json).replace(String(UNITS_MARK), units);
      if (extra) text = text.endsWith('}') ? `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${extra}}` : text;
      return text;
    },
    capacityStatuses: (kind) => [...new Set((contract.spec.operations[kind]?.refused ?? []).filter((r) => r.means === 'capacity').map((r) => r.status))],
    reused: contract.reused,
  };
}
