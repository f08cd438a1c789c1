import { parseServerTiming } from '../../plugin/src/server-timing';
import { serverTiming } from '../../api/app';

describe('Server-Timing', () => {
  it('reads name and dur, skips entries without a usable duration, and normalises names', () => {
    expect(parseServerTiming('pool;dur=0.41, db;dur=3.2;desc="in PostgreSQL", cache;desc=hit, Total-App;dur="12", bad name;dur=1, neg;dur=-1')).toEqual([
      { name: 'pool', durationMs: 0.41 },
      { name: 'db', durationMs: 3.2 },
      { name: 'total_app', durationMs: 12 },
    ]);
  });

  it('takes repeated headers (an array) and ignores a missing or non-string header', () => {
    expect(parseServerTiming(['a;dur=1', 'b;dur=2'])).toEqual([
      { name: 'a', durationMs: 1 },
      { name: 'b', durationMs: 2 },
    ]);
    expect(parseServerTiming(undefined)).toEqual([]);
    expect(parseServerTiming(42)).toEqual([]);
  });

  it('round-trips what the reference API sends', () => {
    const header = serverTiming({ pool: 0.123, db: 4.5, retry: 0, app: 6.789 });
    expect(header).toBe('pool;dur=0.12, db;dur=4.50, retry;dur=0.00, app;dur=6.79');
    expect(parseServerTiming(header).map((t) => t.name)).toEqual(['pool', 'db', 'retry', 'app']);
  });
});
