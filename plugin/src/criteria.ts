/**
 * Pass/fail criteria over an Artillery report, as pure functions.
 *
 * Criteria come from two places in a scenario's YAML: `ensure` thresholds (`metric: limit`,
 * meaning metric < limit) and this plugin's `expect` list, which adds what `ensure` cannot say:
 * exact counts, ratios of two counters (error rate = failed requests / requests, not failed
 * virtual users) and bands.
 */

export interface ReportLike {
  readonly counters?: Readonly<Record<string, number>>;
  readonly rates?: Readonly<Record<string, number>>;
  readonly summaries?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export type Comparator = 'lt' | 'lte' | 'eq' | 'gte' | 'gt' | 'between';

/**
 * What a failed criterion means. `correctness` (the default for `expect` entries): the data or
 * the contract is wrong, whatever the margin. `performance`: a threshold was missed, and by how
 * much matters. `ensure` thresholds are always `performance`.
 */
export type CriterionKind = 'correctness' | 'performance';
export const CRITERION_KINDS: readonly CriterionKind[] = ['correctness', 'performance'];

/** A comparison with a limit: `equals`, `min`, `max`, `below`, `above` or `between: [low, high]`. */
export interface Comparison {
  readonly op: Comparator;
  readonly limit: number;
  readonly upper?: number;
}

export interface Criterion {
  readonly id: string;
  readonly name: string;
  /** A metric name (counter, rate, or summary with aggregation: http.response_time.p95). */
  readonly metric: string;
  /** When set, the measured value is metric / over (0 when over is 0). */
  readonly over?: string;
  readonly op: Comparator;
  readonly limit: number;
  readonly upper?: number;
  readonly unit: '' | 'ms' | '%' | 'rps';
  readonly source: 'ensure' | 'isolation';
  readonly kind: CriterionKind;
}

export interface CriterionResult {
  readonly criterion: Criterion;
  /** null when the metric is absent from the report. */
  readonly measured: number | null;
  readonly pass: boolean;
}

export function metricValue(report: ReportLike, name: string): number | null {
  if (report.counters && name in report.counters) return report.counters[name]!;
  if (report.rates && name in report.rates) return report.rates[name]!;
  const dot = name.lastIndexOf('.');
  if (dot > 0 && report.summaries) {
    const s = report.summaries[name.slice(0, dot)];
    const v = s?.[name.slice(dot + 1)];
    if (typeof v === 'number') return v;
  }
  return null;
}

export function measure(report: ReportLike, c: Pick<Criterion, 'metric' | 'over'>): number | null {
  const v = metricValue(report, c.metric);
  if (c.over === undefined) return v;
  const d = metricValue(report, c.over);
  if (v === null && d === null) return null;
  if (!d) return 0;
  return (v ?? 0) / d;
}

export function compare(value: number, c: Pick<Criterion, 'op' | 'limit' | 'upper'>): boolean {
  switch (c.op) {
    case 'lt':
      return value < c.limit;
    case 'lte':
      return value <= c.limit;
    case 'eq':
      return value === c.limit;
    case 'gte':
      return value >= c.limit;
    case 'gt':
      return value > c.limit;
    case 'between':
      return value >= c.limit && value <= (c.upper ?? Infinity);
  }
}

export function evaluate(report: ReportLike, criteria: readonly Criterion[]): CriterionResult[] {
  return criteria.map((criterion) => {
    const measured = measure(report, criterion);
    return { criterion, measured, pass: measured !== null && compare(measured, criterion) };
  });
}

const OP_TEXT: Record<Comparator, string> = { lt: '<', lte: '≤', eq: '=', gte: '≥', gt: '>', between: 'in' };

export function formatValue(v: number | null, unit: Criterion['unit']): string {
  if (v === null) return 'missing';
  if (unit === '%') return `${(v * 100).toFixed(2)}%`;
  if (unit === 'ms') return `${Number.isInteger(v) ? v : v.toFixed(1)} ms`;
  if (unit === 'rps') return `${v.toFixed(1)}/s`;
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

export function formatLimit(c: Criterion): string {
  if (c.op === 'between') return `${formatValue(c.limit, c.unit)}–${formatValue(c.upper ?? Infinity, c.unit)}`;
  return `${OP_TEXT[c.op]} ${formatValue(c.limit, c.unit)}`;
}

const ENSURE_OP: Record<Exclude<Comparator, 'between'>, string> = { lt: '<', lte: '<=', eq: '==', gte: '>=', gt: '>' };

/**
 * The same criterion as an `ensure` condition expression (Artillery's ensure plugin, filtrex), so
 * that a runner which re-evaluates `ensure` on the combined report of many workers (run-fargate,
 * run-lambda) judges it too: `isolation.reserve.ok == 50`, `isolation.failed / isolation.requests < 0.02`.
 */
export function ensureExpression(c: Pick<Criterion, 'metric' | 'over' | 'op' | 'limit' | 'upper'>): string {
  const m = c.over ? `${c.metric} / ${c.over}` : c.metric;
  if (c.op === 'between') return `${m} >= ${c.limit} and ${m} <= ${c.upper ?? Number.MAX_SAFE_INTEGER}`;
  return `${m} ${ENSURE_OP[c.op]} ${c.limit}`;
}

/** One line naming the criterion, its limit and what was measured. */
export function describeResult(r: CriterionResult): string {
  return `${r.pass ? 'PASS' : 'FAIL'} ${r.criterion.name}: limit ${formatLimit(r.criterion)}, measured ${formatValue(r.measured, r.criterion.unit)}`;
}

function guessUnit(metric: string): Criterion['unit'] {
  if (/response_time|latency/.test(metric)) return 'ms';
  if (/request_rate|\.rps$/.test(metric)) return 'rps';
  return '';
}

export class CriteriaError extends Error {}

const COMPARISON_KEYS = ['equals', 'min', 'max', 'below', 'above', 'between'] as const;

/** Reads the one comparison key of an entry; pushes a problem naming `where` and returns null when it is wrong. */
export function parseComparison(e: Record<string, unknown>, where: string, problems: string[]): Comparison | null {
  const ops = COMPARISON_KEYS.filter((k) => k in e);
  if (ops.length !== 1) {
    problems.push(`${where} needs exactly one of ${COMPARISON_KEYS.join(', ')}`);
    return null;
  }
  const key = ops[0]!;
  if (key === 'between') {
    const b = e.between;
    if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => typeof x === 'number' && Number.isFinite(x)) || (b[0] as number) > (b[1] as number)) {
      problems.push(`${where}.between must be [low, high] numbers with low <= high`);
      return null;
    }
    return { op: 'between', limit: b[0] as number, upper: b[1] as number };
  }
  const v = e[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    problems.push(`${where}.${key} must be a number`);
    return null;
  }
  return { op: ({ equals: 'eq', min: 'gte', max: 'lte', below: 'lt', above: 'gt' } as const)[key], limit: v };
}

/** Parses `ensure.thresholds` and `isolation.expect`, reporting every problem at once. */
export function parseCriteria(ensure: unknown, expect: unknown): Criterion[] {
  const out: Criterion[] = [];
  const problems: string[] = [];
  const thresholds = (ensure as { thresholds?: unknown } | undefined)?.thresholds;
  if (thresholds !== undefined) {
    if (!Array.isArray(thresholds)) problems.push('ensure.thresholds must be a list');
    else
      thresholds.forEach((t, i) => {
        const entries = typeof t === 'object' && t !== null ? Object.entries(t) : [];
        if (entries.length !== 1 || typeof entries[0]![1] !== 'number') {
          problems.push(`ensure.thresholds[${i}] must be { metric: number }`);
          return;
        }
        const [metric, limit] = entries[0] as [string, number];
        out.push({
          id: `ensure:${metric}`,
          name: `${metric} < ${limit}`,
          metric,
          op: 'lt',
          limit,
          unit: guessUnit(metric),
          source: 'ensure',
          kind: 'performance',
        });
      });
  }
  if (expect !== undefined) {
    if (!Array.isArray(expect)) problems.push('plugins.isolation.expect must be a list');
    else
      expect.forEach((e: Record<string, unknown>, i) => {
        const where = `plugins.isolation.expect[${i}]`;
        if (typeof e !== 'object' || e === null || typeof e.metric !== 'string') {
          problems.push(`${where} needs metric: <name>`);
          return;
        }
        const cmp = parseComparison(e, where, problems);
        if (!cmp) return;
        const kind = e.kind ?? 'correctness';
        if (!CRITERION_KINDS.includes(kind as CriterionKind)) {
          problems.push(`${where}.kind must be correctness or performance`);
          return;
        }
        if (e.over !== undefined && typeof e.over !== 'string') {
          problems.push(`${where}.over must be a metric name`);
          return;
        }
        const unitRaw = e.unit ?? (e.over ? '%' : guessUnit(e.metric));
        if (!['', 'ms', '%', 'rps'].includes(unitRaw as string)) {
          problems.push(`${where}.unit must be one of "", ms, %, rps`);
          return;
        }
        const metric = e.metric;
        const over = e.over as string | undefined;
        const name = typeof e.name === 'string' ? e.name : `${metric}${over ? ` / ${over}` : ''}`;
        out.push({
          id: `isolation:${typeof e.id === 'string' ? e.id : i}`,
          name,
          metric,
          ...(over ? { over } : {}),
          ...cmp,
          unit: unitRaw as Criterion['unit'],
          source: 'isolation',
          kind: kind as CriterionKind,
        });
      });
  }
  if (problems.length > 0) throw new CriteriaError(problems.join('; '));
  return out;
}
