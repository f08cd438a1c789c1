import type { CheckRow } from '../../formats/summary';
import { decide } from '../../runner/judge';
import { combineRepeats, median, shownRun } from '../../runner/repeat';

const p95 = (value: number | null, pass: boolean): CheckRow => ({
  scenario: 's1',
  name: 'p95 < 200',
  limit: '< 200 ms',
  measured: value === null ? 'missing' : `${value} ms`,
  pass,
  kind: 'performance',
  overBy: pass ? null : value === null ? null : (value - 200) / 200,
  measure: { value, op: 'lt', limit: 200, unit: 'ms' },
});
const exact = (measured: string, pass: boolean, unknown = false): CheckRow => ({
  scenario: 's1',
  name: 'exactly 50',
  limit: '= 50',
  measured,
  pass,
  kind: 'correctness',
  overBy: null,
  ...(unknown ? { unknown } : {}),
});
const third = (measured: string, pass: boolean): CheckRow => ({
  scenario: 's1',
  name: 'sustained RPS',
  limit: '≥ 100/s',
  measured,
  pass,
  kind: 'performance',
  overBy: pass ? null : 0.1,
});

describe('--repeat: latency on the median, correctness in every run', () => {
  it('takes the median (odd and even counts)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('passes a latency criterion one run missed when the median holds, and shows the range', () => {
    const [row] = combineRepeats([[p95(150, true)], [p95(260, false)], [p95(170, true)]]);
    expect(row).toMatchObject({ pass: true, overBy: null, measured: 'median 170 ms (range 150 ms–260 ms over 3 runs)' });
    expect(row!.measure!.value).toBe(170);
  });

  it('negative control: fails it when the median misses, with the miss measured from the median', () => {
    const [row] = combineRepeats([[p95(150, true)], [p95(260, false)], [p95(240, false)]]);
    expect(row).toMatchObject({ pass: false, overBy: 0.2 });
    expect(decide([row!], []).decision).toBe('CONDITIONAL');
  });

  it('judges the median over the runs that measured the metric, and fails when none did', () => {
    expect(combineRepeats([[p95(150, true)], [p95(null, false)], [p95(170, true)]])[0]).toMatchObject({
      pass: true,
      measured: expect.stringContaining('missing in 1'),
    });
    expect(combineRepeats([[p95(null, false)], [p95(null, false)]])[0]).toMatchObject({ pass: false, measured: 'missing in all 2 runs' });
  });

  it('fails a correctness criterion that failed in any single run (NO-GO), naming each run', () => {
    const [row] = combineRepeats([[exact('50', true)], [exact('51', false)], [exact('50', true)]]);
    expect(row).toMatchObject({ pass: false, measured: 'run 1: 50; run 2: 51; run 3: 50' });
    expect(decide([row!], []).decision).toBe('NO-GO');
    expect(combineRepeats([[exact('50', true)], [exact('50', true)]])[0]).toMatchObject({ pass: true, measured: '50 (all 2 runs)' });
  });

  it('makes a correctness row unknown when one run could not check it and none failed it', () => {
    const [row] = combineRepeats([[exact('50', true)], [exact('no history', false, true)]]);
    expect(row).toMatchObject({ pass: false, unknown: true });
    expect(decide([row!], []).decision).toBe('UNKNOWN');
  });

  it('judges a row without a single number (per-third series) by the majority of runs', () => {
    expect(combineRepeats([[third('120 / 90', false)], [third('130 / 125', true)], [third('110 / 105', true)]])[0]).toMatchObject({
      pass: true,
      measured: expect.stringMatching(/^2 of 3 runs passed: run 1: 120 \/ 90; /),
    });
    expect(combineRepeats([[third('a', false)], [third('b', false)], [third('c', true)]])[0]!.pass).toBe(false);
  });

  it('refuses runs that list different criteria, and shows the first run that failed a correctness row', () => {
    expect(() => combineRepeats([[exact('50', true)], []])).toThrow(/different numbers of criteria/);
    expect(shownRun([[exact('50', true)], [exact('49', false)], [exact('48', false)]])).toBe(1);
    expect(shownRun([[exact('50', true)], [p95(300, false)]])).toBe(1);
    expect(shownRun([[exact('50', true)], [exact('50', true)]])).toBe(1);
  });
});
