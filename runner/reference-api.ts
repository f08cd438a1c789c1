/**
 * Starts the reference API (api/main.ts) as a child process and waits until it listens; checks
 * that any target, ours or a user's, answers GET /health.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { ApiMode } from '../lib/config';
import { PackError } from '../lib/errors';
import { Child, startChild } from './processes';

export interface RunningApi {
  readonly url: string;
  readonly child: Child;
  /** The token this run gave the API for /internal/* (never printed). */
  readonly internalToken: string;
  stop(): Promise<void>;
}

export async function startReferenceApi(opts: {
  root: string;
  databaseUrl: string;
  jwtSecret: string;
  port: number;
  mode: ApiMode;
  logFile: string;
  /** The token for /internal/* (a restarted API keeps its predecessor's); a new one when absent. */
  internalToken?: string;
}): Promise<RunningApi> {
  const internalToken = opts.internalToken ?? randomBytes(24).toString('hex');
  let ready: (url: string) => void = () => undefined;
  const readyLine = new Promise<string>((resolve) => (ready = resolve));
  const child = startChild('reference API', process.execPath, [path.join(opts.root, 'dist', 'api', 'main.js')], {
    cwd: opts.root,
    logFile: opts.logFile,
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      JWT_SECRET: opts.jwtSecret,
      API_PORT: String(opts.port),
      API_MODE: opts.mode,
      API_INTERNAL_TOKEN: internalToken,
    },
    onLine: (line) => {
      const m = /^READY (\S+)/.exec(line);
      if (m) ready(m[1]!);
      else if (/^error /.test(line)) process.stderr.write(`  api: ${line}\n`);
    },
  });
  const result = await Promise.race([
    readyLine.then((url) => ({ url })),
    child.exited.then((e) => ({ exit: e })),
    new Promise<{ timeout: true }>((r) => setTimeout(() => r({ timeout: true }), 30_000).unref()),
  ]);
  if (!('url' in result)) {
    await child.stop();
    const why = 'exit' in result ? `exited with code ${result.exit.code}` : 'did not start within 30 s';
    throw new PackError('LT_API_FAILED', `the reference API ${why} (log: ${opts.logFile})`);
  }
  return { url: result.url, child, internalToken, stop: () => child.stop() };
}

/** Waits until GET <target><healthPath> answers 200 (the target description's `health`). */
export async function waitForHealthy(target: string, healthPath = '/health', timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(`${target}${healthPath}`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return (await res.json().catch(() => ({}))) as Record<string, unknown>;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new PackError('LT_TARGET_UNREACHABLE', `${target}${healthPath} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}
