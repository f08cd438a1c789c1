/**
 * Pure: which counters one unit-operation exchange moves, from what the contract made of the
 * answer (contract.ts `judge`): acknowledged (`ok`), refused (`fail`) or unknown (`info`).
 */
import type { Judged, Outcome, WriteKind } from './contract';
import { METRICS, Operation, codeMetric, violationMetric } from './metrics';

export type { Outcome };

/** The counters of one answer to a unit operation. `units`: what the request asked for (or the answer acknowledged). */
export function answerCounters(kind: WriteKind, status: number, j: Judged, units: number | null): Record<string, number> {
  const counters: Record<string, number> = { [METRICS.requests]: 1, [codeMetric(status)]: 1 };
  if (j.attempts !== null && j.attempts > 1) counters[METRICS.retries] = j.attempts - 1;
  if (j.replayed) counters[METRICS.replays] = 1;
  if (j.violation) {
    counters[METRICS.contract.violations] = 1;
    counters[violationMetric(j.violation.type)] = 1;
  }
  if (j.outcome === 'ok') {
    counters[METRICS.ok[kind]] = 1;
    const u = j.units ?? units;
    if (u !== null) counters[METRICS.units[kind]] = u;
    return counters;
  }
  if (j.outcome === 'fail' && j.means !== null && j.means !== 'reused') {
    counters[METRICS.conflicts[kind]] = 1;
    counters[METRICS.conflictsTotal] = 1;
    counters[j.means === 'capacity' ? METRICS.conflictInsufficient : j.means === 'contention' ? METRICS.conflictSerialization : METRICS.conflictOther] = 1;
    return counters;
  }
  counters[METRICS.failed] = 1;
  if (status >= 400 && status < 500) counters[METRICS.status4xx] = 1;
  else if (status >= 500) counters[METRICS.status5xx] = 1;
  else counters[METRICS.statusOther] = 1;
  return counters;
}

/** Errors that prove the request never reached the server. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/** A request that got no response: unknown (timeout, reset), or failed if it was never sent. */
export function errorOutcome(code: string): { outcome: Outcome; counters: Record<string, number> } {
  return {
    outcome: NEVER_SENT.has(code) ? 'fail' : 'info',
    counters: { [METRICS.requests]: 1, [METRICS.networkErrors]: 1, [METRICS.failed]: 1 },
  };
}

export type { Operation };
