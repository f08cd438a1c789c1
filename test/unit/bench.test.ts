import type { BenchResults } from '../../formats/bench';
import { parseUsage } from '../../bench/context';
import { mergeFigures, renderBenchMarkdown } from '../../bench/render';
import { meets } from '../../bench/goal';
import { waveP95s } from '../../bench/first-run';

describe('npm run bench: goals and the results table', () => {
  it('judges a median against its goal (and fails it just past the limit)', () => {
    expect(meets(1.1, { op: 'lte', limit: 1.1, text: '' })).toBe(true);
    expect(meets(1.1001, { op: 'lte', limit: 1.1, text: '' })).toBe(false);
    expect(meets(10, { op: 'lt', limit: 10, text: '' })).toBe(false);
    expect(meets(0.5, { op: 'gte', limit: 0.5, text: '' })).toBe(true);
    expect(meets(0.49, { op: 'gte', limit: 0.5, text: '' })).toBe(false);
  });

  it('reads the exit usage line a measured process prints', () => {
    expect(parseUsage(['noise', 'bench-usage rss-kb=2048 cpu-ms=1500'])).toEqual({ peakRssMb: 2, cpuSeconds: 1.5 });
    expect(parseUsage(['no usage here'])).toBeNull();
  });

  it('renders every figure with its median, range, goal and status, and says which were not measured', () => {
    const results: BenchResults = {
      version: 1,
      startedAt: '2026-11-23T10:00:00.000Z',
      endedAt: '2026-11-23T10:30:00.000Z',
      command: 'npm run bench',
      repeats: 3,
      machine: { cpus: 2, cpuModel: 'x', memoryGb: 23, os: 'Linux', node: '20.19.0', postgres: '17.6', artillery: '2.0.21' },
      figures: [
        {
          id: 'B3',
          title: 'Scenario 1 latency',
          measure: 'p95',
          unit: 'ms',
          values: [90, 102.5, 110],
          median: 102.5,
          min: 90,
          max: 110,
          goal: { op: 'lte', limit: 60, text: '≤ 60 ms' },
          met: false,
          detail: { 'server pool p50 / p95': '37 ms / 54 ms' },
          notes: ['a note'],
          command: 'npm run load-test:scenario1 -- --repeat 3',
          seconds: 240,
        },
        {
          id: 'B6',
          title: 'Seeding',
          measure: 's',
          unit: 's',
          values: [],
          median: null,
          min: null,
          max: null,
          goal: { op: 'lt', limit: 10, text: '< 10 s' },
          met: null,
          detail: {},
          notes: [],
          command: 'npm run load-test:seed -- --authorizations 100000',
          seconds: 1,
          error: 'boom',
        },
      ],
    };
    const md = renderBenchMarkdown(results);
    expect(md).toContain('| B3 | Scenario 1 latency: p95 | 102.5 ms | 90.0 ms – 110.0 ms | ≤ 60 ms | **missed** |');
    expect(md).toContain('| B6 | Seeding: s | – | – | < 10 s | not measured |');
    expect(md).toContain('Not measured: boom');
    expect(md).toContain('| server pool p50 / p95 | 37 ms / 54 ms |');
    expect(md).toMatch(/Machine: 2 × x, 23 GB, Linux; Node 20\.19\.0; PostgreSQL 17\.6; Artillery 2\.0\.21\./);
    // Nothing here was kept from another run: no dates under the headings (the control for the test below).
    expect(md).not.toContain('Measured at');

    // `--only B6` measures B6 again and keeps B3 from this run, dated by it, in the benchmarks' order.
    const b6 = {
      ...results.figures[1]!,
      values: [2.5],
      median: 2.5,
      min: 2.5,
      max: 2.5,
      met: true,
      error: undefined,
      measuredAt: '2026-11-24T01:00:00.000Z',
      measuredBy: 'npm run bench -- --only B6',
    };
    const merged = mergeFigures(results, [b6], ['B1', 'B3', 'B6']);
    expect(merged.map((f) => [f.id, f.median, f.measuredBy])).toEqual([
      ['B3', 102.5, 'npm run bench'],
      ['B6', 2.5, 'npm run bench -- --only B6'],
    ]);
    const again = renderBenchMarkdown({ ...results, command: 'npm run bench -- --only B6', figures: merged });
    expect(again).toContain('Measured at 2026-11-23T10:30:00.000Z by `npm run bench`.');
    expect(again).toContain('| B6 | Seeding: s | 2.50 s | 2.50 s – 2.50 s | < 10 s | met |');
  });
});

describe('B11: the waves of scenario 1, from its history', () => {
  const wave = (start: number, latencies: number[], prefix: string) =>
    latencies.flatMap((l, i) => [
      { type: 'invoke', time: start + i, key: `${prefix}${i}` },
      { type: 'ok', time: start + i + l, key: `${prefix}${i}` },
    ]);

  it("splits requests into waves by the gap between starts, and gives each wave's p95; probes of reused keys are left out", () => {
    const events = [
      ...wave(1000, [10, 20, 30, 40, 200], 'a'),
      { type: 'invoke', time: 1002, key: 'probe', probe: 'reuse' },
      { type: 'fail', time: 1900, key: 'probe' },
      ...wave(3000, [5, 5, 5, 6, 7], 'b'),
    ];
    expect(waveP95s(events)).toEqual([200, 7]);
    // Negative control: with a gap longer than the silence between them, the two waves are one.
    expect(waveP95s(events, 5000)).toEqual([200]);
  });
});
