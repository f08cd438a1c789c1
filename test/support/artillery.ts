/**
 * The Artillery this Node runs (the pack's tree for it, or ARTILLERY_DIR), and a way to ask its
 * own code for a reference answer in tests. Artillery 2.0.21 is CommonJS (lib/, with
 * @artilleryio/int-core beside it); 2.0.34 is ESM (dist/lib/, its core inside): the question runs
 * in a child Node that imports whichever is installed, so Jest never loads Artillery itself.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artilleryDirFrom } from '../../lib/config';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTILLERY_DIR = artilleryDirFrom(process.env.ARTILLERY_DIR, ROOT)!;
export const ARTILLERY_VERSION = (JSON.parse(fs.readFileSync(path.join(ARTILLERY_DIR, 'package.json'), 'utf8')) as { version: string }).version;

const PRELUDE = `
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = process.env.ARTILLERY_PACKAGE_DIR;
const req = createRequire(path.join(dir, 'package.json'));
async function first(...candidates) {
  for (const c of candidates) {
    let file;
    try { file = c.startsWith('./') ? req.resolve(path.join(dir, c)) : req.resolve(c); } catch { continue; }
    const m = await import(pathToFileURL(file).href);
    return m;
  }
  throw new Error('none of ' + candidates.join(', ') + ' in ' + dir);
}
const pick = (m, name) => m[name] ?? m.default?.[name] ?? (typeof m.default === 'function' ? m.default : undefined);
export const divideWork = pick(await first('./dist/lib/dist.js', './lib/dist.js'), 'divideWork');
const core = await first('./dist/lib/core/ssms.js', '@artilleryio/int-core');
export const SSMS = core.SSMS ?? core.default?.ssms?.SSMS ?? core.ssms?.SSMS;
export const createBOM = pick(await first('./dist/lib/create-bom/create-bom.js', './lib/create-bom/create-bom.js'), 'createBOM');
const ensure = await first('./dist/builtin-packages/artillery-plugin-ensure/dist/index.js', 'artillery-plugin-ensure');
export const Ensure = ensure.Plugin ?? ensure.default?.Plugin;
`;

/**
 * Runs `body` (an async function body with `input`, `divideWork`, `SSMS`, `createBOM` and
 * `Ensure` (the ensure plugin's class) in scope) in a child Node against the installed Artillery; returns what it returns, through JSON.
 */
export function askArtillery<T>(body: string, input: unknown): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ask-artillery-'));
  try {
    const file = path.join(dir, 'ask.mjs');
    fs.writeFileSync(
      file,
      `${PRELUDE}\nconst input = JSON.parse(await new Promise((r) => { let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => r(s)); }));\nconst out = await (async () => {\n${body}\n})();\nprocess.stdout.write(JSON.stringify(out));\nprocess.exit(0);\n`,
    );
    const text = execFileSync(process.execPath, [file], {
      input: JSON.stringify(input),
      env: { ...process.env, ARTILLERY_PACKAGE_DIR: ARTILLERY_DIR, ARTILLERY_DISABLE_TELEMETRY: 'true' },
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(text) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
