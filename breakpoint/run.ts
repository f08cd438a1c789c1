/**
 * `load-test:breakpoint`: a stepped ramp, smoke → baseline → stress, of the mix in
 * scenarios/breakpoint.yml. Each step is one Artillery run at a constant offered rate (a script
 * written for that step), measured like any scenario (runner/measure.ts: the database sampler,
 * integrity, the ledger replay, the reconciliation). The ramp stops at the first step where an
 * SLO breaks or the generator is the limit, and reports the highest rate that held every SLO.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { writeFileAtomic, writeJsonAtomic } from '../lib/atomic';
import { assertOwned } from '../db/ownership';
import { seed } from '../seed/seed';
import { takeRunFixture, writeRunFixture } from '../runner/fixture-source';
import type { BreakpointResult, BreakpointStep } from '../formats/breakpoint';
import { loadScenario } from '../runner/scenario-config';
import { criterionRow, decide } from '../runner/judge';
import { startTargetRun } from '../runner/context';
import { measureStep } from '../runner/measure';
import { createRunDir, writeCiOutputs } from '../runner/run-folder';
import { parseBreakpoint } from './config';
import { mixOf, stepScript } from './script';
import { findKnee, judgeStep, stepFigures } from './judge';
import { renderBreakpointHtml } from './html';
import { formatResult, formatStep } from './text';
import { chartJsSource } from '../report/write';

export const BREAKPOINT_FILE = 'breakpoint.yml';

export async function runBreakpoint(
  config: PackConfig,
  opts: { profile: string; apiMode: ApiMode; seed: boolean; expectRate: number | null; out: (line: string) => void },
): Promise<BreakpointResult & { runDir: string; exitOk: boolean }> {
  const out = opts.out;
  const file = path.join(config.scenariosDir, BREAKPOINT_FILE);
  const scenario = loadScenario(file, opts.profile);
  const plan = parseBreakpoint(scenario);
  if (opts.seed) assertOwned(config.db, 'the breakpoint (it seeds before the first step)');
  const startedAt = new Date();
  const { runId, runDir } = createRunDir(config.reportsDir, `breakpoint-${opts.profile}`, startedAt);
  out(
    `breakpoint: ${plan.steps.map((s) => `${s.rate}/s`).join(' → ')} (${plan.stepSeconds} s each, ${Math.round(plan.readShare * 100)}% reads); ` +
      `budgets p95 read ${plan.budgets.p95ReadMs} ms, p95 write ${plan.budgets.p95WriteMs} ms, p99 ${plan.budgets.p99Ms} ms, ` +
      `non-2xx ${(plan.budgets.errorRate.baseline * 100).toFixed(0)}% (smoke, baseline) / ${(plan.budgets.errorRate.stress * 100).toFixed(0)}% (stress); ` +
      `output in ${path.relative(process.cwd(), runDir) || runDir}`,
  );
  const ctx = await startTargetRun(config, { apiMode: opts.apiMode, runDir, out });
  const env = ctx.env;
  const steps: BreakpointStep[] = [];
  let fixtureFile = config.fixturePath;
  try {
    if (opts.seed) {
      const t0 = Date.now();
      const { fixture } = await seed({
        databaseUrl: env.server.url,
        fixturePath: config.fixturePath,
        secretPath: config.secretPath,
        tokenTtlSeconds: config.tokenTtlSeconds,
        profile: plan.seedProfile,
      });
      out(`  seeded profile ${plan.seedProfile}: ${fixture.authorizations.length} authorizations in ${Date.now() - t0} ms`);
    } else {
      const taken = await takeRunFixture(config, ctx.target, env.target, env.server.url, plan.steps.length * (plan.stepSeconds + 30) + 120);
      out(`  ${taken.tokens}`);
      if (taken.changed) fixtureFile = writeRunFixture(runDir, taken.fixture);
    }
    const scripts = path.join(runDir, 'breakpoint.steps');
    fs.mkdirSync(scripts, { recursive: true });
    for (const [i, { stage, rate }] of plan.steps.entries()) {
      out('');
      out(`▶ step ${i + 1} of ${plan.steps.length}: ${stage}, ${rate} arrivals/s for ${plan.stepSeconds} s`);
      const slug = `step-${i + 1}-${rate}`;
      const scriptFile = path.join(scripts, `${slug}.json`);
      writeJsonAtomic(scriptFile, stepScript(scenario, stage, rate, plan.stepSeconds));
      const m = await measureStep(ctx, {
        label: `${rate}/s`,
        load: { scenarioFile: scriptFile, profile: null, slug, env: { FIXTURE_PATH: fixtureFile } },
        checks: { judge: async ({ report }) => evaluate(report.aggregate, scenario.criteria).map((r) => criterionRow(`${rate}/s`, r)), print: 'on-failure' },
      });
      const figures = stepFigures(m.run.report.aggregate, plan.stepSeconds);
      const judged = judgeStep(stage, rate, figures, plan.budgets, m.generator, mixOf(plan.readShare));
      const step: BreakpointStep = {
        stage,
        offeredRate: rate,
        ...figures,
        generatorCpu: m.generator.cpuPeakCores,
        generatorLoopDelayMs: m.generator.loopDelayP99Ms,
        ...judged,
        correctness: m.rows.filter((r) => r.kind === 'correctness'),
        reportFile: m.run.reportFile,
      };
      steps.push(step);
      out(`  ${formatStep(step)}`);
      for (const c of m.crashes) out(`  crash: ${c}`);
      if (!step.held || step.generatorSaturated || m.crashes.length > 0) break;
    }
  } finally {
    await env.stop();
  }
  const knee = findKnee(steps);
  const result: BreakpointResult = {
    version: 1,
    runId,
    profile: opts.profile,
    target: env.target,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    stepSeconds: plan.stepSeconds,
    readShare: plan.readShare,
    budgets: plan.budgets,
    steps,
    ...knee,
  };
  writeJsonAtomic(path.join(runDir, 'breakpoint.json'), result);
  try {
    writeFileAtomic(path.join(runDir, 'breakpoint.html'), renderBreakpointHtml(result, chartJsSource()));
  } catch (err) {
    out(`warning: could not write breakpoint.html: ${(err as Error).message}`);
  }
  const expectMissed = opts.expectRate !== null && (knee.highestHeldRate ?? 0) < opts.expectRate;
  const rows = [
    ...steps.flatMap((s) => s.correctness),
    ...(opts.expectRate !== null
      ? [
          {
            scenario: 'breakpoint',
            name: 'highest rate holding every SLO',
            limit: `>= ${opts.expectRate}/s`,
            measured: knee.highestHeldRate === null ? 'none held' : `${knee.highestHeldRate}/s`,
            pass: !expectMissed,
            kind: 'performance' as const,
            overBy: null,
          },
        ]
      : []),
  ];
  const { decision, reasons } = decide(rows, []);
  writeCiOutputs(config, runDir, {
    runId,
    profile: `breakpoint-${opts.profile}`,
    decision,
    reasons,
    warnings: [...knee.warnings],
    crashes: [],
    scenarios: [{ id: 'breakpoint', title: 'Breakpoint', rows }],
  });
  // reports/latest stays on the newest plan run: load-test:report and load-test:verify read it.
  out('');
  for (const l of formatResult(result)) out(l);
  if (opts.expectRate !== null) out(`expected at least ${opts.expectRate}/s to hold: ${expectMissed ? 'MISSED' : 'met'}`);
  out(`report: ${path.join(runDir, 'breakpoint.html')}`);
  return { ...result, runDir, exitOk: knee.correctnessHeld && !expectMissed };
}
