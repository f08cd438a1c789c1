import * as fs from 'node:fs';
import * as path from 'node:path';
import { COUNTERS, HISTOGRAMS } from 'artillery-plugin-isolation';
import { CATALOG, EXIT } from '../../lib/errors';
import { API_MODES } from '../../lib/config';
import { TIERS } from '../../seed/fixture';

const ROOT = path.resolve(__dirname, '..', '..');
/** A page of the manual (docs/). */
const page = (rel: string): string => fs.readFileSync(path.join(ROOT, 'docs', rel), 'utf8');

/** A section of a page: from its heading to the next heading of the same level. */
function section(text: string, title: string): string {
  const m = new RegExp(`^(#+) ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm').exec(text);
  if (!m) throw new Error(`no "${title}" heading`);
  const next = text.slice(m.index + m[0].length).search(new RegExp(`^#{1,${m[1]!.length}} `, 'm'));
  return text.slice(m.index, next < 0 ? undefined : m.index + m[0].length + next);
}

describe('the reference pages stay in step with the code', () => {
  it('documents every exit code, and no other', () => {
    const codes = [...section(page('reference/exit-codes.md'), 'Exit codes and the verdict policy').matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(codes.sort((a, b) => a - b)).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
    for (const entry of Object.values(CATALOG)) expect(codes).toContain(entry.exit);
  });

  it('documents every metric the plugin emits, in docs/reference/metrics.md and in the plugin package README', () => {
    const documented = new Set(
      [...section(page('reference/metrics.md'), 'Metrics (artillery-plugin-isolation)').matchAll(/^\| `(isolation\.[a-z0-9_.]+)` \|/gm)].map((m) => m[1]),
    );
    for (const name of [...COUNTERS, ...HISTOGRAMS]) expect(documented).toContain(name);
    const pluginReadme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'plugin', 'README.md'), 'utf8');
    const inPackage = new Set([...pluginReadme.matchAll(/^\| `(isolation\.[a-z0-9_.<>]+)` \|/gm)].map((m) => m[1]));
    expect(inPackage).toEqual(
      new Set(
        [...section(page('reference/metrics.md'), 'Metrics (artillery-plugin-isolation)').matchAll(/^\| `(isolation\.[a-z0-9_.<>]+)` \|/gm)].map((m) => m[1]),
      ),
    );
  });

  it('documents every error code with its exit code, and no other', () => {
    const documented = new Map(
      [...section(page('reference/exit-codes.md'), 'Exit codes and the verdict policy').matchAll(/^\| `(LT_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [
        m[1]!,
        Number(m[2]),
      ]),
    );
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(CATALOG).map(([code, e]) => [code, e.exit])));
  });

  it('lists every fixture tier, API mode and environment variable the code accepts', () => {
    const fixture = section(page('reference/file-formats.md'), 'Fixture');
    for (const tier of TIERS) expect(fixture).toContain(`\`${tier}\``);
    const modes = page('guides/negative-controls.md');
    for (const mode of API_MODES.filter((m) => m !== 'safe')) expect(modes).toContain(`\`${mode}\``);
    const config = page('reference/configuration.md');
    const source = fs.readFileSync(path.resolve(__dirname, '..', '..', 'lib', 'config.ts'), 'utf8');
    for (const [, name] of source.matchAll(/env(?:\.|, ')([A-Z][A-Z0-9_]+)/g)) expect([name, config.includes(`\`${name}\``)]).toEqual([name, true]);
  });
});
