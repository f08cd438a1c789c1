/**
 * npm run load-test:seed [-- --seed N] [--profile plan|throughput|mixed]
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
import { assertOwned } from '../db/ownership';
import { DEFAULT_SEED, SEED_PROFILES, SeedProfile, totals } from '../seed/plan';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['seed', 'profile'] });
  const profile = (args.options.get('profile') ?? 'plan') as SeedProfile;
  if (!SEED_PROFILES.includes(profile)) throw new PackError('LT_USAGE', `--profile ${profile} is not one of ${SEED_PROFILES.join(', ')}`);
  const seedValue = Number(args.options.get('seed') ?? DEFAULT_SEED);
  if (!Number.isSafeInteger(seedValue)) throw new PackError('LT_USAGE', `--seed must be an integer, got ${args.options.get('seed')}`);
  const config = loadPackConfig();
  assertOwned(config.db, 'load-test:seed (it replaces every row of the reference schema)');
  const server = await startDatabaseServer(config.db, (l) => console.log(l));
  const { data, fixture } = await seed({
    databaseUrl: server.url,
    fixturePath: config.fixturePath,
    secretPath: config.secretPath,
    tokenTtlSeconds: config.tokenTtlSeconds,
    seed: seedValue,
    profile,
  });
  const t = totals(data);
  console.log(
    `seeded ${data.organizations.length} organizations, ${data.patients.length} patients, ${data.practitioners.length} practitioners, ` +
      `${data.authorizations.length} authorizations (${t.contention.count} contention, ${t.standard.count} standard, ${t.bulk.count} bulk, ${t.shared.count} shared; ` +
      `${data.authorizations.reduce((n, a) => n + a.capacityUnits, 0)} units) with seed ${seedValue}, profile ${profile}`,
  );
  console.log(`fixture written to ${config.fixturePath}; tokens expire at ${fixture.tokensExpireAt}`);
  await server.stop();
  return EXIT.OK;
});
