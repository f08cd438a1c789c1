/**
 * What a scenario wants of an API that the API under test cannot be sent, said plainly before the
 * load and in the summary (never silently dropped): an operation it does not have, the client
 * retries and reused keys an API without idempotency keys cannot take. Pure.
 */
import { Capabilities, describeMix, effectiveMix } from '../processors/selection';
import type { ScenarioConfig } from './scenario-config';

const share = (v: unknown): number => (Number.isFinite(Number(v)) ? Number(v) : 0);

/** The operations the scenario's steps name literally (isolation: { op: reserve }). */
function literalOps(s: Pick<ScenarioConfig, 'scenarios'>): string[] {
  const ops = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    const iso = (v as { isolation?: { op?: unknown } }).isolation;
    if (iso && typeof iso.op === 'string' && !iso.op.includes('{{')) ops.add(iso.op);
    for (const x of Object.values(v)) walk(x);
  };
  walk(s.scenarios);
  return [...ops];
}

/** Pure: the lines of what the scenario cannot exercise on this API, and the mix it will send (when it has one). */
export function exercisePlan(s: Pick<ScenarioConfig, 'scenarios' | 'config'>, api: Capabilities): { notExercised: string[]; mix: string | null } {
  const vars = s.config.variables ?? {};
  const out: string[] = [];
  for (const op of literalOps(s)) if (!api.has(op)) out.push(`${op} requests: the API has no ${op} operation`);
  if (!api.keyed && (share(vars.retryShare) > 0 || share(vars.reuseShare) > 0))
    out.push(
      'client retries and reused keys: the API has no idempotency keys (a resend without a key would book twice), so the reconciliation ties answers to rows by the ids the API returns',
    );
  if (vars.releaseAfterReserve !== undefined && vars.releaseAfterReserve !== false && !api.has('release'))
    out.push(
      api.has('consume')
        ? "the journeys' release: the API has none, so each journey consumes what it reserved"
        : "the journeys' release: the API has neither release nor consume, so reservations are kept",
    );
  let mix: string | null = null;
  if (vars.reserveShare !== undefined) {
    const m = effectiveMix(vars, api);
    mix = describeMix(m.mix);
    for (const d of m.dropped) out.push(`the mix's ${d}`);
    if ((['release', 'consume'] as const).some((k) => api.has(k) && api.by(k) === 'acquisition'))
      out.push(
        `releases and consumes by id take one of the virtual user's own reservations; one with none sends a reserve instead (isolation.mix.substituted)`,
      );
  }
  return { notExercised: out, mix };
}
