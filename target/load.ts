/**
 * Reading a target description (target/description.ts) from its YAML file: parsed, validated with
 * every problem named at once, its contract compiled once. The I/O shell around the pure parts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CompiledContract, ContractError, ContractSpec } from 'artillery-plugin-isolation';
import { PackError } from '../lib/errors';
import { findRoot } from '../lib/config';
import { writeJsonAtomic } from '../lib/atomic';
import { TargetDescription, needsTokens, targetProblems, wireContract } from './description';

/** The pack's own description of its reference API. */
export const REFERENCE_TARGET = path.join(findRoot(), 'target', 'reference.yml');

export interface Target {
  /** The file it was read from (absolute). */
  readonly file: string;
  readonly description: TargetDescription;
  readonly name: string;
  /** The contract the plugin receives (authentication added), ${ENV} left for each process to read. */
  readonly wire: ContractSpec;
  /** The same, compiled with this process's environment: for the runner's own requests. */
  readonly contract: CompiledContract;
  /** The reference API's own description: the pack may start that API itself. */
  readonly isReference: boolean;
  /** database.sql, resolved: a folder of adapted SQL files, or null. */
  readonly sqlDir: string | null;
  /** Requests carry a token per virtual user (bearer, login): the fixture must hold tokens. */
  readonly needsTokens: boolean;
}

function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/** Pure: a parsed description as a Target (throws LT_TARGET_INVALID naming every problem). */
export function targetOf(file: string, raw: unknown, env: NodeJS.ProcessEnv = process.env): Target {
  const problems = targetProblems(raw);
  if (problems.length > 0) throw new PackError('LT_TARGET_INVALID', `${file}: ${problems.join('; ')}`);
  const description = raw as TargetDescription;
  const wire = wireContract(description);
  let contract: CompiledContract;
  try {
    contract = new CompiledContract(wire, env);
  } catch (err) {
    if (err instanceof ContractError) throw new PackError('LT_TARGET_INVALID', `${file}: ${err.message}`);
    throw err;
  }
  if (contract.missingEnv.length > 0)
    throw new PackError('LT_TARGET_INVALID', `${file} names environment variables that are not set: ${contract.missingEnv.map((n) => `\${${n}}`).join(', ')}`, {
      hint: 'export them before the run (they are read when it starts, never written to a file)',
    });
  const sql = description.database?.sql;
  return {
    file,
    description,
    name: description.name,
    wire,
    contract,
    isReference: sameFile(file, REFERENCE_TARGET),
    sqlDir: sql ? path.resolve(path.dirname(file), sql) : null,
    needsTokens: needsTokens(description),
  };
}

export function loadTarget(file: string, env: NodeJS.ProcessEnv = process.env): Target {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    throw new PackError('LT_TARGET_INVALID', `no target description at ${abs}`, {
      hint: 'write one with `npm run load-test:init`, or point LOADTEST_TARGET_FILE at yours',
    });
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new PackError('LT_TARGET_INVALID', `${abs} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return targetOf(abs, raw, env);
}

/** Writes the contract Artillery's plugin reads (ISOLATION_CONTRACT_FILE) into the run folder; returns its path. */
export function writeContractFile(runDir: string, target: Target): string {
  const file = path.join(runDir, 'contract.json');
  writeJsonAtomic(file, target.wire);
  return file;
}
