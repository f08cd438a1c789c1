/**
 * The embedded default and process hygiene: with no DATABASE_URL the pack starts its own
 * PostgreSQL and stops it; Ctrl-C during a run stops Artillery, the API and PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import { embeddedEnv } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(180_000);

function processesMentioning(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('embedded PostgreSQL and clean shutdown', () => {
  const env = embeddedEnv('e2e-embedded', 25977, 3393);

  it('setup, seed and verify work on their own against the embedded server, which they stop', async () => {
    const s = await runCli('setup', [], env);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('load-test database authz_load_test created');
    expect((await runCli('seed', [], env)).code).toBe(0);
    const v = await runCli('verify', ['--integrity-only'], env);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('(0 rows)');
    // Without --integrity-only there is no run to reconcile with: never valid by default.
    const unknown = await runCli('verify', [], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toMatch(/UNKNOWN: 1 not_reconciled/);
    expect(processesMentioning(env.EMBEDDED_PG_DIR)).toEqual([]);
    expect(await listening(25977)).toBe(false);
  });

  it('Ctrl-C during a run exits 130 and leaves no PostgreSQL, API or Artillery behind', async () => {
    let sent = false;
    const r = await runCli('run', ['scenario1', '--profile', 'quick'], env, {
      timeoutMs: 120_000,
      onStdout: (out, child) => {
        if (!sent && out.includes('▶ scenario 1')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 3000);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    await new Promise((res) => setTimeout(res, 500));
    expect(processesMentioning(env.EMBEDDED_PG_DIR)).toEqual([]);
    expect(processesMentioning('dist/api/main.js').filter((l) => l.includes(''))).toEqual([]);
    expect(processesMentioning('artillery/bin/run')).toEqual([]);
    expect(await listening(3393)).toBe(false);
    expect(await listening(25977)).toBe(false);
  });

  it('a reader that goes away (stdout closed, EPIPE) is an interrupt: cleanups run, nothing is left behind', async () => {
    let closed = false;
    const r = await runCli('run', ['scenario1', '--profile', 'quick'], env, {
      timeoutMs: 120_000,
      onStdout: (out, child) => {
        if (!closed && out.includes('▶ scenario 1')) {
          closed = true;
          child.stdout!.destroy();
        }
      },
    });
    expect(closed).toBe(true);
    expect(r.code).toBe(130);
    await new Promise((res) => setTimeout(res, 500));
    expect(processesMentioning(env.EMBEDDED_PG_DIR)).toEqual([]);
    expect(processesMentioning('dist/api/main.js')).toEqual([]);
    expect(processesMentioning('artillery/bin/run')).toEqual([]);
  });

  it('a runner killed outright (SIGKILL, no cleanup possible): the reference API exits by itself, and the next command stops the orphaned PostgreSQL', async () => {
    let killed = false;
    await runCli('run', ['scenario1', '--profile', 'quick'], env, {
      timeoutMs: 120_000,
      onStdout: (out, child) => {
        if (!killed && out.includes('api: reference API on')) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    let next: Awaited<ReturnType<typeof runCli>> | null = null;
    try {
      expect(killed).toBe(true);
      // The API notices its parent is gone within a second or two and stops.
      const until = Date.now() + 10_000;
      while (Date.now() < until && (await listening(3393))) await new Promise((res) => setTimeout(res, 250));
      expect(await listening(3393)).toBe(false);
      expect(processesMentioning('dist/api/main.js')).toEqual([]);
    } finally {
      // PostgreSQL cannot watch its parent; the next pack command finds it orphaned and stops it
      // (in a finally: a failed assertion above must not leave it running for the next test run).
      next = await runCli('verify', ['--integrity-only'], env);
    }
    expect(next.stderr).toContain('stopping an orphaned embedded PostgreSQL');
    expect(processesMentioning(env.EMBEDDED_PG_DIR)).toEqual([]);
  });
});
