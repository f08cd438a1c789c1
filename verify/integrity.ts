/**
 * The database integrity check: runs verify/verify-integrity.sql (or a user's adaptation of it)
 * and judges the rows it returns. Zero rows is the pass.
 */
import { PackError } from '../lib/errors';
import type { VerifySql } from './sql-source';
import { withReadOnly } from '../db/connect';
import type { IntegrityResult, IntegrityRow } from '../formats/summary';
import { Verdict, summarize } from './verdict';

export const INTEGRITY_HEADER = '=== Authorization Unit Integrity Check ===';
export const INTEGRITY_FOOTER = '=== Expected Result: 0 rows ===';

export async function runIntegritySql(databaseUrl: string, source: Pick<VerifySql, 'integrity' | 'origin'>): Promise<IntegrityResult> {
  return withReadOnly(databaseUrl, async (c) => {
    try {
      const res = await c.query({ text: source.integrity, rowMode: 'array' });
      const columns = res.fields.map((f) => f.name);
      const rows = (res.rows as unknown[][]).map((r) => Object.fromEntries(columns.map((name, i) => [name, normalize(r[i])])));
      return { columns, rows };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === '42P01') throw new PackError('LT_DB_NOT_SET_UP', `the integrity SQL needs a table that does not exist: ${e.message}`, { cause: err });
      if (e.code && /^(42|22|25)/.test(e.code))
        throw new PackError('LT_VERIFY_SQL_INVALID', `the integrity check (${source.origin}): ${e.message} (SQLSTATE ${e.code})`, { cause: err });
      throw err;
    }
  });
}

function normalize(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v) && v.length < 16) return Number(v);
  return String(v);
}

/** Pure: the verdict for the rows the integrity SQL returned. */
export function judgeIntegrity(result: IntegrityResult): Verdict<IntegrityRow> {
  const errors = summarize(
    result.rows,
    (r) => String(r.violation ?? 'violation'),
    (r) => Math.abs(Number(r.excess_units ?? 0)),
  );
  return { checker: 'integrity', valid: result.rows.length === 0, errors };
}

/** Pure: the plan's text output, a psql-like table between the header and "(N rows)". */
export function formatIntegrity(result: IntegrityResult): string {
  const lines = [INTEGRITY_HEADER];
  if (result.rows.length > 0) {
    const cells = result.rows.map((r) => result.columns.map((c) => (r[c] === null ? '' : String(r[c]))));
    const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
    lines.push(result.columns.map((c, i) => ` ${c.padEnd(widths[i]!)} `).join('|'));
    lines.push(widths.map((w) => '-'.repeat(w + 2)).join('+'));
    for (const row of cells) lines.push(row.map((v, i) => ` ${v.padEnd(widths[i]!)} `).join('|'));
  }
  lines.push(`(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`);
  lines.push('');
  lines.push(INTEGRITY_FOOTER);
  return lines.join('\n');
}
