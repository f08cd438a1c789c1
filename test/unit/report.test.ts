import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArtilleryReport } from '../../formats/artillery-json';
import { buildModel, failureReasons, headline } from '../../report/model';
import { renderScenarioHtml, esc, scriptJson } from '../../report/html';
import { compareRuns, formatCompare } from '../../report/compare';
import { renderResultsMarkdown } from '../../report/results-md';
import { PackError } from '../../lib/errors';

const plain = parseArtilleryReport(fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'artillery-plain.json'), 'utf8'), 'plain.json');

const packReport = {
  aggregate: {
    counters: {
      'http.requests': 1000,
      'isolation.requests': 1000,
      'isolation.conflicts': 150,
      'isolation.failed': 2,
      'isolation.serialization_retries': 40,
      'isolation.reserve.ok': 600,
      'isolation.reserve.conflict': 150,
      'isolation.conflict.insufficient_units': 150,
      'http.codes.200': 848,
      'http.codes.409': 150,
      'http.codes.503': 2,
    },
    rates: {},
    summaries: {
      'http.response_time': { median: 5, p95: 20, p99: 90 },
      'isolation.attempts': { min: 1, median: 1, p95: 2, p99: 3, max: 4 },
      'isolation.response_time.reserve': { median: 5, p95: 21, p99: 80, max: 120 },
    },
    firstMetricAt: 1_700_000_000_000,
    lastMetricAt: 1_700_000_020_000,
  },
  intermediate: [0, 1].map((i) => ({
    period: 1_700_000_000_000 + i * 10_000,
    counters: { 'http.requests': 500, 'isolation.requests': 500, 'isolation.conflicts': 75, 'isolation.serialization_retries': 20 * i, 'http.codes.200': 425 },
    rates: {},
    summaries: { 'http.response_time': { median: 5, p95: 20, p99: 90 } },
  })),
};

describe('report model', () => {
  it('says why requests failed, for any Artillery report: error statuses and client-side error codes, in total and over time', () => {
    const period = (t: number, counters: Record<string, number>) => ({ period: t, counters, rates: {}, summaries: {} });
    const r = parseArtilleryReport(
      JSON.stringify({
        aggregate: {
          counters: { 'http.requests': 30, 'http.codes.200': 20, 'http.codes.409': 2, 'http.codes.503': 3, 'errors.ECONNRESET': 4, 'errors.ETIMEDOUT': 1 },
          rates: {},
          summaries: {},
          firstMetricAt: 1_700_000_000_000,
          lastMetricAt: 1_700_000_020_000,
        },
        intermediate: [
          period(1_700_000_000_000, { 'http.requests': 15, 'http.codes.200': 15 }),
          period(1_700_000_010_000, {
            'http.requests': 15,
            'http.codes.200': 5,
            'http.codes.409': 2,
            'http.codes.503': 3,
            'errors.ECONNRESET': 4,
            'errors.ETIMEDOUT': 1,
          }),
        ],
      }),
      'faults.json',
    );
    expect(failureReasons(r)).toBe('Why requests failed: error statuses 503 × 3; no answer (client-side errors) ECONNRESET × 4, ETIMEDOUT × 1.');
    const m = buildModel(r, null, null, 'faults.json');
    expect(m.findings).toContain(failureReasons(r));
    const codes = m.charts.find((c) => c.id === 'codes')!;
    expect(codes.title).toBe('Status codes and client errors over time');
    expect(codes.series.map((s) => [s.label, s.values])).toEqual(
      expect.arrayContaining([
        ['503', [0, 3]],
        ['no answer: ECONNRESET', [0, 4]],
        ['no answer: ETIMEDOUT', [0, 1]],
      ]),
    );
    // A clean run says so; a report with no request says nothing.
    expect(failureReasons(parseArtilleryReport(JSON.stringify({ aggregate: { counters: { 'http.requests': 5, 'http.codes.200': 5 } } }), 'ok.json'))).toBe(
      'Why requests failed: none did (no error status, no client-side error).',
    );
    expect(failureReasons(parseArtilleryReport(JSON.stringify({ aggregate: { counters: {} } }), 'empty.json'))).toBeNull();
  });

  it('renders any Artillery 2 report and says what is missing instead of crashing', () => {
    const m = buildModel(plain, null, null, 'plain.json');
    expect(m.tiles.find((t) => t.label === 'requests')!.value).not.toBe('–');
    expect(m.missing.join('\n')).toMatch(/did not use artillery-plugin-isolation/);
    expect(m.missing.join('\n')).toMatch(/not produced by a pack run/);
    expect(m.charts.map((c) => c.id)).toEqual(['latency', 'rate', 'codes']);
    const html = renderScenarioHtml(m, '/* chart.js */', null);
    expect(html).toContain('id="verdict"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  });

  it("shows the pack's metrics: 409 rate, retries, per-operation latency, findings", () => {
    const r = parseArtilleryReport(JSON.stringify(packReport), 'x.json');
    expect(headline(r)).toMatchObject({ requests: 1000, rps: 50, p95: 20, conflictRate: 0.15, errorRate: 0.002, retriesPerRequest: 0.04 });
    const m = buildModel(
      r,
      {
        id: 'scenario3',
        title: 'Mixed',
        rows: [{ scenario: 'scenario3', name: 'x', limit: '< 1', measured: '2', pass: false, kind: 'performance', overBy: 1 }],
        pool: { max: 4, acquired: 100, waits: 10, timeouts: 0, errors: 0, maxInUse: 4, inUse: 0, waiting: 0 },
      },
      null,
      'x.json',
    );
    expect(m.charts.map((c) => c.id)).toEqual(expect.arrayContaining(['conflict-rate', 'retries', 'reasons', 'attempts', 'operations']));
    expect(m.verdict).toBe('FAIL (1 of 1 criteria failed)');
    expect(m.findings.join(' ')).toMatch(/Slowest operation: reserve .*p95 21/);
    expect(m.findings.join(' ')).toMatch(/The pool was saturated/);
    expect(m.findings.join(' ')).toMatch(/p99 is 18\.0× the median/);
  });

  it('rejects a truncated or foreign file with a clear message', () => {
    expect(() => parseArtilleryReport('{"aggregate": {"counters"', 'cut.json')).toThrow(PackError);
    expect(() => parseArtilleryReport('{"aggregate": {"counters"', 'cut.json')).toThrow(/cut.json is not valid JSON \(truncated or not an Artillery report\)/);
    expect(() => parseArtilleryReport('{"hello": 1}', 'other.json')).toThrow(/has no "aggregate" object/);
  });

  it('escapes text and keeps </script> out of inlined data', () => {
    expect(esc('<b onclick="x">&')).toBe('&lt;b onclick=&quot;x&quot;&gt;&amp;');
    expect(scriptJson({ s: '</script><script>alert(1)</script>' })).not.toContain('</script>');
  });
});

describe('comparison and results', () => {
  it('computes B − A deltas and says which way is better', () => {
    const a = new Map([['scenario1', { requests: 100, rps: 10, p50: 5, p95: 100, p99: 200, errorRate: 0, conflictRate: 0.1, retriesPerRequest: 0.5 }]]);
    const b = new Map([['scenario1', { requests: 100, rps: 12, p50: 5, p95: 80, p99: 260, errorRate: 0, conflictRate: 0.1, retriesPerRequest: 0.25 }]]);
    const rows = compareRuns(a, b);
    expect(rows.find((r) => r.metric === 'p95 latency')).toMatchObject({ delta: -20, deltaPct: -20, better: true });
    expect(rows.find((r) => r.metric === 'p99 latency')).toMatchObject({ delta: 60, better: false });
    expect(formatCompare(rows).find((r) => r[1] === 'requests/s')).toEqual(['scenario1', 'requests/s', '10', '12', '+2 (+20.0%)', 'better']);
  });

  it("writes PERFORMANCE_TEST_RESULTS.md with the plan's sections and the named third state", () => {
    const md = renderResultsMarkdown(
      {
        runId: 'r1',
        runDir: 'r1',
        meta: {} as never,
        profile: 'quick',
        target: 'http://x',
        apiMode: 'safe',
        startedAt: 's',
        endedAt: 'e',
        decision: 'CONDITIONAL',
        warnings: [],
        reasons: ['scenario2: p95 missed by 10%'],
        crashes: [],
        scenarios: [
          {
            id: 'scenario2',
            title: 'High throughput',
            reportFile: 'throughput.json',
            rows: [{ scenario: 'scenario2', name: 'p95', limit: '< 150 ms', measured: '165 ms', pass: false, kind: 'performance', overBy: 0.1 }],
            integrity: { columns: [], rows: [] },
          },
        ],
      },
      new Map(),
      new Map([['scenario2', ['Slowest operation: reserve']]]),
    );
    for (const h of [
      '## Executive summary',
      '## Detailed metrics',
      '## Database integrity',
      '### What broke first',
      '### What would break next',
      '## GO/NO-GO recommendation',
    ])
      expect(md).toContain(h);
    expect(md).toContain('**FAIL**. **CONDITIONAL** (between GO and NO-GO)');
    expect(md).toContain('- scenario2: p95 (limit < 150 ms, measured 165 ms)');
  });
});
