/**
 * The distributed shape (runner/distributed.ts, split.ts, combine.ts) against the installed
 * Artillery's own code (2.0.21 on Node 20, the newest on Node 24: test/support/artillery.ts asks
 * it): the split equals Artillery's divideWork on every phase shape the pack uses (its constant
 * rates kept whole, on purpose), the combination of N workers' periods equals what one process
 * measures and what Artillery's SSMS makes of the same periods, and each scenario's bundle
 * (Artillery's own BOM, as run-fargate builds it) carries the fixture.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import type { SerializedPeriod } from 'artillery-plugin-isolation';
import { prepareScript, splitScript, workerScript, type Script } from '../../runner/distributed';
import { combinePeriods, parseWorkerMetrics } from '../../runner/combine';
import { type Phase, splitPhases } from '../../runner/split';
import { ARTILLERY_VERSION, ROOT, askArtillery } from '../support/artillery';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
// 600 answers over 25 s (three 10-s periods), a long tail, one in ten a success.
const samples = Array.from({ length: 600 }, (_, i) => ({ t: T0 + i * 41, ms: 5 + ((i * 37) % 97) + (i % 50 === 0 ? 900 : 0), ok: i % 10 === 0 }));
const byWorker = [0, 1, 2].map((w) => samples.filter((_, i) => i % 3 === w));

interface Asked {
  /** Per worker, its periods as the plugin writes them (plugin/src/worker-metrics.ts). */
  readonly workers: SerializedPeriod[][];
  /** What Artillery's own SSMS makes of the same periods: its leader's merge and pack. */
  readonly artillery: { counters: Record<string, number>; summary: Record<string, number>; periods: { period: number; summary: Record<string, number> }[] };
}

/** Each sample set recorded by Artillery's own metrics store, one store per worker. */
function record(sets: readonly (readonly { t: number; ms: number; ok: boolean }[])[]): Asked {
  return askArtillery<Asked>(
    `
    const periodsOf = (set) => {
      const m = new SSMS({ pullOnly: true });
      for (const s of set) {
        m.incr('http.requests', 1, s.t);
        m.incr(s.ok ? 'isolation.reserve.ok' : 'isolation.reserve.conflict', 1, s.t);
        m.histogram('http.response_time', s.ms, s.t);
      }
      m.aggregate(true);
      const out = m.getBucketIds().map((p) => m.getMetrics(p));
      m.stop();
      return out;
    };
    const raw = input.map(periodsOf);
    const workers = raw.map((ps) => ps.map((p) => ({
      period: Number(p.period), counters: p.counters, rates: p.rates ?? {},
      histograms: Object.fromEntries(Object.entries(p.histograms).map(([k, h]) => [k, Buffer.from(h.toProto()).toString('base64')])),
    })));
    const merged = SSMS.mergeBuckets(raw.flat());
    const keys = Object.keys(merged).sort((a, b) => Number(a) - Number(b));
    const packed = SSMS.pack(keys.map((k) => merged[k]));
    return {
      workers,
      artillery: {
        counters: packed.counters,
        summary: SSMS.summarizeHistogram(packed.histograms['http.response_time']),
        periods: keys.map((k) => ({ period: Number(k), summary: SSMS.summarizeHistogram(merged[k].histograms['http.response_time']) })),
      },
    };
    `,
    sets,
  );
}

describe(`combining workers the way the distributed leader does (Artillery ${ARTILLERY_VERSION})`, () => {
  const one = record([samples]);
  const three = record(byWorker);
  const c1 = combinePeriods(one.workers);
  const c3 = combinePeriods(three.workers);

  it("three workers give the counters and percentiles of one process, in the aggregate and in every period, and Artillery's own merge agrees", () => {
    expect(c3.aggregate.counters).toEqual(c1.aggregate.counters);
    expect(c3.aggregate.counters['http.requests']).toBe(600);
    expect(c3.aggregate.summaries['http.response_time']).toEqual(c1.aggregate.summaries['http.response_time']);
    expect(c3.intermediate.map((p) => p.period)).toEqual(c1.intermediate.map((p) => p.period));
    expect(c3.intermediate.length).toBe(3);
    c3.intermediate.forEach((p, i) => {
      expect(p.counters).toEqual(c1.intermediate[i]!.counters);
      expect(p.summaries['http.response_time']).toEqual(c1.intermediate[i]!.summaries['http.response_time']);
    });
    // What Artillery's SSMS (mergeBuckets, pack, summarizeHistogram) makes of the same periods.
    expect(c3.aggregate.counters).toEqual(three.artillery.counters);
    expect(c3.aggregate.summaries['http.response_time']).toEqual(three.artillery.summary);
    expect(c3.intermediate.map((p) => [p.period, p.summaries['http.response_time']])).toEqual(three.artillery.periods.map((p) => [p.period, p.summary]));
    // Written as `artillery run --output` writes it: histograms are the summaries.
    expect(c3.aggregate.histograms).toEqual(c3.aggregate.summaries);
  });

  it('negative control: a missing worker changes the counts, and averaging per-worker p99s is not the p99', () => {
    const two = combinePeriods(three.workers.slice(0, 2));
    expect(two.aggregate.counters).not.toEqual(c1.aggregate.counters);
    const perWorker = three.workers.map((w) => combinePeriods([w]).aggregate.summaries['http.response_time']!.p99!);
    const averaged = perWorker.reduce((a, b) => a + b, 0) / perWorker.length;
    expect(averaged).not.toBeCloseTo(c1.aggregate.summaries['http.response_time']!.p99!, 0);
  });

  it('a worker file without its "done" line is refused by name', () => {
    const lines = one.workers[0]!.map((period) => JSON.stringify({ event: 'period', period }));
    expect(parseWorkerMetrics([...lines, JSON.stringify({ event: 'done', periods: lines.length })].join('\n'), 'w1')).toHaveLength(lines.length);
    expect(() => parseWorkerMetrics(lines.join('\n'), 'worker-2.metrics.ndjson')).toThrow(/worker-2\.metrics\.ndjson has no "done" line/);
    expect(() => parseWorkerMetrics('{not json', 'w3')).toThrow(/w3, line 1/);
  });
});

/** A scenario of the pack as `artillery run --environment <profile>` prepares it. */
function prepared(file: string, profile: string): Script {
  return prepareScript(YAML.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8')) as Script, profile, 'http://127.0.0.1:1');
}

const arrivals = (phases: readonly Phase[]): number[] =>
  phases.map((p) =>
    typeof p.arrivalRate === 'number'
      ? ((p.arrivalRate + (typeof p.rampTo === 'number' ? p.rampTo : p.arrivalRate)) / 2) * Number(p.duration)
      : typeof p.arrivalCount === 'number'
        ? p.arrivalCount
        : 0,
  );

describe(`splitting a scenario over workers (Artillery ${ARTILLERY_VERSION}'s rules)`, () => {
  // Every phase shape the pack's scenarios use, in both profiles, and the shapes Artillery knows.
  const SHAPES: Phase[][] = [
    [{ duration: 10, arrivalRate: 0, rampTo: 30 }],
    [{ duration: 10, arrivalRate: 5, rampTo: 20, maxVusers: 50 }],
    [{ duration: 10, arrivalRate: 7, maxVusers: 20 }],
    [{ duration: 10, arrivalRate: 2 }],
    [{ duration: 1, arrivalCount: 20 }, { pause: 5 }, { duration: 3, arrivalRate: 10 }],
  ];
  const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yml'));

  it('equals divideWork on every shape it shares with Artillery', () => {
    const theirs = askArtillery<Phase[][][]>(
      `return input.map(({ phases, n }) => divideWork({ config: { phases: JSON.parse(JSON.stringify(phases)) }, scenarios: [] }, n).map((s) => s.config.phases));`,
      SHAPES.flatMap((phases) => [2, 3, 4].map((n) => ({ phases, n }))),
    );
    const ours = SHAPES.flatMap((phases) => [2, 3, 4].map((n) => splitPhases(phases, n)));
    expect(JSON.parse(JSON.stringify(ours))).toEqual(theirs);
  });

  const environments = (f: string): string[] =>
    Object.keys((YAML.parse(fs.readFileSync(path.join(ROOT, 'scenarios', f), 'utf8')) as Script).config.environments ?? {});
  it.each(scenarios.flatMap((f) => environments(f).map((p) => [f, p] as const)))(
    '%s (%s) over 3 workers keeps every arrival, in whole constant rates',
    (file, profile) => {
      const script = prepared(file, profile);
      const phases = (script.config.phases ?? []) as Phase[];
      const parts = splitScript(script, 3);
      const original = arrivals(phases);
      const summed = original.map((_, i) => parts.reduce((n, p) => n + (arrivals(p.config.phases as Phase[])[i] ?? 0), 0));
      expect(summed.map((x) => Math.round(x * 1e6) / 1e6)).toEqual(original);
      for (const p of parts)
        for (const ph of p.config.phases as Phase[])
          if (ph.arrivalRate !== undefined && ph.rampTo === ph.arrivalRate) expect(Number.isInteger(ph.arrivalRate)).toBe(true);
    },
  );

  it("scenario 1 over 3 workers keeps every wave at exactly 50; negative control: Artillery's divideWork alone splits it into fractions and adds arrivals", () => {
    const script = prepared('high-contention.yml', 'quick');
    const waves = arrivals(script.config.phases as Phase[]).filter((n) => n > 0);
    expect(waves).toEqual(Array(10).fill(50));
    const theirs = askArtillery<Phase[][]>(`return divideWork(input, 3).map((s) => s.config.phases);`, script);
    const rate = theirs[0]![0]!.arrivalRate as number;
    expect(Number.isInteger(rate)).toBe(false);
    expect(Math.ceil(rate) * 3).toBeGreaterThan(50);
  });

  it('a worker script keeps the load and drops what is judged once on the combined report', () => {
    const part = {
      _scriptPath: '/x.yml',
      config: {
        target: 't',
        ensure: { p95: 200 },
        environments: { quick: {} },
        payload: [{ path: '/data.csv', fields: ['a'], data: [['1'], ['2']] }],
        plugins: { ensure: {}, expect: {}, isolation: { contractFile: 'c', expect: [{ metric: 'isolation.reserve.ok', equals: 50 }] } },
        phases: [{ duration: 1, arrivalRate: 17 }],
      },
      scenarios: [{ flow: [] }],
    };
    const w = workerScript(part);
    expect(w).toEqual({
      config: {
        target: 't',
        payload: [{ path: '/data.csv', fields: ['a'] }],
        plugins: { expect: {}, isolation: { contractFile: 'c' } },
        phases: [{ duration: 1, arrivalRate: 17 }],
      },
      scenarios: [{ flow: [] }],
    });
    expect(part.config.ensure).toBeDefined(); // the input is not changed
  });

  it('an environment merges into the script as Artillery merges it (arrays index by index); an unknown one is refused', () => {
    const s = prepareScript(
      { config: { phases: [{ duration: 10, arrivalRate: 5 }, { pause: 1 }], variables: { a: 1 }, environments: { q: { phases: [{ duration: 2 }] } } } },
      'q',
      'http://t',
    );
    expect(s.config).toEqual({ phases: [{ duration: 2, arrivalRate: 5 }, { pause: 1 }], variables: { a: 1 }, target: 'http://t' });
    expect(() => prepareScript({ config: {} }, 'nope', 'http://t')).toThrow(/no environment nope/);
  });
});

describe(`each scenario's bundle for run-fargate / run-lambda (Artillery ${ARTILLERY_VERSION}'s own BOM)`, () => {
  const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yml'));
  const boms = (files: readonly string[]): { files: string[]; modules: string[] }[] =>
    askArtillery(
      `return Promise.all(input.map((f) => new Promise((res, rej) => createBOM(f, [], {}, (err, m) => (err ? rej(err) : res({ files: m.files.map((x) => x.noPrefix), modules: m.modules }))))));`,
      files,
    );

  it('every scenario carries the fixture, the processor and the plugin', () => {
    const all = boms(scenarios.map((f) => path.join(ROOT, 'scenarios', f)));
    all.forEach((m, i) => {
      expect([scenarios[i], m.files]).toEqual([
        scenarios[i],
        expect.arrayContaining(['fixtures/test-data.json', 'processors/index.ts', 'processors/selection.ts', 'seed/fixture.ts']),
      ]);
      expect(m.modules).toContain('artillery-plugin-isolation');
    });
  });

  it('negative control: without includeFiles the fixture is not bundled', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bom-'));
    try {
      const text = fs.readFileSync(path.join(ROOT, 'scenarios', 'high-contention.yml'), 'utf8').replace(/\n {2}includeFiles:\n(?: {4}- .*\n)+/, '\n');
      const copy = path.join(tmp, 'copy.yml');
      fs.writeFileSync(copy, text.replace('"../processors/index.ts"', JSON.stringify(path.join(ROOT, 'processors', 'index.ts'))));
      const [m] = boms([copy]);
      expect(m!.files.some((f) => f.endsWith('processors/index.ts'))).toBe(true);
      expect(m!.files.some((f) => f.endsWith('test-data.json'))).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
