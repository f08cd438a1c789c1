/**
 * artillery-plugin-isolation.
 *
 * Worker role (one instance per Artillery worker): hooks every scenario's requests, emits the
 * counters of METRICS for unit operations, and appends to the operation history.
 * Main role (one instance in the main thread): checks the `expect` criteria against the
 * aggregate report in `beforeExit` and sets the exit code when one fails.
 *
 *   config:
 *     plugins:
 *       isolation:
 *         contractFile: "target.contract.json" # the API under test (contract.ts); or contract: {...}, or ISOLATION_CONTRACT_FILE
 *         historyDir: "reports/run/history"    # optional; or ISOLATION_HISTORY_DIR
 *         metricsFile: "worker-1.metrics"      # optional; or ISOLATION_METRICS_FILE (worker-metrics.ts)
 *         responseFirst: false                 # optional; on by default, or ISOLATION_RESPONSE_FIRST (turns.ts)
 *         expect:
 *           - { name: "exactly 50 reserves succeed", metric: isolation.reserve.ok, equals: 50 }
 *           - { name: "error rate", metric: isolation.failed, over: isolation.requests, below: 0.02 }
 */
import type { ArtilleryGlobal, HttpResponse, Next, RequestParams, ScenarioEvents, Script, VuContext } from './artillery-types';
import { describeResult, evaluate } from './criteria';
import { setActiveContract } from './contract';
import { METRICS } from './metrics';
import { IsolationConfig, IsolationRecorder, readConfig } from './recorder';
import { waitForClosedHistories } from './history';
import { TurnQueue } from './turns';
import { exportWorkerMetrics } from './worker-metrics';
import { ArrivalClock } from './arrivals';
import type { PhaseSpec } from './schedule';
import createDebug = require('debug');

/** `DEBUG=plugin:isolation`: what the plugin does, in both roles. */
const debug = createDebug('plugin:isolation');

/** artillery-plugin-expect's counters, seeded with 0 when a script configures that plugin too. */
export const EXPECT_PLUGIN_COUNTERS: readonly string[] = ['plugins.expect.ok', 'plugins.expect.failed'];

/** How long the main thread waits at exit for the workers' history files to be closed. */
const HISTORY_CLOSE_WAIT_MS = 15_000;

declare const global: { artillery?: ArtilleryGlobal };

interface PeriodStats {
  period?: number | string;
  counters?: Record<string, number>;
  rates?: Record<string, number>;
  summaries?: Record<string, Record<string, number>>;
}
interface StatsEvents {
  on?: (event: 'stats', fn: (stats: PeriodStats) => void) => void;
}

/** The figures of one period that the progress line shows. */
export function progressOf(stats: PeriodStats): {
  period: number | null;
  rps: number | null;
  p95: number | null;
  requests: number;
  conflicts: number;
  failed: number;
} {
  const c = stats.counters ?? {};
  return {
    period: stats.period === undefined ? null : Number(stats.period),
    rps: stats.rates?.['http.request_rate'] ?? null,
    p95: stats.summaries?.['http.response_time']?.p95 ?? null,
    requests: c[METRICS.requests] ?? c['http.requests'] ?? 0,
    conflicts: c[METRICS.conflictsTotal] ?? 0,
    failed: c[METRICS.failed] ?? 0,
  };
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Artillery adds its metrics-by-endpoint plugin to every script, after the user's plugins, and it
 * names each request by its URL as the beforeRequest hooks leave it. The pack renders each unit
 * request's concrete path (one per resource: thousands of histograms in a spread scenario, each
 * merged and reported every period), so its requests are named by their operation and
 * metrics-by-endpoint is told to use the names (`plugins.metrics-by-endpoint.response_time.reserve`).
 * A metrics-by-endpoint block the user wrote with `useOnlyRequestNames` is left as it is.
 */
export function namePackRequests(script: Script): void {
  const mbe = script.config.plugins?.['metrics-by-endpoint'];
  if (mbe && typeof mbe === 'object' && (mbe as Record<string, unknown>).useOnlyRequestNames === undefined) {
    (mbe as Record<string, unknown>).useOnlyRequestNames = true;
  }
}

export class Plugin {
  private recorder: IsolationRecorder | null = null;
  /** Main role: the history folder whose files must be closed before Artillery exits. */
  private historyToAwait: string | null = null;

  constructor(script: Script, events: unknown) {
    // Invalid configuration is rejected at load, in both roles.
    const config = readConfig(script.config.plugins?.isolation);
    namePackRequests(script);
    // Processors in the same worker read the API's operations from it (activeContract).
    setActiveContract(config.contract);
    const artillery = global.artillery;
    if (!artillery) return;
    const worker = process.env.LOCAL_WORKER_ID !== undefined;
    debug(
      '%s: contract %s, history %s, %d expectation(s): %s',
      worker ? `worker ${process.env.LOCAL_WORKER_ID}` : 'main thread',
      config.contract ? `${config.contractSource} (${[...config.contract.operations.keys()].join(', ')})` : 'none',
      config.historyDir ?? 'off',
      config.expect.length,
      config.expect.map((c) => c.id).join(', ') || 'none',
    );
    if (worker) this.installWorkerHooks(script, config);
    else {
      if (!config.contract)
        console.warn(
          'isolation: no contract, so no answer is judged and no history is written (fix: describe the API in plugins.isolation.contract or contractFile)',
        );
      this.historyToAwait = config.historyDir;
      this.installMainChecks(artillery, config);
      if (config.metricsFile) {
        debug('main thread: writing serialized period metrics to %s', config.metricsFile);
        exportWorkerMetrics(config.metricsFile, events as Parameters<typeof exportWorkerMetrics>[1]);
      }
      if (process.env.ISOLATION_PROGRESS === '1') this.installProgress(artillery, events as StatsEvents);
    }
  }

  /** One machine-readable line per reporting period, for the pack's live progress display. */
  private installProgress(artillery: ArtilleryGlobal, events: StatsEvents): void {
    events?.on?.('stats', (stats: PeriodStats) => {
      try {
        artillery.log(`[isolation] ${JSON.stringify(progressOf(stats))}`);
      } catch {
        /* never throw from a hook */
      }
    });
  }

  private installWorkerHooks(script: Script, config: IsolationConfig): void {
    const recorder = new IsolationRecorder(config, script.config.plugins?.expect !== undefined ? EXPECT_PLUGIN_COUNTERS : []);
    this.recorder = recorder;
    const processor = (script.config.processor ??= {});
    // A plugin never throws from a hook: a failure is counted and reported once, the VU goes on.
    let reported = false;
    const guard = (ee: ScenarioEvents, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        ee.emit('counter', METRICS.pluginErrors, 1);
        if (!reported) {
          reported = true;
          console.error(`artillery-plugin-isolation: ${(err as Error).message} (counted in ${METRICS.pluginErrors})`);
        }
      }
    };
    // Each virtual user, as it starts: how late against the phases' schedule, and whether it is
    // the generator's warm-up (arrivals.ts). The phases are this worker's share of the load.
    const clock = new ArrivalClock((script.config.phases as PhaseSpec[] | undefined) ?? []);
    processor.isolation_beforeScenario = (ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.arrive(ctx.vars, ee, clock.arrive(Date.now())));
      next();
    };
    // How many users are running (a phase's maxVusers makes Artillery skip arrivals): they leave
    // at the end of their flow, or when an error stops them.
    processor.isolation_afterScenario = (_ctx: VuContext, _ee: ScenarioEvents, next: Next) => {
      clock.leave(Date.now());
      next();
    };
    processor.isolation_beforeRequest = (req: RequestParams, ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.beforeRequest(req, ee, ctx.vars));
      next();
    };
    // First of every scenario's afterResponse hooks: the rest of an answer's processing waits for
    // a later turn of the event loop, so answers that arrived meanwhile are stamped first (turns.ts).
    const turns = new TurnQueue();
    processor.isolation_responseFirst = (_req: RequestParams, _res: HttpResponse, _ctx: VuContext, _ee: ScenarioEvents, next: Next) => {
      turns.defer(next);
    };
    processor.isolation_afterResponse = (req: RequestParams, res: HttpResponse, ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.afterResponse(req, res, ee, ctx.vars));
      next();
    };
    processor.isolation_onError = (err: Error & { code?: string }, req: RequestParams, ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.onError(err, req, ee, ctx.vars));
      clock.leave(Date.now());
      next();
    };
    for (const scenario of script.scenarios) {
      scenario.beforeScenario = ['isolation_beforeScenario', ...asList(scenario.beforeScenario)];
      scenario.afterScenario = [...asList(scenario.afterScenario), 'isolation_afterScenario'];
      scenario.beforeRequest = [...asList(scenario.beforeRequest), 'isolation_beforeRequest'];
      scenario.afterResponse = [...(config.responseFirst ? ['isolation_responseFirst'] : []), ...asList(scenario.afterResponse), 'isolation_afterResponse'];
      scenario.onError = [...asList(scenario.onError), 'isolation_onError'];
    }
  }

  private installMainChecks(artillery: ArtilleryGlobal, config: IsolationConfig): void {
    if (config.expect.length === 0) return;
    artillery.ext({
      ext: 'beforeExit',
      method: async ({ report }) => {
        try {
          const results = evaluate(report, config.expect);
          for (const r of results) {
            artillery.log(`isolation ${describeResult(r)}`);
            debug('expectation %s (%s): measured %s, %s', r.criterion.id, r.criterion.kind, r.measured, r.pass ? 'pass' : 'FAIL');
          }
          if (results.some((r) => !r.pass)) artillery.suggestedExitCode = 1;
        } catch (err) {
          artillery.log(`isolation: could not evaluate expectations: ${(err as Error).message}`);
          artillery.suggestedExitCode = 1;
        }
      },
    });
  }

  /**
   * Worker role: flush the history and write its close line. Main role: wait (15 s at most) until
   * every worker has done so, because Artillery exits without waiting for its workers.
   */
  cleanup(done: () => void): void {
    this.recorder?.close();
    if (this.recorder) debug('worker %s: history closed', process.env.LOCAL_WORKER_ID);
    if (!this.historyToAwait) return done();
    debug('main thread: waiting up to %d ms for the workers to close their history files in %s', HISTORY_CLOSE_WAIT_MS, this.historyToAwait);
    waitForClosedHistories(this.historyToAwait, HISTORY_CLOSE_WAIT_MS)
      .then((open) => {
        if (open.length > 0) console.error(`artillery-plugin-isolation: ${open.length} worker history file(s) were not closed in time: ${open.join(', ')}`);
      })
      .catch(() => undefined)
      .finally(done);
  }
}
