import { evaluate, parseCriteria } from 'artillery-plugin-isolation';
import { criterionRow, decide } from '../../runner/judge';

const report = {
  counters: { 'isolation.failed': 3, 'isolation.requests': 200, 'isolation.reserve.ok': 50 },
  rates: { 'http.request_rate': 120 },
  summaries: { 'http.response_time': { p95: 150, p99: 240 } },
};

describe('criteria', () => {
  const criteria = parseCriteria(
    { thresholds: [{ 'http.response_time.p95': 200 }, { 'http.response_time.p99': 200 }] },
    [
      { name: 'error rate', metric: 'isolation.failed', over: 'isolation.requests', below: 0.02 },
      { name: 'exact', metric: 'isolation.reserve.ok', equals: 50 },
      { name: 'rps', metric: 'http.request_rate', min: 100, unit: 'rps' },
      { name: 'band', metric: 'isolation.failed', over: 'isolation.requests', between: [0.1, 0.2] },
    ],
  );

  it('evaluates thresholds, ratios of counters, exact counts and bands', () => {
    const r = evaluate(report, criteria);
    expect(r.map((x) => [x.criterion.name, x.measured, x.pass])).toEqual([
      ['http.response_time.p95 < 200', 150, true],
      ['http.response_time.p99 < 200', 240, false],
      ['error rate', 0.015, true],
      ['exact', 50, true],
      ['rps', 120, true],
      ['band', 0.015, false],
    ]);
  });

  it('a missing metric fails its criterion', () => {
    expect(evaluate({}, [criteria[3]!])[0]).toMatchObject({ measured: null, pass: false });
  });

  it('decides GO, CONDITIONAL (missed by <= 50%) and NO-GO (correctness or > 50%)', () => {
    const rows = evaluate(report, criteria).map((r) => criterionRow('s', r));
    expect(rows[1]).toMatchObject({ kind: 'performance', overBy: 0.2 });
    expect(decide([rows[0]!, rows[2]!], []).decision).toBe('GO');
    expect(decide([rows[0]!, rows[1]!], []).decision).toBe('CONDITIONAL');
    expect(decide([rows[0]!, rows[5]!], []).decision).toBe('NO-GO');
    expect(decide([{ ...rows[3]!, pass: false }], []).decision).toBe('NO-GO');
    expect(decide([rows[0]!], ['api died']).decision).toBe('NO-GO');
  });
});
