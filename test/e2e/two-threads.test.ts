/**
 * The history read by two threads (verify/history.ts foldInTwo, compiled: the worker runs from
 * dist/) gives exactly what one thread gives: the same records, counts, unreadable lines and
 * truncated files, with a key whose sends span both halves and a cut inside a file. It takes
 * the second thread only with cores to spare and history enough.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HistoryEvent } from 'artillery-plugin-isolation';

// The compiled modules: under ts-jest there is no compiled worker script beside the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const history = require(path.join(__dirname, '../../dist/verify/history.js')) as typeof import('../../verify/history');

describe('history folded by two threads', () => {
  it('equals the one-thread fold, and runs the worker', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'two-threads-'));
    const ev = (type: HistoryEvent['type'], key: string, i: number, extra: Partial<HistoryEvent> = {}): string =>
      JSON.stringify({
        type,
        time: i,
        key,
        op: 'reserve',
        auth: `a${i % 7}`,
        units: 1 + (i % 3),
        worker: 'w',
        ...(type === 'invoke' ? {} : { status: type === 'ok' ? 200 : type === 'fail' ? 409 : null }),
        ...extra,
      });
    const write = (name: string, lines: string[], close: boolean): void =>
      fs.writeFileSync(
        path.join(dir, name),
        `${lines.join('\n')}\n${close ? `${JSON.stringify({ type: 'close', time: 9, worker: 'w', lines: lines.length })}\n` : ''}`,
      );
    const a: string[] = [];
    const b: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = `k${i % 1200}`; // every key sent two or three times, in both files
      const target = i % 3 === 0 ? b : a; // two thirds in the first file: the middle byte falls inside it
      target.push(ev('invoke', key, i), ev(['ok', 'fail', 'info'][i % 3] as HistoryEvent['type'], key, i, i % 500 === 0 ? { units: 99 } : {}));
      if (i === 1500) target.push('{"type":"inv'); // an unreadable line, mid-file
    }
    write('history-1.ndjson', a, true);
    write('history-2.ndjson', b, false); // cut short: no close line
    const files = history.historyFiles(dir);
    const [first, second] = await history.halves(history.wholeFiles(files));
    expect(first.length === 1 && second[0]!.file === first[0]!.file && second[0]!.start > 0).toBe(true); // the cut is inside the first file

    const one = new history.HistoryFolder();
    const sequential = await history.scanHistory(files, one);
    const two = new history.HistoryFolder();
    const parallel = await history.foldInTwo(files, two, { minBytes: 0, cores: history.TWO_THREADS_CORES });

    expect(parallel.threads).toBe(2);
    // Fewer cores, or less history than the threshold: one thread.
    expect((await history.foldInTwo(files, new history.HistoryFolder(), { minBytes: 0, cores: 2 })).threads).toBe(1);
    expect((await history.foldInTwo(files, new history.HistoryFolder(), { cores: 64 })).threads).toBe(1);
    expect({ badLines: parallel.badLines, truncated: parallel.truncated }).toEqual(sequential);
    expect(sequential).toEqual({ badLines: 1, truncated: ['history-2.ndjson'] });
    expect([two.events, two.completions, two.first, two.last]).toEqual([one.events, one.completions, one.first, one.last]);
    expect([...two.keys().values()]).toEqual([...one.keys().values()]);
    expect(two.keys().size).toBe(1200);
  });
});
