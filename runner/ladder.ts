/**
 * The exact-count ladder (seeds/003): 100, 200 and 500 concurrent claims against a stock of 10,
 * 20 and 50. Each step starts from a fresh seed and must end with exactly `stock` successes,
 * the rest refused, remaining stock exactly 0, and no request failed for want of a connection.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApiMode, PackConfig } from '../lib/config';
import { seed } from '../seed/seed';
import { readHistoryDir } from '../verify/history';
import { formatIntegrity, runIntegritySql } from '../verify/integrity';
import { formatReconciliation, reconcileRun } from '../verify/reconciliation';
import { poolStats, readBalance } from './api-client';
import { tokenFor } from '../processors/selection';
import { runArtillery } from './artillery';
import { Decision, decide, integrityRow, reconciliationRow } from './judge';
import { LADDER_STEPS, LadderStepResult, ladderRows } from './ladder-checks';
import { startEnvironment } from './pipeline';
import { table } from './summary';

/** Pure: first invoke to last completion in a history folder. */
export function burstMillis(historyDir: string): number | null {
  const h = readHistoryDir(historyDir);
  if (!h) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const f of h.files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as { type: string; time: number };
        if (e.type === 'invoke') first = Math.min(first, e.time);
        else last = Math.max(last, e.time);
      } catch {
        /* a torn last line */
      }
    }
  }
  return Number.isFinite(first) && Number.isFinite(last) ? last - first : null;
}

export async function runLadder(
  config: PackConfig,
  opts: { steps: readonly number[]; apiMode: ApiMode; repeat?: number; out: (line: string) => void },
): Promise<{ runDir: string; steps: LadderStepResult[]; decision: Decision; reasons: string[] }> {
  const out = opts.out;
  const startedAt = new Date();
  const runDir = path.join(config.reportsDir, `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-')}-ladder`);
  fs.mkdirSync(runDir, { recursive: true });
  out(`ladder: steps ${opts.steps.join(', ')}; output in ${path.relative(process.cwd(), runDir) || runDir}`);
  const env = await startEnvironment(config, { apiMode: opts.apiMode, runDir, out });
  const results: LadderStepResult[] = [];
  const repeat = opts.repeat ?? 1;
  const plan = Array.from({ length: repeat }, (_, r) => opts.steps.map((claims) => ({ claims, round: r + 1 }))).flat();
  for (const { claims, round } of plan) {
    const step = LADDER_STEPS.find((s) => s.claims === claims)!;
    out('');
    out(`▶ ladder step: ${step.claims} concurrent claims against a stock of ${step.stock}${repeat > 1 ? ` (round ${round} of ${repeat})` : ''}`);
    const { fixture } = await seed({ databaseUrl: env.server.url, fixturePath: config.fixturePath, secretPath: config.secretPath, tokenTtlSeconds: config.tokenTtlSeconds, profile: 'ladder' });
    if (env.api) await poolStats(env.target, 'reset');
    const slug = `ladder-${step.claims}${repeat > 1 ? `-r${round}` : ''}`;
    const historyDir = path.join(runDir, `${slug}.history`);
    const run = await runArtillery({
      root: config.root,
      scenarioFile: path.join(config.scenariosDir, 'ladder.yml'),
      profile: `step${step.claims}`,
      target: env.target,
      reportFile: path.join(runDir, `${slug}.json`),
      logFile: path.join(runDir, `${slug}.artillery.log`),
      env: { FIXTURE_PATH: config.fixturePath, ISOLATION_HISTORY_DIR: historyDir },
    });
    const c = run.report.aggregate.counters;
    const pool = env.api ? await poolStats(env.target, 'read') : null;
    const auth = fixture.authorizations.find((a) => a.tier === 'ladder' && a.capacityUnits === step.stock)!;
    const balance = await readBalance(env.target, tokenFor(fixture, auth, 0), auth.id).catch(() => null);
    const partial = {
      claims: step.claims,
      stock: step.stock,
      succeeded: c['isolation.reserve.ok'] ?? 0,
      rejected: c['isolation.reserve.conflict'] ?? 0,
      failed: c['isolation.failed'] ?? 0,
      remaining: balance ? balance.availableUnits : null,
      burstMs: burstMillis(historyDir),
      maxLatencyMs: run.report.aggregate.summaries['http.response_time']?.max ?? null,
      pool,
    };
    const rows = ladderRows(partial);
    const integrity = await runIntegritySql(env.server.url, config.verifySqlPath);
    rows.push(integrityRow(`ladder ${step.claims}`, integrity));
    const recon = await reconcileRun({ databaseUrl: env.server.url, historyDir, report: run.report, fixture, sqlDir: path.dirname(config.verifySqlPath) });
    rows.push(reconciliationRow(`ladder ${step.claims}`, recon));
    if (!rows.every((r) => r.pass)) {
      out(formatIntegrity(integrity).split('\n').map((l) => `  ${l}`).join('\n'));
      out(formatReconciliation(recon).split('\n').map((l) => `  ${l}`).join('\n'));
    }
    results.push({ ...partial, rows });
    out(`  ${partial.succeeded} succeeded, ${partial.rejected} refused, remaining ${partial.remaining}, burst ${partial.burstMs} ms${pool ? `, pool max in use ${pool.maxInUse}/${pool.max}, ${pool.waits} waits, ${pool.timeouts} timeouts` : ''}`);
  }
  await env.stop();

  const { decision, reasons } = decide(results.flatMap((r) => r.rows), []);
  out('');
  out(`=== Exact-count ladder${repeat > 1 ? ` (${repeat} rounds; burst: median, min-max)` : ''} ===`);
  const byStep = opts.steps.map((claims) => results.filter((r) => r.claims === claims));
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  out(
    table(
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
    ),
  );
  if (reasons.length) out(['why:', ...reasons.map((r) => `  - ${r}`)].join('\n'));
  out(`VERDICT: ${decision === 'GO' ? 'PASS: every step exact' : 'FAIL'}`);
  const tmp = path.join(runDir, `.ladder.json.${process.pid}`);
  fs.writeFileSync(tmp, `${JSON.stringify({ steps: results, decision, reasons }, null, 2)}\n`);
  fs.renameSync(tmp, path.join(runDir, 'ladder.json'));
  return { runDir, steps: results, decision, reasons };
}
