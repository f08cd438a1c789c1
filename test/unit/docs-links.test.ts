/**
 * Every relative link in the manual resolves: the README, docs/, the examples' and the plugin's
 * READMEs. A link to a file must name one that exists; a link with #anchor must name a heading of
 * that page, slugged as GitHub slugs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function pages(): string[] {
  const out = ['README.md', 'CHANGELOG.md', 'plugin/README.md'];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  walk('examples');
  return out.filter((p) => fs.existsSync(path.join(ROOT, p)));
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Relative links of a page: [text](target), outside code. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

/** Broken links of a page: each as "page: target (why)". */
function broken(page: string): string[] {
  const file = path.join(ROOT, page);
  const out: string[] = [];
  for (const target of links(fs.readFileSync(file, 'utf8'))) {
    const [rel, anchor] = target.split('#') as [string, string | undefined];
    const dest = rel === '' ? file : path.resolve(path.dirname(file), rel);
    if (!fs.existsSync(dest)) out.push(`${page}: ${target} (no such file)`);
    else if (anchor && dest.endsWith('.md') && !anchors(dest).has(anchor)) out.push(`${page}: ${target} (no such heading)`);
  }
  return out;
}

describe('the manual links only to what exists', () => {
  const all = pages();

  it('finds the pages: the README, every page of docs/, the examples', () => {
    expect(all).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'docs/guides/your-api.md', 'docs/reference/target.md']));
  });

  it('every relative link names a file that exists, and a heading of it when it has an #anchor', () => {
    expect(all.flatMap(broken)).toEqual([]);
  });

  it('negative control: a missing file and a missing heading are both named', () => {
    const tmp = path.join(ROOT, 'docs', '.link-test.md');
    fs.writeFileSync(tmp, '# Here\n\n[a](guides/nope.md) [b](reference/target.md#no-such-heading) [c](#here) [d](https://example.com)\n');
    try {
      expect(broken('docs/.link-test.md')).toEqual([
        'docs/.link-test.md: guides/nope.md (no such file)',
        'docs/.link-test.md: reference/target.md#no-such-heading (no such heading)',
      ]);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('5. Which resources each scenario uses')).toBe('5-which-resources-each-scenario-uses');
    expect(slug('Which Node, which Artillery')).toBe('which-node-which-artillery');
    expect(slug('Bad input under load (`load-test:edge`)')).toBe('bad-input-under-load-load-testedge');
  });
});
