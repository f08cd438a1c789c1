import * as fs from 'node:fs';
import * as path from 'node:path';
import { COUNTERS, HISTOGRAMS } from 'artillery-plugin-isolation';
import { CATALOG, EXIT } from '../../lib/errors';
import { API_MODES } from '../../lib/config';
import { TIERS } from '../../seed/fixture';

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

  it('documents every metric the plugin emits, in the pack README and in the plugin package README', () => {
    const documented = new Set([...section('Metrics').matchAll(/^\| `(isolation\.[a-z0-9_.]+)` \|/gm)].map((m) => m[1]));
    for (const name of [...COUNTERS, ...HISTOGRAMS]) expect(documented).toContain(name);
    const pluginReadme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'plugin', 'README.md'), 'utf8');
    const inPackage = new Set([...pluginReadme.matchAll(/^\| `(isolation\.[a-z0-9_.<>]+)` \|/gm)].map((m) => m[1]));
    expect(inPackage).toEqual(new Set([...section('Metrics').matchAll(/^\| `(isolation\.[a-z0-9_.<>]+)` \|/gm)].map((m) => m[1])));
  });

  it('documents every error code with its exit code, and no other', () => {
    const documented = new Map([...section('Exit codes').matchAll(/^\| `(LT_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(CATALOG).map(([code, e]) => [code, e.exit])));
  });

  it('lists every fixture tier, API mode and environment variable the code accepts', () => {
    const fixture = section('Aiming the pack at your own API');
    for (const tier of TIERS) expect(fixture).toContain(`\`${tier}\``);
    const modes = section('Negative controls');
    for (const mode of API_MODES.filter((m) => m !== 'safe')) expect(modes).toContain(`\`${mode}\``);
    const config = section('Configuration');
    const source = fs.readFileSync(path.resolve(__dirname, '..', '..', 'lib', 'config.ts'), 'utf8');
    for (const [, name] of source.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)) expect([name, config.includes(`\`${name}\``)]).toEqual([name, true]);
  });
});
