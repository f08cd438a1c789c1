/**
 * What the history says about each fault (pure): how fast unit requests were answered while the
 * database was out of reach (the contract: a 503 within 2 s, never a hang), and how long after
 * the fault ended requests succeeded again (its recovery time).
 */
import type { HistoryEvent } from 'artillery-plugin-isolation';
import type { FaultEvent } from './registry';
import type { FaultFinding } from '../formats/faults';
export type { FaultFinding } from '../formats/faults';

/** One unit request as the client saw it: sent, then answered (status) or not (null: timed out, refused, reset). */
export interface Exchange {
  readonly sentAt: number;
  readonly endedAt: number;
  readonly status: number | null;
}

/** Pure: invokes paired with their outcomes, per worker and key, in order. */
export function exchangesOf(events: Iterable<HistoryEvent>): Exchange[] {
  const open = new Map<string, number[]>();
  const out: Exchange[] = [];
  for (const e of events) {
    const id = `${e.worker}\u0000${e.key}`;
    if (e.type === 'invoke') {
      const q = open.get(id) ?? [];
      q.push(e.time);
      open.set(id, q);
      continue;
    }
    const sentAt = open.get(id)?.shift();
    if (sentAt === undefined) continue;
    out.push({ sentAt, endedAt: e.time, status: e.status ?? null });
  }
  return out.sort((a, b) => a.sentAt - b.sentAt);
}

/** A success in the contract's sense: the API decided (200 applied, 409 refused). */
const decided = (s: number | null): boolean => s === 200 || s === 409;

export function analyzeFaults(timeline: readonly FaultEvent[], exchanges: readonly Exchange[]): FaultFinding[] {
  return timeline
    .filter((f) => f.startedAt !== null && f.endedAt !== null)
    .map((f) => {
      const during = exchanges.filter((x) => x.sentAt >= f.startedAt! && x.sentAt <= f.endedAt!);
      const after = exchanges.find((x) => x.sentAt >= f.endedAt! && decided(x.status));
      return {
        fault: f.fault,
        unreachable: f.unreachable,
        during: during.length,
        answered503: during.filter((x) => x.status === 503).length,
        unanswered: during.filter((x) => x.status === null).length,
        slowestMs: during.length ? Math.max(...during.map((x) => x.endedAt - x.sentAt)) : null,
        recoveryMs: after ? after.endedAt - f.endedAt! : null,
      };
    });
}
