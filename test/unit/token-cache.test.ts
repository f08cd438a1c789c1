import { TokenCache } from '../../api/token-cache';

describe('TokenCache (verified tokens, remembered while valid)', () => {
  it('gives back a remembered principal until exp, the way jsonwebtoken counts it (expired when now ≥ exp)', () => {
    let now = 1_000;
    const c = new TokenCache<string>(10, () => now);
    expect(c.get('t')).toBeUndefined();
    c.set('t', 'alice', { exp: 1_005 });
    expect(c.get('t')).toBe('alice');
    now = 1_004;
    expect(c.get('t')).toBe('alice');
    now = 1_005;
    expect(c.get('t')).toBeUndefined(); // expired: dropped, to be verified (and refused) again
    expect(c.size).toBe(0);
  });

  it('does not give back a token before its nbf, and keeps a token without exp (the lax-input control accepts those)', () => {
    let now = 1_000;
    const c = new TokenCache<string>(10, () => now);
    c.set('early', 'bob', { exp: 2_000, nbf: 1_010 });
    expect(c.get('early')).toBeUndefined();
    c.set('forever', 'carol', {});
    now = 10_000_000;
    expect(c.get('forever')).toBe('carol');
  });

  it('matches the exact token only, and keeps at most max tokens, dropping the oldest', () => {
    const c = new TokenCache<number>(2, () => 0);
    c.set('a', 1, { exp: 9 });
    expect(c.get('a ')).toBeUndefined();
    c.set('b', 2, { exp: 9 });
    c.set('c', 3, { exp: 9 });
    expect(c.size).toBe(2);
    expect(c.get('a')).toBeUndefined();
    expect([c.get('b'), c.get('c')]).toEqual([2, 3]);
    expect(() => new TokenCache<number>(0).set('x', 1, {})).not.toThrow();
    const none = new TokenCache<number>(0);
    none.set('x', 1, {});
    expect(none.get('x')).toBeUndefined();
  });
});
