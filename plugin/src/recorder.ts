/**
 * The worker role of artillery-plugin-isolation: per Artillery worker, it seeds every counter
 * with 0, classifies each unit-operation exchange, emits the counters of METRICS, and appends to
 * the operation history. Exported for unit tests with a stub event emitter.
 */
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { HttpResponse, RequestParams, ScenarioEvents } from './artillery-types';
import { DEFAULT_ROUTE, RequestInfo, classifyError, classifyResponse, parseRequest } from './classify';
import { CriteriaError, Criterion, parseCriteria } from './criteria';
import { HistoryEvent, HistoryWriter } from './history';
import { COUNTERS, METRICS, serverTimingMetric } from './metrics';
import { parseServerTiming } from './server-timing';

export interface IsolationConfig {
  readonly route: RegExp;
  readonly historyDir: string | null;
  /** Main role: where to write this run's serialized metrics for a distributed combination (worker-metrics.ts). */
  readonly metricsFile: string | null;
  readonly expect: readonly Criterion[];
  /** Whether each worker reads every arrived answer before processing any (turns.ts); on by default. */
  readonly responseFirst: boolean;
}

export function readConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): IsolationConfig {
  const c = (raw ?? {}) as { route?: unknown; historyDir?: unknown; metricsFile?: unknown; expect?: unknown; responseFirst?: unknown };
  const problems: string[] = [];
  let route = DEFAULT_ROUTE;
  if (c.route !== undefined) {
    try {
      if (typeof c.route !== 'string') throw new Error('not a string');
      route = new RegExp(c.route);
    } catch {
      problems.push('plugins.isolation.route must be a regular expression with two groups: the id and the operation');
    }
  }
  if (c.historyDir !== undefined && typeof c.historyDir !== 'string') problems.push('plugins.isolation.historyDir must be a path');
  if (c.metricsFile !== undefined && typeof c.metricsFile !== 'string') problems.push('plugins.isolation.metricsFile must be a path');
  if (c.responseFirst !== undefined && typeof c.responseFirst !== 'boolean') problems.push('plugins.isolation.responseFirst must be true or false');
  const envFirst = env.ISOLATION_RESPONSE_FIRST ?? '';
  const envSays = /^(true|1|yes)$/i.test(envFirst) ? true : /^(false|0|no)$/i.test(envFirst) ? false : null;
  if (c.responseFirst === undefined && envFirst !== '' && envSays === null) problems.push(`ISOLATION_RESPONSE_FIRST must be true or false (got "${envFirst}")`);
  let expect: Criterion[] = [];
  try {
    expect = parseCriteria(undefined, c.expect);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new CriteriaError(`artillery-plugin-isolation: invalid configuration: ${problems.join('; ')}`);
  const historyDir = (typeof c.historyDir === 'string' && c.historyDir) || env.ISOLATION_HISTORY_DIR || null;
  const metricsFile = (typeof c.metricsFile === 'string' && c.metricsFile) || env.ISOLATION_METRICS_FILE || null;
  const responseFirst = typeof c.responseFirst === 'boolean' ? c.responseFirst : (envSays ?? true);
  return { route, historyDir, metricsFile, expect, responseFirst };
}

/** Replaces {{ name }} with context variables (what Artillery will send), leaving others as they are. */
export function renderVars(text: string, vars: Record<string, unknown>): string {
  return text.replace(/\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g, (whole, name: string) => (vars[name] === undefined ? whole : String(vars[name])));
}

/** Worker-side state and hooks. Exported for unit tests with a stub event emitter. */
/** The VU context variable holding the keys this virtual user has had answered. */
const ANSWERED = '__isolationAnswered';

export class IsolationRecorder {
  private seeded = false;
  private readonly history: HistoryWriter | null;
  /** This worker's event-loop delay, emitted as a histogram sample about once a second. */
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private loopSampledAt = Date.now();

  /**
   * `alsoSeed`: other plugins' counters to emit with 0 as well (artillery-plugin-expect's, when the
   * script configures it), so that checks naming them hold when nothing failed.
   */
  constructor(
    private readonly config: IsolationConfig,
    private readonly alsoSeed: readonly string[] = [],
  ) {
    this.history = config.historyDir ? new HistoryWriter(config.historyDir) : null;
    this.loop.enable();
  }

  /** On an answer, at most once a second: the p99 event-loop delay of the last second, in ms. */
  private sampleLoop(ee: ScenarioEvents, now: number): void {
    if (now - this.loopSampledAt < 1000) return;
    this.loopSampledAt = now;
    if (this.loop.count > 0) ee.emit('histogram', METRICS.loopDelay, Math.round(this.loop.percentile(99) / 1e5) / 10);
    this.loop.reset();
  }

  private reportedFailures = 0;

  /** History batches that failed to be written since the last hook, as plugin errors. */
  private reportFailures(ee: ScenarioEvents): void {
    const failures = this.history?.failures ?? 0;
    if (failures > this.reportedFailures) {
      ee.emit('counter', METRICS.pluginErrors, failures - this.reportedFailures);
      this.reportedFailures = failures;
    }
  }

  private seed(ee: ScenarioEvents): void {
    this.reportFailures(ee);
    if (this.seeded) return;
    this.seeded = true;
    for (const name of [...COUNTERS, ...this.alsoSeed]) ee.emit('counter', name, 0);
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

  /**
   * Whether this is the first answer to the request's key in this virtual user. A later one is a
   * client retry (a resend): it is counted in isolation.resends, not again as ok or conflict, so
   * exact counts hold with retries. The keys live in the VU's context, which ends with the VU.
   */
  private firstAnswer(info: RequestInfo, ee: ScenarioEvents, vars: Record<string, unknown> | undefined): boolean {
    if (!info.idempotencyKey) {
      ee.emit('counter', METRICS.unkeyed, 1);
      return true;
    }
    if (!vars) return true;
    const seen = (vars[ANSWERED] ??= new Set<string>()) as Set<string>;
    if (seen.has(info.idempotencyKey)) {
      ee.emit('counter', METRICS.resends, 1);
      return false;
    }
    seen.add(info.idempotencyKey);
    return true;
  }

  afterResponse(req: RequestParams, res: HttpResponse, ee: ScenarioEvents, vars?: Record<string, unknown>): void {
    this.seed(ee);
    this.sampleLoop(ee, Date.now());
    const info = this.info(req);
    const ttfb = res.timings?.phases?.firstByte;
    if (!info) return this.read(req, ee, res.statusCode, ttfb);
    const c = classifyResponse(info, res.statusCode, res.headers, res.body);
    if (this.firstAnswer(info, ee, vars)) for (const [name, value] of Object.entries(c.counters)) ee.emit('counter', name, value);
    else if (c.replayed) ee.emit('counter', METRICS.replays, 1);
    if (c.attempts !== null) ee.emit('histogram', METRICS.attempts, c.attempts);
    if (typeof ttfb === 'number') {
      ee.emit('histogram', METRICS.responseTime[info.operation], ttfb);
      ee.emit('histogram', METRICS.writeTime, ttfb);
    }
    for (const t of parseServerTiming(res.headers?.['server-timing'])) ee.emit('histogram', serverTimingMetric(t.name), t.durationMs);
    // The answer's time is when it arrived (the stamp Artillery took), not when it was processed.
    const arrived = res.timings?.response;
    this.recordAnswer(
      info,
      c.outcome,
      { status: res.statusCode, reason: c.reason, attempts: c.attempts, replayed: c.replayed },
      typeof arrived === 'number' && Number.isFinite(arrived) ? arrived : Date.now(),
    );
  }

  onError(err: { code?: string; message?: string }, req: RequestParams, ee: ScenarioEvents, vars?: Record<string, unknown>): void {
    this.seed(ee);
    this.sampleLoop(ee, Date.now());
    const info = this.info(req);
    if (!info) return this.read(req, ee, null, undefined);
    const code = err?.code ?? err?.message ?? 'error';
    const c = classifyError(code);
    if (this.firstAnswer(info, ee, vars)) for (const [name, value] of Object.entries(c.counters)) ee.emit('counter', name, value);
    this.recordAnswer(info, c.outcome, { status: null, reason: code }, Date.now());
  }

  /** A GET (a read: a balance, a report): counted, its failures (not 2xx, or no answer: status null) and its time to first byte. */
  private read(req: RequestParams, ee: ScenarioEvents, status: number | null, ttfb: number | undefined): void {
    if (String(req.method ?? 'GET').toUpperCase() !== 'GET') return;
    ee.emit('counter', METRICS.reads, 1);
    if (status === null || status < 200 || status >= 300) ee.emit('counter', METRICS.readsFailed, 1);
    if (typeof ttfb === 'number' && status !== null) ee.emit('histogram', METRICS.readTime, ttfb);
  }

  /** The history line of an answer (a response or an error) to a keyed request. */
  private recordAnswer(
    info: RequestInfo,
    outcome: HistoryEvent['type'],
    fields: Pick<HistoryEvent, 'status' | 'reason' | 'attempts' | 'replayed'>,
    time: number,
  ): void {
    if (!this.history || !info.idempotencyKey) return;
    this.history.write({
      type: outcome,
      time,
      key: info.idempotencyKey,
      op: info.operation,
      auth: info.authorizationId,
      units: info.units,
      ...fields,
    });
  }

  close(): void {
    this.loop.disable();
    this.history?.close();
  }
}
