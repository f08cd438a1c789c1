/**
 * When each arrival of a phase should have started, as Artillery's phaser schedules it (its
 * int-core phases.js, the same in 2.0.21 and 2.0.34), so that the plugin can tell how late each
 * virtual user started: the lateness a generator that falls behind adds to what users would see,
 * which no latency Artillery reports includes (coordinated omission).
 *
 *   arrivalRate (no rampTo)   a uniform process: the k-th arrival (0-based) at (k+1)·1000/rate ms
 *   arrivalRate + rampTo      one-second periods; period i carries n_i arrivals (the ramp's line
 *                             at i, split over the workers as Artillery splits it), fired every
 *                             floor(1000/n_i) ms from the period's start: (k+1)·tick_i. A phase of
 *                             one period is a burst: its arrivals fire back to back, as fast as the
 *                             timer and the worker go (1 ms apart at best; arrivals.ts judges a
 *                             burst by its gaps, not by this pace).
 *                             This is also how the pack writes constant rates (arrivalRate = rampTo)
 *   arrivalCount              uniform over the duration: (k+1)·duration/count
 *   pause                     no arrival
 *
 * Artillery starts each one-second period with `await sleep(1000)`, which overshoots by a
 * millisecond or so each time; `DRIFT_MS_PER_PERIOD` is allowed for it, so that only a generator
 * that fell behind its own timers shows as late. Pure.
 */

export interface PhaseSpec {
  readonly arrivalRate?: number;
  readonly rampTo?: number;
  readonly arrivalCount?: number;
  readonly duration?: number;
  readonly pause?: number;
  /** Set by the distributed split (1-based) and its total; absent on a single process. */
  readonly worker?: number;
  readonly totalWorkers?: number;
}

/** What a one-second period's `await sleep(1000)` may overshoot, ms, on a machine keeping up. */
export const DRIFT_MS_PER_PERIOD = 2;

/** Artillery's adjustArrivalsByWorker: the whole arrivals of one worker in one period. */
function perWorker(raw: number, totalWorkers: number, worker: number): number {
  let arrivals = Math.floor(raw);
  if (Math.round((raw % 1) * totalWorkers) >= worker) arrivals += 1;
  return arrivals;
}

const n = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/**
 * The intended start of every arrival of one phase, ms after the phase started, with the drift
 * allowed by then; an empty list for a pause.
 */
export function arrivalSchedule(spec: PhaseSpec): { at: number; allowance: number; burst?: boolean }[] {
  if (spec.pause !== undefined) return [];
  const duration = n(spec.duration) || 1;
  if (spec.arrivalCount !== undefined) {
    const count = n(spec.arrivalCount);
    if (count <= 0) return [];
    const interval = (duration * 1000) / count;
    return Array.from({ length: Math.floor((duration * 1000) / interval) }, (_, k) => ({ at: (k + 1) * interval, allowance: 0 }));
  }
  const rate = n(spec.arrivalRate);
  if (spec.rampTo === undefined) {
    if (rate <= 0) return [];
    const interval = 1000 / rate;
    const count = Math.floor((duration * 1000) / interval);
    return Array.from({ length: count }, (_, k) => {
      const at = (k + 1) * interval;
      return { at, allowance: Math.floor(at / 1000) * DRIFT_MS_PER_PERIOD };
    });
  }
  const rampTo = n(spec.rampTo);
  const worker = spec.worker ?? 1;
  const total = spec.totalWorkers ?? 1;
  const periods = duration;
  const out: { at: number; allowance: number; burst?: boolean }[] = [];
  for (let i = 0; i < periods; i++) {
    const raw = periods === 1 ? (rampTo + rate) / 2 : ((rampTo - rate) / (duration - 1)) * i + rate;
    const arrivals = perWorker(raw, total, worker);
    // One period: no tick (Artillery's NaN delay), so the timer fires as fast as it can.
    const tick = periods === 1 ? 1 : Math.max(1, Math.min(Math.floor(1000 / arrivals), 1000));
    for (let k = 0; k < arrivals; k++)
      out.push({ at: i * 1000 + (k + 1) * tick, allowance: i * DRIFT_MS_PER_PERIOD, ...(periods === 1 ? { burst: true } : {}) });
  }
  return out;
}

/** How late an arrival started, ms (0 when on time): its actual start against its intended one. */
export function lateness(phaseStartedAt: number, slot: { at: number; allowance: number } | undefined, startedAt: number): number {
  if (!slot) return 0;
  return Math.max(0, startedAt - (phaseStartedAt + slot.at) - slot.allowance);
}
