/**
 * Runs the real `artillery` CLI on one scenario and returns its JSON report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackError } from '../lib/errors';
import { ArtilleryReport, readArtilleryReport } from '../formats/artillery-json';
import { sampleCpu } from './generator';
import { startChild } from './processes';
import { compiledProcessor } from './compiled-processor';

export interface ArtilleryRun {
  readonly exitCode: number | null;
  /** Artillery's warnings about plugins it could not load (the run then lacks their metrics). */
  readonly missingPlugins: readonly string[];
  readonly report: ArtilleryReport;
  readonly reportFile: string;
  readonly logFile: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** Cores the Artillery process used, second by second (runner/generator.ts). */
  readonly cpu: readonly number[];
}

/** Artillery Cloud options passed through to `artillery run`. */
export interface CloudOptions {
  readonly record: boolean;
  readonly tags?: string;
  readonly note?: string;
  /** Sent as ARTILLERY_CLOUD_API_KEY, never as an argument (arguments show in `ps`). */
  readonly key?: string;
}

/** Pure: the arguments and environment that carry the Cloud options to `artillery run`. */
export function cloudArgs(c: CloudOptions | undefined): { args: string[]; env: Record<string, string> } {
  if (!c) return { args: [], env: {} };
  return {
    args: [...(c.record ? ['--record'] : []), ...(c.tags ? ['--tags', c.tags] : []), ...(c.note ? ['--note', c.note] : [])],
    env: c.key ? { ARTILLERY_CLOUD_API_KEY: c.key } : {},
  };
}

/** The CLI of the Artillery in `dir` (PackConfig.artilleryDir). */
export function artilleryBin(dir: string): string {
  return path.join(dir, 'bin', 'run');
}

export async function runArtillery(opts: {
  root: string;
  /** Artillery's package folder (PackConfig.artilleryDir). */
  artilleryDir: string;
  scenarioFile: string;
  /** The Artillery environment (`--environment`); null for a script prepared already (runner/distributed.ts). */
  profile: string | null;
  target: string;
  reportFile: string;
  logFile: string;
  /** A folder for V8 CPU profiles of the Artillery process, one per thread (LOADTEST_PROFILE_GENERATOR); null: none. */
  cpuProfileDir?: string | null;
  env: NodeJS.ProcessEnv;
  cloud?: CloudOptions;
  onLine?: (line: string) => void;
}): Promise<ArtilleryRun> {
  fs.mkdirSync(path.dirname(opts.reportFile), { recursive: true });
  fs.rmSync(opts.reportFile, { force: true });
  const startedAt = new Date();
  const cloud = cloudArgs(opts.cloud);
  const missingPlugins: string[] = [];
  const processor = compiledProcessor(opts.root, opts.scenarioFile);
  const child = startChild(
    'Artillery',
    process.execPath,
    // no-telemetry: a disabled telemetry that still waits ~12 s on an offline host (runner/no-telemetry.ts).
    [
      ...(opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []),
      '--require',
      path.join(__dirname, 'no-telemetry.js'),
      artilleryBin(opts.artilleryDir),
      'run',
      ...(opts.profile === null ? [] : ['--environment', opts.profile]),
      '--target',
      opts.target,
      '--output',
      opts.reportFile,
      ...cloud.args,
      ...(processor ? ['--overrides', JSON.stringify({ config: { processor } })] : []),
      opts.scenarioFile,
    ],
    {
      cwd: opts.root,
      logFile: opts.logFile,
      env: {
        ...process.env,
        ARTILLERY_DISABLE_TELEMETRY: 'true',
        // Artillery loads plugins from its own module path: an Artillery installed elsewhere
        // (ARTILLERY_DIR) finds the pack's plugin through this path (Artillery's own variable).
        ARTILLERY_PLUGIN_PATH: [path.join(opts.root, 'node_modules'), process.env.ARTILLERY_PLUGIN_PATH].filter(Boolean).join(':'),
        ...opts.env,
        ...cloud.env,
      },
      onLine: (line) => {
        if (/Could not load plugin|Plugin \S+ specified but module/.test(line)) missingPlugins.push(line.trim());
        opts.onLine?.(line);
      },
    },
  );
  const cpu = child.process.pid === undefined ? null : sampleCpu(child.process.pid);
  const { code } = await child.exited;
  const cpuSamples = cpu?.stop() ?? [];
  const endedAt = new Date();
  if (!fs.existsSync(opts.reportFile)) {
    const tail = fs.readFileSync(opts.logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
    if (tail) process.stderr.write(`${tail}\n`);
    throw new PackError('LT_ARTILLERY_FAILED', `artillery exited with code ${code} without writing ${opts.reportFile} (log: ${opts.logFile})`);
  }
  return {
    exitCode: code,
    missingPlugins,
    report: readArtilleryReport(opts.reportFile),
    reportFile: opts.reportFile,
    logFile: opts.logFile,
    startedAt,
    endedAt,
    cpu: cpuSamples,
  };
}
