/**
 * Whether the pack may write to a database: only one it started (embedded) or one the user
 * declared its own (LOADTEST_DB_OWNED=true). Every command that would create, migrate, seed,
 * truncate or alter asks here first, before it touches anything.
 */
import type { DatabaseConfig } from '../lib/config';
import { PackError } from '../lib/errors';

export function assertOwned(db: DatabaseConfig, what: string): void {
  if (db.owned) return;
  throw new PackError(
    'LT_DB_NOT_OWNED',
    `${what} would write to ${db.displayUrl}, which the pack does not own (it did not start it, and LOADTEST_DB_OWNED is not true); nothing was written`,
  );
}
