import { RetriesExhausted, backoffMs, withRetries } from '../../api/retry';

const serializationFailure = Object.assign(new Error('could not serialize access'), { code: '40001' });

describe('withRetries', () => {
  const noSleep = async (): Promise<void> => undefined;

  it('retries 40001 and 40P01 from the start and reports the attempt count', async () => {
    let n = 0;
    const r = await withRetries(
      async () => {
        n++;
        if (n === 1) throw serializationFailure;
        if (n === 2) throw Object.assign(new Error('deadlock'), { code: '40P01' });
        return 'done';
      },
      { maxAttempts: 5, sleep: noSleep },
    );
    expect(r).toEqual({ value: 'done', attempts: 3 });
  });

  it('stops at maxAttempts with RetriesExhausted', async () => {
    const p = withRetries(async () => Promise.reject(serializationFailure), { maxAttempts: 4, sleep: noSleep });
    await expect(p).rejects.toBeInstanceOf(RetriesExhausted);
    await expect(p).rejects.toMatchObject({ attempts: 4 });
  });

  it('does not retry other errors', async () => {
    let n = 0;
    const boom = Object.assign(new Error('syntax'), { code: '42601' });
    await expect(
      withRetries(
        async () => {
          n++;
          throw boom;
        },
        { maxAttempts: 5, sleep: noSleep },
      ),
    ).rejects.toBe(boom);
    expect(n).toBe(1);
  });

  it('backs off with full jitter under a cap', () => {
    expect(backoffMs(1, () => 0.999, 2, 64)).toBe(2);
    expect(backoffMs(4, () => 0.999, 2, 64)).toBe(16);
    expect(backoffMs(20, () => 0.999, 2, 64)).toBe(64);
    expect(backoffMs(20, () => 0, 2, 64)).toBe(0);
  });
});
