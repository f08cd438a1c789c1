/**
 * Was the load generator the limit? Artillery 2.0.21 prints no CPU warning, so the pack watches
 * its own client: the Artillery process's CPU (sampled from /proc once a second, all its threads)
 * and the workers' event-loop delay (the plugin's isolation.generator.loop_delay histogram). A
 * saturated client means the latency measured is partly the client's, not the API's.
 */
import * as fs from 'node:fs';
import { METRICS } from 'artillery-plugin-isolation';
import { type ArtilleryPeriod, counterOf, summaryOf } from '../formats/artillery-json';
import type { GeneratorLoad } from '../formats/summary';

/** CPU time of a process (all threads), in seconds, from /proc; null where /proc is not there. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export interface CpuSampler {
  /** Cores used in each second of the run (1.0 = one core busy). */
  stop(): number[];
}

export function sampleCpu(pid: number, everyMs = 1000): CpuSampler {
  const samples: number[] = [];
  let last = cpuSeconds(pid);
  let at = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const cpu = cpuSeconds(pid);
    if (cpu !== null && last !== null && now > at) samples.push((cpu - last) / ((now - at) / 1000));
    last = cpu;
    at = now;
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/** Thresholds: one core busy for 5 s in a row, or a p99 event-loop delay of 50 ms or more. */
export const SATURATION = { cpuCores: 0.9, windowSeconds: 5, loopDelayMs: 50 } as const;

/** Pure: the generator's load over a run, and whether it was the limit. */
/** More than this share of arrivals started late: the generator fell behind its schedule. */
export const LATE_SHARE = 0.05;

/** Pure: the arrivals of a run (coordinated omission) from its aggregate report; null where the plugin did not count them. */
export function arrivalsOf(a: ArtilleryPeriod | null): GeneratorLoad['arrivals'] | null {
  const started = a ? counterOf(a, METRICS.arrivals) : null;
  if (!a || started === null) return null;
  return {
    started,
    late: counterOf(a, METRICS.lateStarts) ?? 0,
    skipped: a.counters['vusers.skipped'] ?? 0,
    latenessP95Ms: summaryOf(a, METRICS.startLateness)?.p95 ?? null,
    serviceP95Ms: summaryOf(a, METRICS.writeTime)?.p95 ?? summaryOf(a, METRICS.readTime)?.p95 ?? null,
    intendedP95Ms: summaryOf(a, METRICS.intendedWrite)?.p95 ?? summaryOf(a, METRICS.intendedRead)?.p95 ?? null,
  };
}

export function judgeGenerator(
  cpu: readonly number[],
  loopDelay: Readonly<Record<string, number>> | null,
  aggregate: ArtilleryPeriod | null = null,
): GeneratorLoad {
  const n = SATURATION.windowSeconds;
  let peak: number | null = null;
  for (let i = 0; i + n <= cpu.length; i++) {
    const avg = cpu.slice(i, i + n).reduce((a, b) => a + b, 0) / n;
    peak = peak === null ? avg : Math.max(peak, avg);
  }
  const mean = cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : null;
  const p99 = loopDelay?.p99 ?? null;
  const reasons: string[] = [];
  if (peak !== null && peak >= SATURATION.cpuCores)
    reasons.push(`the Artillery process used ${peak.toFixed(2)} cores over ${n} s (limit ${SATURATION.cpuCores})`);
  if (p99 !== null && p99 >= SATURATION.loopDelayMs)
    reasons.push(`its event loop was delayed ${p99.toFixed(1)} ms at p99 (limit ${SATURATION.loopDelayMs} ms)`);
  const arrivals = arrivalsOf(aggregate);
  if (arrivals && arrivals.started > 0 && arrivals.late / arrivals.started > LATE_SHARE)
    reasons.push(
      `${((arrivals.late / arrivals.started) * 100).toFixed(0)}% of its arrivals started late (p95 ${arrivals.latenessP95Ms ?? '?'} ms behind the schedule; latency from the intended start p95 ${arrivals.intendedP95Ms ?? '?'} ms against ${arrivals.serviceP95Ms ?? '?'} ms of service time)`,
    );
  return {
    cpuMeanCores: mean,
    cpuPeakCores: peak,
    loopDelayP99Ms: p99,
    loopDelayMaxMs: loopDelay?.max ?? null,
    saturated: reasons.length > 0,
    reasons,
    ...(arrivals ? { arrivals } : {}),
  };
}
