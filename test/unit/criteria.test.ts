import { evaluate, parseCriteria } from 'artillery-plugin-isolation';
import { criterionRow, decide, reconciliationRow } from '../../runner/judge';

const report = {
  counters: { 'isolation.failed': 3, 'isolation.requests': 200, 'isolation.reserve.ok': 50 },
  rates: { 'http.request_rate': 120 },
  summaries: { 'http.response_time': { p95: 150, p99: 240 } },
};

describe('criteria', () => {
  const criteria = parseCriteria({ thresholds: [{ 'http.response_time.p95': 200 }, { 'http.response_time.p99': 200 }] }, [
    { name: 'error rate', metric: 'isolation.failed', over: 'isolation.requests', below: 0.02 },
    { name: 'exact', metric: 'isolation.reserve.ok', equals: 50 },
    { name: 'rps', metric: 'http.request_rate', min: 100, unit: 'rps' },
    { name: 'band', metric: 'isolation.failed', over: 'isolation.requests', between: [0.1, 0.2] },
  ]);

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

  it('judges by the kind the YAML gives, not by the operator: a correctness guard missed by 10% is NO-GO, a performance one CONDITIONAL', () => {
    const [guard, perf] = parseCriteria(undefined, [
      { name: 'no overbooking', kind: 'correctness', metric: 'isolation.units.reserved', max: 500 },
      { name: 'throughput', kind: 'performance', metric: 'isolation.units.reserved', max: 500 },
    ]);
    const r = evaluate({ counters: { 'isolation.units.reserved': 550 } }, [guard!, perf!]).map((x) => criterionRow('s', x));
    expect(r.map((x) => [x.kind, x.pass])).toEqual([
      ['correctness', false],
      ['performance', false],
    ]);
    expect(decide([r[0]!], []).decision).toBe('NO-GO');
    expect(decide([r[1]!], []).decision).toBe('CONDITIONAL');
  });

  it('an expect entry without a kind is correctness (the safe default); ensure thresholds are performance; a wrong kind is refused', () => {
    const [t, e] = parseCriteria({ thresholds: [{ 'http.response_time.p95': 1 }] }, [{ metric: 'isolation.failed', equals: 0 }]);
    expect([t!.kind, e!.kind]).toEqual(['performance', 'correctness']);
    expect(() => parseCriteria(undefined, [{ metric: 'isolation.failed', equals: 0, kind: 'nice-to-have' }])).toThrow(
      /isolation.expect\[0\].kind must be correctness or performance/,
    );
  });

  it('UNKNOWN when a correctness check could not be made; NO-GO still beats it; counters mode caps a pass at CONDITIONAL', () => {
    const row = (over: Partial<Parameters<typeof decide>[0][number]>) => ({
      scenario: 's',
      name: 'n',
      limit: 'l',
      measured: 'm',
      pass: true,
      kind: 'correctness' as const,
      overBy: null,
      ...over,
    });
    const unknown = row({ pass: false, unknown: true, name: 'reconciliation', measured: 'truncated files' });
    expect(decide([row({}), unknown], [])).toEqual({ decision: 'UNKNOWN', reasons: ['s: reconciliation could not be checked (truncated files)'] });
    expect(decide([unknown, row({ pass: false })], []).decision).toBe('NO-GO');
    expect(decide([unknown, row({ pass: false, kind: 'performance', overBy: 0.1 })], []).decision).toBe('UNKNOWN');
    const counters = row({ capsAt: 'CONDITIONAL', measured: 'valid true in counters mode' });
    expect(decide([row({}), counters], []).decision).toBe('CONDITIONAL');
    expect(decide([row({})], []).decision).toBe('GO');
  });

  it('the reconciliation row: counters mode never supports a GO on its own; an unknown verdict is an unknown row', () => {
    const verdict = (valid: true | false | 'unknown') => ({ checker: 'reconciliation', valid, errors: {} });
    expect(reconciliationRow('s', { mode: 'counters', verdict: verdict(true), counts: {}, source: 'x' })).toMatchObject({ pass: true, capsAt: 'CONDITIONAL' });
    expect(reconciliationRow('s', { mode: 'history', verdict: verdict('unknown'), counts: {}, source: 'x' })).toMatchObject({ pass: false, unknown: true });
    expect(reconciliationRow('s', { mode: 'none', verdict: verdict('unknown'), counts: {}, source: 'x' }).measured).toMatch(/^not reconciled/);
    expect(reconciliationRow('s', { mode: 'history', verdict: verdict(true), counts: {}, source: 'x' })).toEqual(
      expect.not.objectContaining({ capsAt: expect.anything() }),
    );
  });
});
