/**
 * artillery-plugin-isolation as a real package: `npm pack` makes a tarball, which is installed
 * into a scratch Artillery project outside the repository with nothing but `artillery` beside it.
 * A plain YAML (no processor, no pack) run against the reference API shows the metrics, the
 * history, a met expectation (exit 0), a missed one (exit 1, named), and the debug namespace.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../api/app';
import { loadApiConfig } from '../../lib/config';
import { seed } from '../../seed/seed';
import { ROOT } from '../support/cli';
import { ARTILLERY_VERSION } from '../support/artillery';
import { freshDatabase, tempDir } from '../support/db';

jest.setTimeout(420_000);

// The compatibility matrix runs this file again under Node 24 (test/e2e/compat-matrix.test.ts),
// with another port and, for the newest Artillery, another version to install.
const PORT = Number(process.env.PLUGIN_TEST_PORT ?? 3420);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the plugin as a package, in a scratch Artillery project', () => {
  let app: Awaited<ReturnType<typeof buildApp>>['app'] | null = null;
  let project: string;
  let target: { id: string; token: string };

  beforeAll(async () => {
    // The tarball, from the compiled plugin (`npm test` compiles it first).
    const packDir = tempDir('plugin-pack');
    const packed = JSON.parse(
      execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: path.join(ROOT, 'plugin'), encoding: 'utf8' }),
    ) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = path.join(packDir, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/plugin.js']));
    expect(files.filter((f) => f.startsWith('src/') || f.endsWith('.map') || f.endsWith('.tsbuildinfo'))).toEqual([]);

    // A project outside the repository: artillery (the version the pack pins) and the tarball.
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'scratch-artillery-'));
    // As in the pack's own package.json: Artillery's Playwright engine would download a browser at
    // install, which an offline machine cannot (and this test does not need).
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, allowScripts: { '@playwright/browser-chromium': false } }),
    );
    const artilleryVersion = process.env.PLUGIN_TEST_ARTILLERY ?? ARTILLERY_VERSION;
    const install = await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', `artillery@${artilleryVersion}`, tarball], project);
    if (install.code !== 0) throw new Error(`npm install failed: ${install.stderr.slice(-2000)}`);

    // The reference API on a fresh database.
    const url = await freshDatabase('e2e_plugin_package');
    const dir = tempDir('plugin-fixture');
    const { fixture } = await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    const a = fixture.authorizations.find((x) => x.tier === 'bulk')!;
    target = { id: a.id, token: fixture.tokensByOrganization[a.organizationId]![0]! };
    ({ app } = await buildApp(loadApiConfig({ DATABASE_URL: url, JWT_SECRET: fs.readFileSync(path.join(dir, 's'), 'utf8') })));
    await app.listen({ host: '127.0.0.1', port: PORT });
  });

  afterAll(async () => {
    await app?.close();
  });

  const yaml = (expectOk: number, historyDir: string): string => `config:
  target: "http://127.0.0.1:${PORT}"
  phases:
    - { duration: 1, arrivalCount: 20 }
  variables:
    id: ["${target.id}"]
    token: ["${target.token}"]
  plugins:
    isolation:
      historyDir: ${JSON.stringify(historyDir)}
      # The API's contract, inline: how a reserve is sent and what its answers mean.
      contract:
        operations:
          reserve:
            request: { method: POST, path: "/api/authorizations/{resource}/reserve", body: { units: "{units}" } }
            ok: { status: 200, id: operationId, units: units, balance: true }
            refused:
              - { status: 409, reason: insufficient_units, means: capacity }
              - { status: 409, reason: serialization_conflict, means: contention }
        balance: { capacity: balance.capacityUnits, reserved: balance.reservedUnits, consumed: balance.consumedUnits, available: balance.availableUnits }
        answers: { reason: reason, indeterminate: [500, 502, 503, 504] }
        idempotency: { header: Idempotency-Key, replayedHeader: Idempotent-Replayed, reused: { status: 422, reason: idempotency_key_reused } }
        attemptsHeader: X-Serialization-Attempts
      expect:
        - { name: "every reserve succeeds", metric: isolation.reserve.ok, equals: ${expectOk} }
        - { name: "no failed request", metric: isolation.failed, equals: 0 }
scenarios:
  - flow:
      - post:
          url: "/api/authorizations/{{ id }}/reserve"
          headers:
            Authorization: "Bearer {{ token }}"
            Idempotency-Key: "pkg-{{ $uuid }}"
          json: { units: 1 }
`;

  const artillery = (file: string, out: string, env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [path.join(project, 'node_modules', 'artillery', 'bin', 'run'), 'run', '--output', out, file], project, {
      ARTILLERY_DISABLE_TELEMETRY: 'true',
      // Only to spare the offline telemetry wait (runner/no-telemetry.ts); the plugin is the scratch project's.
      NODE_OPTIONS: `--require ${path.join(ROOT, 'dist', 'runner', 'no-telemetry.js')}`,
      ...env,
    });

  it('records the metrics and the history, and a met expectation exits 0', async () => {
    const historyDir = path.join(project, 'history-ok');
    fs.writeFileSync(path.join(project, 'ok.yml'), yaml(20, historyDir));
    const r = await artillery('ok.yml', 'ok.json', { DEBUG: 'plugin:isolation' });
    expect(r.stdout).toContain('isolation PASS every reserve succeeds');
    expect(r.code).toBe(0);
    // The installed copy loaded, and said so on the debug namespace.
    expect(fs.realpathSync(path.join(project, 'node_modules', 'artillery-plugin-isolation'))).toBe(
      path.join(project, 'node_modules', 'artillery-plugin-isolation'),
    );
    expect(r.stderr).toMatch(/plugin:isolation main thread: contract plugins\.isolation\.contract \(reserve\), history .*history-ok, 2 expectation\(s\)/);
    const report = JSON.parse(fs.readFileSync(path.join(project, 'ok.json'), 'utf8')) as {
      aggregate: { counters: Record<string, number>; summaries: Record<string, unknown> };
    };
    expect(report.aggregate.counters).toMatchObject({
      'isolation.requests': 20,
      'isolation.reserve.ok': 20,
      'isolation.units.reserved': 20,
      'isolation.failed': 0,
    });
    expect(Object.keys(report.aggregate.summaries)).toEqual(expect.arrayContaining(['isolation.attempts', 'isolation.server_timing.db']));
    const lines = fs
      .readdirSync(historyDir)
      .flatMap((f) => fs.readFileSync(path.join(historyDir, f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.filter((l) => l.type === 'ok')).toHaveLength(20);
    expect(lines.filter((l) => l.type === 'close').length).toBeGreaterThan(0);
  });

  it('negative control: a missed expectation is named and exits 1', async () => {
    fs.writeFileSync(path.join(project, 'miss.yml'), yaml(21, path.join(project, 'history-miss')));
    const r = await artillery('miss.yml', 'miss.json');
    expect(r.stdout).toMatch(/isolation FAIL every reserve succeeds: limit = 21, measured 20/);
    expect(r.code).toBe(1);
  });
});
