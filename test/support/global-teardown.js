const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const pg = globalThis.__TEST_PG__;
  if (!pg) return;
  if (pg.child.exitCode === null) {
    const exited = new Promise((r) => pg.child.once('exit', r));
    pg.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(pg.dir, { recursive: true, force: true });
};
