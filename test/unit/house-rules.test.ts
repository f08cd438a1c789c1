/**
 * The house rules (scripts/check-imports.js, part of `npm run lint`): imports run downwards, no
 * import cycle spans folders, no runner/ function over 80 lines. This repository holds them; a
 * scratch tree that breaks each is named line by line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { check } = require('../../scripts/check-imports.js') as { check: (root?: string) => string[] };

describe('the house rules', () => {
  it('hold in this repository', () => {
    expect(check()).toEqual([]);
  });

  it('negative control: an upward import, a cycle across folders and a long runner function are each named', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'house-'));
    try {
      const put = (rel: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
      };
      put('formats/a.ts', "import { b } from '../runner/b';\nexport const a = b;\n");
      put('runner/b.ts', "import { a } from '../formats/a';\nexport const b = 1;\nexport const c = () => a;\n");
      put('runner/long.ts', `export function long(): number {\n${Array.from({ length: 85 }, (_, i) => `  const x${i} = ${i};`).join('\n')}\n  return 0;\n}\n`);
      const breaches = check(root);
      expect(breaches).toEqual([
        expect.stringMatching(/^formats\/a\.ts:1: formats\/ \(rank 1\) imports runner\/b in runner\/ \(rank 6\): imports run downwards only$/),
        expect.stringMatching(/^an import cycle spans (formats, runner|runner, formats): /),
        expect.stringMatching(/^runner\/long\.ts:1: long is 88 lines \(at most 80 in runner\/\)/),
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
