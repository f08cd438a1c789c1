import { conflictRateByThird, sustainedRate } from '../../runner/series-criteria';
import { formatProgress, parseProgressLine } from '../../runner/progress';
import { progressOf } from 'artillery-plugin-isolation';
import { period, reportOf } from '../support/periods';

describe('time-series criteria', () => {
  const report = reportOf([period(0, 300, 0), period(1, 1300, 10), period(2, 1200, 60), period(3, 1250, 400), period(4, 100, 90)]);

  it('measures the rate sustained between the ramp and the last arrival', () => {
    expect(sustainedRate(report, 10, 40)).toEqual({ rps: 125, periods: 3 });
  });

  it('splits the conflict rate into thirds of the run, so a pile-up at the end shows', () => {
    const [a, b, c] = conflictRateByThird(report);
    expect(a).toBeCloseTo(10 / 1600);
    expect(b).toBeCloseTo(460 / 2450);
    expect(c).toBeCloseTo(90 / 100);
  });

  it("formats the live progress line from the plugin's period line", () => {
    const line = `[isolation] ${JSON.stringify(progressOf({ period: 1, counters: { 'isolation.requests': 200, 'isolation.conflicts': 30 }, rates: { 'http.request_rate': 20 }, summaries: { 'http.response_time': { p95: 41.2 } } }))}`;
    const p = parseProgressLine(line)!;
    expect(formatProgress(p, { index: 2, of: 3, elapsedSeconds: 70, expectedSeconds: 300 })).toBe(
      '[scenario 2/3] 1:10 elapsed, ~3:50 left | 20.0 req/s | p95 41 ms | 409 15.0%',
    );
    expect(parseProgressLine('ok: http.response_time.p95 < 200')).toBeNull();
  });
});
