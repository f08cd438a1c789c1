/**
 * The compatibility matrix (README "Compatibility"): the lockfile stays on Node 20 with Artillery
 * 2.0.21, and this test proves Node 24 too, with the pinned Artillery and with the newest 2.x:
 *
 *   Node 24 + pinned 2.0.21    unit tests, the plugin package test, scenario 1 (quick)
 *   Node 24 + newest 2.x       the plugin package test, scenario 1 (quick) through ARTILLERY_DIR
 *
 * Node 24 comes from the `node` npm package and the newest Artillery from the npm registry, each
 * installed into a scratch folder outside the repository (kept under the system's temporary
 * folder, so a second run reuses them); the repository's own node_modules is never touched.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cli';
import { runEnv } from '../support/db';

jest.setTimeout(1_200_000);

const npm = 'npm';
const SCRATCH = path.join(os.tmpdir(), 'authz-loadtest-compat');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** `npm install <spec>` into its own scratch folder, once; returns that folder. */
function installOnce(name: string, spec: string): string {
  const dir = path.join(SCRATCH, name);
  const marker = path.join(dir, '.installed');
  if (!fs.existsSync(marker) || fs.readFileSync(marker, 'utf8') !== spec) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // No browser download at install (Artillery's Playwright engine), as in the pack's package.json.
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: `scratch-${name}`, private: true, allowScripts: { '@playwright/browser-chromium': false } }),
    );
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', spec], { cwd: dir, stdio: 'ignore', timeout: 600_000 });
    fs.writeFileSync(marker, spec);
  }
  return dir;
}

/** A nested test run passed: exit 0 and its summary line; otherwise fail with its output's tail. */
function expectPassed(r: { code: number | null; out: string }): void {
  const summary = r.out.match(/^tests: \d+ passed, \d+ failed$/m)?.[0];
  if (r.code !== 0 || !summary?.endsWith(', 0 failed')) throw new Error(`nested run exited ${r.code} (${summary ?? 'no summary'}):\n${r.out.slice(-4000)}`);
}

const versionOf = (dir: string): string =>
  (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'artillery', 'package.json'), 'utf8')) as { version: string }).version;

describe('compatibility matrix: Node 24 with the pinned and the newest Artillery 2.x', () => {
  let node24: string;
  let newest: string;

  beforeAll(() => {
    node24 = path.join(installOnce('node24', 'node@24'), 'node_modules', 'node', 'bin', 'node');
    expect(execFileSync(node24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
    // The newest 2.x by number: npm run by Node 20 would otherwise pick the newest release whose
    // `engines` Node 20 meets (2.0.21), which is not what this cell is about.
    const versions = JSON.parse(execFileSync(npm, ['view', 'artillery@^2', 'version', '--json'], { encoding: 'utf8' })) as string[];
    const byNumber = (v: string): number[] => v.split(/[.-]/).map(Number);
    const newestVersion = versions
      .filter((v) => /^2\.\d+\.\d+$/.test(v))
      .sort((a, b) => {
        const [x, y] = [byNumber(a), byNumber(b)];
        return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
      })
      .pop()!;
    newest = installOnce('artillery-newest', `artillery@${newestVersion}`);
    expect(versionOf(newest)).toBe(newestVersion);
  });

  it('Node 24 + pinned Artillery: the unit tests and the plugin package test pass', async () => {
    const r = await run(node24, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', 'test/unit', 'test/e2e/plugin-package.test.ts'], {
      PLUGIN_TEST_PORT: '3423',
    });
    expectPassed(r);
  });

  it('Node 24 + newest Artillery 2.x: the plugin package installs and works beside it', async () => {
    const r = await run(node24, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', 'test/e2e/plugin-package.test.ts'], {
      PLUGIN_TEST_ARTILLERY: versionOf(newest),
      PLUGIN_TEST_PORT: '3424',
    });
    expectPassed(r);
  });

  it.each([
    ['pinned', null],
    ['newest', 'newest'],
  ])('Node 24 + %s Artillery: scenario 1 (quick) runs with every plugin loaded and exact correctness', async (label, which) => {
    const env = runEnv(`e2e_compat_${label}`, label === 'pinned' ? 3421 : 3422, {
      LOADTEST_WARMUP: '50',
      ...(which ? { ARTILLERY_DIR: newest } : {}),
    });
    const r = await run(node24, [path.join(ROOT, 'dist', 'cli', 'run.js'), 'scenario1', '--profile', 'quick'], env);
    const [runName] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, runName!, 'summary.json'), 'utf8')) as {
      decision: string;
      crashes: string[];
      meta: { node: string; artillery: string };
      scenarios: { rows: { name: string; pass: boolean }[] }[];
    };
    expect(summary.meta.node).toMatch(/^v24\./);
    expect(summary.meta.artillery).toBe(which ? versionOf(newest) : versionOf(path.join(ROOT)));
    // Every plugin loaded (the newest Artillery finds the pack's through ARTILLERY_PLUGIN_PATH) and
    // correctness holds exactly; latency on a shared 2-core machine is the benchmark's business.
    expect(r.out).not.toMatch(/Could not load plugin/);
    expect(summary.crashes).toEqual([]);
    expect(summary.scenarios[0]!.rows.filter((row) => !row.pass && !/response_time/.test(row.name))).toEqual([]);
  });
});
