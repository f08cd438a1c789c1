/**
 * The exact-count ladder (seeds/003): 100, 200 and 500 concurrent claims against a stock of 10,
 * 20 and 50. Each step starts from a fresh seed and must end with exactly `stock` successes,
 * the rest refused, remaining stock exactly 0, and no request failed for want of a connection.
 */
import * as path from 'node:path';
import { METRICS, evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { writeJsonAtomic } from '../lib/atomic';
import { assertOwned } from '../db/ownership';
import { counterOf } from '../formats/artillery-json';
import type { Decision } from '../formats/summary';
import { seed } from '../seed/seed';
import { readHistoryDir } from '../verify/history';
import { readBalance } from './api-client';
import { tokenFor } from '../processors/selection';
import { criterionRow, decide } from './judge';
import { loadScenario } from './scenario-config';
import { median } from './repeat';
import { LADDER_STEPS, LadderStepResult, ladderRows } from './ladder-checks';
import { RunContext, startTargetRun } from './context';
import { measureStep } from './measure';
import { EXPECTED } from './expected';
import { warmupFor, writeRunScript } from './script';
import { capabilitiesOf } from '../processors/shared';
import { takeBaseline } from '../verify/reconciliation';
import { createRunDir, writeCiOutputs } from './run-folder';
import { table } from '../lib/text-table';

/** First claim sent to last answer received, from the operation history (ms). */
export async function burstMillis(historyDir: string): Promise<number | null> {
  const span = (await readHistoryDir(historyDir))?.span;
  return span ? span.last - span.first : null;
}

/** One step of the ladder: seeded, measured, judged on its exact counts and the YAML's own criteria. */
async function ladderStep(
  ctx: RunContext,
  config: PackConfig,
  o: { readonly claims: number; readonly round: number; readonly repeat: number; readonly runDir: string; readonly out: (line: string) => void },
): Promise<LadderStepResult> {
  const env = ctx.env;
  const step = LADDER_STEPS.find((s) => s.claims === o.claims)!;
  o.out('');
  o.out(`▶ ladder step: ${step.claims} concurrent claims against a stock of ${step.stock}${o.repeat > 1 ? ` (round ${o.round} of ${o.repeat})` : ''}`);
  const { fixture } = await seed({
    databaseUrl: env.server.url,
    fixturePath: config.fixturePath,
    secretPath: config.secretPath,
    tokenTtlSeconds: config.tokenTtlSeconds,
    profile: 'ladder',
  });
  const slug = `ladder-${step.claims}${o.repeat > 1 ? `-r${o.round}` : ''}`;
  let partial: Omit<LadderStepResult, 'rows'> | null = null;
  const scenarioFile = path.join(config.scenariosDir, 'ladder.yml');
  const profile = `step${step.claims}`;
  // The YAML's own criteria too (the API contract checks), beside the ladder's exact counts.
  const loaded = loadScenario(scenarioFile, profile);
  const baseline = await takeBaseline(env.server.url, ctx.sql);
  const values = loaded.checks.expected
    ? EXPECTED[loaded.checks.expected]!.derive({
        phases: loaded.config.phases,
        variables: loaded.config.variables ?? {},
        fixture,
        api: capabilitiesOf(ctx.target.contract),
      })
    : {};
  const criteria = loadScenario(scenarioFile, profile, values).criteria;
  const m = await measureStep(ctx, {
    label: `ladder ${step.claims}`,
    baseline,
    load: { scenarioFile: writeRunScript({ scenarioFile, runDir: o.runDir, slug, values, profile, warmup: warmupFor(config, ctx) }), profile: null, slug },
    checks: {
      print: 'on-failure',
      judge: async ({ report, pool }) => {
        const c = report.aggregate;
        const auth = fixture.authorizations.find((a) => a.tier === 'ladder' && a.capacityUnits === step.stock)!;
        const balance = await readBalance(env.target, ctx.target.contract, {
          resource: auth.id,
          organization: auth.organizationId,
          token: tokenFor(fixture, auth, 0),
        }).catch(() => null);
        partial = {
          claims: step.claims,
          stock: step.stock,
          succeeded: counterOf(c, METRICS.ok.reserve),
          rejected: counterOf(c, METRICS.conflicts.reserve),
          failed: counterOf(c, METRICS.failed),
          remaining: balance ? (balance.available ?? (balance.capacity ?? auth.capacityUnits) - (balance.reserved ?? 0) - (balance.consumed ?? 0)) : null,
          burstMs: await burstMillis(path.join(o.runDir, `${slug}.history`)),
          maxLatencyMs: c.summaries[METRICS.writeTime]?.max ?? null,
          pool,
        };
        return [...ladderRows(partial), ...evaluate(c, criteria).map((r) => criterionRow(`ladder ${step.claims}`, r))];
      },
    },
  });
  const r = partial as Omit<LadderStepResult, 'rows'> | null;
  if (!r) throw new Error('ladder step measured without its counts');
  o.out(
    `  ${r.succeeded ?? 'not measured'} succeeded, ${r.rejected ?? 'not measured'} refused, remaining ${r.remaining}, burst ${r.burstMs} ms${r.pool ? `, pool max in use ${r.pool.maxInUse}/${r.pool.max}, ${r.pool.waits} waits, ${r.pool.timeouts} timeouts` : ''}`,
  );
  return { ...r, rows: m.rows };
}

/** The ladder's table: one line per step, its rounds side by side. */
function ladderTable(steps: readonly number[], results: readonly LadderStepResult[]): string {
  const byStep = steps.map((claims) => results.filter((r) => r.claims === claims));
  return table(
    ['claims', 'stock', 'succeeded', 'refused', 'remaining', 'burst ms', 'max latency ms', 'pool in use / waits / timeouts', 'result'],
    byStep.map((runs) => {
      const r = runs[runs.length - 1]!;
      const bursts = runs.map((x) => x.burstMs).filter((x): x is number => x !== null);
      const burst = bursts.length === 0 ? '?' : runs.length > 1 ? `${median(bursts)} (${Math.min(...bursts)}-${Math.max(...bursts)})` : String(bursts[0]);
      return [
        String(r.claims),
        String(r.stock),
        runs.map((x) => x.succeeded).join('/'),
        runs.map((x) => x.rejected).join('/'),
        runs.map((x) => (x.remaining === null ? '?' : String(x.remaining))).join('/'),
        burst,
        r.maxLatencyMs === null ? '?' : String(Math.round(r.maxLatencyMs)),
        r.pool ? `${r.pool.maxInUse}/${r.pool.max} / ${r.pool.waits} / ${Math.max(...runs.map((x) => x.pool?.timeouts ?? 0))}` : 'not measured',
        runs.every((x) => x.rows.every((y) => y.pass)) ? 'PASS' : 'FAIL',
      ];
    }),
  );
}

export async function runLadder(
  config: PackConfig,
  opts: { steps: readonly number[]; apiMode: ApiMode; repeat?: number; out: (line: string) => void },
): Promise<{ runDir: string; steps: LadderStepResult[]; decision: Decision; reasons: string[] }> {
  const out = opts.out;
  assertOwned(config.db, 'the ladder (it seeds before each step)');
  const { runId, runDir } = createRunDir(config.reportsDir, 'ladder', new Date());
  out(`ladder: steps ${opts.steps.join(', ')}; output in ${path.relative(process.cwd(), runDir) || runDir}`);
  const ctx = await startTargetRun(config, { apiMode: opts.apiMode, runDir, out });
  const results: LadderStepResult[] = [];
  const repeat = opts.repeat ?? 1;
  for (let round = 1; round <= repeat; round++)
    for (const claims of opts.steps) results.push(await ladderStep(ctx, config, { claims, round, repeat, runDir, out }));
  await ctx.env.stop();
  const { decision, reasons } = decide(
    results.flatMap((r) => r.rows),
    [],
  );
  out('');
  out(`=== Exact-count ladder${repeat > 1 ? ` (${repeat} rounds; burst: median, min-max)` : ''} ===`);
  out(ladderTable(opts.steps, results));
  if (reasons.length) out(['why:', ...reasons.map((r) => `  - ${r}`)].join('\n'));
  out(`VERDICT: ${decision === 'GO' ? 'PASS: every step exact' : 'FAIL'}`);
  writeJsonAtomic(path.join(runDir, 'ladder.json'), { steps: results, decision, reasons });
  writeCiOutputs(config, runDir, {
    runId,
    profile: 'ladder',
    decision,
    reasons,
    warnings: [],
    crashes: [],
    scenarios: results.map((r, i) => ({ id: `ladder-${r.claims}-${i + 1}`, title: `${r.claims} claims, stock ${r.stock}`, rows: r.rows })),
  });
  return { runDir, steps: results, decision, reasons };
}
