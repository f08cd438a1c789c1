/**
 * The intended start of every arrival (plugin/src/schedule.ts, arrivals.ts), for every phase shape
 * the pack uses: constant rates written as ramps, real ramps, plain rates, counts, pauses, and
 * the worker split, against Artillery's own phaser rules (int-core phases.js).
 */
import { ArrivalClock, DRIFT_MS_PER_PERIOD, WARMUP_PHASE, arrivalSchedule, lateness, phaseMs } from 'artillery-plugin-isolation';
import { splitPhases } from '../../runner/split';

const at = (spec: Parameters<typeof arrivalSchedule>[0]) => arrivalSchedule(spec).map((s) => s.at);

describe('when each arrival should start', () => {
  it('a constant rate written as a ramp (the pack\u2019s): each second carries the rate, one tick apart, from the tick on', () => {
    const s = at({ duration: 2, arrivalRate: 4, rampTo: 4 });
    expect(s).toEqual([250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });

  it('a one-second burst (scenario 1\u2019s waves, the ladder) fires as fast as the timer goes: 1 ms apart', () => {
    expect(at({ duration: 1, arrivalRate: 50, rampTo: 50 })).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  });

  it('a real ramp follows the line second by second (0 \u2192 30 over 4 s: 0, 10, 20, 30 arrivals)', () => {
    const s = at({ duration: 4, arrivalRate: 0, rampTo: 30 });
    expect(s.length).toBe(60);
    expect(s.filter((x) => x <= 1000)).toEqual([]);
    expect(s.filter((x) => x > 1000 && x <= 2000)).toEqual(Array.from({ length: 10 }, (_, k) => 1000 + (k + 1) * 100));
    expect(s.filter((x) => x > 3000)).toHaveLength(30);
  });

  it('a plain rate is a uniform process; a count is spread over its duration; a pause has none', () => {
    expect(at({ duration: 1, arrivalRate: 4 })).toEqual([250, 500, 750, 1000]);
    expect(at({ duration: 2, arrivalCount: 4 })).toEqual([500, 1000, 1500, 2000]);
    expect(at({ pause: 5 })).toEqual([]);
  });

  it('the worker split: each worker schedules its own share, and together they schedule every arrival', () => {
    for (const phases of [
      [{ duration: 3, arrivalRate: 50, rampTo: 50 }],
      [{ duration: 3, arrivalRate: 5, rampTo: 20 }],
      [{ duration: 1, arrivalRate: 50, rampTo: 50 }],
    ]) {
      const whole = at(phases[0]!).length;
      const parts = splitPhases(phases, 3).map((p) => at(p[0]!).length);
      expect([parts.reduce((a, b) => a + b, 0), whole]).toEqual([whole, whole]);
    }
  });

  it('lateness is measured against the schedule, with the drift Artillery\u2019s one-second sleeps may add allowed', () => {
    const slot = arrivalSchedule({ duration: 3, arrivalRate: 2, rampTo: 2 })[4]!; // the first of second 3
    expect(slot).toEqual({ at: 2500, allowance: 2 * DRIFT_MS_PER_PERIOD });
    expect(lateness(1000, slot, 1000 + 2500 + 3)).toBe(0);
    expect(lateness(1000, slot, 1000 + 2500 + 204)).toBe(200);
  });
});

describe('the arrival clock of a worker', () => {
  it('walks the phases in order, anchored at the first arrival, and knows the warm-up phase', () => {
    const clock = new ArrivalClock([
      { name: WARMUP_PHASE, duration: 2, arrivalRate: 1, rampTo: 1 },
      { duration: 2, arrivalRate: 2, rampTo: 2 },
    ]);
    const t0 = 10_000;
    const seen = [t0 + 1000, t0 + 2000, t0 + 2500, t0 + 3000, t0 + 3700, t0 + 4000].map((t) => clock.arrive(t));
    expect(seen.map((a) => a.warmup)).toEqual([true, true, false, false, false, false]);
    // The fifth arrival was due at 3500, three seconds in (three periods of allowance): it started 200 ms late, less that.
    expect(seen.map((a) => a.lateness)).toEqual([0, 0, 0, 0, 200 - 3 * DRIFT_MS_PER_PERIOD, 0]);
  });

  it('negative control: a generator that fell 200 ms behind stays behind until it catches up', () => {
    const clock = new ArrivalClock([{ duration: 2, arrivalRate: 4, rampTo: 4 }]);
    const late = [250, 500, 950, 1200, 1450].map((t) => clock.arrive(10_000 + t).lateness);
    expect(late.slice(2).every((l) => l >= 190)).toBe(true);
  });

  it('a burst is judged by its gaps: an unhindered one at the worker\u2019s pace is on time; a 200 ms hold-up is carried by every arrival after it', () => {
    const burst = [{ duration: 1, arrivalRate: 10, rampTo: 10 }];
    const paced = new ArrivalClock(burst);
    expect(Array.from({ length: 10 }, (_, k) => paced.arrive(5000 + 1 + k * 1.6).lateness)).toEqual(Array(10).fill(0));
    const held = new ArrivalClock(burst);
    const times = [1, 2.5, 4, 205, 206.5, 208];
    const late = times.map((t) => held.arrive(5000 + t).lateness);
    expect(late.slice(0, 3)).toEqual([0, 0, 0]);
    for (const l of late.slice(3)) expect(l).toBeCloseTo(196, 0);
  });

  it('passes over the arrivals Artillery skipped (maxVusers running): the user after them is not read as late', () => {
    const clock = new ArrivalClock([{ duration: 2, arrivalRate: 4, rampTo: 4, maxVusers: 2 }]);
    const t0 = 20_000;
    expect(clock.arrive(t0 + 250).lateness).toBe(0);
    expect(clock.arrive(t0 + 500).lateness).toBe(0);
    // At 750 two users are running: Artillery skips that arrival. One leaves at 900; the next starts at 1000.
    clock.leave(t0 + 900);
    expect([clock.arrive(t0 + 1000).lateness, clock.skipped]).toEqual([0, 1]);
    // Negative control: without the leave, the same start would be matched to the 750 slot, 250 ms late.
    const naive = new ArrivalClock([{ duration: 2, arrivalRate: 4, rampTo: 4 }]);
    naive.arrive(t0 + 250);
    naive.arrive(t0 + 500);
    expect(naive.arrive(t0 + 1000).lateness).toBe(250);
  });

  it('reads durations as Artillery does', () => {
    expect([
      phaseMs({ duration: 10 }),
      phaseMs({ duration: '10s' } as never),
      phaseMs({ pause: '2m' } as never),
      phaseMs({ duration: '500ms' } as never),
    ]).toEqual([10_000, 10_000, 120_000, 500]);
  });
});
