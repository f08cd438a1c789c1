/** An error crossing from the replay's worker thread keeps what main() reports: the pack's code and hint, or the system error's code. */
import { PackError } from '../../lib/errors';
import { errorData, errorFrom } from '../../verify/threads';

describe('errors across the worker thread', () => {
  it('rebuilds a PackError with its code, exit code and hint', () => {
    const back = errorFrom(structuredClone(errorData(new PackError('LT_VERIFY_SQL_INVALID', 'ledger-order.sql: no column "at"', { hint: 'add it' }))));
    expect(back).toBeInstanceOf(PackError);
    expect(back).toMatchObject({ code: 'LT_VERIFY_SQL_INVALID', message: 'ledger-order.sql: no column "at"', hint: 'add it' });
    expect((back as PackError).exitCode).toBe(new PackError('LT_VERIFY_SQL_INVALID', 'x').exitCode);
  });

  it('keeps a system error’s code (ECONNREFUSED reaches the catalog as such), and is not a PackError (negative control)', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', port: 1 });
    const back = errorFrom(structuredClone(errorData(sys)));
    expect(back).not.toBeInstanceOf(PackError);
    expect(back).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED', port: 1 });
  });
});
