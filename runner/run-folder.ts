/**
 * A run's folder under REPORTS_DIR: its id, `reports/latest`, the run's metadata, and
 * summary.json. One id format for every kind of run (plan, ladder).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PackConfig } from '../lib/config';
import { writeFileAtomic, writeJsonAtomic } from '../lib/atomic';
import { renderJunit } from '../formats/junit';
import { renderStepSummary } from '../report/step-summary';
import { RunCriteria, RunMeta, RunSummary, SUMMARY_FILE } from '../formats/summary';

/** Pure: 20261123-105303Z-<label>, sortable by time. */
export function runIdFor(label: string, now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-')}-${label}`;
}

export function createRunDir(reportsDir: string, label: string, now: Date): { runId: string; runDir: string } {
  const runId = runIdFor(label, now);
  const runDir = path.join(reportsDir, runId);
  fs.mkdirSync(runDir, { recursive: true });
  return { runId, runDir };
}

/** reports/latest → the newest run (best effort: a symlink). */
export function pointLatest(reportsDir: string, runDir: string): void {
  const link = path.join(reportsDir, 'latest');
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.basename(runDir), link, 'dir');
  } catch {
    /* a file system without symlinks: the run folder is printed anyway */
  }
}

/** The version of the Artillery the runner starts (PackConfig.artilleryDir). */
export function artilleryVersion(config: Pick<PackConfig, 'artilleryDir'>): string {
  return versionIn(config.artilleryDir);
}

function versionIn(dir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function runMeta(config: PackConfig, env: { readonly postgresVersion: string | null; readonly apiPoolMax: number | null }): RunMeta {
  return {
    commit: gitCommit(config.root),
    node: process.version,
    artillery: versionIn(config.artilleryDir),
    plugin: packageVersion('artillery-plugin-isolation'),
    postgres: env.postgresVersion,
    database: config.db.mode === 'embedded' ? `embedded (${config.db.displayUrl})` : config.db.displayUrl,
    databaseUrl: config.db.displayUrl,
    apiPoolMax: env.apiPoolMax,
  };
}

export function writeSummary(runDir: string, summary: RunSummary): void {
  writeJsonAtomic(path.join(runDir, SUMMARY_FILE), summary);
}

/**
 * What CI systems read: junit.xml in the run folder after every run, and the Markdown job summary
 * appended to $GITHUB_STEP_SUMMARY when it is set. Returns the files written.
 */
export function writeCiOutputs(config: Pick<PackConfig, 'stepSummaryPath'>, runDir: string, summary: RunCriteria): string[] {
  const junit = path.join(runDir, 'junit.xml');
  writeFileAtomic(junit, renderJunit(summary));
  if (!config.stepSummaryPath) return [junit];
  fs.appendFileSync(config.stepSummaryPath, renderStepSummary(summary));
  return [junit, config.stepSummaryPath];
}
