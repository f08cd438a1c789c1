/**
 * `--repeat N`: one scenario run N times from the same seed, judged as one. Pure.
 *
 *   correctness rows   must pass in EVERY run; the row fails if any run failed it, and is
 *                      unknown if no run failed it but one could not check it;
 *   performance rows   with a number (a YAML criterion): judged on the MEDIAN of the runs, with
 *                      the range shown; without one (a per-third series row): on the majority
 *                      of the runs, each run's value shown.
 *
 * A run that measured nothing for a criterion (null) counts as missing: the median is taken over
 * the runs that measured it, and the row fails when none did.
 */
import { compare, formatValue } from 'artillery-plugin-isolation';
import { CheckRow, rowState } from '../formats/summary';
import { missedBy } from './series-criteria';

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function combineCorrectness(runs: readonly CheckRow[]): CheckRow {
  const first = runs[0]!;
  const failed = runs.findIndex((r) => rowState(r) === 'FAIL');
  const unknown = runs.findIndex((r) => !r.pass && r.unknown);
  const unchecked = runs.find((r) => r.notChecked !== undefined);
  const distinct = [...new Set(runs.map((r) => r.measured))];
  const measured = distinct.length === 1 ? `${distinct[0]} (all ${runs.length} runs)` : runs.map((r, i) => `run ${i + 1}: ${r.measured}`).join('; ');
  const base = { ...first, measured, overBy: null };
  if (failed >= 0) return { ...base, pass: false, unknown: false, overBy: runs[failed]!.overBy };
  if (unknown >= 0)
    return { ...base, pass: false, unknown: true, ...(runs[unknown]!.notChecked !== undefined ? { notChecked: runs[unknown]!.notChecked } : {}) };
  // A check not made in one run is not made for the scenario: never a PASS.
  if (unchecked) return { ...base, pass: false, notChecked: unchecked.notChecked! };
  const capped = runs.find((r) => r.capsAt);
  return { ...base, pass: true, ...(capped ? { capsAt: capped.capsAt } : {}) };
}

function combinePerformance(runs: readonly CheckRow[]): CheckRow {
  const first = runs[0]!;
  const m = first.measure;
  if (m) {
    const values = runs.map((r) => r.measure?.value ?? null).filter((v): v is number => v !== null);
    if (values.length === 0) return { ...first, measured: `missing in all ${runs.length} runs`, pass: false, overBy: null };
    const mid = median(values);
    const pass = compare(mid, m);
    const range = `${formatValue(Math.min(...values), m.unit)}–${formatValue(Math.max(...values), m.unit)}`;
    const missing = runs.length - values.length;
    // The host of each run (runner/judge.ts withHost): a median missed while the host was busy in most runs is not the API's alone.
    const busy = runs.filter((r) => r.host?.busy).length;
    const { host: _host, unknown: _unknown, ...rest } = first;
    const host = runs.some((r) => r.host) ? { host: { busy: busy * 2 > runs.length, note: `host busy in ${busy} of ${runs.length} runs` } } : {};
    return {
      ...rest,
      measured: `median ${formatValue(mid, m.unit)} (range ${range} over ${values.length} runs${missing > 0 ? `; missing in ${missing}` : ''}${busy > 0 ? `; host busy in ${busy} of ${runs.length}` : ''})`,
      pass,
      overBy: pass ? null : missedBy(mid, m),
      measure: { ...m, value: mid },
      ...host,
      ...(!pass && busy * 2 > runs.length ? { unknown: true } : {}),
    };
  }
  const passes = runs.filter((r) => r.pass).length;
  const pass = passes * 2 > runs.length;
  const misses = runs.filter((r) => !r.pass).map((r) => r.overBy);
  return {
    ...first,
    measured: `${passes} of ${runs.length} runs passed: ${runs.map((r, i) => `run ${i + 1}: ${r.measured}`).join('; ')}`,
    pass,
    overBy: pass ? null : misses.some((o) => o === null) ? null : median(misses as number[]),
  };
}

/**
 * The rows of N runs of one scenario as one list. Runs list the same criteria in the same order
 * (one scenario file); a row is matched by position and must carry the same name.
 */
export function combineRepeats(runs: readonly (readonly CheckRow[])[]): CheckRow[] {
  if (runs.length === 0) return [];
  if (runs.length === 1) return [...runs[0]!];
  const n = runs[0]!.length;
  if (runs.some((r) => r.length !== n)) throw new Error(`repeat runs listed different numbers of criteria: ${runs.map((r) => r.length).join(', ')}`);
  return runs[0]!.map((_, i) => {
    const column = runs.map((r) => r[i]!);
    return column[0]!.kind === 'correctness' ? combineCorrectness(column) : combinePerformance(column);
  });
}

/** The run a repeated scenario's page shows: the first that failed a correctness row, else the last. */
export function shownRun(runs: readonly (readonly CheckRow[])[]): number {
  const bad = runs.findIndex((rows) => rows.some((r) => r.kind === 'correctness' && rowState(r) === 'FAIL'));
  return bad >= 0 ? bad : runs.length - 1;
}
