import { formatIntegrity, judgeIntegrity } from '../../verify/integrity';
import { compose, exitCodeFor } from '../../verify/verdict';

describe('integrity verdict', () => {
  const clean = { columns: ['authorization_id', 'violation', 'excess_units'], rows: [] };
  const dirty = {
    columns: ['authorization_id', 'violation', 'excess_units'],
    rows: [
      { authorization_id: 'a', violation: 'overbooked', excess_units: 10 },
      { authorization_id: 'b', violation: 'overbooked', excess_units: 30 },
      { authorization_id: 'c', violation: 'counter_mismatch', excess_units: 5 },
    ],
  };

  it("prints the plan's header, the rows and (N rows)", () => {
    expect(formatIntegrity(clean)).toBe('=== Authorization Unit Integrity Check ===\n(0 rows)\n\n=== Expected Result: 0 rows ===');
    const text = formatIntegrity(dirty);
    expect(text).toContain(' authorization_id | violation        | excess_units ');
    expect(text).toContain('(3 rows)');
  });

  it('counts violations by type with the first and the worst', () => {
    const v = judgeIntegrity(dirty);
    expect(v.valid).toBe(false);
    expect(v.errors.overbooked).toEqual({ count: 2, first: dirty.rows[0], worst: dirty.rows[1] });
    expect(v.errors.counter_mismatch!.count).toBe(1);
    expect(judgeIntegrity(clean).valid).toBe(true);
  });

  it('composes verdicts keeping the worst, and maps them to exit codes 0/1/2', () => {
    const ok = { checker: 'a', valid: true as const, errors: {} };
    const unknown = { checker: 'b', valid: 'unknown' as const, errors: {} };
    expect(compose('all', [ok, unknown]).valid).toBe('unknown');
    expect(compose('all', [ok, unknown, judgeIntegrity(dirty)]).valid).toBe(false);
    expect([exitCodeFor(true), exitCodeFor(false), exitCodeFor('unknown')]).toEqual([0, 1, 2]);
  });
});
