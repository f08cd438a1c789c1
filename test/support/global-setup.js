// Starts one embedded PostgreSQL for the integration and e2e tests and exports its address in
// TEST_PG_URL (a server URL; each test creates its own database on it).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '..', '..');
  if (!fs.existsSync(path.join(root, 'dist', 'db', 'embedded.js'))) throw new Error('run `npm run build` first (npm test does it in pretest)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authz-pack-test-pg-'));
  fs.chmodSync(dir, 0o755);
  // Below 32768, outside every OS's ephemeral range: no client's own port can take it (docs/reference/configuration.md).
  const port = 23000 + (process.pid % 2000);
  const child = spawn(process.execPath, [path.join(__dirname, 'pg-server.js')], {
    env: { ...process.env, TEST_PG_PORT: String(port), TEST_PG_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`test PostgreSQL exited with ${code}: ${err.slice(-2000)}`)));
  });
  process.env.TEST_PG_URL = url;
  process.env.TEST_PG_DIR = dir;
  globalThis.__TEST_PG__ = { child, dir };
};
