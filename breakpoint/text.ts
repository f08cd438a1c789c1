/**
 * The breakpoint as text (pure): one line per step as it runs, and the closing table and verdict.
 */
import type { BreakpointResult, BreakpointStep } from '../formats/breakpoint';
import { table } from '../lib/text-table';

const ms = (v: number | null): string => (v === null ? '–' : `${Math.round(v)}`);
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);

export function formatStep(s: BreakpointStep): string {
  const broke = s.criteria.filter((c) => !c.held).map((c) => c.name);
  return (
    `sent ${s.sentRate?.toFixed(1) ?? '?'}/s, p95 read ${ms(s.p95ReadMs)} ms, p95 write ${ms(s.p95WriteMs)} ms, p99 ${ms(s.p99Ms)} ms, non-2xx ${pct(s.errorRate)}, ` +
    `generator ${s.generatorCpu?.toFixed(2) ?? '?'} cores: ${s.held ? 'held' : `broke (${broke.join(', ')})`}${s.generatorSaturated ? ', generator saturated' : ''}`
  );
}

/** The closing table and verdict lines (pure). */
export function formatResult(r: BreakpointResult): string[] {
  const lines = [`=== Breakpoint (${r.profile}): ${r.steps.length} step(s) of ${r.stepSeconds} s ===`];
  lines.push(
    table(
      ['stage', 'offered/s', 'sent/s', 'p95 read ms', 'p95 write ms', 'p99 ms', 'non-2xx', 'generator cores', 'correctness', 'SLOs'],
      r.steps.map((s) => [
        s.stage,
        String(s.offeredRate),
        s.sentRate?.toFixed(1) ?? '–',
        ms(s.p95ReadMs),
        ms(s.p95WriteMs),
        ms(s.p99Ms),
        pct(s.errorRate),
        `${s.generatorCpu?.toFixed(2) ?? '–'}${s.generatorSaturated ? ' (saturated)' : ''}`,
        s.correctness.every((c) => c.pass) ? 'held' : 'FAILED',
        s.held
          ? 'held'
          : `broke: ${s.criteria
              .filter((c) => !c.held)
              .map((c) => c.name)
              .join(', ')}`,
      ]),
    ),
  );
  lines.push(`highest rate holding every SLO: ${r.highestHeldRate === null ? 'none (not even the first step)' : `${r.highestHeldRate}/s`}`);
  lines.push(
    r.firstBreak
      ? `first to break: ${r.firstBreak.criterion} at ${r.firstBreak.atRate}/s (${r.firstBreak.measured})`
      : r.generatorLimited
        ? 'first to break: the load generator (no SLO broke)'
        : `no SLO broke up to ${r.steps[r.steps.length - 1]?.offeredRate ?? 0}/s: raise the stress rates to find the knee`,
  );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(`correctness at every rate: ${r.correctnessHeld ? 'held (integrity, replay, reconciliation, contract)' : 'FAILED'}`);
  return lines;
}
