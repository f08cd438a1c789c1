/**
 * Target descriptions (target/description.ts, target/load.ts): validated with every problem named
 * at once, kept in step with the JSON Schema editors complete from (target/schema.json), and the
 * verifier's SQL built from their SELECTs or read from a folder (verify/sql-source.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { targetProblems, wireContract } from '../../target/description';
import { REFERENCE_TARGET, loadTarget, targetOf } from '../../target/load';
import { SQL_FILES, sqlFromFolder, sqlFromQueries, verifySqlFor } from '../../verify/sql-source';
import { tempDir } from '../support/db';

const ROOT = path.resolve(__dirname, '..', '..');
/** Every target description in the repository: the reference API's and the test suite's APIs'. */
const TARGETS = [REFERENCE_TARGET, ...['booking-api', 'flash-api', 'foreign-api'].map((d) => path.join(ROOT, 'examples', d, 'target.yml'))];
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'target', 'schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const read = (file: string) => YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const ENV = { BOOKING_API_KEY: 'k', FLASH_CLIENT_ID: 'i', FLASH_CLIENT_SECRET: 's' };

describe('target descriptions', () => {
  it.each(TARGETS.map((f) => [path.relative(ROOT, f), f]))('%s is valid to the pack and to the JSON Schema', (_name, file) => {
    expect(targetProblems(read(file))).toEqual([]);
    expect(validate(read(file)) ? [] : validate.errors).toEqual([]);
    expect(() => loadTarget(file, ENV)).not.toThrow();
  });

  it('names every problem at once, each with its field', () => {
    const bad = read(REFERENCE_TARGET);
    const api = bad.api as { operations: Record<string, Record<string, unknown>>; idempotency: Record<string, unknown> };
    delete bad.name;
    api.operations.reserve!.ok = { status: 'ok' };
    api.operations.release!.by = 'id';
    api.idempotency.header = 'Idempotency Key';
    bad.database = { capacity: 'DELETE FROM x', ledger: 'SELECT 1' };
    bad.colour = 'blue';
    const problems = targetProblems(bad);
    expect(problems).toEqual([
      '(top level).colour is not a known field (known: version, name, baseUrl, health, auth, api, database, fixture, $schema)',
      'name must be a text naming the API',
      'api.operations.reserve.ok.status must be an HTTP status or a list of them',
      'api.operations.release.by must be units or acquisition',
      'api.idempotency.header must be a header name such as Idempotency-Key',
      'database.capacity must be one read-only SELECT (columns: resource, capacity)',
    ]);
    // The schema refuses the same description (an editor underlines it).
    expect(validate(bad)).toBe(false);
    expect(() => targetOf('/x/bad.yml', bad)).toThrow(/^\/x\/bad\.yml: \(top level\)\.colour is not a known field.*; database\.capacity must be/);
  });

  it('the schema and the pack refuse the same broken descriptions', () => {
    const base = read(path.join(ROOT, 'examples', 'booking-api', 'target.yml'));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the broken variants reach into the parsed YAML
    const broken: [string, (t: Record<string, any>) => void][] = [
      ['no reserve', (t) => delete t.api.operations.reserve],
      ['an unknown operation', (t) => (t.api.operations.steal = t.api.operations.read)],
      ['a refusal without its meaning', (t) => delete t.api.operations.reserve.refused[0].means],
      ['an unknown auth kind', (t) => (t.auth = { kind: 'magic' })],
      ['a status out of range', (t) => (t.api.operations.reserve.ok.status = 99)],
      ['database with both sql and queries', (t) => (t.database.sql = 'x')],
      ['a balance field that is not one', (t) => (t.api.balance.held = 'held')],
    ];
    for (const [what, change] of broken) {
      const t = structuredClone(base);
      change(t);
      expect([what, targetProblems(t).length > 0, validate(t)]).toEqual([what, true, false]);
    }
  });

  it('adds authentication to the contract the plugin receives, once', () => {
    const t = read(path.join(ROOT, 'examples', 'booking-api', 'target.yml')) as never;
    expect(wireContract(t).headers).toEqual({ 'X-Api-Key': '${BOOKING_API_KEY}' });
    expect(wireContract({ api: { operations: {} }, auth: { kind: 'bearer' } } as never).headers).toEqual({ Authorization: 'Bearer {token}' });
    expect(wireContract({ api: { operations: {} }, auth: { kind: 'none' } } as never).headers).toEqual({});
  });

  it('refuses a description whose secrets are not in the environment, naming them', () => {
    expect(() => loadTarget(path.join(ROOT, 'examples', 'booking-api', 'target.yml'), {})).toThrow(
      /names environment variables that are not set: \$\{BOOKING_API_KEY\}/,
    );
  });
});

describe('the verifier SQL of a target', () => {
  it('built from its SELECTs: the user writes the ledger once, the pack builds the four queries', () => {
    const sql = sqlFromQueries(
      { capacity: 'SELECT id AS resource, seats AS capacity FROM events;', ledger: 'SELECT ... FROM bookings -- mine\n', order: 'at' },
      'ref',
      'booking.yml',
    );
    expect(sql.keys).toMatch(/SELECT kind \|\| ':' \|\| ref AS key, resource AS auth, kind AS op, units, 1 AS rows FROM ledger WHERE ref IS NOT NULL/);
    expect(sql.integrity).toMatch(/'duplicate_ref'/);
    expect(sql.order).toMatch(/ORDER BY l\.at/);
    // A trailing semicolon and comment do not break the subqueries.
    expect(sql.keys).toContain('FROM (SELECT ... FROM bookings -- mine\n) l0');
    expect(sql.keys).toContain('FROM (SELECT id AS resource, seats AS capacity FROM events\n) c0');
    const noOrder = sqlFromQueries({ capacity: 'SELECT 1', ledger: 'SELECT 1', order: 'none' }, 'key', 'x.yml');
    expect([noOrder.order, noOrder.counts, noOrder.orderWhy]).toEqual([
      null,
      null,
      expect.stringMatching(/the ledger has no commit order \(database.order: none\)/),
    ]);
  });

  it('read from a folder: a named file that does not exist, a misspelt one, or a missing companion is an error naming it, never a skip', () => {
    const dir = tempDir('sql');
    for (const f of Object.values(SQL_FILES)) fs.copyFileSync(path.join(ROOT, 'verify', f), path.join(dir, f));
    expect(sqlFromFolder(path.join(dir, SQL_FILES.integrity), 'key').order).not.toBeNull();
    expect(() => sqlFromFolder(path.join(dir, 'nope.sql'), 'key')).toThrow(/VERIFY_SQL names .*nope\.sql, which does not exist/);
    fs.renameSync(path.join(dir, SQL_FILES.order), path.join(dir, 'ledger_order.sql'));
    expect(() => sqlFromFolder(path.join(dir, SQL_FILES.integrity), 'key')).toThrow(/holds ledger_order\.sql, which the pack does not read/);
    fs.rmSync(path.join(dir, 'ledger_order.sql'));
    // Left out on purpose: no order, said as such (the replay row reads NOT CHECKED).
    expect(sqlFromFolder(path.join(dir, SQL_FILES.integrity), 'key').orderWhy).toMatch(/no ledger-order\.sql in/);
    fs.rmSync(path.join(dir, SQL_FILES.keys));
    expect(() => sqlFromFolder(path.join(dir, SQL_FILES.integrity), 'key')).toThrow(/ledger-keys\.sql is missing from/);
  });

  it('VERIFY_SQL overrides the target; a target without a database block is refused with what to add', () => {
    const t = loadTarget(path.join(ROOT, 'examples', 'booking-api', 'target.yml'), ENV);
    expect(verifySqlFor(t, null).match).toBe('ref');
    expect(verifySqlFor(t, path.join(ROOT, 'verify', 'verify-integrity.sql')).origin).toBe(path.join(ROOT, 'verify'));
    expect(() => verifySqlFor({ ...t, description: { ...t.description, database: undefined } } as never, null)).toThrow(/has no database: block/);
  });
});
