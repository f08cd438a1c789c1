/**
 * The arrival clock of one Artillery worker: the intended start of every arrival of its phases,
 * one after the other (schedule.ts), matched to the virtual users in the order they start. Each
 * virtual user learns how late it started (its lateness, added to the latency of every request
 * it makes: the latency from the intended start), and whether it arrived in the generator's
 * warm-up phase (its requests are not judged).
 *
 * The clock starts at the first arrival, taken as on time. Phase boundaries follow the phases'
 * nominal lengths (Artillery runs them one after the other), so a generator that fell behind
 * stays behind until it catches up, as wrk2 and k6 count it. Arrivals Artillery skipped (a
 * phase's maxVusers reached: `vusers.skipped`) start no virtual user, so the ones after them are
 * matched to earlier slots and read later than they were: the report says when that happened.
 *
 * A burst (a one-second phase: all its arrivals back to back) is judged by its gaps: an arrival
 * that came more than BURST_GAP_MS after the one before was held up by that much, and every one
 * after it in the burst carries the delay. The pace of an unhindered burst (a millisecond or two
 * an arrival, the worker's own work) is not lateness.
 * Pure, apart from the clock it is given.
 */
import { DRIFT_MS_PER_PERIOD, PhaseSpec, arrivalSchedule, lateness } from './schedule';

/** A phase's length, ms, as Artillery runs it (durations in seconds, or "10s", "2m", "500ms"). */
export function phaseMs(p: PhaseSpec & { readonly duration?: number | string; readonly pause?: number | string }): number {
  const v = p.pause ?? p.duration ?? 0;
  if (typeof v === 'number') return v * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(v));
  if (!m) return Number(v) * 1000 || 0;
  const unit = m[2] ?? 's';
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'h'];
}

/** What the clock says about one virtual user. */
export interface Arrival {
  /** How late it started, ms (0: on time). */
  readonly lateness: number;
  /** It arrived in the generator's warm-up phase: none of its requests is judged. */
  readonly warmup: boolean;
}

/** The name a warm-up phase carries (runner/script.ts writes it). */
export const WARMUP_PHASE = 'generator warm-up (not judged)';

/** A gap between two arrivals of a burst above this is a hold-up, ms. */
export const BURST_GAP_MS = 5;

export class ArrivalClock {
  private readonly slots: { at: number; allowance: number; warmup: boolean; burst: number | null; maxVusers: number | null }[] = [];
  private started: number | null = null;
  private next = 0;
  /** The arrival before, in the same burst: its phase, when it came, how late it was. */
  private prev: { burst: number | null; at: number; late: number } | null = null;
  /** When this worker's virtual users started and ended (both in order): how many were running at a moment. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Arrivals Artillery skipped, as this clock infers them (a phase's maxVusers reached). */
  skipped = 0;

  constructor(phases: readonly (PhaseSpec & { readonly name?: string; readonly maxVusers?: number })[]) {
    let offset = 0;
    let periods = 0;
    phases.forEach((p, index) => {
      const ms = phaseMs(p);
      const warmup = p.name === WARMUP_PHASE;
      const maxVusers = typeof p.maxVusers === 'number' ? p.maxVusers : null;
      for (const s of arrivalSchedule({ ...p, duration: ms / 1000 }))
        this.slots.push({ at: offset + s.at, allowance: s.allowance + periods * DRIFT_MS_PER_PERIOD, warmup, burst: s.burst ? index : null, maxVusers });
      offset += ms;
      periods += Math.ceil(ms / 1000);
    });
  }

  /** How many virtual users were running at `t` (started by then, not yet ended). */
  private runningAt(t: number): number {
    const count = (list: readonly number[]): number => {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]! <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return count(this.starts) - count(this.ends);
  }

  /**
   * The next virtual user, started at `now`. Slots that came due while the phase's maxVusers
   * were running were skipped by Artillery (`vusers.skipped`): no user took them, so they are
   * passed over, not matched to this one.
   */
  arrive(now: number): Arrival {
    if (this.started !== null)
      while (this.next < this.slots.length - 1) {
        const s = this.slots[this.next]!;
        const due = this.started + s.at + s.allowance;
        if (s.maxVusers === null || due > now) break;
        const running = this.runningAt(due);
        // A user that has just left may still count in Artillery's own tally for a moment: one
        // below the cap, with a later slot also due by now, reads as a skip rather than as lateness.
        const nextDue = this.started + this.slots[this.next + 1]!.at + this.slots[this.next + 1]!.allowance;
        if (running < s.maxVusers - 1 || (running < s.maxVusers && nextDue > now)) break;
        this.skipped++;
        this.next++;
      }
    const slot = this.slots[this.next++];
    if (this.started === null) this.started = now - (slot?.at ?? 0);
    const inBurst = slot?.burst !== null && slot?.burst !== undefined && this.prev?.burst === slot.burst;
    const late = inBurst ? this.prev!.late + Math.max(0, now - this.prev!.at - BURST_GAP_MS) : lateness(this.started, slot, now);
    this.prev = { burst: slot?.burst ?? null, at: now, late };
    this.starts.push(now);
    return { lateness: late, warmup: slot?.warmup ?? false };
  }

  /** A virtual user of this worker ended (its flow completed, or an error stopped it). */
  leave(now: number): void {
    this.ends.push(now);
  }

  /** Whether any arrival was planned at all (a script without phases plans none). */
  get planned(): number {
    return this.slots.length;
  }
}
