/**
 * The foreign API's database, set up by its owner (this test), never by the pack: its schema, the
 * plan's data set mapped into its tables, and a fixture in the pack's format with tokens it accepts.
 */
import type { SeedData } from '../../seed/plan';
import { withDb } from '../http';

export { schemaFingerprint } from '../http';

/** The plan's data set in the foreign schema (its owner's doing, not the pack's). */
export async function setUpForeignDatabase(url: string, data: SeedData): Promise<void> {
  await withDb(url, async (c) => {
    for (const o of data.organizations) await c.query('INSERT INTO fa_tenants (tenant_id, label) VALUES ($1, $2)', [o.id, o.name]);
    for (const a of data.authorizations)
      await c.query('INSERT INTO fa_grants (grant_id, tenant_id, quota) VALUES ($1, $2, $3)', [a.id, a.organizationId, a.capacityUnits]);
    for (const r of data.preReserved)
      await c.query(`INSERT INTO fa_moves (grant_id, kind, qty, request_key) VALUES ($1, 'hold', $2, $3)`, [
        r.authorizationId,
        r.units,
        `opening-${r.authorizationId}`,
      ]);
  });
}

/** Rows per table of the foreign schema. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  return withDb(url, async (c) => {
    const out: Record<string, number> = {};
    for (const t of ['fa_tenants', 'fa_grants', 'fa_moves', 'fa_requests']) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    return out;
  });
}
