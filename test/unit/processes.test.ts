import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DRAIN_MS, startChild } from '../../runner/processes';

// A child whose output outlives it: `sh` exits at once, and a process it started in the
// background writes `lines` lines of 100 bytes to the same pipe `after` seconds later (as a
// process started by Artillery or the API could). Every byte must reach the log and every line
// the caller, and nothing may be written to a log descriptor already closed (EBADF, or worse, a
// file opened since under the same number).
const lateWriter = (lines: number, after: number): string[] => ['-c', `(sleep ${after}; yes $(printf %099d 0) | head -n ${lines}) & exit 0`];

describe('startChild', () => {
  let dir: string;
  const errors: unknown[] = [];
  const onError = (e: unknown): void => void errors.push(e);
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-child-'));
    errors.length = 0;
    process.on('uncaughtException', onError);
  });
  afterEach(() => {
    process.off('uncaughtException', onError);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('output that arrives after the exit is logged whole, and every line is seen', async () => {
    const logFile = path.join(dir, 'child.log');
    const seen: string[] = [];
    const child = startChild('test child', 'sh', lateWriter(1000, 0.3), { env: process.env, cwd: dir, logFile, onLine: (l) => seen.push(l) });
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(seen).toHaveLength(1000);
    expect(fs.statSync(logFile).size).toBe(100_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
  });

  test('output held open past the drain time: the exit is still reported, and later output is dropped, not written to a closed log', async () => {
    const logFile = path.join(dir, 'child.log');
    const seen: string[] = [];
    const started = Date.now();
    const child = startChild('test child', 'sh', lateWriter(10, (DRAIN_MS + 500) / 1000), { env: process.env, cwd: dir, logFile, onLine: (l) => seen.push(l) });
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DRAIN_MS - 50);
    expect(seen).toEqual([]);
    // Open a file that may take the log's old descriptor number; the late output must not land in it.
    const other = path.join(dir, 'other.txt');
    const fd = fs.openSync(other, 'w');
    await new Promise((r) => setTimeout(r, 1200));
    fs.closeSync(fd);
    expect(fs.statSync(other).size).toBe(0);
    expect(errors).toEqual([]);
  });
});
