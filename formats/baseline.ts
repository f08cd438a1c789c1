/**
 * <slug>.baseline.json: the reconciliation inputs as the database held them just before a
 * scenario's load (ledger rows per key, balances per authorization). Written by the runner,
 * read by the reconciliation of the run and by `load-test:verify` afterwards.
 */
import * as fs from 'node:fs';
import { PackError } from '../lib/errors';
import { writeJsonAtomic } from '../lib/atomic';

export interface BaselineFile {
  /** 1: keys and balances only (written before 2026-12); 2: with rows and capacities. */
  readonly version: 1 | 2;
  readonly takenAt: string;
  /** [key, rows] pairs: the reconciliation key (an idempotency key, or `op:ref` without keys). */
  readonly keys: readonly (readonly [string, number])[];
  /** [auth, reserved, consumed] triples. */
  readonly balances: readonly (readonly [string, number, number])[];
  /** [auth, ledger rows] pairs: where the ordered replay resumes (absent when the ledger has no order). */
  readonly rows?: readonly (readonly [string, number])[];
  /** [auth, capacity] pairs, when the SQL says the capacity (a target's `capacity` query). */
  readonly capacity?: readonly (readonly [string, number])[];
}

export function writeBaselineFile(file: string, b: BaselineFile): void {
  writeJsonAtomic(file, b);
}

export function readBaselineFile(file: string): BaselineFile | null {
  if (!fs.existsSync(file)) return null;
  let value: Partial<BaselineFile>;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BaselineFile>;
  } catch (err) {
    throw new PackError('LT_USAGE', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'the baseline of that run is damaged; rerun the scenario',
    });
  }
  if ((value.version !== 1 && value.version !== 2) || !Array.isArray(value.keys) || !Array.isArray(value.balances)) {
    throw new PackError('LT_USAGE', `${file} is not a baseline the pack wrote`, { hint: 'the baseline of that run is damaged; rerun the scenario' });
  }
  return value as BaselineFile;
}
