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
 *         route: "/api/authorizations/([^/]+)/(reserve|release|consume)"   # optional
 *         historyDir: "reports/run/history"    # optional; or ISOLATION_HISTORY_DIR
 *         expect:
 *           - { name: "exactly 50 reserves succeed", metric: isolation.reserve.ok, equals: 50 }
 *           - { name: "error rate", metric: isolation.failed, over: isolation.requests, below: 0.02 }
 */
import type { ArtilleryGlobal, HttpResponse, Next, RequestParams, ScenarioEvents, Script, VuContext } from './artillery-types';
import { DEFAULT_ROUTE, RequestInfo, classifyError, classifyResponse, parseRequest } from './classify';
import { CriteriaError, Criterion, describeResult, evaluate, parseCriteria } from './criteria';
import { HistoryWriter } from './history';
import { COUNTERS, METRICS } from './metrics';

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
export function progressOf(stats: PeriodStats): { period: number | null; rps: number | null; p95: number | null; requests: number; conflicts: number; failed: number } {
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

export interface IsolationConfig {
  readonly route: RegExp;
  readonly historyDir: string | null;
  readonly expect: readonly Criterion[];
}

export function readConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): IsolationConfig {
  const c = (raw ?? {}) as { route?: unknown; historyDir?: unknown; expect?: unknown };
  const problems: string[] = [];
  let route = DEFAULT_ROUTE;
  if (c.route !== undefined) {
    try {
      if (typeof c.route !== 'string') throw new Error('not a string');
      route = new RegExp(c.route);
    } catch {
      problems.push('isolation.route must be a regular expression with two groups: the id and the operation');
    }
  }
  if (c.historyDir !== undefined && typeof c.historyDir !== 'string') problems.push('isolation.historyDir must be a path');
  let expect: Criterion[] = [];
  try {
    expect = parseCriteria(undefined, c.expect);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new CriteriaError(`artillery-plugin-isolation: invalid configuration: ${problems.join('; ')}`);
  const historyDir = (typeof c.historyDir === 'string' && c.historyDir) || env.ISOLATION_HISTORY_DIR || null;
  return { route, historyDir, expect };
}

/** Replaces {{ name }} with context variables (what Artillery will send), leaving others as they are. */
export function renderVars(text: string, vars: Record<string, unknown>): string {
  return text.replace(/\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g, (whole, name: string) => (vars[name] === undefined ? whole : String(vars[name])));
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Worker-side state and hooks. Exported for unit tests with a stub event emitter. */
export class IsolationRecorder {
  private seeded = false;
  private readonly history: HistoryWriter | null;

  constructor(private readonly config: IsolationConfig) {
    this.history = config.historyDir ? new HistoryWriter(config.historyDir) : null;
  }

  private seed(ee: ScenarioEvents): void {
    if (this.seeded) return;
    this.seeded = true;
    for (const name of COUNTERS) ee.emit('counter', name, 0);
  }

  private info(req: RequestParams, vars?: Record<string, unknown>): RequestInfo | null {
    if (vars) {
      // beforeRequest hooks see the request before Artillery templates it.
      const url = renderVars(String(req.url ?? ''), vars);
      const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? renderVars(v, vars) : v]));
      if (/\{\{/.test(url) || /\{\{/.test(String(headers['Idempotency-Key'] ?? headers['idempotency-key'] ?? ''))) return null;
      return parseRequest(url, req.json, headers, this.config.route);
    }
    return parseRequest(String(req.url ?? ''), req.json, req.headers, this.config.route);
  }

  beforeRequest(req: RequestParams, ee: ScenarioEvents, vars: Record<string, unknown> = {}): void {
    this.seed(ee);
    if (!this.history) return; // invoke events exist only for the history
    const info = this.info(req, vars);
    if (info && info.idempotencyKey) {
      this.history.write({ type: 'invoke', time: Date.now(), key: info.idempotencyKey, op: info.operation, auth: info.authorizationId, units: info.units });
    }
  }

  afterResponse(req: RequestParams, res: HttpResponse, ee: ScenarioEvents): void {
    this.seed(ee);
    const info = this.info(req);
    if (!info) return;
    const c = classifyResponse(info, res.statusCode, res.headers, res.body);
    for (const [name, value] of Object.entries(c.counters)) ee.emit('counter', name, value);
    if (c.attempts !== null) ee.emit('histogram', METRICS.attempts, c.attempts);
    const ttfb = res.timings?.phases?.firstByte;
    if (typeof ttfb === 'number') ee.emit('histogram', METRICS.responseTime[info.operation], ttfb);
    if (this.history && info.idempotencyKey) {
      this.history.write({
        type: c.outcome,
        time: Date.now(),
        key: info.idempotencyKey,
        op: info.operation,
        auth: info.authorizationId,
        units: info.units,
        status: res.statusCode,
        reason: c.reason,
        attempts: c.attempts,
        replayed: c.replayed,
      });
    }
  }

  onError(err: { code?: string; message?: string }, req: RequestParams, ee: ScenarioEvents): void {
    this.seed(ee);
    const info = this.info(req);
    if (!info) return;
    const code = err?.code ?? err?.message ?? 'error';
    const c = classifyError(code);
    for (const [name, value] of Object.entries(c.counters)) ee.emit('counter', name, value);
    if (this.history && info.idempotencyKey) {
      this.history.write({ type: c.outcome, time: Date.now(), key: info.idempotencyKey, op: info.operation, auth: info.authorizationId, units: info.units, status: null, reason: code });
    }
  }

  close(): void {
    this.history?.close();
  }
}

export class Plugin {
  private recorder: IsolationRecorder | null = null;

  constructor(script: Script, events: unknown) {
    // Invalid configuration is rejected at load, in both roles.
    const config = readConfig(script.config.plugins?.isolation);
    const artillery = global.artillery;
    if (!artillery) return;
    if (process.env.LOCAL_WORKER_ID !== undefined) this.installWorkerHooks(script, config);
    else {
      this.installMainChecks(artillery, config);
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
    const recorder = new IsolationRecorder(config);
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
    processor.isolation_beforeRequest = (req: RequestParams, ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.beforeRequest(req, ee, ctx.vars));
      next();
    };
    processor.isolation_afterResponse = (req: RequestParams, res: HttpResponse, _ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.afterResponse(req, res, ee));
      next();
    };
    processor.isolation_onError = (err: Error & { code?: string }, req: RequestParams, _ctx: VuContext, ee: ScenarioEvents, next: Next) => {
      guard(ee, () => recorder.onError(err, req, ee));
      next();
    };
    for (const scenario of script.scenarios) {
      scenario.beforeRequest = [...asList(scenario.beforeRequest), 'isolation_beforeRequest'];
      scenario.afterResponse = [...asList(scenario.afterResponse), 'isolation_afterResponse'];
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
          for (const r of results) artillery.log(`isolation ${describeResult(r)}`);
          if (results.some((r) => !r.pass)) artillery.suggestedExitCode = 1;
        } catch (err) {
          artillery.log(`isolation: could not evaluate expectations: ${(err as Error).message}`);
          artillery.suggestedExitCode = 1;
        }
      },
    });
  }

  cleanup(done: () => void): void {
    this.recorder?.close();
    done();
  }
}
