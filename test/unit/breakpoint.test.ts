/**
 * load-test:breakpoint's pure parts: its YAML block (seed 001's budgets by default), a step's
 * figures and criteria, the knee over the steps, and the script of one step.
 */
import * as path from 'node:path';
import { METRICS } from 'artillery-plugin-isolation';
import { PackError } from '../../lib/errors';
import { SEED_001_BUDGETS, parseBreakpoint } from '../../breakpoint/config';
import { errorRateOf, findKnee, judgeStep, stepFigures } from '../../breakpoint/judge';
import { mixOf, stepScript } from '../../breakpoint/script';
import { formatResult } from '../../breakpoint/text';
import { loadScenario, parseScenario } from '../../runner/scenario-config';
import type { ArtilleryPeriod } from '../../formats/artillery-json';
import type { BreakpointResult, BreakpointStep } from '../../formats/breakpoint';
import type { GeneratorLoad } from '../../formats/summary';

const FILE = path.resolve(__dirname, '..', '..', 'scenarios', 'breakpoint.yml');
const idle: GeneratorLoad = { cpuMeanCores: 0.3, cpuPeakCores: 0.4, loopDelayP99Ms: 3, loopDelayMaxMs: 5, saturated: false, reasons: [] };

function yaml(block: string): string {
  return `config:\n  target: http://x\n  phases: [{ duration: 1, arrivalRate: 1 }]\n  variables: { readShare: 0.5 }\n${block}\n  environments:\n    full: {}\nscenarios:\n  - flow: []\n`;
}
const parse = (block: string) => parseBreakpoint(parseScenario('b.yml', yaml(block), 'full'));

describe('the breakpoint block', () => {
  it("reads the pack's YAML in both profiles, seed 001's budgets when none are given, and rising rates", () => {
    for (const profile of ['full', 'quick']) {
      const p = parseBreakpoint(loadScenario(FILE, profile));
      expect(p.budgets).toEqual(SEED_001_BUDGETS);
      expect(p.steps[0]!.stage).toBe('smoke');
      expect(p.steps.map((s) => s.stage)).toContain('stress');
      expect(p.steps.every((s, i) => i === 0 || s.rate > p.steps[i - 1]!.rate)).toBe(true);
      expect(p.readShare).toBe(0.75);
    }
    const d = parse('  breakpoint:\n    stepSeconds: 10\n    stages: [{ stage: smoke, rates: [1, 2] }]');
    expect(d.budgets).toEqual({ p95ReadMs: 1200, p95WriteMs: 2000, p99Ms: 5000, errorRate: { smoke: 0.02, baseline: 0.02, stress: 0.03 } });
    const own = parse(
      '  breakpoint:\n    stepSeconds: 10\n    budgets: { p95WriteMs: 50, errorRate: { stress: 0.1 } }\n    stages: [{ stage: stress, rates: [3] }]',
    );
    expect(own.budgets.p95WriteMs).toBe(50);
    expect(own.budgets.p95ReadMs).toBe(1200);
    expect(own.budgets.errorRate.stress).toBe(0.1);
  });

  it('names every problem at once (negative controls)', () => {
    const bad = () =>
      parse(
        '  breakpoint:\n    stepSeconds: 2\n    budgets: { p99Ms: -1 }\n    stages: [{ stage: smoke, rates: [5] }, { stage: peak, rates: [1] }, { stage: stress, rates: [4] }]',
      );
    expect(bad).toThrow(PackError);
    expect(bad).toThrow(/stepSeconds.*p99Ms.*stages\[1\]\.stage.*must rise/);
    expect(() => parse('')).toThrow(/config.breakpoint is missing/);
  });

  it("keeps each profile's stages whole: a quick list does not inherit the full list's tail (Artillery merges lists index by index)", () => {
    const quick = parseBreakpoint(loadScenario(FILE, 'quick'));
    const full = parseBreakpoint(loadScenario(FILE, 'full'));
    expect(quick.steps.length).toBeLessThan(full.steps.length);
    expect(Math.max(...quick.steps.map((s) => s.rate))).toBe(quick.steps[quick.steps.length - 1]!.rate);
  });
});

const period = (counters: Record<string, number>, summaries: Record<string, Record<string, number>> = {}): ArtilleryPeriod =>
  ({ counters, summaries, histograms: {} }) as unknown as ArtilleryPeriod;

describe('a step', () => {
  it('takes non-2xx answers and unanswered requests over requests sent as its error rate', () => {
    expect(errorRateOf(period({ 'http.requests': 200, 'http.codes.200': 190, 'http.codes.409': 4, 'http.codes.503': 2, 'errors.ETIMEDOUT': 4 }))).toBe(0.05);
    expect(errorRateOf(period({ 'http.requests': 0 }))).toBeNull();
  });

  it('judges p95 read, p95 write, p99 and the stage error budget; a figure not measured breaks it', () => {
    const f = stepFigures(
      period(
        { 'http.requests': 600, 'http.codes.200': 600 },
        { [METRICS.readTime]: { p95: 40 }, [METRICS.writeTime]: { p95: 2500 }, 'http.response_time': { p99: 2600 } },
      ),
      6,
    );
    expect(f.sentRate).toBe(100);
    const j = judgeStep('baseline', 100, f, SEED_001_BUDGETS, idle, mixOf(0.75));
    expect(j.held).toBe(false);
    expect(j.criteria.filter((c) => !c.held).map((c) => c.id)).toEqual(['p95-write']);
    expect(j.generatorSaturated).toBe(false);
    const ok = judgeStep('baseline', 100, { ...f, p95WriteMs: 30 }, SEED_001_BUDGETS, idle, mixOf(0.75));
    expect(ok.held).toBe(true);
    // Negative control: no reads measured though the mix sends them.
    expect(judgeStep('baseline', 100, { ...f, p95WriteMs: 30, p95ReadMs: null }, SEED_001_BUDGETS, idle, mixOf(0.75)).held).toBe(false);
    // A mix without reads is not judged on a read budget.
    expect(judgeStep('baseline', 100, { ...f, p95WriteMs: 30, p95ReadMs: null }, SEED_001_BUDGETS, idle, mixOf(0)).held).toBe(true);
    // 2.5 % non-2xx breaks baseline (2 %) but not stress (3 %).
    expect(judgeStep('baseline', 100, { ...f, p95WriteMs: 30, errorRate: 0.025 }, SEED_001_BUDGETS, idle, mixOf(0.75)).held).toBe(false);
    expect(judgeStep('stress', 100, { ...f, p95WriteMs: 30, errorRate: 0.025 }, SEED_001_BUDGETS, idle, mixOf(0.75)).held).toBe(true);
  });

  it('calls the generator the limit when its CPU or event loop says so, or when it sent 10 % less than offered', () => {
    const f = stepFigures(
      period({ 'http.requests': 500 }, { [METRICS.readTime]: { p95: 1 }, [METRICS.writeTime]: { p95: 1 }, 'http.response_time': { p99: 1 } }),
      10,
    );
    expect(judgeStep('stress', 55, f, SEED_001_BUDGETS, idle, mixOf(0.75)).generatorSaturated).toBe(false);
    const short = judgeStep('stress', 60, f, SEED_001_BUDGETS, idle, mixOf(0.75));
    expect(short.generatorSaturated).toBe(true);
    expect(short.generatorReasons[0]).toMatch(/sent 50.0\/s of the 60\/s/);
    const busy = judgeStep('stress', 50, f, SEED_001_BUDGETS, { ...idle, saturated: true, reasons: ['cpu'] }, mixOf(0.75));
    expect(busy.generatorSaturated).toBe(true);
  });

  it('calls the generator the limit when more than 5 % of its arrivals started late (coordinated omission); a few late ones do not', () => {
    const figures = (late: number) =>
      stepFigures(
        period(
          { 'http.requests': 500, [METRICS.arrivals]: 500, [METRICS.lateStarts]: late },
          { [METRICS.readTime]: { p95: 1 }, [METRICS.writeTime]: { p95: 1 }, 'http.response_time': { p99: 1 }, [METRICS.startLateness]: { p95: 80 } },
        ),
        10,
      );
    const behind = judgeStep('stress', 50, figures(60), SEED_001_BUDGETS, idle, mixOf(0.75));
    expect([behind.generatorSaturated, behind.generatorReasons[0]]).toEqual([
      true,
      expect.stringMatching(/^12% of its arrivals started late \(p95 80 ms behind/),
    ]);
    expect(judgeStep('stress', 50, figures(10), SEED_001_BUDGETS, idle, mixOf(0.75)).generatorSaturated).toBe(false);
  });
});

function step(rate: number, over: Partial<BreakpointStep> = {}): BreakpointStep {
  return {
    stage: 'stress',
    offeredRate: rate,
    sentRate: rate,
    requests: rate * 6,
    p95ReadMs: 10,
    p95WriteMs: 10,
    p99Ms: 20,
    errorRate: 0,
    generatorCpu: 0.5,
    generatorLoopDelayMs: 2,
    generatorSaturated: false,
    generatorReasons: [],
    criteria: [{ id: 'p95-write', name: 'p95 write', value: 10, limit: 2000, unit: 'ms', held: true }],
    held: true,
    correctness: [{ scenario: `${rate}/s`, name: 'integrity', limit: '0', measured: '0', pass: true, kind: 'correctness', overBy: null }],
    reportFile: 'x',
    ...over,
  };
}

describe('the knee', () => {
  it('is the highest rate before the first step that broke, with the criterion and its rate', () => {
    const broke = step(400, { held: false, criteria: [{ id: 'p95-write', name: 'p95 write', value: 2345, limit: 2000, unit: 'ms', held: false }] });
    const k = findKnee([step(100), step(200), broke]);
    expect(k).toMatchObject({
      highestHeldRate: 200,
      firstBreak: { criterion: 'p95 write', atRate: 400, measured: '2345 ms > 2000 ms' },
      generatorLimited: false,
      correctnessHeld: true,
    });
    expect(k.warnings).toEqual([]);
  });

  it("warns when the limit was the generator's, whether or not an SLO broke with it", () => {
    const k = findKnee([step(100), step(200, { generatorSaturated: true, generatorReasons: ['cpu 1.0 cores'] })]);
    expect(k).toMatchObject({ highestHeldRate: 100, firstBreak: null, generatorLimited: true });
    expect(k.warnings[0]).toMatch(/was the load generator's, not the API's \(cpu 1.0 cores\)/);
    const both = findKnee([
      step(100, {
        held: false,
        generatorSaturated: true,
        generatorReasons: ['loop'],
        criteria: [{ id: 'p99', name: 'p99 all', value: null, limit: 5000, unit: 'ms', held: false }],
      }),
    ]);
    expect(both).toMatchObject({ highestHeldRate: null, firstBreak: { criterion: 'p99 all', atRate: 100, measured: 'not measured' }, generatorLimited: true });
  });

  it('fails correctness when any step broke it, and the text says so', () => {
    const bad = step(200, {
      correctness: [{ scenario: '200/s', name: 'integrity', limit: '0', measured: '3 rows', pass: false, kind: 'correctness', overBy: null }],
    });
    const k = findKnee([step(100), bad]);
    expect(k.correctnessHeld).toBe(false);
    expect(k.warnings.join()).toMatch(/correctness check failed at 200\/s: integrity \(3 rows\)/);
    const r = { profile: 'quick', stepSeconds: 6, steps: [step(100), bad], ...k } as unknown as BreakpointResult;
    expect(formatResult(r).join('\n')).toMatch(/correctness at every rate: FAILED/);
    expect(formatResult(r).join('\n')).toMatch(/no SLO broke up to 200\/s/);
  });
});

describe("a step's script", () => {
  it('is the scenario at one constant rate (a ramp to itself), with absolute paths and no judging of its own', () => {
    const s = loadScenario(FILE, 'quick');
    const script = stepScript(s, 'stress', 240, 6) as { config: Record<string, unknown>; scenarios: unknown[] };
    expect(script.config.phases).toEqual([{ name: 'stress 240/s', duration: 6, arrivalRate: 240, rampTo: 240 }]);
    for (const k of ['environments', 'breakpoint', 'ensure']) expect(script.config[k]).toBeUndefined();
    expect(path.isAbsolute(script.config.processor as string)).toBe(true);
    expect((script.config.includeFiles as string[]).every((f) => path.isAbsolute(f))).toBe(true);
    expect(script.scenarios).toEqual(s.scenarios);
  });
});
