/**
 * What every step of a run shares: the configuration, the environment it started, the API under
 * test as its target description says, the SQL the verifier runs, and the run's folder.
 */
import type { ApiMode, PackConfig } from '../lib/config';
import { Target, loadTarget, writeContractFile } from '../target/load';
import { VerifySql, verifySqlFor } from '../verify/sql-source';
import { Environment, startEnvironment } from './environment';

export interface RunContext {
  readonly config: PackConfig;
  readonly env: Environment;
  readonly target: Target;
  readonly sql: VerifySql;
  /** The contract Artillery's plugin and the processors read (ISOLATION_CONTRACT_FILE), in the run folder. */
  readonly contractFile: string;
  readonly runDir: string;
  readonly out: (line: string) => void;
}

/** A run's context for one target: its SQL, its contract in the run folder, and its environment started. */
export async function startRun(
  config: PackConfig,
  target: Target,
  sql: VerifySql,
  opts: { readonly apiMode: ApiMode; readonly runDir: string; readonly out: (line: string) => void; readonly faultProxy?: boolean },
): Promise<RunContext> {
  const contractFile = writeContractFile(opts.runDir, target);
  const env = await startEnvironment(config, {
    apiMode: opts.apiMode,
    runDir: opts.runDir,
    out: opts.out,
    target,
    ...(opts.faultProxy ? { faultProxy: true } : {}),
  });
  return { config, env, target, sql, contractFile, runDir: opts.runDir, out: opts.out };
}

/** The context of the configured target (LOADTEST_TARGET_FILE): the ladder, the breakpoint, the benchmarks. */
export async function startTargetRun(
  config: PackConfig,
  opts: { readonly apiMode: ApiMode; readonly runDir: string; readonly out: (line: string) => void },
): Promise<RunContext> {
  const target = loadTarget(config.targetFile);
  return startRun(config, target, verifySqlFor(target, config.verifySqlPath), opts);
}
