import { SATURATION, judgeGenerator } from '../../runner/generator';

describe('was the load generator the limit?', () => {
  it('a busy core for 5 s in a row, or a p99 event-loop delay of 50 ms, says saturated and why; an idle client does not', () => {
    const idle = judgeGenerator([0.2, 0.3, 0.25, 0.3, 0.2, 0.3], { p99: 3, max: 9 });
    expect(idle).toMatchObject({ saturated: false, reasons: [], loopDelayP99Ms: 3 });
    expect(idle.cpuPeakCores).toBeCloseTo(0.27, 2);

    const busy = judgeGenerator([0.3, 0.95, 0.97, 0.99, 0.96, 0.98, 0.4], { p99: 3, max: 9 });
    expect(busy.saturated).toBe(true);
    expect(busy.reasons[0]).toMatch(/^the Artillery process used 0\.97 cores over 5 s \(limit 0\.9\)$/);

    // One busy second is a blip, not saturation.
    expect(judgeGenerator([0.2, 1.0, 0.2, 0.2, 0.2, 0.2], { p99: 3, max: 9 }).saturated).toBe(false);

    const lagging = judgeGenerator([0.3, 0.3, 0.3, 0.3, 0.3], { p99: SATURATION.loopDelayMs + 10, max: 200 });
    expect(lagging).toMatchObject({ saturated: true, reasons: ['its event loop was delayed 60.0 ms at p99 (limit 50 ms)'] });
  });

  it('what was not measured stays null, never 0', () => {
    expect(judgeGenerator([], null)).toEqual({
      cpuMeanCores: null,
      cpuPeakCores: null,
      loopDelayP99Ms: null,
      loopDelayMaxMs: null,
      saturated: false,
      reasons: [],
    });
  });
});
