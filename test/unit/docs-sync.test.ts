import * as fs from 'node:fs';
import * as path from 'node:path';
import { COUNTERS, HISTOGRAMS } from 'artillery-plugin-isolation';
import { CATALOG, EXIT } from '../../lib/errors';

const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README stays in step with the code', () => {
  it('documents every exit code, and no other', () => {
    const codes = [...section('Exit codes').matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(codes.sort((a, b) => a - b)).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
    for (const entry of Object.values(CATALOG)) expect(codes).toContain(entry.exit);
  });

  it('documents every metric the plugin emits', () => {
    const documented = new Set([...section('Metrics').matchAll(/^\| `(isolation\.[a-z0-9_.]+)` \|/gm)].map((m) => m[1]));
    for (const name of [...COUNTERS, ...HISTOGRAMS]) expect(documented).toContain(name);
  });
});
