/**
 * The breakpoint's own block of its scenario YAML (scenarios/breakpoint.yml), read after the
 * profile is merged in, with seed 001's budgets as defaults:
 *
 *   config:
 *     breakpoint:
 *       seedProfile: swarm
 *       stepSeconds: 20
 *       budgets: { p95ReadMs: 1200, p95WriteMs: 2000, p99Ms: 5000,
 *                  errorRate: { smoke: 0.02, baseline: 0.02, stress: 0.03 } }
 *       stages:
 *         - { stage: smoke, rates: [2] }
 *         - { stage: baseline, rates: [10, 25, 50] }
 *         - { stage: stress, rates: [100, 200, 400] }
 *
 * Every problem is reported at once, as one LT_USAGE line naming the YAML.
 */
import { PackError } from '../lib/errors';
import { Budgets, STAGES, Stage } from '../formats/breakpoint';
import { SEED_PROFILES, SeedProfile } from '../seed/plan';
import type { ScenarioConfig } from '../runner/scenario-config';

export const SEED_001_BUDGETS: Budgets = { p95ReadMs: 1200, p95WriteMs: 2000, p99Ms: 5000, errorRate: { smoke: 0.02, baseline: 0.02, stress: 0.03 } };

export interface BreakpointPlan {
  readonly seedProfile: SeedProfile;
  readonly stepSeconds: number;
  readonly readShare: number;
  readonly budgets: Budgets;
  /** Offered rates in order, each with its stage; strictly increasing. */
  readonly steps: readonly { readonly stage: Stage; readonly rate: number }[];
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function parseBreakpoint(s: ScenarioConfig): BreakpointPlan {
  const raw = s.config.breakpoint as Record<string, unknown> | undefined;
  const where = `${s.file} (profile ${s.profile}): config.breakpoint`;
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null) throw new PackError('LT_USAGE', `${where} is missing`, { hint: 'see scenarios/breakpoint.yml' });
  const seedProfile = (raw.seedProfile ?? 'swarm') as SeedProfile;
  if (!SEED_PROFILES.includes(seedProfile)) problems.push(`seedProfile must be one of ${SEED_PROFILES.join(', ')}`);
  const stepSeconds = raw.stepSeconds;
  if (!(positive(stepSeconds) && stepSeconds >= 5 && stepSeconds <= 3600)) problems.push('stepSeconds must be a number of seconds from 5 to 3600');
  const readShare = Number((s.config.variables ?? {}).readShare ?? 0.75);
  if (!(readShare >= 0 && readShare <= 1)) problems.push('variables.readShare must be from 0 to 1');
  const b = (raw.budgets ?? {}) as Record<string, unknown>;
  const er = (b.errorRate ?? {}) as Record<string, unknown>;
  const budgets: Budgets = {
    p95ReadMs: (b.p95ReadMs as number | undefined) ?? SEED_001_BUDGETS.p95ReadMs,
    p95WriteMs: (b.p95WriteMs as number | undefined) ?? SEED_001_BUDGETS.p95WriteMs,
    p99Ms: (b.p99Ms as number | undefined) ?? SEED_001_BUDGETS.p99Ms,
    errorRate: Object.fromEntries(STAGES.map((st) => [st, (er[st] as number | undefined) ?? SEED_001_BUDGETS.errorRate[st]])) as Budgets['errorRate'],
  };
  for (const k of ['p95ReadMs', 'p95WriteMs', 'p99Ms'] as const) if (!positive(budgets[k])) problems.push(`budgets.${k} must be a positive number of ms`);
  for (const st of STAGES)
    if (!(budgets.errorRate[st] >= 0 && budgets.errorRate[st] < 1)) problems.push(`budgets.errorRate.${st} must be a fraction from 0 to 1`);
  const steps: { stage: Stage; rate: number }[] = [];
  if (!Array.isArray(raw.stages) || raw.stages.length === 0) problems.push('stages must be a list of { stage, rates }');
  else
    for (const [i, x] of (raw.stages as Record<string, unknown>[]).entries()) {
      if (!STAGES.includes(x?.stage as Stage)) problems.push(`stages[${i}].stage must be one of ${STAGES.join(', ')}`);
      else if (!Array.isArray(x.rates) || x.rates.length === 0 || !x.rates.every((r) => Number.isInteger(r) && r > 0))
        problems.push(`stages[${i}].rates must be a list of whole arrivals per second`);
      else for (const rate of x.rates as number[]) steps.push({ stage: x.stage as Stage, rate });
    }
  if (steps.some((st, i) => i > 0 && st.rate <= steps[i - 1]!.rate)) problems.push('the rates must rise from one step to the next, stage after stage');
  if (problems.length > 0)
    throw new PackError('LT_USAGE', `${where}: ${problems.join('; ')}`, { hint: 'fix the breakpoint block (docs/guides/swarm-and-the-knee.md)' });
  return { seedProfile, stepSeconds: stepSeconds as number, readShare, budgets, steps };
}
