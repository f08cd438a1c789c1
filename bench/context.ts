/**
 * What a benchmark gets: the configuration, the number of repeats, a work folder, and a way to run
 * the pack's own commands (the real CLIs, as a user would) with their output kept in a log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PackConfig } from '../lib/config';
import { startChild } from '../runner/processes';

export interface PackCommandResult {
  readonly code: number | null;
  readonly seconds: number;
  readonly output: string[];
  /** The child's peak resident memory, MB, and CPU time, s (bench/exit-usage.ts), or null. */
  readonly peakRssMb: number | null;
  readonly cpuSeconds: number | null;
}

export interface BenchContext {
  readonly config: PackConfig;
  readonly repeats: number;
  readonly workDir: string;
  readonly out: (line: string) => void;
  /** Runs `node dist/cli/<cli> ...args` from the checkout and waits for it. */
  pack(cli: string, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<PackCommandResult>;
}

const USAGE = /^bench-usage rss-kb=(\d+) cpu-ms=(\d+)$/;

/** The usage line bench/exit-usage.ts prints, or null. */
export function parseUsage(lines: readonly string[]): { peakRssMb: number; cpuSeconds: number } | null {
  const m = lines.map((l) => USAGE.exec(l.trim())).find((x) => x !== null);
  return m ? { peakRssMb: Number(m[1]) / 1024, cpuSeconds: Number(m[2]) / 1000 } : null;
}

export const exitUsagePreload = (root: string): string => path.join(root, 'dist', 'bench', 'exit-usage.js');

export function benchContext(config: PackConfig, repeats: number, workDir: string, out: (line: string) => void, label = 'bench'): BenchContext {
  fs.mkdirSync(workDir, { recursive: true });
  let n = 0;
  return {
    config,
    repeats,
    workDir,
    out,
    async pack(cli, args, env = {}) {
      const logFile = path.join(workDir, `${label}-${String(++n).padStart(2, '0')}-${cli.replace(/\.js$/, '')}.log`);
      const output: string[] = [];
      const started = performance.now();
      const child = startChild(
        `bench ${cli}`,
        process.execPath,
        ['--require', exitUsagePreload(config.root), path.join(config.root, 'dist', 'cli', cli), ...args],
        { env: { ...process.env, ...env }, cwd: config.root, logFile, onLine: (l) => output.push(l) },
      );
      const { code } = await child.exited;
      const seconds = (performance.now() - started) / 1000;
      const usage = parseUsage(output);
      return { code, seconds, output: output.filter((l) => !USAGE.test(l.trim())), peakRssMb: usage?.peakRssMb ?? null, cpuSeconds: usage?.cpuSeconds ?? null };
    },
  };
}
