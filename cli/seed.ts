/**
 * npm run load-test:seed [-- --seed N]
 * Replaces the load-test data with the plan's data set (fixed random seed, faker names) and
 * writes fixtures/test-data.json atomically.
 *
 * Exit codes: 0 done, 2 database unreachable or not set up, 4 embedded PostgreSQL failed,
 * 254 bad arguments.
 */
import { loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { seed } from '../seed/seed';
import { DEFAULT_SEED, totals } from '../seed/plan';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['seed'] });
  const seedValue = Number(args.options.get('seed') ?? DEFAULT_SEED);
  if (!Number.isSafeInteger(seedValue)) throw new PackError('LT_USAGE', `--seed must be an integer, got ${args.options.get('seed')}`);
  const config = loadPackConfig();
  const server = await startDatabaseServer(config.db, (l) => console.log(l));
  const { data, fixture } = await seed({
    databaseUrl: server.url,
    fixturePath: config.fixturePath,
    secretPath: config.secretPath,
    tokenTtlSeconds: config.tokenTtlSeconds,
    seed: seedValue,
  });
  const t = totals(data);
  console.log(
    `seeded ${data.organizations.length} organizations, ${data.patients.length} patients, ${data.practitioners.length} practitioners, ` +
      `${data.authorizations.length} authorizations (${t.contention.count} × 50, ${t.standard.count} × 200, ${t.bulk.count} × 1000 units) with seed ${seedValue}`,
  );
  console.log(`fixture written to ${config.fixturePath}; tokens expire at ${fixture.tokensExpireAt}`);
  await server.stop();
  return EXIT.OK;
});
