/**
 * `load-test:init -- --check`: a target description checked against the running API and its
 * database, without writing (or, with --try <resource>, with one reservation on a resource the
 * user names and allows, undone where the API can undo it). Each missing or wrong piece is one
 * line that names it and says what to do.
 */
import { CompiledContract, Judged } from 'artillery-plugin-isolation';
import { PackError, reasonOf } from '../lib/errors';
import { withReadOnly } from '../db/connect';
import { LEDGER_KINDS, TargetDescription, targetProblems } from '../target/description';
import type { Target } from '../target/load';
import { TIERS } from '../seed/fixture';
import { bare } from '../verify/sql-source';
import { send } from './api-client';
import { login } from './fixture-source';

export interface CheckLine {
  readonly state: 'ok' | 'FAIL' | 'skip';
  readonly what: string;
  readonly fix?: string;
}

const ok = (what: string): CheckLine => ({ state: 'ok', what });
const fail = (what: string, fix: string): CheckLine => ({ state: 'FAIL', what, fix });
const skip = (what: string): CheckLine => ({ state: 'skip', what });

/** Pure: the description's own problems, one line each (nothing else is checked until they are fixed). */
export function descriptionLines(file: string, raw: unknown): CheckLine[] {
  const problems = targetProblems(raw);
  return problems.length === 0 ? [] : problems.map((p) => fail(`${file}: ${p}`, 'fix the field (docs/reference/target.md)'));
}

interface Columns {
  readonly names: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  readonly count: number;
}

/** A SELECT of the description, read-only: its columns, its first rows and how many rows it has. */
async function sample(databaseUrl: string, sql: string): Promise<Columns> {
  return withReadOnly(databaseUrl, async (c) => {
    const res = await c.query<Record<string, unknown>>(`SELECT * FROM (${bare(sql)}) q LIMIT 20`);
    const count = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM (${bare(sql)}) q`)).rows[0]!.n);
    return { names: res.fields.map((f) => f.name), rows: res.rows, count };
  });
}

function columnLine(what: string, got: readonly string[], wanted: readonly string[]): CheckLine | null {
  const missing = wanted.filter((w) => !got.includes(w));
  return missing.length === 0
    ? null
    : fail(
        `${what} returns no column ${missing.map((m) => `"${m}"`).join(', ')} (it returns ${got.join(', ') || 'none'})`,
        `name the columns ${wanted.join(', ')} (AS …)`,
      );
}

/** The database side: every SELECT runs, has its columns, and the ledger and the capacities agree. */
async function databaseLines(d: TargetDescription, databaseUrl: string): Promise<{ lines: CheckLine[]; resources: string[] }> {
  const db = d.database;
  if (!db)
    return {
      lines: [fail('the description has no database: block: the pack could not check what the API wrote', 'add database: { capacity, ledger } (SELECTs)')],
      resources: [],
    };
  if (db.sql) return { lines: [skip(`database.sql names a folder of adapted SQL files (${db.sql}): they are checked when a run reads them`)], resources: [] };
  const lines: CheckLine[] = [];
  const run = async (name: string, sql: string | undefined, wanted: readonly string[]): Promise<Columns | null> => {
    if (!sql) return null;
    try {
      const s = await sample(databaseUrl, sql);
      const bad = columnLine(name, s.names, wanted);
      lines.push(bad ?? ok(`${name}: ${s.count} row(s), columns ${wanted.join(', ')}`));
      return bad ? null : s;
    } catch (err) {
      lines.push(fail(`${name} does not run: ${reasonOf(err)}`, 'fix the SELECT (it runs READ ONLY, as a subquery)'));
      return null;
    }
  };
  const capacity = await run('database.capacity', db.capacity, ['resource', 'capacity']);
  const ledger = await run('database.ledger', db.ledger, [
    'resource',
    'kind',
    'units',
    'ref',
    'key',
    ...(db.order === 'none' || db.order === 'realtime' ? [] : ['at']),
  ]);
  await run('database.balances', db.balances, ['resource', 'reserved', 'consumed']);
  if (ledger) {
    const kinds = await withReadOnly(databaseUrl, async (c) =>
      (await c.query<{ kind: string }>(`SELECT DISTINCT kind::text AS kind FROM (${bare(db.ledger!)}) q`)).rows.map((r) => r.kind),
    );
    const unknown = kinds.filter((k) => !(LEDGER_KINDS as readonly string[]).includes(k));
    lines.push(
      unknown.length === 0
        ? ok(`database.ledger: kinds ${kinds.join(', ') || '(no rows yet)'}`)
        : fail(`database.ledger has kinds ${unknown.join(', ')}, which are none of ${LEDGER_KINDS.join(', ')}`, 'map them with CASE … END AS kind'),
    );
    if (capacity) {
      const orphans = await withReadOnly(databaseUrl, async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM (${bare(db.ledger!)}) l WHERE NOT EXISTS (SELECT 1 FROM (${bare(db.capacity!)}) c WHERE c.resource::text = l.resource::text)`,
            )
          ).rows[0]!.n,
        ),
      );
      lines.push(
        orphans === 0
          ? ok('database.ledger: every row names a resource of database.capacity')
          : fail(
              `database.ledger: ${orphans} row(s) name a resource database.capacity does not list`,
              'make both queries return the same resource ids, as text',
            ),
      );
    }
  }
  let resources = capacity?.rows.map((r) => String(r.resource)) ?? [];
  if (d.fixture) {
    const f = await run('fixture.query', d.fixture.query, ['resource', 'capacity']);
    if (f) {
      const tiers = f.rows.map((r) => String(r.tier ?? 'standard'));
      const bad = tiers.filter((t) => !(TIERS as readonly string[]).includes(t));
      if (bad.length > 0)
        lines.push(fail(`fixture.query: tier ${bad[0]} is not one of ${TIERS.join(', ')}`, 'map your resources to the tiers with CASE … END AS tier'));
      resources = f.rows.map((r) => String(r.resource));
    }
  }
  return { lines, resources };
}

/** The API side: its health, its login, and a read of one resource through the contract. */
async function apiLines(t: Target, baseUrl: string, resource: string | null, token: string): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const health = t.description.health === undefined ? '/health' : t.description.health;
  if (health === null) lines.push(skip('health: the description names no health path'));
  else {
    const res = await fetch(`${baseUrl}${health}`, { signal: AbortSignal.timeout(5000) }).catch((err: Error) => err);
    lines.push(
      res instanceof Error
        ? fail(`GET ${baseUrl}${health} got no answer (${reasonOf(res.cause ?? res)})`, 'start the API, or fix baseUrl / LOADTEST_TARGET')
        : res.status === 200
          ? ok(`GET ${health} answered 200`)
          : fail(`GET ${health} answered ${res.status}`, 'the health path must answer 200 when the API is ready (health: in the description)'),
    );
  }
  if (!t.contract.has('read')) lines.push(skip('read: the API has no read operation (the scenarios cannot read balances back)'));
  else if (resource === null) lines.push(skip('read: no resource to read (database.capacity or fixture.query returned none)'));
  else {
    const r = await send(baseUrl, t.contract, 'read', { resource, token }).catch((err: Error) => err);
    lines.push(judgedLine(`read of ${resource}`, r));
  }
  return lines;
}

function judgedLine(what: string, r: { status: number; judged: Judged } | Error): CheckLine {
  if (r instanceof Error) return fail(`${what} got no answer (${reasonOf(r)})`, 'check baseUrl and the API');
  const j = r.judged;
  if (j.violation) return fail(`${what} answered ${r.status}: ${j.violation.detail}`, 'fix the operation in api.operations (its ok, refused or balance)');
  if (j.outcome !== 'ok')
    return fail(`${what} answered ${r.status}${j.reason ? ` (${j.reason})` : ''}`, 'check the request (path, body, headers, authentication)');
  return ok(`${what} answered ${r.status}${j.balance ? `, balance ${JSON.stringify(j.balance)}` : ''}${j.ref ? `, id ${j.ref}` : ''}`);
}

/** The ledger rows of one resource (kind, ref, key), read-only. */
async function ledgerOf(databaseUrl: string, d: TargetDescription, resource: string): Promise<{ kind: string; ref: string | null; key: string | null }[]> {
  return withReadOnly(
    databaseUrl,
    async (c) =>
      (
        await c.query<{ kind: string; ref: string | null; key: string | null }>(
          `SELECT kind::text AS kind, ref::text AS ref, key::text AS key FROM (${bare(d.database!.ledger!)}) l WHERE l.resource::text = $1`,
          [resource],
        )
      ).rows,
  );
}

/** --try: one reservation of the smallest size on the named resource, and its undo where the API has one; both must show in the ledger as described. */
async function tryLines(t: Target, baseUrl: string, databaseUrl: string, resource: string, token: string): Promise<CheckLine[]> {
  const d = t.description;
  if (!d.database?.ledger) return [skip('--try: the description has no database.ledger to find the reservation in')];
  const lines: CheckLine[] = [];
  const before = await ledgerOf(databaseUrl, d, resource);
  const reserve = await send(baseUrl, t.contract, 'reserve', { resource, units: 1, token }).catch((err: Error) => err);
  lines.push(judgedLine(`--try: reserve 1 on ${resource}`, reserve));
  if (reserve instanceof Error || reserve.judged.outcome !== 'ok') return lines;
  const after = await ledgerOf(databaseUrl, d, resource);
  const same = (a: { kind: string; ref: string | null; key: string | null }, b: typeof a): boolean => a.kind === b.kind && a.ref === b.ref && a.key === b.key;
  // The new row: one that was not there (by its identity), or, for rows without one, one more reserve row than before.
  const row =
    after.find((r) => r.kind === 'reserve' && (r.ref !== null || r.key !== null) && !before.some((b) => same(b, r))) ??
    (after.filter((r) => r.kind === 'reserve').length > before.filter((r) => r.kind === 'reserve').length
      ? { kind: 'reserve', ref: null, key: null }
      : undefined);
  const ref = reserve.judged.ref;
  if (!row)
    lines.push(
      fail(
        `--try: database.ledger shows no new reserve row for ${resource} after an acknowledged reserve`,
        'the ledger query must list every reservation (kind reserve)',
      ),
    );
  else if (!t.contract.keyed && ref !== null && row.ref !== ref)
    lines.push(fail(`--try: the new ledger row's ref is ${row.ref}, the API returned id ${ref}`, 'ref must be the id the API returns (ok.id), as text'));
  else lines.push(ok(`--try: database.ledger shows the reservation (kind reserve${row.ref ? `, ref ${row.ref}` : ''}${row.key ? `, key ${row.key}` : ''})`));
  const undo = t.contract.has('release') ? 'release' : t.contract.has('consume') ? 'consume' : null;
  if (undo === null) return [...lines, skip('--try: the API has neither release nor consume: the reservation stays (1 unit)')];
  const u = await send(baseUrl, t.contract, undo, { resource, units: 1, token, acquisition: ref }).catch((err: Error) => err);
  lines.push(judgedLine(`--try: ${undo} it`, u));
  if (!(u instanceof Error) && u.judged.outcome === 'ok') {
    const last = await ledgerOf(databaseUrl, d, resource);
    lines.push(
      last.length > after.length && last.some((r) => r.kind === undo)
        ? ok(`--try: database.ledger shows the ${undo}`)
        : fail(
            `--try: database.ledger shows no ${undo} row after an acknowledged ${undo}`,
            `the ledger query must list every ${undo} (kind ${undo}), e.g. as a UNION ALL of its table`,
          ),
    );
  }
  return lines;
}

/** Every check, in order; the API and the database are only read unless `tryResource` is given. */
export async function checkTarget(
  t: Target,
  o: { readonly baseUrl: string; readonly databaseUrl: string; readonly tryResource: string | null },
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [
    ok(
      `${t.file}: a valid description of ${t.name} (${[...t.contract.operations.keys()].join(', ')}; ${
        t.contract.keyed ? `keys in ${t.contract.idempotency!.header}` : 'no idempotency keys: answers are tied to rows by the ids the API returns'
      })`,
    ),
  ];
  if (!t.contract.keyed && !t.contract.op('reserve').hasId)
    lines.push(fail('without idempotency keys, api.operations.reserve.ok.id must say where the reservation id is', 'add ok: { id: <field> } to reserve'));
  let token = '';
  if (t.description.auth?.kind === 'login') {
    try {
      token = await login(t, o.baseUrl);
      lines.push(ok('auth: the login request answered a token'));
    } catch (err) {
      lines.push(fail(`auth: ${reasonOf(err)}`, 'fix auth.request or its environment variables'));
    }
  } else if (t.description.auth?.kind === 'bearer' || t.description.auth === undefined) {
    const tokens = Object.values((t.description.auth as { tokens?: Record<string, string[]> } | undefined)?.tokens ?? {}).flat();
    token = tokens[0] ?? process.env.LOADTEST_TOKEN ?? '';
    lines.push(
      token
        ? ok('auth: a bearer token to check with (auth.tokens or LOADTEST_TOKEN)')
        : skip('auth: no bearer token to check with (set LOADTEST_TOKEN); requests below may answer 401'),
    );
  }
  let db: { lines: CheckLine[]; resources: string[] };
  try {
    db = await databaseLines(t.description, o.databaseUrl);
  } catch (err) {
    if (err instanceof PackError) db = { lines: [fail(err.message, err.hint)], resources: [] };
    else throw err;
  }
  lines.push(...db.lines);
  lines.push(...(await apiLines(t, o.baseUrl, o.tryResource ?? db.resources[0] ?? null, token)));
  if (o.tryResource) lines.push(...(await tryLines(t, o.baseUrl, o.databaseUrl, o.tryResource, token)));
  return lines;
}

export function formatCheckLine(l: CheckLine): string {
  return `  ${l.state.padEnd(4)}  ${l.what}${l.fix ? ` (fix: ${l.fix})` : ''}`;
}

export type { CompiledContract };
