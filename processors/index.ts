/**
 * Artillery processor functions: thin adapters with Artillery's signatures over the pure choices
 * in ./selection. Scenarios name them in `flow: - function: <name>`.
 *
 * Variables set for the request that follows: authorizationId, token, idempotencyKey.
 */
import { randomUUID } from 'node:crypto';
import { loadPackConfig } from '../lib/config';
import { Fixture, loadFixture } from '../seed/fixture';
import { WaveTracker, barrierDelay, contentionTargets, targetForWave, tokenFor } from './selection';

interface Context {
  vars: Record<string, unknown>;
}

let fixture: Fixture | null = null;
function getFixture(): Fixture {
  fixture ??= loadFixture(loadPackConfig().fixturePath);
  return fixture;
}

let counter = 0;
let waves: WaveTracker | null = null;

function num(vars: Record<string, unknown>, name: string, def: number): number {
  const v = Number(vars[name]);
  return Number.isFinite(v) ? v : def;
}

export function newIdempotencyKey(): string {
  return `lt-${randomUUID()}`;
}

/**
 * Scenario 1. Joins the current wave of arrivals, aims at that wave's contention target, and
 * waits at a barrier so that all VUs of the wave fire their reserve at the same moment.
 * Variables: waveGapMs (a silence longer than this starts a new wave), waveBarrierMs.
 */
export async function joinContentionWave(context: Context): Promise<void> {
  const f = getFixture();
  waves ??= new WaveTracker(num(context.vars, 'waveGapMs', 400));
  const now = Date.now();
  const { wave, waveStart } = waves.arrive(now);
  const target = targetForWave(contentionTargets(f), wave);
  context.vars.authorizationId = target.id;
  context.vars.token = tokenFor(f, target, counter++);
  context.vars.idempotencyKey = newIdempotencyKey();
  context.vars.wave = wave;
  const delay = barrierDelay(now, waveStart, num(context.vars, 'waveBarrierMs', 1100));
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}
