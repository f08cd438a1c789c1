import type { KeyRecord } from '../../verify/history';
import { checkRealTime } from '../../verify/realtime';

/** A folded request: sent at `from`, acknowledged at `to` (outcome ok), or with another outcome. */
function op(
  key: string,
  o: 'reserve' | 'release' | 'consume' | 'take_out',
  units: number,
  from: number,
  to: number | null,
  extra: Partial<KeyRecord> = {},
): KeyRecord {
  return {
    key,
    auth: 'slot-1',
    op: o,
    units,
    outcome: to === null ? 'info' : 'ok',
    sends: 1,
    statuses: [to === null ? null : 200],
    contradiction: null,
    invokedAt: from,
    ackedAt: to,
    ...extra,
  };
}

const start = new Map([['slot-1', { capacity: 2, reserved: 0, consumed: 0 }]]);

describe('every moment by the clients\u2019 real-time order (a ledger without an order)', () => {
  it('a correct history, its operations overlapping, shows no violation: a reservation acknowledged while a release was under way is not an overbooking', () => {
    const v = checkRealTime(
      [
        op('a', 'reserve', 1, 1, 2, { ref: 'A' }),
        op('b', 'reserve', 1, 1, 3, { ref: 'B' }),
        // The release of A is sent before C is acknowledged: C may have come after it.
        op('r', 'release', 1, 4, 7, { ref: 'A' }),
        op('c', 'reserve', 1, 5, 6, { ref: 'C' }),
      ],
      start,
    );
    expect([v.valid, v.counts.operations, v.counts.decreasing, v.counts.unbounded]).toEqual([true, 4, 1, 0]);
  });

  it('negative control: three reservations acknowledged on a capacity of 2 before any release was sent are an overbooking, whatever the database order', () => {
    const v = checkRealTime(
      [op('a', 'reserve', 1, 1, 2), op('b', 'reserve', 1, 1, 3), op('c', 'reserve', 1, 2, 4), op('r', 'release', 1, 5, 6, { ref: 'x' })],
      start,
    );
    expect(v.valid).toBe(false);
    expect(v.errors.overbooked).toMatchObject({ count: 1, first: { auth: 'slot-1', excess: 1, at: new Date(4).toISOString() } });
    expect((v.errors.overbooked!.first as { detail: string }).detail).toMatch(/at least 3 units held against a capacity of at most 2/);
  });

  it('a release acknowledged before any reservation was sent drives reserved below zero; a take-out shrinks the room', () => {
    const negative = checkRealTime([op('r', 'release', 2, 1, 2), op('a', 'reserve', 2, 3, 4)], start);
    expect(Object.keys(negative.errors)).toEqual(['negative_reserved']);
    const taken = checkRealTime([op('a', 'reserve', 2, 1, 2), op('t', 'take_out', 1, 3, 4)], start);
    expect(Object.keys(taken.errors)).toEqual(['overbooked']);
  });

  it('a release by id takes its size from the reservation it names; refused operations change nothing; unknown sizes leave the resource unbounded', () => {
    // Without its reservation's size the release could not be counted, and C would look like an overbooking.
    const byId = checkRealTime(
      [op('a', 'reserve', 2, 1, 2, { ref: 'A' }), op('r', 'release', Number.NaN, 3, 4, { ref: 'A' }), op('c', 'reserve', 2, 5, 6, { ref: 'C' })],
      start,
    );
    expect([byId.valid, byId.counts.unbounded]).toEqual([true, 0]);
    const refused = checkRealTime([op('a', 'reserve', 2, 1, 2), op('b', 'reserve', 2, 1, null, { outcome: 'fail', statuses: [409] })], start);
    expect(refused.valid).toBe(true);
    const unknown = checkRealTime([op('a', 'reserve', 2, 1, 2), op('r', 'release', Number.NaN, 3, 4, { ref: 'gone' }), op('c', 'reserve', 2, 5, 6)], start);
    expect([unknown.valid, unknown.counts.unbounded]).toEqual([true, 1]);
    // A resource with no state before the load is not bounded either.
    expect(checkRealTime([op('a', 'reserve', 9, 1, 2)], new Map()).counts.unbounded).toBe(1);
  });
});
