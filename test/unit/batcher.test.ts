/**
 * api/batcher.ts: the first operation on an idle key goes alone and at once; those that arrive
 * while it is in flight go together, in order, at most maxBatch at a time; keys do not wait for
 * each other; a failed batch fails its own waiters only.
 */
import { createBatcher } from '../../api/batcher';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('per-authorization batching', () => {
  it('sends the first alone, then the waiting ones together in arrival order, at most maxBatch at a time', async () => {
    const calls: string[][] = [];
    const gate = deferred<void>();
    const b = createBatcher<string, string>(
      async (r) => {
        calls.push([r]);
        if (r === 'a1') await gate.promise;
        return `one:${r}`;
      },
      async (rs) => {
        calls.push([...rs]);
        return rs.map((r) => `many:${r}`);
      },
      3,
    );
    const first = b.submit('A', 'a1');
    const rest = ['a2', 'a3', 'a4', 'a5'].map((r) => b.submit('A', r));
    const other = b.submit('B', 'b1');
    expect(await other).toBe('one:b1');
    gate.resolve();
    expect(await first).toBe('one:a1');
    expect(await Promise.all(rest)).toEqual(['many:a2', 'many:a3', 'many:a4', 'one:a5']);
    expect(calls).toEqual([['a1'], ['b1'], ['a2', 'a3', 'a4'], ['a5']]);
    // Idle again: the next goes alone at once.
    expect(await b.submit('A', 'a6')).toBe('one:a6');
  });

  it('fails the waiters of a failed batch with its error, and goes on with the next', async () => {
    const gate = deferred<void>();
    let batches = 0;
    const b = createBatcher<number, number>(
      async (r) => {
        if (r === 0) await gate.promise;
        return r;
      },
      async (rs) => {
        if (batches++ === 0) throw new Error('boom');
        return rs.map((r) => r * 10);
      },
      2,
    );
    const lead = b.submit('k', 0);
    const failed = [b.submit('k', 1), b.submit('k', 2)].map((p) => p.catch((e: Error) => e.message));
    const later = b.submit('k', 3);
    const later2 = b.submit('k', 4);
    gate.resolve();
    expect(await lead).toBe(0);
    expect(await Promise.all(failed)).toEqual(['boom', 'boom']);
    expect(await Promise.all([later, later2])).toEqual([30, 40]);
  });
});
