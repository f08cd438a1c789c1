/**
 * The scenarios of the plan, discovered from the YAML files in SCENARIOS_DIR. A scenario is any
 * `*.yml` whose `config.pack` block names it:
 *
 *   config:
 *     pack:
 *       id: scenario1                 # what `load-test:run -- <id>` takes; unique
 *       title: High contention
 *       slug: contention              # report files: reports/<run>/<slug>.json
 *       order: 1                      # position in `load-test:all`
 *       inAll: true                   # part of `load-test:all` (default true)
 *       seedProfile: plan             # the data it starts from (seed/plan.ts)
 *       preflight: [...]              # runner/preflight.ts
 *       postChecks: [...]             # runner/post-checks.ts
 *       series: [...]                 # runner/series-criteria.ts
 *
 * Every scenario is loaded in every profile it defines at discovery, so a mistake in any of them
 * stops the command before anything starts. A YAML without `config.pack` (ladder.yml) is not a
 * scenario of the plan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { PackError } from '../lib/errors';
import { SEED_PROFILES, SeedProfile } from '../seed/plan';
import { parseScenario } from './scenario-config';

export interface ScenarioDef {
  readonly id: string;
  readonly title: string;
  /** Short name used for report files: reports/<run>/<slug>.json */
  readonly slug: string;
  readonly file: string;
  readonly order: number;
  readonly inAll: boolean;
  readonly seedProfile: SeedProfile;
}

const ID = /^[a-z][a-z0-9-]{0,40}$/;

/** Pure: the header of one YAML's pack block, or null when the file is not a pack scenario. */
export function parseScenarioHeader(file: string, text: string): ScenarioDef | null {
  let doc: { config?: { pack?: Record<string, unknown> } } | null;
  try {
    doc = parse(text) as typeof doc;
  } catch (err) {
    throw new PackError('LT_USAGE', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { hint: 'fix the YAML syntax' });
  }
  const pack = doc?.config?.pack;
  if (pack === undefined) return null;
  const problems: string[] = [];
  if (typeof pack !== 'object' || pack === null) problems.push('config.pack must be a mapping');
  const p = (pack ?? {}) as Record<string, unknown>;
  if (typeof p.id !== 'string' || !ID.test(p.id)) problems.push('config.pack.id must be lower-case letters, digits and dashes, starting with a letter');
  if (typeof p.title !== 'string' || p.title === '') problems.push('config.pack.title must be a text');
  if (p.slug !== undefined && (typeof p.slug !== 'string' || !ID.test(p.slug))) problems.push('config.pack.slug must be lower-case letters, digits and dashes');
  if (p.order !== undefined && typeof p.order !== 'number') problems.push('config.pack.order must be a number');
  if (p.inAll !== undefined && typeof p.inAll !== 'boolean') problems.push('config.pack.inAll must be true or false');
  if (!SEED_PROFILES.includes(p.seedProfile as SeedProfile)) problems.push(`config.pack.seedProfile must be one of ${SEED_PROFILES.join(', ')}`);
  if (problems.length > 0)
    throw new PackError('LT_USAGE', `${file}: ${problems.join('; ')}`, { hint: 'fix the config.pack block of the scenario YAML (docs/architecture.md)' });
  return {
    id: p.id as string,
    title: p.title as string,
    slug: (p.slug as string | undefined) ?? (p.id as string),
    file,
    order: (p.order as number | undefined) ?? Number.MAX_SAFE_INTEGER,
    inAll: (p.inAll as boolean | undefined) ?? true,
    seedProfile: p.seedProfile as SeedProfile,
  };
}

/** Every pack scenario in dir, in run order, each checked in every profile it defines. */
export function discoverScenarios(dir: string): ScenarioDef[] {
  let files: string[];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    throw new PackError('LT_CONFIG_INVALID', `SCENARIOS_DIR=${JSON.stringify(dir)} is not a readable folder`, {
      hint: "point SCENARIOS_DIR at a copy of the pack's scenarios/ folder",
    });
  }
  const defs: ScenarioDef[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const text = fs.readFileSync(file, 'utf8');
    const def = parseScenarioHeader(file, text);
    if (!def) continue;
    const profiles = Object.keys((parse(text) as { config: { environments?: Record<string, unknown> } }).config.environments ?? {});
    for (const profile of profiles) parseScenario(file, text, profile);
    defs.push(def);
  }
  for (const key of ['id', 'slug'] as const) {
    const seen = new Map<string, string>();
    for (const d of defs) {
      const other = seen.get(d[key]);
      if (other)
        throw new PackError('LT_USAGE', `two scenarios have ${key} "${d[key]}": ${other} and ${d.file}`, {
          hint: `give each scenario its own config.pack.${key}`,
        });
      seen.set(d[key], d.file);
    }
  }
  if (defs.length === 0)
    throw new PackError('LT_CONFIG_INVALID', `SCENARIOS_DIR=${JSON.stringify(dir)} holds no scenario (no YAML with a config.pack block)`, {
      hint: "point SCENARIOS_DIR at a copy of the pack's scenarios/ folder",
    });
  return defs.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** The scenarios a command line names: `all` (those with inAll), or one id. */
export function selectScenarios(defs: readonly ScenarioDef[], which: string | undefined): ScenarioDef[] {
  const selected = which === 'all' ? defs.filter((d) => d.inAll) : defs.filter((d) => d.id === which);
  if (!which || selected.length === 0) {
    throw new PackError('LT_USAGE', `name a scenario: ${[...defs.map((d) => d.id), 'all'].join(', ')}${which ? ` (got "${which}")` : ''}`, {
      hint: `npm run load-test:run -- <${[...defs.map((d) => d.id), 'all'].join('|')}> [--profile quick]`,
    });
  }
  return selected;
}
