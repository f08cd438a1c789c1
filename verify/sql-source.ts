/**
 * The SQL the verifier runs, from one of two sources, as one object:
 *
 *   - a target description's `database:` block: a few read-only SELECTs against the API's own
 *     schema (the capacity of each resource; the ledger rows, normalized to resource, kind, units,
 *     ref, key, at; optionally the stored balances), from which this module builds the integrity
 *     check, the reconciliation's inputs and the ordered replay;
 *   - a folder of the four adapted SQL files (verify/*.sql, or `database.sql`, or VERIFY_SQL):
 *     the escape hatch for schemas those SELECTs cannot express.
 *
 * A file the user named that does not exist is an error that names it; a `.sql` file in the folder
 * that the pack does not read (a misspelt ledger_order.sql) is an error too, never a silent skip.
 * Pure but for reading the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackError } from '../lib/errors';
import { withoutTerminator } from '../db/connect';
import { WRITE_EFFECTS, WRITE_KINDS, type WriteEffect } from 'artillery-plugin-isolation';
import type { DatabaseSpec } from '../target/description';

/** `CASE <kind> WHEN 'reserve' THEN <units> ... ELSE 0 END`: what a ledger row does to one balance (WRITE_EFFECTS). */
function effectOf(field: keyof WriteEffect, kind: string, units: string): string {
  const arms = WRITE_KINDS.filter((k) => WRITE_EFFECTS[k][field] !== 0).map((k) => `WHEN '${k}' THEN ${WRITE_EFFECTS[k][field] < 0 ? '-' : ''}${units}`);
  return `CASE ${kind} ${arms.join(' ')} ELSE 0 END`;
}

/** How the reconciliation ties a history's requests to ledger rows: by idempotency key, or by the id the API returned. */
export type MatchBy = 'key' | 'ref';

export interface VerifySql {
  /** Where the SQL comes from, for messages. */
  readonly origin: string;
  /** One row per violation (zero rows is the pass). */
  readonly integrity: string;
  /** key, auth, op, units, rows: the ledger rows per reconciliation key. */
  readonly keys: string;
  /** auth, reserved, consumed: the final balance per resource. */
  readonly balances: string;
  /** auth, capacity, reserved, consumed, at [, ref, op]: the ledger in the order it was applied; null when there is none. */
  readonly order: string | null;
  /** Why there is no order (the replay row says it), or null. */
  readonly orderWhy: string | null;
  /** Without an order: whether the target accepts the clients' real-time order as the check of every moment (database.order: realtime). */
  readonly realTimeAccepted: boolean;
  /** auth, rows: ledger rows per resource (where the replay resumes after a baseline); null without an order. */
  readonly counts: string | null;
  /** auth, capacity: the capacity per resource now; null where the SQL gives none (the fixture's is used). */
  readonly capacity: string | null;
  readonly match: MatchBy;
}

/** The files of the escape hatch, by name. */
export const SQL_FILES = {
  integrity: 'verify-integrity.sql',
  keys: 'ledger-keys.sql',
  balances: 'balances.sql',
  order: 'ledger-order.sql',
} as const;

/** A query without its final semicolon (and any comment after it), to be used as a subquery, ending on a new line (it may end with a -- comment). */
export function bare(sql: string): string {
  return `${withoutTerminator(sql)}\n`;
}

/**
 * The escape hatch: the four files of a folder. `integrityFile` is VERIFY_SQL (its companions sit
 * beside it) or the folder's verify-integrity.sql.
 */
export function sqlFromFolder(integrityFile: string, match: MatchBy, named = 'VERIFY_SQL'): VerifySql {
  const dir = path.dirname(integrityFile);
  if (!fs.existsSync(integrityFile))
    throw new PackError('LT_VERIFY_SQL_INVALID', `${named} names ${integrityFile}, which does not exist`, {
      hint: `copy verify/${SQL_FILES.integrity} there, or fix the path`,
    });
  const known = new Set<string>([path.basename(integrityFile), ...Object.values(SQL_FILES)]);
  const strangers = fs.readdirSync(dir).filter((f) => f.endsWith('.sql') && !known.has(f));
  if (strangers.length > 0)
    throw new PackError('LT_VERIFY_SQL_INVALID', `${dir} holds ${strangers.join(', ')}, which the pack does not read (it reads ${[...known].join(', ')})`, {
      hint: 'rename the file to the name the pack reads (a misspelt ledger-order.sql would leave the replay unmade), or move it out of the folder',
    });
  const read = (name: string): string => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file))
      throw new PackError('LT_VERIFY_SQL_INVALID', `${name} is missing from ${dir} (the folder of ${named})`, {
        hint: `copy verify/${name} beside it and adapt its ADAPT lines to your schema`,
      });
    return fs.readFileSync(file, 'utf8');
  };
  const orderFile = path.join(dir, SQL_FILES.order);
  const order = fs.existsSync(orderFile) ? fs.readFileSync(orderFile, 'utf8') : null;
  return {
    origin: dir,
    integrity: fs.readFileSync(integrityFile, 'utf8'),
    keys: read(SQL_FILES.keys),
    balances: read(SQL_FILES.balances),
    order,
    orderWhy: order === null ? `no ${SQL_FILES.order} in ${dir}: the schema gives the ledger no order` : null,
    realTimeAccepted: false,
    counts: order === null ? null : `SELECT auth, COUNT(*) AS rows FROM (${bare(order)}) o GROUP BY auth`,
    capacity: null,
    match,
  };
}

/** The user's SELECTs as CTEs with the pack's column names and types. */
function ctes(db: DatabaseSpec): string {
  const stored = db.balances
    ? `SELECT s0.resource::text AS resource, s0.reserved::bigint AS reserved, s0.consumed::bigint AS consumed FROM (${bare(db.balances)}) s0`
    : 'SELECT NULL::text AS resource, NULL::bigint AS reserved, NULL::bigint AS consumed WHERE false';
  return `ledger AS (
  SELECT l0.resource::text AS resource, l0.kind::text AS kind, l0.units::bigint AS units, l0.ref::text AS ref, l0.key::text AS key${db.order === 'none' || db.order === 'realtime' ? '' : ', l0.at AS at'}
    FROM (${bare(db.ledger!)}) l0
),
capacity AS (
  SELECT c0.resource::text AS resource, c0.capacity::bigint AS capacity FROM (${bare(db.capacity!)}) c0
),
stored AS (
  ${stored}
),
sums AS (
  SELECT resource,
         COALESCE(SUM(${effectOf('reserved', 'kind', 'units')}), 0) AS reserved,
         COALESCE(SUM(${effectOf('consumed', 'kind', 'units')}), 0) AS consumed,
         SUM(units) AS units
    FROM ledger GROUP BY resource
)`;
}

/** The reconciliation key of a ledger row: its idempotency key, or its kind and the id the API returned. */
function keyColumn(match: MatchBy): string {
  return match === 'key' ? 'key' : "kind || ':' || ref";
}

/** Pure: the verifier's SQL built from a target description's SELECTs. */
export function sqlFromQueries(db: DatabaseSpec, match: MatchBy, origin: string): VerifySql {
  const w = `WITH ${ctes(db)}`;
  const duplicate =
    match === 'key'
      ? `SELECT resource, 'duplicate_key', NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, SUM(units) - MIN(units)
  FROM ledger WHERE key IS NOT NULL GROUP BY resource, key HAVING COUNT(*) > 1`
      : `SELECT resource, 'duplicate_ref', NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, SUM(units) - MIN(units)
  FROM ledger WHERE ref IS NOT NULL GROUP BY resource, kind, ref HAVING COUNT(*) > 1`;
  const integrity = `${w},
balances AS (
  SELECT c.resource AS authorization_id, c.capacity AS capacity_units,
         COALESCE(s.reserved, 0) AS ledger_reserved, COALESCE(s.consumed, 0) AS ledger_consumed,
         st.reserved AS stored_reserved, st.consumed AS stored_consumed
    FROM capacity c LEFT JOIN sums s ON s.resource = c.resource LEFT JOIN stored st ON st.resource = c.resource
)
SELECT authorization_id, violation, capacity_units, ledger_reserved, ledger_consumed, stored_reserved, stored_consumed, excess_units
  FROM (
    SELECT b.*, 'overbooked' AS violation, (ledger_reserved + ledger_consumed - capacity_units) AS excess_units
      FROM balances b WHERE ledger_reserved + ledger_consumed > capacity_units
    UNION ALL
    SELECT b.*, 'negative_balance', LEAST(ledger_reserved, ledger_consumed)
      FROM balances b WHERE ledger_reserved < 0 OR ledger_consumed < 0
    UNION ALL
    SELECT b.*, 'counter_mismatch',
           COALESCE(stored_reserved - ledger_reserved, 0) + COALESCE(stored_consumed - ledger_consumed, 0)
      FROM balances b
     WHERE (stored_reserved IS NOT NULL AND stored_reserved <> ledger_reserved)
        OR (stored_consumed IS NOT NULL AND stored_consumed <> ledger_consumed)
  ) v
UNION ALL
${duplicate}
UNION ALL
SELECT s.resource, 'orphan_ledger_row', NULL, NULL, NULL, NULL, NULL, s.units
  FROM sums s WHERE NOT EXISTS (SELECT 1 FROM capacity c WHERE c.resource = s.resource)
UNION ALL
SELECT resource, 'unknown_kind', NULL, NULL, NULL, NULL, NULL, SUM(units)
  FROM ledger WHERE kind IS NULL OR kind NOT IN (${WRITE_KINDS.map((k) => `'${k}'`).join(', ')}) GROUP BY resource
 ORDER BY 2, 1`;
  const keys = `${w}
SELECT ${keyColumn(match)} AS key, resource AS auth, kind AS op, units, 1 AS rows FROM ledger WHERE ${match === 'key' ? 'key' : 'ref'} IS NOT NULL`;
  const balances = db.balances
    ? `${w}
SELECT resource AS auth, reserved, consumed FROM stored`
    : `${w}
SELECT c.resource AS auth, COALESCE(s.reserved, 0) AS reserved, COALESCE(s.consumed, 0) AS consumed
  FROM capacity c LEFT JOIN sums s ON s.resource = c.resource`;
  const ordered = db.order !== 'none' && db.order !== 'realtime';
  // Each row with the capacity right after it: the capacity now, plus every unit taken out later.
  const order = ordered
    ? `${w}
SELECT l.resource AS auth,
       c.capacity - COALESCE(SUM(${effectOf('capacity', 'l.kind', 'l.units')})
                    OVER (PARTITION BY l.resource ORDER BY l.at ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS capacity,
       ${effectOf('reserved', 'l.kind', 'l.units')} AS reserved,
       ${effectOf('consumed', 'l.kind', 'l.units')} AS consumed,
       l.at::text AS at, l.ref AS ref, l.kind AS op
  FROM ledger l JOIN capacity c ON c.resource = l.resource
 ORDER BY l.at`
    : null;
  return {
    origin,
    integrity,
    keys,
    balances,
    order,
    orderWhy: ordered ? null : `the ledger has no commit order (database.order: ${db.order})`,
    realTimeAccepted: db.order === 'realtime',
    counts: ordered ? `${w}\nSELECT resource AS auth, COUNT(*) AS rows FROM ledger GROUP BY resource` : null,
    capacity: `${w}\nSELECT resource AS auth, capacity FROM capacity`,
    match,
  };
}

/**
 * The SQL of a run: VERIFY_SQL when set (the escape hatch, named by the environment), else the
 * target's `database:` block (its folder, or its SELECTs).
 */
export function verifySqlFor(
  target: {
    readonly file: string;
    readonly description: { readonly database?: DatabaseSpec };
    readonly sqlDir: string | null;
    readonly contract: { readonly keyed: boolean };
  },
  verifySqlPath: string | null,
): VerifySql {
  const match: MatchBy = target.contract.keyed ? 'key' : 'ref';
  if (verifySqlPath) return sqlFromFolder(verifySqlPath, match);
  if (target.sqlDir) return sqlFromFolder(path.join(target.sqlDir, SQL_FILES.integrity), match, `${target.file} (database.sql)`);
  const db = target.description.database;
  if (!db)
    throw new PackError('LT_TARGET_INVALID', `${target.file} has no database: block: the pack cannot check what the API wrote`, {
      hint: 'add database: { capacity: SELECT …, ledger: SELECT … } (docs/reference/target.md), or set VERIFY_SQL to a folder of adapted SQL files',
    });
  return sqlFromQueries(db, match, `${target.file} (database)`);
}
