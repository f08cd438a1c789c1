/**
 * db/start-failure.ts: why the embedded PostgreSQL did not start again, in one line. The log below
 * is what PostgreSQL 17 printed when load-test:faults restarted it and a client reconnecting to its
 * port (in the ephemeral range) had been given that port as its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ephemeralPorts, startFailureReason } from '../../db/start-failure';
import { assertTraversableByOthers } from '../../db/traversable';

const TAKEN = [
  '2026-12-06 13:43:49.139 UTC [17235] LOG:  starting PostgreSQL 17.10 on x86_64-pc-linux-gnu, 64-bit',
  '2026-12-06 13:43:49.139 UTC [17235] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use',
  '2026-12-06 13:43:49.139 UTC [17235] HINT:  Is another postmaster already running on port 55990? If not, wait a few seconds and retry.',
  '2026-12-06 13:43:49.139 UTC [17235] FATAL:  could not create any TCP/IP sockets',
  '2026-12-06 13:43:49.146 UTC [17235] LOG:  database system is shut down',
].join('\n');

describe('why the embedded PostgreSQL did not start', () => {
  const linux = { low: 32768, high: 60999 };

  it('a port taken while the server was stopped: in the ephemeral range, says how and what to choose', () => {
    expect(startFailureReason(TAKEN, 55990, linux)).toBe(
      'could not bind IPv4 address "127.0.0.1": Address already in use: port 55990 is in this machine\'s ephemeral range (32768-60999), where a client reconnecting while the server was stopped can be given it as its own port; choose EMBEDDED_PG_PORT below 32768',
    );
    expect(startFailureReason(TAKEN, 25432, linux)).toBe(
      'could not bind IPv4 address "127.0.0.1": Address already in use: another program took port 25432 while the server was stopped',
    );
    expect(startFailureReason(TAKEN, 55990, null)).toContain('another program took port 55990');
  });

  it('otherwise the FATAL line, and a plain sentence when the log says nothing', () => {
    const log = '2026-12-06 LOG:  starting\n2026-12-06 FATAL:  data directory "/x" has invalid permissions\n';
    expect(startFailureReason(log, 25432, linux)).toBe('data directory "/x" has invalid permissions');
    expect(startFailureReason('', 25432, linux)).toBe('the server exited during start-up');
  });

  it("reads this machine's ephemeral range, and null when it cannot (negative control: garbage is not a range)", () => {
    expect(ephemeralPorts(() => '32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralPorts(() => 'not a range')).toBeNull();
    expect(
      ephemeralPorts(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });
});

describe('as root, PostgreSQL runs as the postgres user: every folder on the way must let it in', () => {
  it('names the closed folder and the fix, for the data folder and for the binaries of a checkout under one (e.g. /root); an open path passes', () => {
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'closed-'));
    try {
      fs.chmodSync(closed, 0o700);
      fs.mkdirSync(path.join(closed, 'pack', 'native'), { recursive: true });
      expect(() => assertTraversableByOthers(path.join(closed, 'pg', 'data'), 'data')).toThrow(
        new RegExp(`cannot enter ${closed} \\(mode 700\\) to reach its data folder`),
      );
      expect(() => assertTraversableByOthers(path.join(closed, 'pack', 'native'), 'binaries')).toThrow(/to reach its binaries/);
      try {
        assertTraversableByOthers(path.join(closed, 'pack', 'native'), 'binaries');
      } catch (e) {
        expect((e as { hint?: string }).hint).toMatch(/put the pack's checkout in a folder others can enter .*chmod o\+x/);
      }
      fs.chmodSync(closed, 0o755);
      expect(() => assertTraversableByOthers(path.join(closed, 'pack', 'native'), 'binaries')).not.toThrow();
    } finally {
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });
});
