/**
 * Child processes the runner starts (the reference API, Artillery), each registered for cleanup
 * so that Ctrl-C, SIGTERM and failures never leave one behind.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { onCleanup } from '../lib/lifecycle';

export interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** How long after a child's exit its output may still arrive (see `exited`). */
export const DRAIN_MS = 2000;

export function startChild(
  name: string,
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; logFile: string; onLine?: (line: string) => void },
): Child {
  const log = fs.openSync(opts.logFile, 'a');
  // detached: its own process group, so we can stop it and everything it started.
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let buffer = '';
  let logOpen = true;
  const onData = (chunk: Buffer): void => {
    if (!logOpen) return;
    fs.writeSync(log, chunk);
    if (!opts.onLine) return;
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      opts.onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // The last of a child's output can reach us after its 'exit' (a process it started may still
  // hold the pipes). The exit is reported, and the log closed, once the pipes are drained
  // ('close'), or DRAIN_MS after the exit when something else keeps them open.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (!logOpen) return;
      clearTimeout(timer);
      if (buffer && opts.onLine) opts.onLine(buffer);
      buffer = '';
      logOpen = false;
      fs.closeSync(log);
      resolve({ code, signal });
    };
    child.once('exit', (code, signal) => {
      timer = setTimeout(() => done(code, signal), DRAIN_MS);
    });
    child.once('close', done);
    child.once('error', () => done(null, null));
  });

  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const unregister = onCleanup(name, () => stop());
  void exited.then(unregister);
  return { process: child, exited, stop };
}
