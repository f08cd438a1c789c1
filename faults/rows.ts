/**
 * The fault criteria as rows of the run's table (pure): for every fault that cut the database
 * off, unit requests answered within 2 s and none left unanswered; for every fault, requests
 * succeeding again within 5 s of its end. A fault that could not be injected fails its row.
 */
import type { CheckRow } from '../formats/summary';
import type { FaultFinding } from './analysis';
import type { FaultEvent } from './registry';

export const ANSWER_WITHIN_MS = 2000;
export const RECOVER_WITHIN_MS = 5000;

export function faultRows(scenario: string, timeline: readonly FaultEvent[], findings: readonly FaultFinding[]): CheckRow[] {
  const rows: CheckRow[] = [];
  const row = (name: string, limit: string, measured: string, pass: boolean, value: number | null, limitMs: number): CheckRow => ({
    scenario,
    name,
    limit,
    measured,
    pass,
    kind: 'correctness',
    overBy: null,
    measure: { value, op: 'lte', limit: limitMs, unit: 'ms' },
  });
  for (const event of timeline) {
    if (event.skipped !== null) continue;
    const f = findings.find((x) => x.fault === event.fault);
    if (event.error !== null || !f) {
      rows.push(row(`${event.fault}: injected and ended`, 'no error', event.error ?? 'not injected', false, null, 0));
      continue;
    }
    if (f.unreachable) {
      const answered = f.during > 0 && f.unanswered === 0 && f.slowestMs !== null && f.slowestMs <= ANSWER_WITHIN_MS;
      rows.push(
        row(
          `${event.fault}: every unit request answered within 2 s while the database was out of reach (a 503, never a hang)`,
          `≤ ${ANSWER_WITHIN_MS} ms, 0 unanswered`,
          f.during === 0
            ? 'no request was sent while it lasted: not measured'
            : `slowest ${Math.round(f.slowestMs!)} ms; ${f.during} sent, ${f.answered503} answered 503, ${f.unanswered} unanswered`,
          answered,
          f.slowestMs,
          ANSWER_WITHIN_MS,
        ),
      );
    }
    rows.push(
      row(
        `${event.fault}: requests succeed again within 5 s of its end`,
        `≤ ${RECOVER_WITHIN_MS} ms`,
        f.recoveryMs === null ? 'no request succeeded after it' : `${Math.round(f.recoveryMs)} ms`,
        f.recoveryMs !== null && f.recoveryMs <= RECOVER_WITHIN_MS,
        f.recoveryMs,
        RECOVER_WITHIN_MS,
      ),
    );
  }
  return rows;
}
