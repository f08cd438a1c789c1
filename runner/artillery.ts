/**
 * Runs the real `artillery` CLI on one scenario and returns its JSON report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackError } from '../lib/errors';
import { ArtilleryReport, readArtilleryReport } from '../formats/artillery-json';
import { startChild } from './processes';

export interface ArtilleryRun {
  readonly exitCode: number | null;
  readonly report: ArtilleryReport;
  readonly reportFile: string;
  readonly logFile: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
}

export function artilleryBin(): string {
  return path.join(path.dirname(require.resolve('artillery/package.json')), 'bin', 'run');
}

export async function runArtillery(opts: {
  root: string;
  scenarioFile: string;
  profile: string;
  target: string;
  reportFile: string;
  logFile: string;
  env: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
}): Promise<ArtilleryRun> {
  fs.mkdirSync(path.dirname(opts.reportFile), { recursive: true });
  fs.rmSync(opts.reportFile, { force: true });
  const startedAt = new Date();
  const child = startChild(
    'Artillery',
    process.execPath,
    [artilleryBin(), 'run', '--environment', opts.profile, '--target', opts.target, '--output', opts.reportFile, opts.scenarioFile],
    {
      cwd: opts.root,
      logFile: opts.logFile,
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', ...opts.env },
      onLine: opts.onLine,
    },
  );
  const { code } = await child.exited;
  const endedAt = new Date();
  if (!fs.existsSync(opts.reportFile)) {
    const tail = fs.readFileSync(opts.logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
    if (tail) process.stderr.write(`${tail}\n`);
    throw new PackError('LT_ARTILLERY_FAILED', `artillery exited with code ${code} without writing ${opts.reportFile} (log: ${opts.logFile})`);
  }
  return { exitCode: code, report: readArtilleryReport(opts.reportFile), reportFile: opts.reportFile, logFile: opts.logFile, startedAt, endedAt };
}
