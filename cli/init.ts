/**
 * npm run load-test:init -- <folder>                       write <folder>/target.yml, a commented starter
 * npm run load-test:init -- --check <target.yml> [--try <resource>]
 *
 * Describing your API, step by step (docs/guides/your-api.md): the first form writes a commented
 * target description (the contract and the read-only SELECTs, as a skeleton to edit) and never
 * overwrites a file; --sql also copies the four adapted SQL files of the escape hatch beside it.
 * The second checks a description against the running API (LOADTEST_TARGET or its baseUrl) and
 * its database (DATABASE_URL / PG*): the description itself, the environment variables it names,
 * the health path, the login, every SELECT (read-only), the ledger's kinds and resources, and a
 * read of one resource through the contract. Nothing is written, unless --try names a resource
 * the check may reserve 1 unit on (then undone where the API can): the reservation must show in
 * the ledger as described. Each missing or wrong piece is one line that says what to do.
 *
 * Exit codes: 0 written / every check passed, 1 a check failed, 2 the database is unreachable,
 * 254 bad arguments or a file that exists already.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { findRoot, loadPackConfig } from '../lib/config';
import { writeFileAtomic } from '../lib/atomic';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { loadTarget } from '../target/load';
import { checkTarget, descriptionLines, formatCheckLine } from '../runner/target-check';
import { SQL_FILES } from '../verify/sql-source';

function write(folder: string, withSql: boolean): number {
  const dir = path.resolve(folder);
  const target = path.join(dir, 'target.yml');
  const sqlDir = path.join(dir, 'sql');
  const files = [target, ...(withSql ? Object.values(SQL_FILES).map((f) => path.join(sqlDir, f)) : [])];
  const taken = files.filter((f) => fs.existsSync(f));
  if (taken.length > 0)
    throw new PackError('LT_USAGE', `${taken.join(', ')} exists already: init never overwrites a file`, {
      hint: 'name another folder, or check the description you have with --check',
    });
  const root = findRoot();
  const schema = path.relative(dir, path.join(root, 'target', 'schema.json'));
  writeFileAtomic(target, fs.readFileSync(path.join(root, 'target', 'starter.yml'), 'utf8').replace('__SCHEMA__', schema));
  if (withSql) for (const f of Object.values(SQL_FILES)) writeFileAtomic(path.join(sqlDir, f), fs.readFileSync(path.join(root, 'verify', f), 'utf8'));
  console.log(
    `wrote ${path.relative(process.cwd(), target) || target}${withSql ? ` and the four SQL files of the escape hatch in ${path.relative(process.cwd(), sqlDir)}` : ''}`,
  );
  console.log('next: edit it to describe your API and its tables, then');
  console.log(`  LOADTEST_TARGET=<your API's URL> DATABASE_URL=<its database> npm run load-test:init -- --check ${path.relative(process.cwd(), target)}`);
  return EXIT.OK;
}

main(async (argv) => {
  const args = parseArgs(argv, { options: ['check', 'try'], flags: ['sql', 'help'], positionals: 1 });
  if (args.flags.has('help') || (!args.options.has('check') && args.positionals.length === 0)) {
    console.log('usage: npm run load-test:init -- <folder> [--sql]   |   npm run load-test:init -- --check <target.yml> [--try <resource>]');
    return args.flags.has('help') ? EXIT.OK : EXIT.USAGE;
  }
  if (!args.options.has('check')) return write(args.positionals[0]!, args.flags.has('sql'));
  const file = path.resolve(args.options.get('check')!);
  const config = loadPackConfig();
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PackError('LT_TARGET_INVALID', `cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  console.log(
    `checking ${path.relative(process.cwd(), file) || file}${args.options.has('try') ? ` (and trying one reservation on ${args.options.get('try')})` : ' (read only)'}:`,
  );
  const problems = descriptionLines(file, raw);
  if (problems.length > 0) {
    for (const l of problems) console.log(formatCheckLine(l));
    console.log(`${problems.length} problem(s) in the description: fix them first`);
    return EXIT.FAILED;
  }
  const target = loadTarget(file);
  const baseUrl = config.target ?? target.description.baseUrl?.replace(/\/+$/, '');
  if (!baseUrl)
    throw new PackError('LT_TARGET_INVALID', `${file} says no baseUrl, and LOADTEST_TARGET is not set`, { hint: 'add baseUrl, or set LOADTEST_TARGET' });
  const server = await startDatabaseServer(config.db, () => undefined);
  try {
    const lines = await checkTarget(target, { baseUrl, databaseUrl: server.url, tryResource: args.options.get('try') ?? null });
    for (const l of lines) console.log(formatCheckLine(l));
    const failed = lines.filter((l) => l.state === 'FAIL').length;
    console.log(
      failed === 0 ? 'every check passed: run `npm run load-test:all -- --no-seed` with LOADTEST_TARGET_FILE pointing at it' : `${failed} check(s) failed`,
    );
    return failed === 0 ? EXIT.OK : EXIT.FAILED;
  } finally {
    await server.stop();
  }
});
