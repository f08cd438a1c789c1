/**
 * The host watch's judgment (pure): from samples of the whole machine taken while a scenario ran
 * (runner/host-sampler.ts), how much of it other work took, and whether CPU, I/O or memory were
 * under pressure. A latency measured on a busy host says as much about the host as about the
 * API, and the summary says so (runner/judge.ts: the verdict policy).
 *
 * Busy means any of (each over the measured window):
 *   - other work (processes that are neither the run's nor the system under test's) used at
 *     least OTHER_SHARE of the machine's cores;
 *   - the hypervisor took at least STEAL_SHARE of them (steal time);
 *   - some task waited on I/O at least IO_SOME of the time, or on memory at least MEMORY_SOME
 *     (Linux PSI, /proc/pressure); CPU pressure alone is not enough, because the run's own
 *     processes contend for the cores too: it counts when other work took a share as well.
 * The thresholds sit above what a quiet run of the quick plan shows on this project's CI
 * machine (docs/measurements.md, "The host watch").
 */
import type { HostLoad } from '../formats/host';

export type { HostLoad } from '../formats/host';

/** Cumulative counters at one moment (jiffies, microseconds). */
export interface HostSample {
  /** Epoch ms. */
  readonly t: number;
  /** /proc/stat, first line: all CPUs together, in clock ticks. */
  readonly cpu: { readonly total: number; readonly idle: number; readonly iowait: number; readonly steal: number };
  /** The run's and the system under test's processes, clock ticks of CPU (user + system). */
  readonly own: number;
  /** PSI "some" totals, µs; null where the kernel has no /proc/pressure. */
  readonly pressure: { readonly cpu: number | null; readonly io: number | null; readonly memory: number | null };
}

export const OTHER_SHARE = 0.25;
export const STEAL_SHARE = 0.05;
export const IO_SOME = 0.1;
export const MEMORY_SOME = 0.05;
export const CPU_SOME_WITH_OTHERS = 0.25;
/** Other work that counts towards CPU pressure's being the host's, not the run's. */
const OTHERS_FOR_CPU = 0.1;

const pct = (x: number): string => `${Math.round(x * 100)} %`;

/** Pure: the host's load over the samples (the first and the last bound the window). */
export function judgeHost(samples: readonly HostSample[], cores: number, remote: boolean): HostLoad | null {
  if (samples.length < 2) return null;
  const a = samples[0]!;
  const b = samples[samples.length - 1]!;
  const seconds = (b.t - a.t) / 1000;
  const ticks = b.cpu.total - a.cpu.total;
  if (seconds <= 0 || ticks <= 0) return null;
  // Capacity in ticks over the window is what /proc/stat counted (all CPUs together).
  const busyTicks = ticks - (b.cpu.idle - a.cpu.idle) - (b.cpu.iowait - a.cpu.iowait) - (b.cpu.steal - a.cpu.steal);
  const ownTicks = Math.min(busyTicks, Math.max(0, b.own - a.own));
  const toCores = (t: number): number => (t / ticks) * cores;
  const otherTicks = Math.max(0, busyTicks - ownTicks);
  const share = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : Math.min(1, Math.max(0, (y - x) / (seconds * 1e6))));
  const pressure = { cpu: share(a.pressure.cpu, b.pressure.cpu), io: share(a.pressure.io, b.pressure.io), memory: share(a.pressure.memory, b.pressure.memory) };
  const otherShare = otherTicks / ticks;
  const stealShare = (b.cpu.steal - a.cpu.steal) / ticks;
  const reasons: string[] = [];
  if (otherShare >= OTHER_SHARE) reasons.push(`other work used ${pct(otherShare)} of the CPU (${toCores(otherTicks).toFixed(2)} of ${cores} cores)`);
  if (stealShare >= STEAL_SHARE) reasons.push(`the hypervisor took ${pct(stealShare)} of the CPU (steal)`);
  if (pressure.io !== null && pressure.io >= IO_SOME) reasons.push(`I/O pressure ${pct(pressure.io)} (tasks waited on I/O)`);
  if (pressure.memory !== null && pressure.memory >= MEMORY_SOME) reasons.push(`memory pressure ${pct(pressure.memory)}`);
  if (pressure.cpu !== null && pressure.cpu >= CPU_SOME_WITH_OTHERS && otherShare >= OTHERS_FOR_CPU)
    reasons.push(`CPU pressure ${pct(pressure.cpu)} with other work at ${pct(otherShare)}`);
  return {
    cores,
    seconds,
    busyCores: toCores(busyTicks),
    ownCores: toCores(ownTicks),
    otherCores: toCores(otherTicks),
    otherShare,
    stealShare,
    pressure,
    busy: reasons.length > 0,
    reasons,
    remote,
  };
}

/** Pure: the host's load in one line, for a latency row and the report. */
export function describeHost(h: HostLoad): string {
  const p = (name: string, v: number | null): string => (v === null ? '' : `, ${name} pressure ${pct(v)}`);
  const where = h.remote ? " (the generator's machine only: the API runs elsewhere)" : '';
  return `${h.busy ? 'host busy' : 'host quiet'}${where}: run ${h.ownCores.toFixed(2)} cores, other work ${h.otherCores.toFixed(2)} of ${h.cores}${h.stealShare >= 0.005 ? `, steal ${pct(h.stealShare)}` : ''}${p('CPU', h.pressure.cpu)}${p('I/O', h.pressure.io)}${p('memory', h.pressure.memory)}`;
}
