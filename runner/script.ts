/**
 * The script Artillery runs for one scenario run: the scenario's YAML with its
 * `{{ $expected.x }}` placeholders filled for the data this run starts on (runner/expected.ts)
 * and its relative paths made absolute, written into the run folder. It is plain Artillery: the
 * file a distributed runner (run-fargate, run-lambda) can take as it is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic } from '../lib/atomic';
import { ExpectedValues, fillExpected } from './expected';
import { absolutizePaths } from './scenario-config';

/** Writes `<runDir>/<slug>.script.yml`; returns its path. */
export function writeRunScript(o: { readonly scenarioFile: string; readonly runDir: string; readonly slug: string; readonly values: ExpectedValues }): string {
  const doc = fillExpected(YAML.parse(fs.readFileSync(o.scenarioFile, 'utf8')) as { config: Record<string, unknown> }, o.values);
  absolutizePaths(doc.config, o.scenarioFile);
  const file = path.join(o.runDir, `${o.slug}.script.yml`);
  writeFileAtomic(
    file,
    `# ${path.relative(path.dirname(file), o.scenarioFile)}, as this run sent it: {{ $expected }} filled (${
      Object.entries(o.values)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }), paths absolute.\n${YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`,
  );
  return file;
}
