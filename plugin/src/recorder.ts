/**
 * The worker role of artillery-plugin-isolation: per Artillery worker, it seeds every counter
 * with 0, renders the unit operations a scenario names (`isolation:` on a request step) with the
 * contract of the API under test, judges every answer with it, emits the counters of METRICS, and
 * appends to the operation history. Exported for unit tests with a stub event emitter.
 */
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { HttpResponse, RequestParams, ScenarioEvents } from './artillery-types';
import { answerCounters, errorOutcome } from './classify';
import { CompiledContract, ContractError, ContractSpec, Judged, OperationKind, WriteKind, contractProblems, loadContractFile } from './contract';
import { CriteriaError, Criterion, parseCriteria } from './criteria';
import { HistoryEvent, HistoryWriter, answerDigest } from './history';
import { COUNTERS, METRICS, serverTimingMetric } from './metrics';
import { parseServerTiming } from './server-timing';
import type { Arrival } from './arrivals';
import { UnitRequest, forgetAcquisition, heldAcquisitions, newKey, rememberAcquisition, renderVars, requestFor, stepSpec, vuState } from './vu';

export interface IsolationConfig {
  /** The API under test (contract.ts); null: no request is a unit operation (reads and the generator are still measured). */
  readonly contract: CompiledContract | null;
  /** Where the contract came from, for the debug line. */
  readonly contractSource: string;
  readonly historyDir: string | null;
  /** Main role: where to write this run's period metrics for a distributed combination (worker-metrics.ts). */
  readonly metricsFile: string | null;
  readonly expect: readonly Criterion[];
  /** Whether each worker reads every arrived answer before processing any (turns.ts); on by default. */
  readonly responseFirst: boolean;
  /** A virtual user that started more than this after its intended start is a late start (isolation.late_starts). */
  readonly lateStartMs: number;
}

/**
 * A start this late is counted as late: a tenth of the tightest latency budget of the plan's
 * scenarios (150 ms), above the few milliseconds a worker's timers wander on a machine keeping up.
 */
export const DEFAULT_LATE_START_MS = 15;

export function readConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): IsolationConfig {
  const c = (raw ?? {}) as {
    contract?: unknown;
    contractFile?: unknown;
    historyDir?: unknown;
    metricsFile?: unknown;
    expect?: unknown;
    responseFirst?: unknown;
    lateStartMs?: unknown;
    route?: unknown;
  };
  const problems: string[] = [];
  if (c.route !== undefined)
    problems.push('plugins.isolation.route is gone: describe the API with plugins.isolation.contract (or contractFile), which says how each operation is sent');
  if (c.historyDir !== undefined && typeof c.historyDir !== 'string') problems.push('plugins.isolation.historyDir must be a path');
  if (c.metricsFile !== undefined && typeof c.metricsFile !== 'string') problems.push('plugins.isolation.metricsFile must be a path');
  if (c.contractFile !== undefined && typeof c.contractFile !== 'string') problems.push('plugins.isolation.contractFile must be a path');
  if (c.responseFirst !== undefined && typeof c.responseFirst !== 'boolean') problems.push('plugins.isolation.responseFirst must be true or false');
  if (c.lateStartMs !== undefined && !(typeof c.lateStartMs === 'number' && c.lateStartMs >= 0))
    problems.push('plugins.isolation.lateStartMs must be a number of milliseconds (0 or more)');
  const envFirst = env.ISOLATION_RESPONSE_FIRST ?? '';
  const envSays = /^(true|1|yes)$/i.test(envFirst) ? true : /^(false|0|no)$/i.test(envFirst) ? false : null;
  if (c.responseFirst === undefined && envFirst !== '' && envSays === null) problems.push(`ISOLATION_RESPONSE_FIRST must be true or false (got "${envFirst}")`);
  let expect: Criterion[] = [];
  try {
    expect = parseCriteria(undefined, c.expect);
  } catch (err) {
    problems.push((err as Error).message);
  }
  // The contract: inline, else a file the scenario names, else the file the runner names.
  let contract: CompiledContract | null = null;
  let contractSource = 'none';
  try {
    if (c.contract !== undefined) {
      const p = contractProblems(c.contract, 'plugins.isolation.contract');
      if (p.length > 0) problems.push(...p);
      else {
        contract = new CompiledContract(c.contract as ContractSpec, env);
        contractSource = 'plugins.isolation.contract';
      }
    } else {
      const file = (typeof c.contractFile === 'string' && c.contractFile) || env.ISOLATION_CONTRACT_FILE || null;
      if (file) {
        contract = loadContractFile(file, env);
        contractSource = file;
      }
    }
    if (contract && contract.missingEnv.length > 0)
      problems.push(`the contract names environment variables that are not set: ${contract.missingEnv.map((n) => `\${${n}}`).join(', ')}`);
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    problems.push(err.message);
  }
  if (problems.length > 0) throw new CriteriaError(`artillery-plugin-isolation: invalid configuration: ${problems.join('; ')}`);
  const historyDir = (typeof c.historyDir === 'string' && c.historyDir) || env.ISOLATION_HISTORY_DIR || null;
  const metricsFile = (typeof c.metricsFile === 'string' && c.metricsFile) || env.ISOLATION_METRICS_FILE || null;
  const responseFirst = typeof c.responseFirst === 'boolean' ? c.responseFirst : (envSays ?? true);
  const lateStartMs = typeof c.lateStartMs === 'number' ? c.lateStartMs : DEFAULT_LATE_START_MS;
  return { contract, contractSource, historyDir, metricsFile, expect, responseFirst, lateStartMs };
}

export { renderVars };

/** What the plugin keeps on a request's parameters between its hooks (the same object reaches afterResponse). */
const UNIT = Symbol('isolation.unit');

/** The loop counts the runner's warm-up wrapper reads (runner/script.ts): 1 or 0 per virtual user. */
export const WARMUP_RUNS = 'isolationWarmupRuns';
export const MEASURED_RUNS = 'isolationMeasuredRuns';
/** GETs a warm-up user sends. */
export const WARMUP_REQUESTS = 3;

/** Whether this virtual user is the generator's warm-up (nothing it does is judged). */
function warmingUp(vars: Record<string, unknown>): boolean {
  return vuState(vars).warmup;
}

/**
 * The latency from the intended start, ms: from when the request began (Artillery's timer, the
 * wait for a socket included) to its first byte, plus how late its virtual user started; null
 * without timings.
 */
function intendedTime(res: HttpResponse, vars: Record<string, unknown> | undefined): number | null {
  const t = res.timings;
  if (typeof t?.start !== 'number' || typeof t.response !== 'number') return null;
  const late = vars ? vuState(vars).lateness : 0;
  return Math.max(0, t.response - t.start) + late;
}
interface Unit {
  readonly kind: WriteKind;
  readonly resource: string | null;
  readonly units: number | null;
  readonly key: string | null;
  /** The reservation a release or consume by id names. */
  readonly acquisition: string | null;
  readonly probe: boolean;
}
type Marked = RequestParams & { [UNIT]?: Unit | 'read'; isolation?: unknown };

/** How many examples of each contract violation a worker prints (each is also in the history). */
const PRINTED_VIOLATIONS = 3;

export class IsolationRecorder {
  private seeded = false;
  private readonly history: HistoryWriter | null;
  /** This worker's event-loop delay, emitted as a histogram sample about once a second. */
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private loopSampledAt = Date.now();
  private readonly printed = new Map<string, number>();

  /**
   * `alsoSeed`: other plugins' counters to emit with 0 as well (artillery-plugin-expect's, when the
   * script configures it), so that checks naming them hold when nothing failed.
   */
  constructor(
    private readonly config: IsolationConfig,
    private readonly alsoSeed: readonly string[] = [],
    private readonly log: (line: string) => void = (l) => console.error(l),
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

  private contract(): CompiledContract {
    const c = this.config.contract;
    if (!c)
      throw new Error(
        'a request names an isolation operation, but no contract is configured (plugins.isolation.contract, contractFile or ISOLATION_CONTRACT_FILE)',
      );
    return c;
  }

  /**
   * A step with an `isolation:` block: the request its operation makes for this virtual user,
   * rendered with the contract into the request's method, url, body and headers.
   */
  private render(req: Marked, vars: Record<string, unknown>): Unit | 'read' | null {
    const contract = this.contract();
    const spec = stepSpec(req.isolation);
    if (spec.headersOnly) {
      req.headers = {
        ...(req.headers ?? {}),
        ...contract.headers({ token: vars.token as string | undefined, organization: vars.organization as string | undefined }),
      };
      return null;
    }
    let r: UnitRequest = requestFor(spec, vars);
    const op = contract.op(r.kind);
    if (op.by === 'acquisition' && r.acquisition === null && !spec.probe) {
      // Release or consume by id: the reservation a processor named, else this user's latest on the resource.
      const held = heldAcquisitions(vars);
      const pick = [...held].reverse().find((a) => r.resource === null || a.resource === r.resource) ?? null;
      if (!pick) throw new Error(`${r.kind} by id, but this virtual user holds no reservation${r.resource ? ` on ${r.resource}` : ''}`);
      r = { ...r, acquisition: pick.ref, resource: pick.resource, units: pick.units };
    } else if (op.by === 'acquisition' && r.acquisition !== null && !spec.probe) {
      const held = heldAcquisitions(vars).find((a) => a.ref === r.acquisition);
      if (held) r = { ...r, resource: held.resource, units: held.units };
    }
    if (op.fixedUnits !== null) r = { ...r, units: op.fixedUnits };
    const rendered = op.render({
      resource: r.resource,
      acquisition: r.acquisition,
      units: r.units,
      token: r.token,
      key: r.key,
      organization: r.organization,
      vu: vars.$uuid as string | undefined,
      request: r.kind === 'read' ? newKey() : r.key,
    });
    req.method = rendered.method;
    req.url = rendered.path;
    // Named by its operation: Artillery's metrics-by-endpoint names a request by its URL as the
    // beforeRequest hooks leave it, here one path per resource (see namePackRequests in plugin.ts).
    req.name ??= r.kind;
    if (rendered.json === undefined) delete req.json;
    else req.json = rendered.json;
    req.headers = { ...(req.headers ?? {}), ...rendered.headers };
    if (r.kind === 'read') return 'read';
    if (!spec.probe && !spec.resend) {
      const state = vuState(vars);
      state.last = r;
      state.lastOutcome = null;
    }
    return { kind: r.kind, resource: r.resource, units: r.units, key: r.key, acquisition: r.acquisition, probe: spec.probe === 'reuse' };
  }

  /** A hand-written request (the YAML spells the path) seen as a unit operation through the contract, or null. */
  private matchPlain(req: RequestParams, vars?: Record<string, unknown>): Unit | null {
    const contract = this.config.contract;
    if (!contract) return null;
    // beforeRequest hooks see the request before Artillery templates it.
    const url = vars ? renderVars(String(req.url ?? ''), vars) : String(req.url ?? '');
    if (url.includes('{{')) return null;
    const m = contract.match(String(req.method ?? 'GET'), url, req.json);
    if (!m) return null;
    let key: string | null = null;
    const idem = contract.idempotency;
    if (idem) {
      const wanted = idem.header.toLowerCase();
      const k = Object.keys(req.headers ?? {}).find((h) => h.toLowerCase() === wanted);
      const v = k === undefined ? undefined : req.headers![k];
      const text = v === undefined || v === null ? null : vars ? renderVars(String(v), vars) : String(v);
      key = text === null || text.includes('{{') ? null : text;
    }
    return { kind: m.kind, resource: m.resource, units: m.units, key, acquisition: m.acquisition, probe: false };
  }

  /**
   * A virtual user starts (its scenario's beforeScenario hook): how late, against the phases'
   * schedule (arrivals.ts), and whether it is the generator's warm-up. A warm-up user runs the
   * warm-up loop the runner wrote into the script (runner/script.ts) and nothing else, and is
   * neither counted nor recorded; the others run the scenario's own flow.
   */
  arrive(vars: Record<string, unknown>, ee: ScenarioEvents, arrival: Arrival): void {
    this.seed(ee);
    const s = vuState(vars);
    s.lateness = arrival.lateness;
    s.warmup = arrival.warmup;
    vars[WARMUP_RUNS] = arrival.warmup ? WARMUP_REQUESTS : 0;
    vars[MEASURED_RUNS] = arrival.warmup ? 0 : 1;
    if (arrival.warmup) return;
    ee.emit('counter', METRICS.arrivals, 1);
    ee.emit('histogram', METRICS.startLateness, arrival.lateness);
    if (arrival.lateness > this.config.lateStartMs) ee.emit('counter', METRICS.lateStarts, 1);
  }

  beforeRequest(req: RequestParams, ee: ScenarioEvents, vars: Record<string, unknown> = {}): void {
    if (warmingUp(vars)) return;
    this.seed(ee);
    const marked = req as Marked;
    const unit = marked.isolation !== undefined ? this.render(marked, vars) : this.matchPlain(req, vars);
    if (unit === null) return;
    marked[UNIT] = unit;
    if (unit === 'read') return;
    if (unit.probe) ee.emit('counter', METRICS.keyReuse.sent, 1);
    // Invoke events exist only for the history; a request without a key cannot be told apart in it.
    if (!this.history || !unit.key) return;
    this.history.write({
      type: 'invoke',
      time: Date.now(),
      key: unit.key,
      op: unit.kind,
      auth: unit.resource ?? '',
      units: unit.units,
      ...(unit.acquisition !== null ? { ref: unit.acquisition } : {}),
      ...(unit.probe ? { probe: 'reuse' as const } : {}),
    });
  }

  /** The unit operation a request was (rendered, or matched by its path), or null. */
  private unitOf(req: RequestParams): Unit | 'read' | null {
    const marked = req as Marked;
    return marked[UNIT] ?? this.matchPlain(req);
  }

  /**
   * Whether this is the first answer to the request's key in this virtual user. A later one is a
   * client retry (a resend): it is counted in isolation.resends, not again as ok or conflict, so
   * exact counts hold with retries.
   */
  private firstAnswer(unit: Unit, ee: ScenarioEvents, vars: Record<string, unknown> | undefined): boolean {
    if (!unit.key) {
      ee.emit('counter', METRICS.unkeyed, 1);
      return true;
    }
    if (!vars) return true;
    const seen = vuState(vars).answered;
    if (seen.has(unit.key)) {
      ee.emit('counter', METRICS.resends, 1);
      return false;
    }
    seen.add(unit.key);
    return true;
  }

  private printViolation(unit: Unit | 'read', req: RequestParams, j: Judged): void {
    if (!j.violation) return;
    const n = this.printed.get(j.violation.type) ?? 0;
    if (n >= PRINTED_VIOLATIONS) return;
    this.printed.set(j.violation.type, n + 1);
    this.log(`isolation CONTRACT ${j.violation.type}: ${unit === 'read' ? 'read' : unit.kind} ${req.method ?? ''} ${req.url}: ${j.violation.detail}`);
  }

  afterResponse(req: RequestParams, res: HttpResponse, ee: ScenarioEvents, vars?: Record<string, unknown>): void {
    if (vars && warmingUp(vars)) return;
    this.seed(ee);
    this.sampleLoop(ee, Date.now());
    const unit = this.unitOf(req);
    const ttfb = res.timings?.phases?.firstByte;
    if (unit === null || unit === 'read') {
      const j = unit === 'read' ? this.config.contract!.op('read').judge(res.statusCode, res.headers, res.body) : null;
      if (j?.violation) {
        ee.emit('counter', METRICS.contract.violations, 1);
        ee.emit('counter', METRICS.contract[j.violation.type], 1);
        this.printViolation('read', req, j);
      }
      return this.read(req, ee, res.statusCode, ttfb, intendedTime(res, vars));
    }
    const j = this.contract().op(unit.kind).judge(res.statusCode, res.headers, res.body);
    const arrived = res.timings?.response;
    const time = typeof arrived === 'number' && Number.isFinite(arrived) ? arrived : Date.now();
    if (unit.probe) {
      // A key reused for another request: the contract's refusal for it, or not; nothing else counts.
      ee.emit('counter', j.means === 'reused' ? METRICS.keyReuse.refused : METRICS.keyReuse.notRefused, 1);
      this.recordAnswer(unit, j.outcome, { status: res.statusCode, reason: j.reason, attempts: j.attempts, replayed: j.replayed, probe: 'reuse' }, time);
      return;
    }
    if (this.firstAnswer(unit, ee, vars)) {
      for (const [name, value] of Object.entries(answerCounters(unit.kind, res.statusCode, j, unit.units))) ee.emit('counter', name, value);
      if (vars) vuState(vars).lastOutcome = j.outcome;
    } else if (j.replayed) ee.emit('counter', METRICS.replays, 1);
    if (j.attempts !== null) ee.emit('histogram', METRICS.attempts, j.attempts);
    if (typeof ttfb === 'number') {
      ee.emit('histogram', METRICS.responseTime[unit.kind], ttfb);
      ee.emit('histogram', METRICS.writeTime, ttfb);
    }
    const intended = intendedTime(res, vars);
    if (intended !== null) {
      ee.emit('histogram', METRICS.intendedTime[unit.kind], intended);
      ee.emit('histogram', METRICS.intendedWrite, intended);
    }
    for (const t of parseServerTiming(res.headers?.['server-timing'])) ee.emit('histogram', serverTimingMetric(t.name), t.durationMs);
    this.printViolation(unit, req, j);
    const ref = unit.kind === 'reserve' ? j.ref : unit.acquisition;
    if (vars && j.outcome === 'ok') {
      if (unit.kind === 'reserve' && j.ref !== null && unit.resource !== null)
        rememberAcquisition(vars, { ref: j.ref, resource: unit.resource, units: j.units ?? unit.units ?? 0 });
      else if (unit.acquisition !== null) forgetAcquisition(vars, unit.acquisition);
    }
    // The answer's time is when it arrived (the stamp Artillery took), not when it was processed.
    this.recordAnswer(
      unit,
      j.outcome,
      {
        status: res.statusCode,
        reason: j.reason,
        attempts: j.attempts,
        replayed: j.replayed,
        ...(ref !== null ? { ref } : {}),
        digest: answerDigest(res.statusCode, j.outcome === 'ok' ? null : j.reason, j.ref, j.units),
        ...(j.violation ? { violation: j.violation.type } : {}),
      },
      time,
    );
  }

  onError(err: { code?: string; message?: string }, req: RequestParams, ee: ScenarioEvents, vars?: Record<string, unknown>): void {
    if (vars && warmingUp(vars)) return;
    this.seed(ee);
    this.sampleLoop(ee, Date.now());
    const unit = this.unitOf(req);
    if (unit === null || unit === 'read') return this.read(req, ee, null, undefined);
    const code = err?.code ?? err?.message ?? 'error';
    const c = errorOutcome(code);
    if (unit.probe) {
      ee.emit('counter', METRICS.keyReuse.notRefused, 1);
      this.recordAnswer(unit, c.outcome, { status: null, reason: code, probe: 'reuse' }, Date.now());
      return;
    }
    if (this.firstAnswer(unit, ee, vars)) {
      for (const [name, value] of Object.entries(c.counters)) ee.emit('counter', name, value);
      if (vars) vuState(vars).lastOutcome = c.outcome;
    }
    this.recordAnswer(unit, c.outcome, { status: null, reason: code, ...(unit.acquisition !== null ? { ref: unit.acquisition } : {}) }, Date.now());
  }

  /** A GET (a read: a balance, a report): counted, its failures (not 2xx, or no answer: status null) and its time to first byte. */
  private read(req: RequestParams, ee: ScenarioEvents, status: number | null, ttfb: number | undefined, intended: number | null = null): void {
    if (String(req.method ?? 'GET').toUpperCase() !== 'GET') return;
    ee.emit('counter', METRICS.reads, 1);
    if (status === null || status < 200 || status >= 300) ee.emit('counter', METRICS.readsFailed, 1);
    if (typeof ttfb === 'number' && status !== null) ee.emit('histogram', METRICS.readTime, ttfb);
    if (intended !== null && status !== null) ee.emit('histogram', METRICS.intendedRead, intended);
  }

  /** The history line of an answer (a response or an error) to a unit request with a key. */
  private recordAnswer(
    unit: Unit,
    outcome: HistoryEvent['type'],
    fields: Pick<HistoryEvent, 'status' | 'reason' | 'attempts' | 'replayed' | 'ref' | 'digest' | 'probe' | 'violation'>,
    time: number,
  ): void {
    if (!this.history || !unit.key) return;
    this.history.write({ type: outcome, time, key: unit.key, op: unit.kind, auth: unit.resource ?? '', units: unit.units, ...fields });
  }

  close(): void {
    this.loop.disable();
    this.history?.close();
  }
}

export type { OperationKind };
