/**
 * The counters of `load-test:edge` (processors/edge.ts writes them, runner/post-checks.ts and the
 * scenario's criteria read them): one table, as the plugin's METRICS is for its own.
 */
export const EDGE_METRICS = {
  sent: 'edge.sent',
  expected: 'edge.expected',
  offContract: 'edge.off_contract',
  serverErrors: 'edge.server_errors',
  dropped: 'edge.dropped',
  skipped: 'edge.skipped',
  responseTime: 'edge.response_time',
} as const;

/** The counters among them (seeded with 0 by every virtual user; edge.response_time is a histogram). */
export const EDGE_COUNTERS: readonly string[] = Object.values(EDGE_METRICS).filter((m) => m !== EDGE_METRICS.responseTime);

/** A counter name part: letters, digits and _ only. */
const part = (v: string): string => v.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60) || 'empty';

/** The counter that says what an off-contract class got: edge.got.<class>.<status|none>.<reason|none>. */
export function gotMetric(className: string, status: number | null, reason: string | null): string {
  return `edge.got.${className}.${status ?? 'none'}.${reason === null ? 'none' : part(reason)}`;
}

export interface ClassTally {
  readonly expected: number;
  readonly off: number;
  readonly skipped: number;
  /** What came back when off: "500 internal_error" → count. */
  readonly got: Readonly<Record<string, number>>;
}

/** Pure: per class, from a report's counters. */
export function tallyClasses(counters: Readonly<Record<string, number>>, classNames: readonly string[]): Map<string, ClassTally> {
  const out = new Map<string, ClassTally>();
  for (const name of classNames) {
    const got: Record<string, number> = {};
    const prefix = `edge.got.${name}.`;
    for (const [k, n] of Object.entries(counters)) {
      if (!k.startsWith(prefix) || n === 0) continue;
      const [status, reason] = k.slice(prefix.length).split('.');
      got[`${status === 'none' ? 'no answer' : status}${reason && reason !== 'none' ? ` ${reason}` : ''}`] = n;
    }
    out.set(name, {
      expected: counters[`edge.class.${name}.expected`] ?? 0,
      off: counters[`edge.class.${name}.off`] ?? 0,
      skipped: counters[`edge.class.${name}.skipped`] ?? 0,
      got,
    });
  }
  return out;
}
