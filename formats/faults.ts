/**
 * What a fault run records (load-test:faults): each fault's timeline and what the requests sent
 * while it was on met. Part of summary.json (formats/summary.ts); faults/ fills them.
 */

/** What happened to one fault of the timeline (formats/summary.ts keeps it). */
export interface FaultEvent {
  readonly fault: string;
  readonly what: string;
  readonly unreachable: boolean;
  /** Epoch ms; null when skipped. */
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** Why it was not injected (the part is not the pack's), or null. */
  readonly skipped: string | null;
  /** What went wrong injecting or ending it, or null. */
  readonly error: string | null;
}

export interface FaultFinding {
  readonly fault: string;
  readonly unreachable: boolean;
  /** Requests sent while the fault was on. */
  readonly during: number;
  /** Of those, answered with a 503. */
  readonly answered503: number;
  /** Of those, never answered (a timeout, a refused or reset connection). */
  readonly unanswered: number;
  /** The slowest of those, ms (answered or not); null: none was sent. */
  readonly slowestMs: number | null;
  /** From the fault's end to the first success (200 or 409) of a request sent after it, ms; null: none. */
  readonly recoveryMs: number | null;
}
