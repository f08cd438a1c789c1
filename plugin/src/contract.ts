/**
 * The contract of the API under test: how it spells each unit operation (method, path, body,
 * headers) and what its answers mean (acknowledged, refused and why, unknown). This module is its
 * one owner: the plugin renders and judges requests with it, and the pack's runner, processors,
 * warm-up, post-checks, edge classes and benchmarks take paths, bodies, statuses and the balance
 * shape from it, never from a copy.
 *
 * A contract is data (the `api:` block of a target description, docs/guides/your-api.md):
 *
 *   operations:
 *     reserve:                        # acquire n units (reserve, book, claim)
 *       request: { method: POST, path: "/events/{resource}/bookings", body: { seats: "{units}" } }
 *       ok: { status: 201, id: id }   # the id the API returned, for a later release by id
 *       refused:
 *         - { status: 409, reason: sold_out, means: capacity }
 *     release:
 *       by: acquisition               # release an earlier reservation by its id (or: units)
 *       request: { method: DELETE, path: "/bookings/{acquisition}" }
 *       ok: { status: [200, 204] }
 *     read:
 *       request: { method: GET, path: "/events/{resource}" }
 *       ok: { status: 200, balance: true }
 *   balance: { capacity: capacity, reserved: booked }
 *
 * Templates hold placeholders: {resource}, {acquisition}, {units}, {token}, {key}, {organization},
 * {vu} (one id per virtual user), {request} (one per request), and ${ENV_VAR} (read once, at load,
 * from the environment: secrets stay out of every file the pack writes). A body string that is
 * exactly "{units}" is sent as a number. Templates are compiled once, when the contract is loaded;
 * rendering a request walks prebuilt parts and never parses.
 *
 * Pure: no I/O (loadContractFile reads the file).
 */
import * as fs from 'node:fs';

/** The operation kinds an API may have (any subset). take_out lowers capacity (a stock-out). */
export const OPERATION_KINDS = ['reserve', 'release', 'consume', 'take_out', 'read'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
/** The kinds that change units: what the history, the ledger and the reconciliation speak of. */
export const WRITE_KINDS = ['reserve', 'release', 'consume', 'take_out'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

/** What one unit of a write does to a resource's balances. */
export interface WriteEffect {
  readonly reserved: -1 | 0 | 1;
  readonly consumed: 0 | 1;
  /** -1: the write lowers the capacity itself (a stock-out). */
  readonly capacity: -1 | 0;
}

/**
 * The meaning of each write kind, in one table: the verifier's counters, the ledger replay and the
 * SQL it builds from a target's SELECTs all read it. A new kind is its name in OPERATION_KINDS and
 * WRITE_KINDS and its row here; the compiler then names each table keyed by kind that must say
 * what it is called (the metrics, the mix, the real-time check).
 */
export const WRITE_EFFECTS: Readonly<Record<WriteKind, WriteEffect>> = {
  reserve: { reserved: 1, consumed: 0, capacity: 0 },
  release: { reserved: -1, consumed: 0, capacity: 0 },
  consume: { reserved: -1, consumed: 1, capacity: 0 },
  take_out: { reserved: 0, consumed: 0, capacity: -1 },
};

/** What a refusal means: no room (capacity), gave up under contention, or another definite refusal the scenario allows. */
export const REFUSAL_MEANINGS = ['capacity', 'contention', 'other'] as const;
export type RefusalMeaning = (typeof REFUSAL_MEANINGS)[number];

export const BALANCE_FIELDS = ['capacity', 'reserved', 'consumed', 'available'] as const;
export type BalanceField = (typeof BALANCE_FIELDS)[number];
export type BalanceMap = Partial<Record<BalanceField, string>>;
export type Balance = Partial<Record<BalanceField, number>>;

/** The placeholders a template may name. */
export const PLACEHOLDERS = ['resource', 'acquisition', 'units', 'token', 'key', 'organization', 'vu', 'request'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type RenderContext = Partial<Record<Placeholder, string | number | null | undefined>>;

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// --- the contract as written -----------------------------------------------------------------

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RefusalSpec {
  readonly status: number;
  /** The reasons (at `field`, else `answers.reason`, in the body) this entry covers; absent: any reason. */
  readonly reason?: string | readonly string[];
  /**
   * Where this refusal's reason is, when not at `answers.reason`: an API that answers a refused
   * booking 201 with `{"status": "FAILED"}` is described as `{ status: 201, field: status,
   * reason: FAILED, means: capacity }`. A refusal on an ok status must name its reason.
   */
  readonly field?: string;
  readonly means: RefusalMeaning;
}

export interface OkSpec {
  readonly status: number | readonly number[];
  /** Where the body holds the id the API gave this operation (a reservation id). */
  readonly id?: string;
  /** Where the body holds the units acknowledged, when the API says. */
  readonly units?: string;
  /** The body carries a balance: true (the contract's `balance` map) or a map of its own. */
  readonly balance?: boolean | BalanceMap;
}

export interface OperationSpec {
  readonly request: RequestSpec;
  /** release and consume: by units on the resource (the default), or an earlier reservation by its id. */
  readonly by?: 'units' | 'acquisition';
  /** Units every request of this operation moves, whatever the scenario asks (a claim of one). */
  readonly units?: number;
  readonly ok: OkSpec;
  readonly refused?: readonly RefusalSpec[];
  /** read: may be sent before the load to warm the API up (it changes nothing). Reads are safe unless said otherwise. */
  readonly safe?: boolean;
}

export interface IdempotencySpec {
  /** The request header that carries the client's key. */
  readonly header: string;
  /** A response header whose value "true" says the answer is a replay. */
  readonly replayedHeader?: string;
  /** How the API refuses a key reused for another request. */
  readonly reused?: { readonly status: number; readonly reason?: string };
}

export interface ContractSpec {
  readonly operations: Readonly<Partial<Record<OperationKind, OperationSpec>>>;
  readonly balance?: BalanceMap;
  readonly answers?: {
    /** Where a refusal's reason is in the body (default `reason`). */
    readonly reason?: string;
    /** Statuses after which the operation may or may not have happened (default 500, 502, 503, 504). */
    readonly indeterminate?: readonly number[];
  };
  /** null or absent: the API has no idempotency keys. */
  readonly idempotency?: IdempotencySpec | null;
  /** A response header with the number of transaction attempts an operation took. */
  readonly attemptsHeader?: string | null;
  /** Headers sent with every request (authentication among them: `Authorization: "Bearer {token}"`). */
  readonly headers?: Readonly<Record<string, string>>;
}

// --- validation ------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const FIELD_PATH = /^(\.|[A-Za-z_$][\w$-]*(\[\d+\])*(\.[A-Za-z_$][\w$-]*(\[\d+\])*)*)$/;

function statusList(v: unknown): number[] | null {
  const list = Array.isArray(v) ? v : [v];
  return list.length > 0 && list.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599) ? (list as number[]) : null;
}

function unknownKeys(o: Record<string, unknown>, known: readonly string[], where: string, problems: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) problems.push(`${where}.${k} is not a known field (known: ${known.join(', ')})`);
}

/** The {placeholders} of a template (an environment variable, ${NAME}, is not one). */
function placeholdersOf(text: string): string[] {
  return [...text.replace(/\$\{[^}]*\}/g, '').matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1]!);
}

/** Problems of a template string: unknown placeholders, or unbalanced braces. */
function checkTemplate(text: unknown, where: string, problems: string[], allowed: readonly string[] = PLACEHOLDERS): void {
  if (typeof text !== 'string') {
    problems.push(`${where} must be a text`);
    return;
  }
  for (const name of placeholdersOf(text)) {
    if (!allowed.includes(name)) problems.push(`${where}: {${name}} is not a placeholder (use ${allowed.map((a) => `{${a}}`).join(', ')})`);
  }
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!)) problems.push(`${where}: \${${m[1]}} is not an environment variable name`);
  }
}

function checkBody(body: unknown, where: string, problems: string[]): void {
  if (typeof body === 'string') checkTemplate(body, where, problems);
  else if (Array.isArray(body)) body.forEach((b, i) => checkBody(b, `${where}[${i}]`, problems));
  else if (isObject(body)) for (const [k, v] of Object.entries(body)) checkBody(v, `${where}.${k}`, problems);
}

function checkBalanceMap(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) {
    problems.push(`${where} must map balance fields (${BALANCE_FIELDS.join(', ')}) to where the body holds them`);
    return;
  }
  unknownKeys(v, BALANCE_FIELDS, where, problems);
  for (const [k, p] of Object.entries(v))
    if (typeof p !== 'string' || !FIELD_PATH.test(p)) problems.push(`${where}.${k} must be a field path such as balance.reservedUnits`);
  if (Object.keys(v).length === 0) problems.push(`${where} names no field`);
}

function checkOperation(kind: OperationKind, o: unknown, where: string, c: Record<string, unknown>, problems: string[]): void {
  if (!isObject(o)) {
    problems.push(`${where} must be a mapping with request and ok`);
    return;
  }
  unknownKeys(o, ['request', 'by', 'units', 'ok', 'refused', 'safe'], where, problems);
  const r = o.request;
  if (!isObject(r)) problems.push(`${where}.request must be a mapping with method and path`);
  else {
    unknownKeys(r, ['method', 'path', 'body', 'headers'], `${where}.request`, problems);
    if (typeof r.method !== 'string' || !(METHODS as readonly string[]).includes(r.method.toUpperCase()))
      problems.push(`${where}.request.method must be one of ${METHODS.join(', ')}`);
    if (typeof r.path !== 'string' || !r.path.startsWith('/'))
      problems.push(`${where}.request.path must be a path starting with / (e.g. /items/{resource}/reserve)`);
    else {
      checkTemplate(r.path, `${where}.request.path`, problems);
      const names = placeholdersOf(r.path);
      const by = o.by ?? 'units';
      const needsResource = kind !== 'release' && kind !== 'consume' ? true : by === 'units';
      const bodyNames = r.body === undefined ? [] : placeholdersOf(JSON.stringify(r.body));
      if (needsResource && !names.includes('resource') && !bodyNames.includes('resource'))
        problems.push(`${where}.request names no {resource} (in its path or body): which resource the operation is on`);
      if (by === 'acquisition' && !names.includes('acquisition') && !bodyNames.includes('acquisition'))
        problems.push(`${where}.request names no {acquisition}: which reservation to ${kind} (by: acquisition)`);
    }
    if (r.body !== undefined) checkBody(r.body, `${where}.request.body`, problems);
    if (r.headers !== undefined) checkHeaders(r.headers, `${where}.request.headers`, problems);
    if (kind !== 'read' && o.units === undefined && o.by !== 'acquisition') {
      const all = `${typeof r.path === 'string' ? r.path : ''}${JSON.stringify(r.body ?? null)}`;
      if (!placeholdersOf(all).includes('units'))
        problems.push(`${where} sends no {units} and sets no fixed units: say how many units a request moves (units: 1 for a claim of one)`);
    }
  }
  if (o.by !== undefined) {
    if (kind !== 'release' && kind !== 'consume') problems.push(`${where}.by applies to release and consume only`);
    else if (o.by !== 'units' && o.by !== 'acquisition') problems.push(`${where}.by must be units or acquisition`);
    else if (o.by === 'acquisition') {
      const reserve = (c.operations as Record<string, unknown> | undefined)?.reserve;
      const id = isObject(reserve) && isObject(reserve.ok) ? reserve.ok.id : undefined;
      if (typeof id !== 'string') problems.push(`${where}.by is acquisition, but operations.reserve.ok.id does not say where the reservation's id is`);
    }
  }
  if (o.units !== undefined && (!Number.isInteger(o.units) || (o.units as number) < 1)) problems.push(`${where}.units must be a positive integer`);
  if (o.safe !== undefined && typeof o.safe !== 'boolean') problems.push(`${where}.safe must be true or false`);
  const ok = o.ok;
  if (!isObject(ok)) problems.push(`${where}.ok must be a mapping with the acknowledged status(es)`);
  else {
    unknownKeys(ok, ['status', 'id', 'units', 'balance'], `${where}.ok`, problems);
    if (statusList(ok.status) === null) problems.push(`${where}.ok.status must be an HTTP status or a list of them`);
    for (const f of ['id', 'units'] as const)
      if (ok[f] !== undefined && (typeof ok[f] !== 'string' || !FIELD_PATH.test(ok[f])))
        problems.push(`${where}.ok.${f} must be a field path such as id or data.booking.id`);
    if (ok.balance !== undefined && typeof ok.balance !== 'boolean') checkBalanceMap(ok.balance, `${where}.ok.balance`, problems);
    if (ok.balance === true && c.balance === undefined) problems.push(`${where}.ok.balance is true, but the contract has no balance map`);
    if (kind === 'read' && (ok.balance === undefined || ok.balance === false))
      problems.push(`${where}.ok.balance must say where the balance is (true, or a map): a read gives a balance`);
  }
  if (o.refused !== undefined) {
    if (!Array.isArray(o.refused)) problems.push(`${where}.refused must be a list of { status, reason?, means }`);
    else
      o.refused.forEach((x: unknown, i) => {
        const at = `${where}.refused[${i}]`;
        if (!isObject(x)) return problems.push(`${at} must be a mapping { status, reason?, means }`);
        unknownKeys(x, ['status', 'reason', 'field', 'means'], at, problems);
        if (statusList(x.status) === null || Array.isArray(x.status)) problems.push(`${at}.status must be one HTTP status`);
        if (x.field !== undefined && (typeof x.field !== 'string' || !FIELD_PATH.test(x.field)))
          problems.push(`${at}.field must be a field path such as status or error.code`);
        const okStatuses = isObject(o.ok) ? statusList(o.ok.status) : null;
        if (okStatuses?.includes(x.status as number) && x.reason === undefined)
          problems.push(`${at}: ${String(x.status)} is also an ok status, so this refusal must name its reason (and its field)`);
        if (x.reason !== undefined && !(typeof x.reason === 'string' || (Array.isArray(x.reason) && x.reason.every((s) => typeof s === 'string'))))
          problems.push(`${at}.reason must be a text or a list of texts`);
        if (!(REFUSAL_MEANINGS as readonly unknown[]).includes(x.means)) problems.push(`${at}.means must be one of ${REFUSAL_MEANINGS.join(', ')}`);
        return undefined;
      });
  }
}

function checkHeaders(h: unknown, where: string, problems: string[]): void {
  if (!isObject(h)) {
    problems.push(`${where} must map header names to values`);
    return;
  }
  for (const [k, v] of Object.entries(h)) {
    if (!HEADER_NAME.test(k)) problems.push(`${where}: "${k}" is not a header name`);
    checkTemplate(v, `${where}.${k}`, problems);
  }
}

/**
 * Every problem of a contract, each naming where it is and what would be accepted; an empty list
 * when it is valid. `where` prefixes the names (the target file's `api`).
 */
export function contractProblems(raw: unknown, where = 'api'): string[] {
  const problems: string[] = [];
  if (!isObject(raw)) return [`${where} must be a mapping with operations`];
  unknownKeys(raw, ['operations', 'balance', 'answers', 'idempotency', 'attemptsHeader', 'headers'], where, problems);
  const ops = raw.operations;
  if (!isObject(ops) || Object.keys(ops).length === 0) problems.push(`${where}.operations must name at least one of ${OPERATION_KINDS.join(', ')}`);
  else {
    unknownKeys(ops, OPERATION_KINDS, `${where}.operations`, problems);
    if (!('reserve' in ops)) problems.push(`${where}.operations.reserve is missing: the pack needs at least the operation that takes units`);
    for (const kind of OPERATION_KINDS) if (kind in ops) checkOperation(kind, ops[kind], `${where}.operations.${kind}`, raw, problems);
  }
  if (raw.balance !== undefined) checkBalanceMap(raw.balance, `${where}.balance`, problems);
  if (raw.answers !== undefined) {
    if (!isObject(raw.answers)) problems.push(`${where}.answers must be a mapping`);
    else {
      unknownKeys(raw.answers, ['reason', 'indeterminate'], `${where}.answers`, problems);
      if (raw.answers.reason !== undefined && (typeof raw.answers.reason !== 'string' || !FIELD_PATH.test(raw.answers.reason)))
        problems.push(`${where}.answers.reason must be a field path such as reason or error.code`);
      if (raw.answers.indeterminate !== undefined && statusList(raw.answers.indeterminate) === null)
        problems.push(`${where}.answers.indeterminate must be a list of HTTP statuses`);
    }
  }
  if (raw.idempotency !== undefined && raw.idempotency !== null) {
    const i = raw.idempotency;
    if (!isObject(i)) problems.push(`${where}.idempotency must be a mapping with header (or null: the API has no keys)`);
    else {
      unknownKeys(i, ['header', 'replayedHeader', 'reused'], `${where}.idempotency`, problems);
      if (typeof i.header !== 'string' || !HEADER_NAME.test(i.header))
        problems.push(`${where}.idempotency.header must be a header name such as Idempotency-Key`);
      if (i.replayedHeader !== undefined && (typeof i.replayedHeader !== 'string' || !HEADER_NAME.test(i.replayedHeader)))
        problems.push(`${where}.idempotency.replayedHeader must be a header name`);
      if (i.reused !== undefined) {
        if (!isObject(i.reused) || statusList(i.reused.status) === null || Array.isArray(i.reused.status))
          problems.push(`${where}.idempotency.reused must be { status, reason? }: how the API refuses a key reused for another request`);
        else if (i.reused.reason !== undefined && typeof i.reused.reason !== 'string') problems.push(`${where}.idempotency.reused.reason must be a text`);
      }
    }
  }
  if (raw.attemptsHeader !== undefined && raw.attemptsHeader !== null && (typeof raw.attemptsHeader !== 'string' || !HEADER_NAME.test(raw.attemptsHeader)))
    problems.push(`${where}.attemptsHeader must be a header name`);
  if (raw.headers !== undefined) checkHeaders(raw.headers, `${where}.headers`, problems);
  return problems;
}

export class ContractError extends Error {}

// --- compiled templates ----------------------------------------------------------------------

type Part = { readonly lit: string } | { readonly name: Placeholder };
type Env = Readonly<Record<string, string | undefined>>;

/** A template cut into literal parts and placeholders, ${ENV} resolved. */
function parts(text: string, env: Env, missing: Set<string>, encode: boolean): Part[] {
  const resolved = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      missing.add(name);
      return '';
    }
    return v;
  });
  const out: Part[] = [];
  let last = 0;
  for (const m of resolved.matchAll(/\{([A-Za-z_]\w*)\}/g)) {
    if (m.index! > last) out.push({ lit: resolved.slice(last, m.index) });
    out.push({ name: m[1] as Placeholder });
    last = m.index! + m[0].length;
  }
  if (last < resolved.length) out.push({ lit: resolved.slice(last) });
  return encode ? out : out;
}

function renderParts(p: readonly Part[], ctx: RenderContext, encode: boolean): string {
  let s = '';
  for (const x of p) {
    if ('lit' in x) s += x.lit;
    else {
      const v = ctx[x.name];
      const text = v === undefined || v === null ? '' : String(v);
      s += encode ? encodeURIComponent(text) : text;
    }
  }
  return s;
}

type BodyFn = (ctx: RenderContext) => unknown;

function compileBody(t: unknown, env: Env, missing: Set<string>): BodyFn {
  if (typeof t === 'string') {
    const p = parts(t, env, missing, false);
    if (p.length === 1 && 'name' in p[0]!) {
      const name = p[0].name;
      // "{units}" alone is a number; any other lone placeholder keeps its type (a string).
      return name === 'units' ? (ctx) => Number(ctx.units) : (ctx) => ctx[name] ?? null;
    }
    if (p.every((x) => 'lit' in x)) {
      const text = renderParts(p, {}, false);
      return () => text;
    }
    return (ctx) => renderParts(p, ctx, false);
  }
  if (Array.isArray(t)) {
    const items = t.map((x) => compileBody(x, env, missing));
    return (ctx) => items.map((f) => f(ctx));
  }
  if (isObject(t)) {
    const entries = Object.entries(t).map(([k, v]) => [k, compileBody(v, env, missing)] as const);
    return (ctx) => {
      const o: Record<string, unknown> = {};
      for (const [k, f] of entries) o[k] = f(ctx);
      return o;
    };
  }
  return () => t;
}

/** Where a placeholder sits in a body template (the units of a hand-written request are read from there). */
function placeholderPath(t: unknown, name: Placeholder, at: (string | number)[] = []): (string | number)[] | null {
  if (typeof t === 'string') return t === `{${name}}` ? at : null;
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      const p = placeholderPath(t[i], name, [...at, i]);
      if (p) return p;
    }
  } else if (isObject(t)) {
    for (const [k, v] of Object.entries(t)) {
      const p = placeholderPath(v, name, [...at, k]);
      if (p) return p;
    }
  }
  return null;
}

/** A dotted field path (`data.items[0].id`, `.` for the whole body) as keys. */
export function fieldPath(path: string): (string | number)[] {
  if (path === '.') return [];
  const out: (string | number)[] = [];
  for (const seg of path.split('.')) {
    const m = /^([^[\]]+)((\[\d+\])*)$/.exec(seg);
    if (!m) continue;
    out.push(m[1]!);
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

export function pick(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

// --- judging answers -------------------------------------------------------------------------

export type Outcome = 'ok' | 'fail' | 'info';

/** Why an answer breaks the contract (a per-answer check, in the plugin's `isolation.contract.*` counters). */
export const VIOLATIONS = ['status', 'reason', 'not_json', 'id', 'balance', 'invariant'] as const;
export type Violation = (typeof VIOLATIONS)[number];

export interface Judged {
  readonly outcome: Outcome;
  /** For a refusal: what it means (capacity, contention, other, or reused for a reused key's refusal). */
  readonly means: RefusalMeaning | 'reused' | null;
  readonly reason: string | null;
  /** The id the API gave the operation, when the contract says where it is. */
  readonly ref: string | null;
  /** Units the answer says were acknowledged (the contract's ok.units), else null. */
  readonly units: number | null;
  readonly balance: Balance | null;
  readonly replayed: boolean;
  readonly attempts: number | null;
  /** The first way the answer breaks the contract, or null. */
  readonly violation: { readonly type: Violation; readonly detail: string } | null;
}

/** Pure: the invariants every balance must hold, as a sentence, or null when it holds them. */
export function balanceInvariant(b: Balance): string | null {
  const { capacity, reserved, consumed, available } = b;
  if (reserved !== undefined && reserved < 0) return `reserved is ${reserved} (below 0)`;
  if (consumed !== undefined && consumed < 0) return `consumed is ${consumed} (below 0)`;
  if (available !== undefined && available < 0) return `available is ${available} (below 0)`;
  if (capacity !== undefined && reserved !== undefined && reserved + (consumed ?? 0) > capacity)
    return `reserved + consumed is ${reserved + (consumed ?? 0)}, above the capacity ${capacity}`;
  if (capacity !== undefined && reserved !== undefined && consumed !== undefined && available !== undefined && available !== capacity - reserved - consumed)
    return `available is ${available}, not capacity − reserved − consumed (${capacity - reserved - consumed})`;
  return null;
}

function headerValue(headers: Readonly<Record<string, unknown>> | undefined, lower: string): string | undefined {
  if (!headers) return undefined;
  let v = headers[lower];
  if (v === undefined) {
    const k = Object.keys(headers).find((h) => h.toLowerCase() === lower);
    v = k === undefined ? undefined : headers[k];
  }
  if (Array.isArray(v)) return String(v[0]);
  return v === undefined || v === null ? undefined : String(v);
}

function parseBody(body: unknown): { value: unknown; json: boolean } {
  if (typeof body === 'string') {
    if (body === '') return { value: undefined, json: false };
    try {
      return { value: JSON.parse(body), json: true };
    } catch {
      return { value: body, json: false };
    }
  }
  if (Buffer.isBuffer(body)) return parseBody(body.toString('utf8'));
  return { value: body, json: body !== undefined && body !== null };
}

interface CompiledRefusal {
  readonly status: number;
  readonly reasons: readonly string[] | null;
  /** Where its reason is; null: the contract's answers.reason. */
  readonly field: (string | number)[] | null;
  readonly means: RefusalMeaning;
}

/** A rendered request: what to send. */
export interface RenderedRequest {
  readonly method: string;
  /** Path and query, relative to the target. */
  readonly path: string;
  /** The JSON body, or undefined for none. */
  readonly json: unknown;
  readonly headers: Record<string, string>;
}

export class CompiledOperation {
  readonly method: string;
  readonly by: 'units' | 'acquisition';
  readonly fixedUnits: number | null;
  readonly safe: boolean;
  private readonly pathParts: Part[];
  private readonly body: BodyFn | null;
  private readonly headerParts: [string, Part[]][];
  private readonly okStatuses: ReadonlySet<number>;
  private readonly idPath: (string | number)[] | null;
  private readonly unitsPath: (string | number)[] | null;
  private readonly balanceMap: [BalanceField, (string | number)[]][] | null;
  private readonly refusals: readonly CompiledRefusal[];
  /** Refusals on an ok status (a 201 whose body says FAILED): judged before the acknowledgement. */
  private readonly okRefusals: readonly CompiledRefusal[];
  /** Matches a hand-written request's path to this operation: resource and acquisition from its groups. */
  private readonly route: { readonly re: RegExp; readonly groups: readonly Placeholder[] };
  /** Where {units} sits in the body template (to read a hand-written request's units). */
  private readonly unitsAt: (string | number)[] | null;
  private readonly resourceAt: (string | number)[] | null;
  private readonly acquisitionAt: (string | number)[] | null;

  constructor(
    readonly kind: OperationKind,
    spec: OperationSpec,
    private readonly contract: CompiledContract,
    c: ContractSpec,
    env: Env,
    missing: Set<string>,
  ) {
    this.method = spec.request.method.toUpperCase();
    this.by = spec.by ?? 'units';
    this.fixedUnits = spec.units ?? null;
    this.safe = kind === 'read' ? spec.safe !== false : false;
    this.pathParts = parts(spec.request.path, env, missing, true);
    this.body = spec.request.body === undefined ? null : compileBody(spec.request.body, env, missing);
    this.headerParts = Object.entries({ ...(c.headers ?? {}), ...(spec.request.headers ?? {}) }).map(([k, v]) => [k, parts(v, env, missing, false)]);
    const ok = Array.isArray(spec.ok.status) ? spec.ok.status : [spec.ok.status as number];
    this.okStatuses = new Set(ok);
    this.idPath = spec.ok.id ? fieldPath(spec.ok.id) : null;
    this.unitsPath = spec.ok.units ? fieldPath(spec.ok.units) : null;
    const map = spec.ok.balance === true ? c.balance : spec.ok.balance === false || spec.ok.balance === undefined ? undefined : spec.ok.balance;
    this.balanceMap = map ? (Object.entries(map) as [BalanceField, string][]).map(([f, p]) => [f, fieldPath(p)]) : null;
    this.refusals = (spec.refused ?? []).map((r) => ({
      status: r.status,
      reasons: r.reason === undefined ? null : typeof r.reason === 'string' ? [r.reason] : [...r.reason],
      field: r.field === undefined ? null : fieldPath(r.field),
      means: r.means,
    }));
    this.okRefusals = this.refusals.filter((r) => this.okStatuses.has(r.status));
    const groups: Placeholder[] = [];
    const pathOnly = spec.request.path.split('?')[0]!;
    const re = pathOnly
      .split(/(\{[A-Za-z_]\w*\})/)
      .map((seg) => {
        const m = /^\{([A-Za-z_]\w*)\}$/.exec(seg);
        if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        groups.push(m[1] as Placeholder);
        return '([^/?#]+)';
      })
      .join('');
    this.route = { re: new RegExp(`^(?:[a-z]+://[^/]+)?${re}(?:[?#]|$)`), groups };
    this.unitsAt = placeholderPath(spec.request.body, 'units');
    this.resourceAt = placeholderPath(spec.request.body, 'resource');
    this.acquisitionAt = placeholderPath(spec.request.body, 'acquisition');
  }

  /** The request of this operation for one context: every part prebuilt, nothing parsed. */
  render(ctx: RenderContext): RenderedRequest {
    const headers: Record<string, string> = {};
    for (const [k, p] of this.headerParts) {
      const v = renderParts(p, ctx, false);
      if (v !== '') headers[k] = v;
    }
    const idem = this.contract.idempotency;
    if (idem && ctx.key !== undefined && ctx.key !== null && this.kind !== 'read') headers[idem.header] = String(ctx.key);
    return { method: this.method, path: renderParts(this.pathParts, ctx, true), json: this.body ? this.body(ctx) : undefined, headers };
  }

  /** A hand-written request (a YAML step that spells the path itself) seen as this operation, or null. */
  match(method: string, url: string, json: unknown): { resource: string | null; acquisition: string | null; units: number | null } | null {
    if (method.toUpperCase() !== this.method) return null;
    const m = this.route.re.exec(url);
    if (!m) return null;
    const from = (name: Placeholder, at: (string | number)[] | null): string | null => {
      const i = this.route.groups.indexOf(name);
      if (i >= 0) {
        try {
          return decodeURIComponent(m[i + 1]!);
        } catch {
          return m[i + 1]!;
        }
      }
      const v = at ? pick(json, at) : undefined;
      return v === undefined || v === null ? null : String(v);
    };
    const raw = this.unitsAt ? pick(json, this.unitsAt) : undefined;
    const units = this.fixedUnits ?? (typeof raw === 'number' && Number.isFinite(raw) ? raw : null);
    return { resource: from('resource', this.resourceAt), acquisition: from('acquisition', this.acquisitionAt), units };
  }

  /** Pure: what an answer to this operation means, and whether it keeps the contract. */
  judge(status: number, headers: Readonly<Record<string, unknown>> | undefined, rawBody: unknown): Judged {
    const c = this.contract;
    const replayed = c.replayedHeader !== null && headerValue(headers, c.replayedHeader) === 'true';
    const a = c.attemptsHeader === null ? NaN : Number(headerValue(headers, c.attemptsHeader));
    const attempts = Number.isInteger(a) && a >= 1 ? a : null;
    let body: { value: unknown; json: boolean } | null = null;
    const bodyOf = (): { value: unknown; json: boolean } => (body ??= parseBody(rawBody));
    const base = { replayed, attempts };
    const reasonAt = (r: CompiledRefusal): string | null => {
      const v = pick(bodyOf().value, r.field ?? c.reasonPath);
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
    };
    for (const r of this.okRefusals) {
      if (r.status !== status) continue;
      const reason = reasonAt(r);
      if (reason !== null && r.reasons!.includes(reason))
        return { ...base, outcome: 'fail', means: r.means, reason, ref: null, units: null, balance: null, violation: null };
    }
    if (this.okStatuses.has(status)) {
      let violation: Judged['violation'] = null;
      let ref: string | null = null;
      let units: number | null = null;
      let balance: Balance | null = null;
      const needsBody = this.idPath !== null || this.unitsPath !== null || this.balanceMap !== null;
      if (needsBody && !bodyOf().json) violation = { type: 'not_json', detail: `a ${status} whose body is not JSON` };
      else if (needsBody) {
        const v = bodyOf().value;
        if (this.idPath) {
          const id = pick(v, this.idPath);
          if ((typeof id === 'string' && id !== '') || typeof id === 'number') ref = String(id);
          else violation = { type: 'id', detail: `a ${status} without its id at ${this.idPath.join('.')}` };
        }
        if (this.unitsPath) {
          const u = pick(v, this.unitsPath);
          if (typeof u === 'number' && Number.isFinite(u)) units = u;
          else violation ??= { type: 'balance', detail: `a ${status} without its units at ${this.unitsPath.join('.')}` };
        }
        if (this.balanceMap) {
          const b: Balance = {};
          for (const [field, p] of this.balanceMap) {
            const x = pick(v, p);
            if (typeof x === 'number' && Number.isFinite(x)) b[field] = x;
            else violation ??= { type: 'balance', detail: `a ${status} whose balance has no number at ${p.join('.')} (${field})` };
          }
          balance = b;
          const broken = balanceInvariant(b);
          if (broken) violation ??= { type: 'invariant', detail: `a ${status} whose balance breaks an invariant: ${broken}` };
        }
      }
      return { ...base, outcome: 'ok', means: null, reason: null, ref, units, balance, violation };
    }
    const reasonOf = (): string | null => {
      const r = pick(bodyOf().value, c.reasonPath);
      return typeof r === 'string' ? r : typeof r === 'number' ? String(r) : null;
    };
    const reused = c.reused;
    if (reused && status === reused.status && (reused.reason === null || reasonOf() === reused.reason)) {
      return { ...base, outcome: 'fail', means: 'reused', reason: reasonOf(), ref: null, units: null, balance: null, violation: null };
    }
    const candidates = this.refusals.filter((r) => r.status === status);
    if (candidates.length > 0) {
      const reason = reasonOf();
      const hit = candidates.find((r) => {
        if (r.reasons === null) return true;
        const at = r.field === null ? reason : reasonAt(r);
        return at !== null && r.reasons.includes(at);
      });
      if (hit) {
        const said = hit.field === null ? reason : reasonAt(hit);
        return { ...base, outcome: 'fail', means: hit.means, reason: said ?? `http_${status}`, ref: null, units: null, balance: null, violation: null };
      }
      const documented = candidates.flatMap((r) => r.reasons ?? []);
      return {
        ...base,
        outcome: 'fail',
        means: 'other',
        reason: reason ?? `http_${status}`,
        ref: null,
        units: null,
        balance: null,
        violation: { type: 'reason', detail: `a ${status} with reason ${JSON.stringify(reason)}; documented: ${documented.join(', ')}` },
      };
    }
    const indeterminate = c.indeterminate.has(status);
    return {
      ...base,
      outcome: indeterminate ? 'info' : 'fail',
      means: null,
      reason: reasonOf() ?? `http_${status}`,
      ref: null,
      units: null,
      balance: null,
      violation: indeterminate
        ? null
        : { type: 'status', detail: `a ${status}; the contract answers ${[...this.okStatuses, ...this.refusals.map((r) => r.status)].join(', ')}` },
    };
  }

  /** Whether the contract names a balance in this operation's acknowledgements. */
  get hasBalance(): boolean {
    return this.balanceMap !== null;
  }

  /** Whether acknowledgements carry the id the API gave the operation. */
  get hasId(): boolean {
    return this.idPath !== null;
  }
}

/** A contract, validated and compiled once. */
export class CompiledContract {
  readonly spec: ContractSpec;
  readonly operations: ReadonlyMap<OperationKind, CompiledOperation>;
  readonly idempotency: IdempotencySpec | null;
  readonly replayedHeader: string | null;
  readonly attemptsHeader: string | null;
  readonly reasonPath: (string | number)[];
  readonly indeterminate: ReadonlySet<number>;
  readonly reused: { readonly status: number; readonly reason: string | null } | null;
  /** Environment variables the templates name that were not set (empty strings were rendered). */
  readonly missingEnv: readonly string[];
  private readonly common: [string, Part[]][];

  constructor(spec: ContractSpec, env: Env = process.env) {
    const problems = contractProblems(spec);
    if (problems.length > 0) throw new ContractError(problems.join('; '));
    this.spec = spec;
    this.idempotency = spec.idempotency ?? null;
    this.replayedHeader = spec.idempotency?.replayedHeader?.toLowerCase() ?? null;
    this.attemptsHeader = spec.attemptsHeader ? spec.attemptsHeader.toLowerCase() : null;
    this.reasonPath = fieldPath(spec.answers?.reason ?? 'reason');
    this.indeterminate = new Set(spec.answers?.indeterminate ?? [500, 502, 503, 504]);
    this.reused = spec.idempotency?.reused ? { status: spec.idempotency.reused.status, reason: spec.idempotency.reused.reason ?? null } : null;
    const missing = new Set<string>();
    const ops = new Map<OperationKind, CompiledOperation>();
    for (const kind of OPERATION_KINDS) {
      const o = spec.operations[kind];
      if (o) ops.set(kind, new CompiledOperation(kind, o, this, spec, env, missing));
    }
    this.operations = ops;
    this.common = Object.entries(spec.headers ?? {}).map(([k, v]) => [k, parts(v, env, missing, false)]);
    this.missingEnv = [...missing];
  }

  /** The headers every request carries (authentication among them), for a request the contract does not describe (a report read). */
  headers(ctx: RenderContext): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, p] of this.common) {
      const v = renderParts(p, ctx, false);
      if (v !== '') out[k] = v;
    }
    return out;
  }

  has(kind: OperationKind): boolean {
    return this.operations.has(kind);
  }

  op(kind: OperationKind): CompiledOperation {
    const o = this.operations.get(kind);
    if (!o) throw new ContractError(`the API under test has no ${kind} operation (its target description names ${[...this.operations.keys()].join(', ')})`);
    return o;
  }

  /** Whether requests carry idempotency keys (client retries and key reuse can be exercised). */
  get keyed(): boolean {
    return this.idempotency !== null;
  }

  /** A hand-written request seen as one of the contract's write operations, or null. */
  match(method: string, url: string, json: unknown): ({ kind: WriteKind } & NonNullable<ReturnType<CompiledOperation['match']>>) | null {
    for (const [kind, o] of this.operations) {
      if (kind === 'read') continue;
      const m = o.match(method, url, json);
      if (m) return { kind: kind as WriteKind, ...m };
    }
    return null;
  }
}

const ACTIVE = Symbol.for('artillery-plugin-isolation.contract');

/** The contract this process's plugin works with (set when the plugin is loaded), for processors in the same worker; null before. */
export function activeContract(): CompiledContract | null {
  return ((globalThis as Record<symbol, unknown>)[ACTIVE] as CompiledContract | undefined) ?? null;
}

export function setActiveContract(c: CompiledContract | null): void {
  (globalThis as Record<symbol, unknown>)[ACTIVE] = c ?? undefined;
}

/** The contract in a JSON file (what the pack's runner writes for Artillery: ISOLATION_CONTRACT_FILE). */
export function loadContractFile(file: string, env: Env = process.env): CompiledContract {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ContractError(`cannot read the contract ${file}: ${(err as Error).message}`);
  }
  const problems = contractProblems(raw, file);
  if (problems.length > 0) throw new ContractError(problems.join('; '));
  return new CompiledContract(raw as ContractSpec, env);
}
