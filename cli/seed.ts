/**
 * npm run load-test:seed [-- --seed N] [--profile plan|throughput|mixed|ladder|all] [--authorizations N]
 * Replaces the load-test data with the plan's data set (fixed random seed, faker names) and
 * writes fixtures/test-data.json atomically. --authorizations N grows the data set to N
 * authorizations (extra 1000-unit bulk ones), inserted column-wise in chunks of 20,000 rows.
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
import { DEFAULT_SEED, MAX_AUTHORIZATIONS, SEED_PROFILES, SeedProfile, totals } from '../seed/plan';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['seed', 'profile', 'authorizations'] });
  const profile = (args.options.get('profile') ?? 'plan') as SeedProfile;
  if (!SEED_PROFILES.includes(profile)) throw new PackError('LT_USAGE', `--profile ${profile} is not one of ${SEED_PROFILES.join(', ')}`);
  const seedValue = Number(args.options.get('seed') ?? DEFAULT_SEED);
  if (!Number.isSafeInteger(seedValue)) throw new PackError('LT_USAGE', `--seed must be an integer, got ${args.options.get('seed')}`);
  const sizeArg = args.options.get('authorizations');
  const size = sizeArg === undefined ? undefined : Number(sizeArg);
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 1 && size <= MAX_AUTHORIZATIONS)) {
    throw new PackError('LT_USAGE', `--authorizations must be an integer from 1 to ${MAX_AUTHORIZATIONS}, got ${sizeArg}`);
  }
  const config = loadPackConfig();
  assertOwned(config.db, 'load-test:seed (it replaces every row of the reference schema)');
  const server = await startDatabaseServer(config.db, (l) => console.log(l));
  const started = Date.now();
  const { data, fixture } = await seed({
    databaseUrl: server.url,
    fixturePath: config.fixturePath,
    secretPath: config.secretPath,
    tokenTtlSeconds: config.tokenTtlSeconds,
    seed: seedValue,
    profile,
    ...(size !== undefined ? { authorizations: size } : {}),
  });
  const t = totals(data);
  console.log(
    `seeded ${data.organizations.length} organizations, ${data.patients.length} patients, ${data.practitioners.length} practitioners, ` +
      `${data.authorizations.length} authorizations (${t.contention.count} contention, ${t.standard.count} standard, ${t.bulk.count} bulk, ${t.shared.count} shared; ` +
      `${data.authorizations.reduce((n, a) => n + a.capacityUnits, 0)} units) with seed ${seedValue}, profile ${profile} in ${Date.now() - started} ms`,
  );
  console.log(`fixture written to ${config.fixturePath}; tokens expire at ${fixture.tokensExpireAt}`);
  await server.stop();
  return EXIT.OK;
});
