/**
 * B1 (what the pack costs the generator) and B2 (the reference API against its own database),
 * both on the pack's environment: embedded PostgreSQL and the reference API in safe mode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { requestHash } from '../api/ledger';
import { createPool } from '../db/connect';
import { seed } from '../seed/seed';
import type { Fixture } from '../seed/fixture';
import type { CompiledContract, OperationKind } from 'artillery-plugin-isolation';
import { runArtillery } from '../runner/artillery';
import type { Environment } from '../runner/environment';
import { RunContext, startTargetRun } from '../runner/context';
import { send } from '../runner/api-client';
import { median } from '../runner/repeat';
import { sampleCpu } from '../runner/generator';
import type { BenchOutcome } from './benchmarks';
import { BOOKING_API_KEY, loadBookingData } from '../examples/booking-api/server';
import { startChild } from '../runner/processes';
import { waitForHealthy } from '../runner/reference-api';
import { freshApiDatabase } from '../examples/http';
import { buildSeedData } from '../seed/plan';
import { writeFixtureAtomic } from '../seed/fixture';
import { loadTarget, writeContractFile } from '../target/load';
import { fixtureFromQuery } from '../runner/fixture-source';
import { exitUsagePreload, parseUsage, type BenchContext } from './context';

async function withEnvironment<T>(ctx: BenchContext, fn: (env: Environment, fixture: Fixture, run: RunContext) => Promise<T>): Promise<T> {
  const run = await startTargetRun(ctx.config, { apiMode: 'safe', runDir: ctx.workDir, out: () => undefined });
  try {
    const { fixture } = await seed({
      databaseUrl: run.env.server.url,
      fixturePath: path.join(ctx.workDir, 'bench-fixture.json'),
      secretPath: ctx.config.secretPath,
      tokenTtlSeconds: 3600,
      profile: 'throughput',
    });
    return await fn(run.env, fixture, run);
  } finally {
    await run.env.stop();
  }
}

/**
 * A bare Artillery request step for one operation, spelled from the contract (the method, the
 * path, the body, the headers) with Artillery's own templates where the values go: what a user
 * would write without the pack.
 */
export function bareStep(contract: CompiledContract, kind: OperationKind, units: number): Record<string, unknown> {
  const mark = (name: string): string => `__${name}__`;
  const r = contract
    .op(kind)
    .render({ resource: mark('resource'), token: mark('token'), acquisition: mark('acquisition'), organization: mark('organization'), units, key: null });
  const art = (v: string): string => v.replace(/__(resource|token|acquisition|organization)__/g, (_m, n: string) => `{{ ${n} }}`);
  const json = r.json === undefined ? undefined : JSON.parse(art(JSON.stringify(r.json)));
  return {
    [r.method.toLowerCase()]: {
      url: art(r.path),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, art(v)])),
      ...(json === undefined ? {} : { json }),
    },
  };
}

const spread = (f: Fixture) => f.authorizations.filter((a) => a.tier === 'bulk');

type B1Variant = 'pack' | 'bare' | 'eager';

/**
 * Three scenarios that send the same requests (a reserve and a release of 1 unit on a bulk
 * authorization, 50 journeys a second for 20 s): one through the pack (its processor picks the
 * authorization, the token and the keys; the isolation plugin records metrics and history), one
 * bare (fixed authorization and token from variables, no plugin, no processor), and the pack
 * with the plugin's response-first scheduling off (plugin/src/turns.ts), to show what that costs.
 */
export function b1Scenarios(ctx: BenchContext, fixture: Fixture, contract: CompiledContract, prefix = 'b1'): Record<B1Variant, string> {
  const a = spread(fixture)[0] ?? fixture.authorizations[0]!;
  const token = fixture.tokensByOrganization[a.organizationId]?.[0] ?? fixture.tokensByOrganization['*']?.[0] ?? '';
  const phases = [{ duration: 20, arrivalRate: 50, rampTo: 50 }];
  const undo: OperationKind = contract.has('release') ? 'release' : 'consume';
  const pack = {
    config: {
      processor: path.join(ctx.config.root, 'processors', 'index.ts'),
      phases,
      variables: { units: 1, releaseAfterReserve: true },
      environments: { bench: {} },
      plugins: { isolation: {} },
    },
    scenarios: [
      {
        flow: [
          { function: 'pickThroughputTarget' },
          { post: { url: '/', isolation: { op: 'reserve' } } },
          { post: { url: '/', ifTrue: 'undoAfterReserve', isolation: { op: '{{ undoOp }}' } } },
        ],
      },
    ],
  };
  // Bare Artillery: the same two requests, spelled out, on one resource (a release by id takes the id the reserve returned).
  const byId = contract.has(undo) && contract.op(undo).by === 'acquisition';
  const idPath = byId ? contract.spec.operations.reserve!.ok.id! : null;
  const reserve = bareStep(contract, 'reserve', 1);
  if (idPath) (Object.values(reserve)[0] as Record<string, unknown>).capture = { json: `$.${idPath}`, as: 'acquisition' };
  const bare = {
    config: { phases, environments: { bench: {} }, variables: { resource: [a.id], token: [token], organization: [a.organizationId] } },
    scenarios: [{ flow: [reserve, bareStep(contract, undo, 1)] }],
  };
  const eager = { ...pack, config: { ...pack.config, plugins: { isolation: { responseFirst: false } } } };
  const files = {
    pack: path.join(ctx.workDir, `${prefix}-pack.yml`),
    bare: path.join(ctx.workDir, `${prefix}-bare.yml`),
    eager: path.join(ctx.workDir, `${prefix}-eager.yml`),
  };
  fs.writeFileSync(files.pack, YAML.stringify(pack));
  fs.writeFileSync(files.bare, YAML.stringify(bare));
  fs.writeFileSync(files.eager, YAML.stringify(eager));
  return files;
}

/** One B1 run of one variant: the Artillery process's CPU-ms per request (labelled `<label>-<variant>-<round>`). */
async function cpuPerRequest(ctx: BenchContext, file: string, name: string, target: string, env: Record<string, string>): Promise<number> {
  const lines: string[] = [];
  const run = await runArtillery({
    root: ctx.config.root,
    artilleryDir: ctx.config.artilleryDir,
    scenarioFile: file,
    profile: 'bench',
    target,
    reportFile: path.join(ctx.workDir, `${name}.json`),
    logFile: path.join(ctx.workDir, `${name}.log`),
    env: {
      ...env,
      ISOLATION_HISTORY_DIR: path.join(ctx.workDir, `${name}.history`),
      NODE_OPTIONS: `--require ${exitUsagePreload(ctx.config.root)}`,
    },
    onLine: (l) => lines.push(l),
  });
  const usage = parseUsage(lines);
  const requests = run.report.aggregate.counters['http.requests'] ?? 0;
  if (!usage || requests === 0) throw new Error(`${name}: no CPU usage line or no requests (artillery exit ${run.exitCode})`);
  return (usage.cpuSeconds * 1000) / requests;
}

export async function generatorCpu(ctx: BenchContext): Promise<BenchOutcome> {
  return withEnvironment(ctx, async (env, fixture, pack) => {
    const files = b1Scenarios(ctx, fixture, pack.target.contract);
    const runEnv = { FIXTURE_PATH: path.join(ctx.workDir, 'bench-fixture.json'), ISOLATION_CONTRACT_FILE: pack.contractFile };
    const perRequest: Record<B1Variant, number[]> = { pack: [], bare: [], eager: [] };
    const values: number[] = [];
    const eagerRatios: number[] = [];
    for (let r = 0; r < ctx.repeats; r++) {
      // Rotate which goes first, so a drift of the machine does not favour one side.
      const order = (['pack', 'bare', 'eager'] as const).map((_, i, all) => all[(i + r) % all.length]!);
      const got: Partial<Record<B1Variant, number>> = {};
      for (const variant of order) {
        got[variant] = await cpuPerRequest(ctx, files[variant], `b1-${variant}-${r + 1}`, env.target, runEnv);
        perRequest[variant].push(got[variant]);
      }
      values.push(got.pack! / got.bare!);
      eagerRatios.push(got.eager! / got.bare!);
    }
    const f = (v: number[]): string => `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`;
    return {
      values,
      detail: {
        'pack CPU-ms per request': f(perRequest.pack),
        'bare CPU-ms per request': f(perRequest.bare),
        'pack with responseFirst: false, CPU-ms per request': f(perRequest.eager),
        'pack with responseFirst: false ÷ bare': `${f(eagerRatios)}×`,
      },
      notes: [
        'Whole Artillery process (main thread and workers, start-up included; the processors as the build compiled them, runner/compiled-processor.ts), from process.resourceUsage() at its exit; 20 s at 50 journeys/s, 2 requests each.',
      ],
    };
  });
}

/** One B1 pair (the pack, bare Artillery) on a target: CPU-ms per request of each. */
async function b1Pair(
  ctx: BenchContext,
  files: Record<B1Variant, string>,
  label: string,
  round: number,
  target: string,
  env: Record<string, string>,
): Promise<{ pack: number; bare: number }> {
  const got: Partial<Record<'pack' | 'bare', number>> = {};
  for (const variant of round % 2 === 0 ? (['pack', 'bare'] as const) : (['bare', 'pack'] as const)) {
    got[variant] = await cpuPerRequest(ctx, files[variant], `${label}-${variant}-${round + 1}`, target, env);
  }
  return { pack: got.pack!, bare: got.bare! };
}

/**
 * B9: B1 on a described target (examples/booking-api: other paths, 201 with an id, release by
 * that id, an API key, no idempotency keys), against B1 on the reference target in the same run,
 * rounds interleaved: a target description must not make the generator's hot path dearer.
 */
export async function describedTargetCost(ctx: BenchContext): Promise<BenchOutcome> {
  return withEnvironment(ctx, async (env, fixture, pack) => {
    const folder = path.join(ctx.config.root, 'examples', 'booking-api');
    const url = await freshApiDatabase(env.server.url, 'bench_booking', fs.readFileSync(path.join(folder, 'schema.sql'), 'utf8'));
    await loadBookingData(url, buildSeedData(undefined, 'throughput'));
    const keyEnv = { BOOKING_API_KEY };
    const booking = loadTarget(path.join(folder, 'target.yml'), { ...process.env, ...keyEnv });
    // Served from its own process, as the reference API is: the measuring process stays out of both.
    const port = ctx.config.apiPort + 7;
    const served = startChild(
      'booking API',
      process.execPath,
      [path.join(ctx.config.root, 'dist', 'examples', 'serve.js'), 'booking', '--port', String(port)],
      {
        env: { ...process.env, DATABASE_URL: url },
        cwd: ctx.config.root,
        logFile: path.join(ctx.workDir, 'b9-booking-api.log'),
      },
    );
    const bookingUrl = `http://127.0.0.1:${port}`;
    try {
      await waitForHealthy(bookingUrl, '/healthz');
      const bookingDir = path.join(ctx.workDir, 'b9-booking');
      fs.mkdirSync(bookingDir, { recursive: true });
      const bookingFixture = await fixtureFromQuery(url, booking, {});
      const fixtureFile = path.join(bookingDir, 'fixture.json');
      writeFixtureAtomic(fixtureFile, bookingFixture);
      const contractFile = writeContractFile(bookingDir, booking);
      const files = {
        reference: b1Scenarios(ctx, fixture, pack.target.contract, 'b9-reference'),
        described: b1Scenarios(ctx, bookingFixture, booking.contract, 'b9-booking'),
      };
      const ratios: Record<'reference' | 'described', number[]> = { reference: [], described: [] };
      const values: number[] = [];
      for (let r = 0; r < ctx.repeats; r++) {
        // Which target goes first alternates, so a drift of the machine favours neither.
        const onReference = () =>
          b1Pair(ctx, files.reference, 'b9-reference', r, env.target, {
            FIXTURE_PATH: path.join(ctx.workDir, 'bench-fixture.json'),
            ISOLATION_CONTRACT_FILE: pack.contractFile,
          });
        const onBooking = () =>
          b1Pair(ctx, files.described, 'b9-booking', r, bookingUrl, { FIXTURE_PATH: fixtureFile, ISOLATION_CONTRACT_FILE: contractFile, ...keyEnv });
        let ref: { pack: number; bare: number };
        let des: { pack: number; bare: number };
        if (r % 2 === 0) {
          ref = await onReference();
          des = await onBooking();
        } else {
          des = await onBooking();
          ref = await onReference();
        }
        ratios.reference.push(ref.pack / ref.bare);
        ratios.described.push(des.pack / des.bare);
        values.push(des.pack / des.bare / (ref.pack / ref.bare));
      }
      const f = (v: number[]): string => `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`;
      return {
        values,
        detail: { 'B1 on the reference target (pack ÷ bare)': `${f(ratios.reference)}×`, 'B1 on the booking API (pack ÷ bare)': `${f(ratios.described)}×` },
        notes: [
          'Each round runs both pairs (which target first, and which of pack and bare first, alternate by round); the value is the booking ratio ÷ the reference ratio of the same round. Both APIs run in processes of their own.',
        ],
      };
    } finally {
      await served.stop();
    }
  });
}

interface Lap {
  readonly done: number;
  readonly seconds: number;
  readonly latencies: number[];
}

function p95(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
}

/** `concurrency` loops, each doing reserve-then-release of 1 unit as fast as answers come, for `seconds`. */
async function closedLoop(concurrency: number, seconds: number, op: (loop: number, i: number) => Promise<void>): Promise<Lap> {
  const latencies: number[] = [];
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await op(loop, i);
        latencies.push(performance.now() - t);
        done++;
      }
    }),
  );
  return { done, seconds: (performance.now() - started) / 1000, latencies };
}

export async function apiVersusDatabase(ctx: BenchContext): Promise<BenchOutcome> {
  return withEnvironment(ctx, async (env, fixture, run) => {
    const auths = spread(fixture);
    const poolMax = env.apiPoolMax ?? 4;
    const values: number[] = [];
    const detail: Record<string, string> = {};
    const seconds = 8;
    const org = (a: (typeof auths)[number]) => a.organizationId;
    for (let r = 0; r < ctx.repeats; r++) {
      // PostgreSQL alone: the API's statement, at the API's pool size, with its retries.
      const pool = createPool({ connectionString: env.server.url, max: poolMax, options: '-c default_transaction_isolation=serializable' });
      let retries = 0;
      let gaveUp = 0;
      const db = await closedLoop(poolMax, seconds, async (loop, i) => {
        const a = auths[(loop * 7919 + i) % auths.length]!;
        for (const operation of ['reserve', 'release'] as const) {
          const key = `b2-db-${r}-${loop}-${i}-${operation}`;
          for (let attempt = 1; ; attempt++) {
            try {
              await pool.query('SELECT * FROM apply_unit_operation($1, $2, $3, $4, $5, NULL, $6, 64)', [
                a.id,
                org(a),
                operation,
                1,
                key,
                requestHash({ authorizationId: a.id, operation, units: 1 }),
              ]);
              break;
            } catch (err) {
              if (!['40001', '40P01'].includes((err as { code?: string }).code ?? '')) throw err;
              if (attempt >= 12) {
                gaveUp++;
                break;
              }
              retries++;
            }
          }
        }
      }).finally(() => pool.end());
      const dbRate = (db.done * 2) / db.seconds;
      // The API: the highest rate whose p95 stays under 150 ms, climbing the concurrency.
      let best = { rate: 0, concurrency: 0, p95: NaN };
      for (const concurrency of [4, 8, 16, 32, 64]) {
        // Where the CPU went: the API process and this driver (2 cores in all here).
        const apiCpu = env.api?.child.process.pid !== undefined ? sampleCpu(env.api.child.process.pid) : null;
        const driverBefore = process.cpuUsage();
        let refused = 0;
        const lap = await closedLoop(concurrency, seconds, async (loop, i) => {
          const a = auths[(loop * 7919 + i) % auths.length]!;
          const token = fixture.tokensByOrganization[a.organizationId]![0]!;
          for (const operation of ['reserve', 'release'] as const) {
            const res = await send(env.target, run.target.contract, operation, {
              resource: a.id,
              organization: a.organizationId,
              token,
              units: 1,
              key: `b2-api-${r}-${concurrency}-${loop}-${i}-${operation}`,
            });
            if (res.judged.outcome !== 'ok') refused++;
          }
        });
        const rate = (lap.done * 2) / lap.seconds;
        const tail = p95(lap.latencies) / 2;
        const apiCores = apiCpu ? median(apiCpu.stop()) : NaN;
        const driver = process.cpuUsage(driverBefore);
        const driverCores = (driver.user + driver.system) / 1e6 / lap.seconds;
        detail[`run ${r + 1}: API at ${concurrency} clients`] =
          `${rate.toFixed(0)} req/s, p95 ${tail.toFixed(1)} ms, ${refused} not 200; CPU: API ${Number.isFinite(apiCores) ? apiCores.toFixed(2) : '?'} cores, driver ${driverCores.toFixed(2)} cores`;
        if (tail < 150 && rate > best.rate) best = { rate, concurrency, p95: tail };
        if (tail >= 150) break;
      }
      detail[`run ${r + 1}: PostgreSQL alone at ${poolMax} connections`] =
        `${dbRate.toFixed(0)} operations/s, p95 ${p95(db.latencies.map((x) => x / 2)).toFixed(1)} ms, ${retries} retries, ${gaveUp} gave up after 12 attempts`;
      values.push(best.rate / dbRate);
    }
    return {
      values,
      detail,
      notes: [
        'Closed loops in the benchmark process (Node fetch for the API, pg for PostgreSQL), so the driver shares the 2 cores with the API and PostgreSQL in both measurements.',
        'Latency is per request (a reserve-then-release journey counted as two).',
      ],
    };
  });
}
