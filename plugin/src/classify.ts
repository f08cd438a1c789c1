/**
 * Pure classification of one unit-operation exchange: which operation it was, whether it
 * happened (`ok`), did not (`fail`) or is unknown (`info`), and which counters it moves.
 */
import { METRICS, OPERATIONS, Operation, codeMetric } from './metrics';

/** Matches the contract's unit-operation paths: /api/authorizations/:id/(reserve|release|consume) */
export const DEFAULT_ROUTE = /\/api\/authorizations\/([^/?#]+)\/(reserve|release|consume)(?:[?#]|$)/;

export interface RequestInfo {
  readonly operation: Operation;
  readonly authorizationId: string;
  readonly units: number | null;
  readonly idempotencyKey: string | null;
}

export type Outcome = 'ok' | 'fail' | 'info';

export interface Classified {
  readonly outcome: Outcome;
  readonly reason: string | null;
  readonly attempts: number | null;
  readonly replayed: boolean;
  /** Counter increments. */
  readonly counters: Readonly<Record<string, number>>;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  const k = Object.keys(headers).find((h) => h.toLowerCase() === wanted);
  const v = k === undefined ? undefined : headers[k];
  if (Array.isArray(v)) return String(v[0]);
  return v === undefined || v === null ? undefined : String(v);
}

export function parseRequest(url: string, json: unknown, headers: Record<string, unknown> | undefined, route: RegExp = DEFAULT_ROUTE): RequestInfo | null {
  const m = route.exec(url);
  if (!m) return null;
  const operation = m[2] as Operation;
  if (!OPERATIONS.includes(operation)) return null;
  const units =
    typeof json === 'object' && json !== null && Number.isFinite((json as { units?: unknown }).units) ? Number((json as { units: number }).units) : null;
  let authorizationId = m[1]!;
  try {
    authorizationId = decodeURIComponent(authorizationId);
  } catch {
    /* keep it as sent */
  }
  return { operation, authorizationId, units, idempotencyKey: headerValue(headers, 'idempotency-key') ?? null };
}

function bodyReason(body: unknown): string | null {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
  }
  const reason = (parsed as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : null;
}

/** Statuses after which the request may or may not have been applied. */
export function isIndeterminateStatus(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}

export function classifyResponse(req: RequestInfo, status: number, headers: Record<string, unknown> | undefined, body: unknown): Classified {
  const counters: Record<string, number> = { [METRICS.requests]: 1, [codeMetric(status)]: 1 };
  const attemptsRaw = Number(headerValue(headers, 'x-serialization-attempts'));
  const attempts = Number.isInteger(attemptsRaw) && attemptsRaw >= 1 ? attemptsRaw : null;
  if (attempts !== null && attempts > 1) counters[METRICS.retries] = attempts - 1;
  const replayed = headerValue(headers, 'idempotent-replayed') === 'true';
  if (replayed) counters[METRICS.replays] = 1;

  if (status >= 200 && status < 300) {
    counters[METRICS.ok[req.operation]] = 1;
    if (req.units !== null) counters[METRICS.units[req.operation]] = req.units;
    return { outcome: 'ok', reason: null, attempts, replayed, counters };
  }
  if (status === 409) {
    const reason = bodyReason(body);
    counters[METRICS.conflicts[req.operation]] = 1;
    counters[METRICS.conflictsTotal] = 1;
    if (reason === 'insufficient_units') counters[METRICS.conflictInsufficient] = 1;
    else if (reason === 'serialization_conflict') counters[METRICS.conflictSerialization] = 1;
    else counters[METRICS.conflictOther] = 1;
    return { outcome: 'fail', reason: reason ?? 'conflict', attempts, replayed, counters };
  }
  counters[METRICS.failed] = 1;
  if (status >= 400 && status < 500) counters[METRICS.status4xx] = 1;
  else if (status >= 500) counters[METRICS.status5xx] = 1;
  else counters[METRICS.statusOther] = 1;
  return { outcome: isIndeterminateStatus(status) ? 'info' : 'fail', reason: bodyReason(body) ?? `http_${status}`, attempts, replayed, counters };
}

/** Errors that prove the request never reached the server. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/** A request that got no response: unknown (timeout, reset), or failed if it was never sent. */
export function classifyError(code: string): Classified {
  return {
    outcome: NEVER_SENT.has(code) ? 'fail' : 'info',
    reason: code,
    attempts: null,
    replayed: false,
    counters: { [METRICS.requests]: 1, [METRICS.networkErrors]: 1, [METRICS.failed]: 1 },
  };
}
