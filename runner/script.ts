/**
 * The script Artillery runs for one scenario run: the scenario's YAML with its
 * `{{ $expected.x }}` placeholders filled for the data this run starts on (runner/expected.ts),
 * its profile's environment merged in (arrays index by index, as Artillery merges them), its
 * relative paths made absolute, and the generator's warm-up in front, written into the run
 * folder. It is plain Artillery: the file a distributed runner (run-fargate, run-lambda) can take
 * as it is.
 *
 * The warm-up (docs/guides/reading-a-run.md): a first phase, "generator warm-up (not judged)",
 * whose virtual users send a few GETs to the health path through the same workers, HTTP client
 * and plugin hooks as the load, and nothing else. Each scenario's flow is wrapped in two loops
 * whose counts the plugin sets per virtual user as it starts (plugin/src/arrivals.ts): the
 * warm-up's for a warm-up user, the scenario's own for every other. The plugin counts and
 * records nothing of a warm-up user, so every judged figure leaves them out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import L from 'lodash';
import YAML from 'yaml';
import { MEASURED_RUNS, WARMUP_PHASE, WARMUP_RUNS } from 'artillery-plugin-isolation';
import type { PackConfig } from '../lib/config';
import { writeFileAtomic } from '../lib/atomic';
import { ExpectedValues, fillExpected } from './expected';
import { absolutizePaths } from './scenario-config';
import type { RunContext } from './context';

/** The generator's warm-up: how long, at what rate, and the GET each of its users sends. */
export interface Warmup {
  readonly seconds: number;
  readonly rate: number;
  readonly path: string;
}

/** The warm-up of a run: none when turned off (LOADTEST_GENERATOR_WARMUP=0) or when the API has no health path to send. */
export function warmupFor(config: Pick<PackConfig, 'generatorWarmupSeconds'>, ctx: Pick<RunContext, 'target'>): Warmup | null {
  const health = ctx.target.description.health === undefined ? '/health' : ctx.target.description.health;
  if (config.generatorWarmupSeconds === 0 || health === null) return null;
  return { seconds: config.generatorWarmupSeconds, rate: 10, path: health };
}

type Doc = { config: Record<string, unknown> & { phases?: unknown[]; environments?: Record<string, unknown> }; scenarios?: Record<string, unknown>[] };

/** Pure: the script with its profile's environment merged in (none left to merge). */
export function withProfile(doc: Doc, profile: string | null): Doc {
  const d = structuredClone(doc);
  const envs = (d.config.environments ?? {}) as Record<string, Record<string, unknown> | null>;
  if (profile !== null) L.merge(d.config, envs[profile] ?? {});
  delete d.config.environments;
  return d;
}

/** Pure: the warm-up phase in front, and each scenario's flow wrapped so that a warm-up user runs only the warm-up. */
export function withWarmup(doc: Doc, w: Warmup): Doc {
  const d = structuredClone(doc);
  d.config.phases = [{ name: WARMUP_PHASE, duration: w.seconds, arrivalRate: w.rate, rampTo: w.rate }, ...(d.config.phases ?? [])];
  d.scenarios = (d.scenarios ?? []).map((s) => ({
    ...s,
    flow: [
      { loop: [{ get: { url: w.path } }], count: `{{ ${WARMUP_RUNS} }}` },
      { loop: s.flow ?? [], count: `{{ ${MEASURED_RUNS} }}` },
    ],
  }));
  return d;
}

/** Writes `<runDir>/<slug>.script.yml`; returns its path. Run it with no `--environment`: its profile is in it. */
export function writeRunScript(o: {
  readonly scenarioFile: string;
  readonly runDir: string;
  readonly slug: string;
  readonly values: ExpectedValues;
  readonly profile: string | null;
  readonly warmup: Warmup | null;
}): string {
  let doc = withProfile(fillExpected(YAML.parse(fs.readFileSync(o.scenarioFile, 'utf8')) as Doc, o.values), o.profile);
  if (o.warmup) doc = withWarmup(doc, o.warmup);
  absolutizePaths(doc.config, o.scenarioFile);
  const file = path.join(o.runDir, `${o.slug}.script.yml`);
  const filled = Object.entries(o.values)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  writeFileAtomic(
    file,
    `# ${path.relative(path.dirname(file), o.scenarioFile)}, as this run sent it: profile ${o.profile ?? 'none'} merged in, {{ $expected }} filled (${filled || 'none'}), paths absolute${
      o.warmup ? `, ${o.warmup.seconds} s of generator warm-up (GET ${o.warmup.path}) in front` : ''
    }.\n${YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`,
  );
  return file;
}
