/**
 * A scenario's load split over N Artillery processes, as Artillery's distributed runners split it
 * (its `divideWork`, lib/dist: the same rules, written here so that no Artillery internal is
 * loaded by path, and proved equal to it by a unit test on every phase shape the pack uses):
 *
 *   arrivalRate        split in whole numbers (distribute), maxVusers too
 *   rampTo             a real ramp (arrivalRate ≠ rampTo): both ends split in fractions, as Artillery does
 *   arrivalRate = rampTo  the pack's constant rates (docs/measurements.md): split in whole numbers
 *                      like arrivalRate, and written back as a ramp (Artillery would split them in
 *                      fractions, and every worker would round its share up: 50 over 3 became 51)
 *   arrivalCount       all to the first worker; the others pause for its duration
 *   pause              to every worker
 *
 * Workers left with nothing but idle phases are dropped; the rest get `worker` and `totalWorkers`
 * on every phase. Pure.
 */

export type Phase = Readonly<Record<string, unknown>>;

/** m split into n whole parts, the first ones one larger (Artillery's distribute). */
export function distribute(m: number, n: number): number[] {
  if (m < n) return Array.from({ length: n }, (_, i) => (i < m ? 1 : 0));
  const base = Math.floor(m / n);
  const extra = m % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** A phase that starts no arrival. */
export function isIdle(p: Phase): boolean {
  if (p.pause !== undefined) return true;
  return num(p.arrivalRate) === 0 && num(p.rampTo) === 0 && num(p.arrivalCount) === 0;
}

/** Each worker's phases (one list per worker that has any arrival). */
export function splitPhases(phases: readonly Phase[], workers: number): Phase[][] {
  const out: Phase[][] = Array.from({ length: workers }, () => []);
  for (const phase of phases) {
    const rate = num(phase.arrivalRate);
    const constant = phase.rampTo !== undefined && num(phase.rampTo) === rate;
    if (phase.rampTo !== undefined && !constant) {
      const maxVusers = phase.maxVusers !== undefined ? distribute(num(phase.maxVusers), rate > 0 || num(phase.rampTo) > 0 ? workers : 0) : null;
      for (let i = 0; i < workers; i++)
        out[i]!.push({
          ...phase,
          arrivalRate: rate / workers,
          rampTo: num(phase.rampTo) / workers,
          ...(maxVusers ? { maxVusers: maxVusers[i] } : {}),
        });
    } else if (rate > 0 || constant) {
      const rates = distribute(rate, workers);
      const active = rates.filter((r) => r > 0).length;
      const maxVusers = phase.maxVusers !== undefined ? distribute(num(phase.maxVusers), active) : null;
      for (let i = 0; i < workers; i++)
        out[i]!.push({
          ...phase,
          arrivalRate: rates[i]!,
          ...(constant ? { rampTo: rates[i]! } : {}),
          ...(maxVusers ? { maxVusers: maxVusers[i] } : {}),
        });
    } else if (phase.arrivalCount !== undefined) {
      out[0]!.push({ ...phase });
      for (let i = 1; i < workers; i++) out[i]!.push({ ...(phase.name !== undefined ? { name: phase.name } : {}), pause: phase.duration });
    } else if (phase.pause !== undefined) {
      for (let i = 0; i < workers; i++) out[i]!.push({ ...phase });
    } else throw new Error(`a phase the split does not know: ${JSON.stringify(phase)}`);
  }
  const kept = out.filter((list) => !list.every(isIdle));
  return kept.map((list, i) => list.map((p) => ({ ...p, worker: i + 1, totalWorkers: kept.length })));
}
