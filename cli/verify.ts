/**
 * npm run load-test:verify
 * Runs verify/verify-integrity.sql (or VERIFY_SQL) against the load-test database and prints the
 * violating rows. Zero rows is the pass.
 *
 * Exit codes: 0 clean, 1 violations found, 2 could not check (database unreachable, not set up,
 * SQL invalid), 4 embedded PostgreSQL failed, 254 bad arguments.
 */
import { loadPackConfig } from '../lib/config';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { formatIntegrity, judgeIntegrity, runIntegritySql } from '../verify/integrity';
import { exitCodeFor } from '../verify/verdict';

main(async (argv) => {
  parseArgs(argv, {});
  const config = loadPackConfig();
  const server = await startDatabaseServer(config.db, (l) => console.error(l));
  const result = await runIntegritySql(server.url, config.verifySqlPath);
  console.log(formatIntegrity(result));
  const verdict = judgeIntegrity(result);
  if (verdict.valid !== true) {
    console.log(`\nFAIL: ${Object.entries(verdict.errors).map(([t, s]) => `${s.count} ${t}`).join(', ')}`);
  }
  await server.stop();
  return exitCodeFor(verdict.valid);
});
