/**
 * The distributed shape (runner/distributed.ts) with Artillery's own code: the split keeps every
 * arrival, the combination of N workers' serialized metrics equals what one process measures, and
 * each scenario's bundle (Artillery's own BOM, as run-fargate builds it) carries the fixture.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artilleryInternals, combineWorkerMetrics, parseWorkerMetrics, splitScript, workerScript } from '../../runner/distributed';

const ROOT = path.resolve(__dirname, '..', '..');
const ARTILLERY = path.dirname(require.resolve('artillery/package.json', { paths: [ROOT] }));
const internals = artilleryInternals(ARTILLERY);

// Artillery's metrics store, its BOM builder (CommonJS, no types).
/* eslint-disable @typescript-eslint/no-require-imports */
const { SSMS } = (require(require.resolve('@artilleryio/int-core', { paths: [ARTILLERY] })) as { ssms: { SSMS: SsmsClass } }).ssms;
const { createBOM } = require(path.join(ARTILLERY, 'lib', 'create-bom', 'create-bom.js')) as {
  createBOM: (
    script: string,
    extra: string[],
    opts: object,
    cb: (err: Error | null, manifest: { files: { noPrefix: string }[]; modules: string[] }) => void,
  ) => void;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface SsmsInstance {
  incr(name: string, value: number, t: number): void;
  histogram(name: string, value: number, t: number): void;
  aggregate(forceAll: boolean): void;
  getBucketIds(): string[];
  getMetrics(period: string): unknown;
  stop(): void;
}
interface SsmsClass {
  new (opts: { pullOnly: boolean }): SsmsInstance;
  serializeMetrics(pd: unknown): string;
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

/** One process's serialized periods, as the plugin writes them (worker-metrics.ts). */
function periodsOf(samples: readonly { t: number; ms: number; ok: boolean }[]): string[] {
  const m = new SSMS({ pullOnly: true });
  for (const s of samples) {
    m.incr('http.requests', 1, s.t);
    m.incr(s.ok ? 'isolation.reserve.ok' : 'isolation.reserve.conflict', 1, s.t);
    m.histogram('http.response_time', s.ms, s.t);
  }
  m.aggregate(true);
  const out = m.getBucketIds().map((p) => SSMS.serializeMetrics(m.getMetrics(p)));
  m.stop();
  return out;
}

// 600 answers over 25 s (three 10-s periods), a long tail, one in ten a success.
const samples = Array.from({ length: 600 }, (_, i) => ({ t: T0 + i * 41, ms: 5 + ((i * 37) % 97) + (i % 50 === 0 ? 900 : 0), ok: i % 10 === 0 }));
const byWorker = [0, 1, 2].map((w) => samples.filter((_, i) => i % 3 === w));

describe('combining workers the way the distributed leader does', () => {
  const one = combineWorkerMetrics(internals.ssms, [periodsOf(samples)]);
  const three = combineWorkerMetrics(internals.ssms, byWorker.map(periodsOf));

  it('three workers give the counters and percentiles of one process, in the aggregate and in every period', () => {
    expect(three.aggregate.counters).toEqual(one.aggregate.counters);
    expect(three.aggregate.counters!['http.requests']).toBe(600);
    expect(three.aggregate.summaries!['http.response_time']).toEqual(one.aggregate.summaries!['http.response_time']);
    expect(three.intermediate.map((p) => p.period)).toEqual(one.intermediate.map((p) => p.period));
    expect(three.intermediate.length).toBe(3);
    three.intermediate.forEach((p, i) => {
      expect(p.counters).toEqual(one.intermediate[i]!.counters);
      expect(p.summaries!['http.response_time']).toEqual(one.intermediate[i]!.summaries!['http.response_time']);
    });
    // Written as `artillery run --output` writes it: histograms are the summaries.
    expect(three.aggregate.histograms).toEqual(three.aggregate.summaries);
  });

  it('negative control: a missing worker changes the counts, and averaging per-worker p99s is not the p99', () => {
    const two = combineWorkerMetrics(internals.ssms, byWorker.slice(0, 2).map(periodsOf));
    expect(two.aggregate.counters).not.toEqual(one.aggregate.counters);
    const perWorker = byWorker.map((w) => combineWorkerMetrics(internals.ssms, [periodsOf(w)]).aggregate.summaries!['http.response_time']!.p99!);
    const averaged = perWorker.reduce((a, b) => a + b, 0) / perWorker.length;
    expect(averaged).not.toBeCloseTo(one.aggregate.summaries!['http.response_time']!.p99!, 0);
  });

  it('a worker file without its "done" line is refused by name', () => {
    const lines = periodsOf(samples.slice(0, 10)).map((stats) => JSON.stringify({ event: 'workerStats', stats }));
    expect(parseWorkerMetrics([...lines, JSON.stringify({ event: 'done', periods: lines.length })].join('\n'), 'w1')).toHaveLength(lines.length);
    expect(() => parseWorkerMetrics(lines.join('\n'), 'worker-2.metrics.ndjson')).toThrow(/worker-2\.metrics\.ndjson has no "done" line/);
    expect(() => parseWorkerMetrics('{not json', 'w3')).toThrow(/w3, line 1/);
  });
});

/**
 * Scenario 1 as `artillery run` prepares it. Its copy names the processor tsc built, so that
 * Artillery does not bundle the TypeScript one into processors/dist while an e2e test runs it.
 */
async function prepared(profile: string): ReturnType<typeof internals.prepare> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'split-'));
  try {
    const copy = path.join(tmp, 'high-contention.yml');
    const text = fs.readFileSync(path.join(ROOT, 'scenarios', 'high-contention.yml'), 'utf8');
    fs.writeFileSync(copy, text.replace('"../processors/index.ts"', JSON.stringify(path.join(ROOT, 'dist', 'processors', 'index.js'))));
    return await internals.prepare(copy, { environment: profile, target: 'http://127.0.0.1:1' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describe('splitting a scenario over workers', () => {
  const arrivals = (phases: readonly Record<string, unknown>[]): number[] =>
    phases.map((p) => (typeof p.arrivalRate === 'number' ? p.arrivalRate * Number(p.duration) : typeof p.arrivalCount === 'number' ? p.arrivalCount : 0));

  it.each(['quick', 'full'])('scenario 1 (%s) over 3 workers keeps every wave at exactly 50 arrivals, in whole rates', async (profile) => {
    const script = await prepared(profile);
    const original = arrivals(script.config.phases as Record<string, unknown>[]);
    const parts = splitScript(internals.divideWork, script, 3);
    expect(parts).toHaveLength(3);
    const summed = original.map((_, i) => parts.reduce((n, p) => n + arrivals(p.config.phases as Record<string, unknown>[])[i]!, 0));
    expect(summed).toEqual(original);
    expect(original.filter((n) => n > 0)).toEqual(Array(10).fill(50));
    for (const p of parts)
      for (const ph of p.config.phases as Record<string, unknown>[]) {
        if (ph.arrivalRate !== undefined) {
          expect(Number.isInteger(ph.arrivalRate)).toBe(true);
          expect(ph.rampTo).toBe(ph.arrivalRate); // the timer the pack chose (no nanotimer spin)
        }
      }
  });

  it("negative control: Artillery's divideWork alone splits a ramp into fractions and adds arrivals", async () => {
    const parts = internals.divideWork(await prepared('quick'), 3);
    const rate = (parts[0]!.config.phases as Record<string, unknown>[])[0]!.arrivalRate as number;
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
        plugins: { ensure: {}, expect: {}, isolation: { route: 'r', expect: [{ metric: 'isolation.reserve.ok', equals: 50 }] } },
        phases: [{ duration: 1, arrivalRate: 17 }],
      },
      scenarios: [{ flow: [] }],
    };
    const w = workerScript(part);
    expect(w).toEqual({
      config: {
        target: 't',
        payload: [{ path: '/data.csv', fields: ['a'] }],
        plugins: { expect: {}, isolation: { route: 'r' } },
        phases: [{ duration: 1, arrivalRate: 17 }],
      },
      scenarios: [{ flow: [] }],
    });
    expect(part.config.ensure).toBeDefined(); // the input is not changed
  });
});

describe("each scenario's bundle for run-fargate / run-lambda (Artillery's own BOM)", () => {
  const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yml'));
  const bom = (file: string): Promise<{ files: { noPrefix: string }[]; modules: string[] }> =>
    new Promise((resolve, reject) => createBOM(file, [], {}, (err, m) => (err ? reject(err) : resolve(m))));

  it.each(scenarios)('%s carries the fixture, the processor and the plugin', async (file) => {
    const m = await bom(path.join(ROOT, 'scenarios', file));
    const files = m.files.map((f) => f.noPrefix);
    expect(files).toEqual(expect.arrayContaining(['fixtures/test-data.json', 'processors/index.ts', 'processors/selection.ts', 'seed/fixture.ts']));
    expect(m.modules).toContain('artillery-plugin-isolation');
  });

  it('negative control: without includeFiles the fixture is not bundled', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bom-'));
    try {
      const text = fs.readFileSync(path.join(ROOT, 'scenarios', 'high-contention.yml'), 'utf8').replace(/\n {2}includeFiles:\n(?: {4}- .*\n)+/, '\n');
      const copy = path.join(tmp, 'copy.yml');
      fs.writeFileSync(copy, text.replace('"../processors/index.ts"', JSON.stringify(path.join(ROOT, 'processors', 'index.ts'))));
      const files = (await bom(copy)).files.map((f) => f.noPrefix);
      expect(files.some((f) => f.endsWith('processors/index.ts'))).toBe(true);
      expect(files.some((f) => f.endsWith('test-data.json'))).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
