/**
 * What one virtual user knows of its own unit operations, and the `isolation:` block of a request
 * step that names an operation instead of spelling a request:
 *
 *   - post:
 *       url: "/"                          # Artillery wants a url; the contract gives the real one
 *       isolation: { op: reserve, units: 10 }
 *   - post:
 *       url: "/"
 *       isolation: { op: "{{ operation }}" }          # chosen by a processor
 *   - post:
 *       url: "/"
 *       ifTrue: retrySend
 *       isolation: { resend: true }                   # the last request again, same key
 *   - post:
 *       url: "/"
 *       ifTrue: reuseKey
 *       isolation: { probe: reuse }                   # the last key, another request (vars.probe)
 *   - get:
 *       url: "{{ readUrl }}"
 *       isolation: { headers: contract }              # a request of its own, with the contract's
 *                                                     # headers (authentication) added
 *
 * Fields left out come from the virtual user's variables, which processors set: resource, units,
 * token, organization, acquisition. The state lives in the virtual user's context and ends with it.
 * Pure apart from the key generator.
 */
import { randomUUID } from 'node:crypto';
import { OPERATION_KINDS, OperationKind } from './contract';

/** A reservation this virtual user holds: what a release or consume by id can name. */
export interface Acquisition {
  readonly ref: string;
  readonly resource: string;
  readonly units: number;
}

/** A unit request as the virtual user made it (what a resend repeats and a reuse probe varies). */
export interface UnitRequest {
  readonly kind: OperationKind;
  readonly resource: string | null;
  readonly units: number | null;
  readonly key: string;
  readonly acquisition: string | null;
  readonly organization: string | null;
  readonly token: string | null;
}

interface VuState {
  /** Keys this virtual user has had answered: a later answer to one is a resend. */
  readonly answered: Set<string>;
  last: UnitRequest | null;
  /** How the last unit request's first answer came out (ok, fail, info), or null before it came. */
  lastOutcome: 'ok' | 'fail' | 'info' | null;
  readonly held: Acquisition[];
  /** How late this virtual user started (arrivals.ts), ms. */
  lateness: number;
  /** It arrived in the generator's warm-up phase: nothing it does is judged or recorded. */
  warmup: boolean;
}

const STATE = '__isolation';

export function vuState(vars: Record<string, unknown>): VuState {
  let s = vars[STATE] as VuState | undefined;
  if (!s) {
    s = { answered: new Set(), last: null, lastOutcome: null, held: [], lateness: 0, warmup: false };
    vars[STATE] = s;
  }
  return s;
}

/** The reservations this virtual user holds (a processor picks one to release or consume by id). */
export function heldAcquisitions(vars: Record<string, unknown>): readonly Acquisition[] {
  return (vars[STATE] as VuState | undefined)?.held ?? [];
}

/** How the virtual user's last unit request came out (its first answer), or null. */
export function lastOutcome(vars: Record<string, unknown>): 'ok' | 'fail' | 'info' | null {
  return (vars[STATE] as VuState | undefined)?.lastOutcome ?? null;
}

/** The virtual user's last unit request, or null. */
export function lastRequest(vars: Record<string, unknown>): UnitRequest | null {
  return (vars[STATE] as VuState | undefined)?.last ?? null;
}

export function rememberAcquisition(vars: Record<string, unknown>, a: Acquisition): void {
  vuState(vars).held.push(a);
}

export function forgetAcquisition(vars: Record<string, unknown>, ref: string): void {
  const held = vuState(vars).held;
  const i = held.findIndex((a) => a.ref === ref);
  if (i >= 0) held.splice(i, 1);
}

/** A fresh key: the client's idempotency key where the API has them, else the history's own request id. */
export function newKey(): string {
  return `lt-${randomUUID()}`;
}

/** The `isolation:` block of a step, parsed once per step (its fields may be {{ templates }}). */
export interface StepSpec {
  readonly op: string | null;
  readonly resource: string | null;
  readonly units: string | number | null;
  readonly acquisition: string | null;
  readonly token: string | null;
  readonly resend: boolean;
  readonly probe: 'reuse' | null;
  /** `headers: contract`: the step's own request, with the contract's common headers added. */
  readonly headersOnly: boolean;
}

const specs = new WeakMap<object, StepSpec>();

/** Pure (cached by the block's identity): the block as a StepSpec, or a problem naming the field. */
export function stepSpec(block: unknown): StepSpec {
  if (typeof block === 'object' && block !== null) {
    const hit = specs.get(block);
    if (hit) return hit;
  }
  const b = (typeof block === 'string' ? { op: block } : block) as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null) throw new Error("a request's isolation: block must be a mapping such as { op: reserve, units: 10 }");
  const text = (k: string): string | null => {
    const v = b[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`isolation.${k} must be a text or a number`);
    return String(v);
  };
  const probe = b.probe === undefined ? null : b.probe;
  if (probe !== null && probe !== 'reuse') throw new Error('isolation.probe must be reuse');
  if (b.headers !== undefined && b.headers !== 'contract') throw new Error('isolation.headers must be contract');
  const headersOnly = b.headers === 'contract';
  const op = text('op');
  if (op !== null && !op.includes('{{') && !(OPERATION_KINDS as readonly string[]).includes(op))
    throw new Error(`isolation.op "${op}" is not one of ${OPERATION_KINDS.join(', ')}`);
  if (op === null && b.resend !== true && probe === null && !headersOnly)
    throw new Error("a request's isolation: block needs op (or resend: true, probe: reuse, headers: contract)");
  const spec: StepSpec = {
    op,
    resource: text('resource'),
    units: typeof b.units === 'number' ? b.units : text('units'),
    acquisition: text('acquisition'),
    token: text('token'),
    resend: b.resend === true,
    probe,
    headersOnly,
  };
  if (typeof block === 'object' && block !== null) specs.set(block, spec);
  return spec;
}

/** Replaces {{ name }} with context variables (what Artillery would send), leaving others as they are. */
export function renderVars(text: string, vars: Record<string, unknown>): string {
  if (!text.includes('{{')) return text;
  return text.replace(/\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g, (whole, name: string) => (vars[name] === undefined ? whole : String(vars[name])));
}

const str = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

/**
 * The unit request a step makes for this virtual user: its own fields, else the user's variables;
 * a resend repeats the last request; a reuse probe keeps the last key and takes the request in
 * `vars.probe` ({ op, resource, units }), which a processor chose to differ from the last one.
 */
export function requestFor(spec: StepSpec, vars: Record<string, unknown>, fresh: () => string = newKey): UnitRequest {
  const state = vuState(vars);
  if (spec.resend) {
    if (!state.last) throw new Error('isolation: { resend: true } before any unit request of this virtual user');
    return state.last;
  }
  const field = (own: string | number | null, name: string): string | null => (own === null ? str(vars[name]) : renderVars(String(own), vars));
  if (spec.probe === 'reuse') {
    const last = state.last;
    if (!last) throw new Error('isolation: { probe: reuse } before any unit request of this virtual user');
    const p = (vars.probe ?? {}) as Record<string, unknown>;
    const kind = (str(p.op) ?? last.kind) as OperationKind;
    const units = p.units === undefined ? last.units : Number(p.units);
    return { ...last, kind, resource: str(p.resource) ?? last.resource, units, acquisition: str(p.acquisition) ?? last.acquisition };
  }
  const op = renderVars(spec.op!, vars);
  if (!(OPERATION_KINDS as readonly string[]).includes(op)) throw new Error(`isolation.op rendered as "${op}", not one of ${OPERATION_KINDS.join(', ')}`);
  const unitsText = field(spec.units, 'units');
  const units = unitsText === null ? null : Number(unitsText);
  return {
    kind: op as OperationKind,
    resource: field(spec.resource, 'resource'),
    units: units !== null && Number.isFinite(units) ? units : null,
    key: fresh(),
    acquisition: field(spec.acquisition, 'acquisition'),
    organization: str(vars.organization),
    token: field(spec.token, 'token'),
  };
}
