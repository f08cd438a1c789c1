import { decide, emptyBalance } from '../../api/rules';

describe('unit rules', () => {
  const empty = emptyBalance(50);

  it('reserves while units are available, then refuses with insufficient_units', () => {
    let b = empty;
    for (let i = 0; i < 5; i++) {
      const d = decide('reserve', 10, b);
      if (!d.ok) throw new Error('expected ok');
      b = d.next;
    }
    expect(b).toEqual({ capacity: 50, reserved: 50, consumed: 0, available: 0 });
    expect(decide('reserve', 10, b)).toEqual({ ok: false, reason: 'insufficient_units', needed: 10, have: 0 });
  });

  it('releases and consumes only reserved units', () => {
    expect(decide('release', 5, empty).ok).toBe(false);
    expect(decide('consume', 3, empty).ok).toBe(false);
    const d = decide('consume', 3, { capacity: 50, reserved: 5, consumed: 0, available: 45 });
    expect(d).toEqual({ ok: true, delta: { reserved: -3, consumed: 3 }, next: { capacity: 50, reserved: 2, consumed: 3, available: 45 } });
  });
});
