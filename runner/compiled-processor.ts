/**
 * The pack's TypeScript processors handed to Artillery as the JavaScript the build compiled
 * (`npm ci` runs it). Given a .ts processor, Artillery 2 bundles it again on every run, with
 * esbuild-wasm in its main thread (about 1.3 CPU-s a run here), and turns source maps on in every
 * worker, which makes each Error's stack dearer (got builds one for every 409). Only for the
 * pack's own processors, and only while every compiled file is at least as new as its source;
 * otherwise Artillery bundles the TypeScript itself, as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

/** The source folders the processors are compiled from (processors/ and what they import). */
export const PROCESSOR_SOURCES = ['processors', 'lib', 'seed', 'edge'] as const;

/** Pure: the compiled twin of an absolute processor path when it is one of the pack's own, else null. */
export function compiledTwin(root: string, processor: string): string | null {
  if (path.dirname(processor) !== path.join(root, 'processors') || path.extname(processor) !== '.ts') return null;
  return path.join(root, 'dist', 'processors', `${path.basename(processor, '.ts')}.js`);
}

/** Whether every source file of the processors has its compiled file, at least as new. */
export function compiledUpToDate(root: string): boolean {
  for (const dir of PROCESSOR_SOURCES) {
    const src = path.join(root, dir);
    if (!fs.existsSync(src)) continue;
    for (const f of fs.readdirSync(src)) {
      if (!f.endsWith('.ts') || f.endsWith('.d.ts')) continue;
      const js = path.join(root, 'dist', dir, f.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(path.join(src, f)).mtimeMs) return false;
    }
  }
  return true;
}

/**
 * The compiled processor to hand Artillery for this scenario (through `--overrides`), or null:
 * a scenario without a processor, with someone else's, with one per environment, or sources
 * changed since the build.
 */
export function compiledProcessor(root: string, scenarioFile: string): string | null {
  let config: { processor?: unknown; environments?: Record<string, { processor?: unknown } | null> } | undefined;
  try {
    config = (YAML.parse(fs.readFileSync(scenarioFile, 'utf8')) as { config?: typeof config } | null)?.config;
  } catch {
    return null; // Artillery reads the scenario itself and names what is wrong with it
  }
  if (typeof config?.processor !== 'string') return null;
  if (Object.values(config.environments ?? {}).some((e) => e?.processor !== undefined)) return null;
  const twin = compiledTwin(root, path.resolve(path.dirname(scenarioFile), config.processor));
  return twin !== null && fs.existsSync(twin) && compiledUpToDate(root) ? twin : null;
}
