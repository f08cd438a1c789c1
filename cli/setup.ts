/**
 * npm run load-test:setup [-- --recreate]
 * Creates the dedicated load-test database and applies db/migrations in order. Run again, it
 * converges; --recreate drops and recreates the database first.
 *
 * Exit codes: 0 done, 2 database unreachable, 4 embedded PostgreSQL failed, 254 bad arguments.
 */
import { loadPackConfig } from '../lib/config';
import { EXIT } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { assertOwned } from '../db/ownership';

main(async (argv) => {
  const args = parseArgs(argv, { flags: ['recreate'] });
  const config = loadPackConfig();
  assertOwned(config.db, 'load-test:setup (it creates the database and applies migrations)');
  const server = await startDatabaseServer(config.db, (l) => console.log(l));
  const r = await setupDatabase(server.url, config.db.database, { recreate: args.flags.has('recreate') });
  console.log(
    `load-test database ${config.db.database} ${r.dropped ? 'dropped and recreated' : r.created ? 'created' : 'exists'} at ${config.db.displayUrl}; ` +
      `migrations applied: ${r.applied.length ? r.applied.join(', ') : 'none'}${r.skipped.length ? `; already applied: ${r.skipped.join(', ')}` : ''}`,
  );
  await server.stop();
  return EXIT.OK;
});
