/**
 * The breakpoint's judgment, pure: one step's figures from its Artillery report, its criteria
 * against the budgets of its stage, and the knee over the steps.
 */
import { METRICS } from 'artillery-plugin-isolation';
import type { ArtilleryPeriod } from '../formats/artillery-json';
import { summaryOf } from '../formats/artillery-json';
import type { BreakpointResult, BreakpointStep, Budgets, Stage, StepCriterion } from '../formats/breakpoint';
import type { GeneratorLoad } from '../formats/summary';

export interface StepFigures {
  readonly requests: number | null;
  readonly sentRate: number | null;
  readonly p95ReadMs: number | null;
  readonly p95WriteMs: number | null;
  readonly p99Ms: number | null;
  readonly errorRate: number | null;
  /** Virtual users that started late against the phases' schedule, over those started (coordinated omission); null: not measured. */
  readonly lateShare: number | null;
  readonly latenessP95Ms: number | null;
}

/** Non-2xx answers plus requests never answered (Artillery's errors.*), over requests sent. */
export function errorRateOf(a: ArtilleryPeriod): number | null {
  const requests = a.counters['http.requests'];
  if (typeof requests !== 'number' || requests === 0) return null;
  let bad = 0;
  for (const [name, n] of Object.entries(a.counters)) {
    const code = /^http\.codes\.(\d{3})$/.exec(name);
    if (code && !code[1]!.startsWith('2')) bad += n;
    if (name.startsWith('errors.')) bad += n;
  }
  return bad / requests;
}

export function stepFigures(a: ArtilleryPeriod, stepSeconds: number): StepFigures {
  const requests = typeof a.counters['http.requests'] === 'number' ? a.counters['http.requests'] : null;
  return {
    requests,
    sentRate: requests === null ? null : requests / stepSeconds,
    p95ReadMs: summaryOf(a, METRICS.readTime)?.p95 ?? null,
    p95WriteMs: summaryOf(a, METRICS.writeTime)?.p95 ?? null,
    p99Ms: a.summaries['http.response_time']?.p99 ?? null,
    errorRate: errorRateOf(a),
    ...lateness(a),
  };
}

function lateness(a: ArtilleryPeriod): Pick<StepFigures, 'lateShare' | 'latenessP95Ms'> {
  const arrivals = a.counters[METRICS.arrivals];
  const late = a.counters[METRICS.lateStarts];
  return {
    lateShare: typeof arrivals === 'number' && arrivals > 0 && typeof late === 'number' ? late / arrivals : null,
    latenessP95Ms: summaryOf(a, METRICS.startLateness)?.p95 ?? null,
  };
}

/** More than this share of arrivals started late: the generator, not the API, fell behind. */
export const LATE_SHARE = 0.05;

/** The generator fell short of the offered rate by more than this share: it, not the API, was the limit. */
export const SHORTFALL = 0.1;

/** Pure: a step's criteria. A read or write budget whose mix sends no such request is not judged. */
export function judgeStep(
  stage: Stage,
  offeredRate: number,
  f: StepFigures,
  budgets: Budgets,
  gen: GeneratorLoad,
  mix: { reads: boolean; writes: boolean },
): Pick<BreakpointStep, 'criteria' | 'held' | 'generatorSaturated' | 'generatorReasons'> {
  const c = (id: StepCriterion['id'], name: string, value: number | null, limit: number, unit: StepCriterion['unit']): StepCriterion => ({
    id,
    name,
    value,
    limit,
    unit,
    held: value !== null && value <= limit,
  });
  const criteria: StepCriterion[] = [];
  if (mix.reads) criteria.push(c('p95-read', 'p95 read', f.p95ReadMs, budgets.p95ReadMs, 'ms'));
  if (mix.writes) criteria.push(c('p95-write', 'p95 write', f.p95WriteMs, budgets.p95WriteMs, 'ms'));
  criteria.push(c('p99', 'p99 all', f.p99Ms, budgets.p99Ms, 'ms'));
  criteria.push(c('error-rate', `non-2xx (${stage})`, f.errorRate, budgets.errorRate[stage], '%'));
  const generatorReasons = [...gen.reasons];
  if (f.sentRate !== null && f.sentRate < offeredRate * (1 - SHORTFALL))
    generatorReasons.push(`it sent ${f.sentRate.toFixed(1)}/s of the ${offeredRate}/s offered (short by more than ${SHORTFALL * 100}%)`);
  if (f.lateShare !== null && f.lateShare > LATE_SHARE)
    generatorReasons.push(
      `${(f.lateShare * 100).toFixed(0)}% of its arrivals started late (p95 ${f.latenessP95Ms ?? '?'} ms behind the schedule): it fell behind, so the latency the API is blamed for is partly the client's`,
    );
  return { criteria, held: criteria.every((x) => x.held), generatorSaturated: generatorReasons.length > 0, generatorReasons };
}

const shown = (x: StepCriterion): string =>
  x.value === null
    ? 'not measured'
    : x.unit === '%'
      ? `${(x.value * 100).toFixed(2)}% > ${(x.limit * 100).toFixed(0)}%`
      : `${Math.round(x.value)} ms > ${x.limit} ms`;

/** Pure: the knee over the steps run (in order; the run stops at the first step that breaks). */
export function findKnee(
  steps: readonly BreakpointStep[],
): Pick<BreakpointResult, 'highestHeldRate' | 'firstBreak' | 'generatorLimited' | 'correctnessHeld' | 'warnings'> {
  let highestHeldRate: number | null = null;
  let firstBreak: BreakpointResult['firstBreak'] = null;
  let generatorLimited = false;
  const warnings: string[] = [];
  for (const s of steps) {
    if (s.held && !s.generatorSaturated) {
      highestHeldRate = s.offeredRate;
      continue;
    }
    if (!s.held) {
      const broke = s.criteria.find((x) => !x.held)!;
      firstBreak = { criterion: broke.name, atRate: s.offeredRate, measured: shown(broke) };
      if (s.generatorSaturated) {
        generatorLimited = true;
        warnings.push(
          `the load generator was saturated at ${s.offeredRate}/s when ${broke.name} broke (${s.generatorReasons.join('; ')}): the latency measured is partly the client's; generate the load from more cores or machines to find the API's own knee`,
        );
      }
    } else {
      generatorLimited = true;
      warnings.push(
        `the limit found at ${s.offeredRate}/s was the load generator's, not the API's (${s.generatorReasons.join('; ')}); every SLO still held: generate the load from more cores or machines to find the API's own knee`,
      );
    }
    break;
  }
  const correctnessHeld = steps.every((s) => s.correctness.every((r) => r.pass));
  if (!correctnessHeld) {
    const bad = steps.find((s) => s.correctness.some((r) => !r.pass))!;
    warnings.push(
      `a correctness check failed at ${bad.offeredRate}/s: ${bad.correctness
        .filter((r) => !r.pass)
        .map((r) => `${r.name} (${r.measured})`)
        .join('; ')}`,
    );
  }
  return { highestHeldRate, firstBreak, generatorLimited, correctnessHeld, warnings };
}
