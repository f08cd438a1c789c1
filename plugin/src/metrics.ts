/**
 * Every metric the plugin emits, in one table. The README's metric table is checked against
 * this file by a unit test. All counters are emitted with 0 first, so they always appear in the
 * report (and `ensure` checks that name them never fail for want of a metric).
 */
import { VIOLATIONS, WRITE_KINDS, WriteKind } from './contract';

/** The operations that move units (contract.ts): reserve, release, consume, take_out. */
export const OPERATIONS = WRITE_KINDS;
export type Operation = WriteKind;

export const PREFIX = 'isolation';

export const METRICS = {
  requests: `${PREFIX}.requests`,
  ok: { reserve: `${PREFIX}.reserve.ok`, release: `${PREFIX}.release.ok`, consume: `${PREFIX}.consume.ok`, take_out: `${PREFIX}.take_out.ok` },
  /** Refusals the contract describes (a 409, or whatever status it names), per operation. */
  conflicts: {
    reserve: `${PREFIX}.reserve.conflict`,
    release: `${PREFIX}.release.conflict`,
    consume: `${PREFIX}.consume.conflict`,
    take_out: `${PREFIX}.take_out.conflict`,
  },
  /** Every refusal the contract describes, whatever the operation and reason. */
  conflictsTotal: `${PREFIX}.conflicts`,
  conflictInsufficient: `${PREFIX}.conflict.insufficient_units`,
  conflictSerialization: `${PREFIX}.conflict.serialization`,
  conflictOther: `${PREFIX}.conflict.other`,
  status4xx: `${PREFIX}.status.4xx`,
  status5xx: `${PREFIX}.status.5xx`,
  statusOther: `${PREFIX}.status.other`,
  networkErrors: `${PREFIX}.errors`,
  failed: `${PREFIX}.failed`,
  retries: `${PREFIX}.serialization_retries`,
  replays: `${PREFIX}.replays`,
  /** Answers to a key this virtual user had already sent (a client retry): not counted again as ok or conflict. */
  resends: `${PREFIX}.resends`,
  /** Unit requests sent without an Idempotency-Key: they cannot be reconciled, so the verdict is unknown. */
  unkeyed: `${PREFIX}.unkeyed`,
  units: {
    reserve: `${PREFIX}.units.reserved`,
    release: `${PREFIX}.units.released`,
    consume: `${PREFIX}.units.consumed`,
    take_out: `${PREFIX}.units.taken_out`,
  },
  /** Histogram: attempts per request, from the X-Serialization-Attempts header. */
  attempts: `${PREFIX}.attempts`,
  /** Histograms: time to first byte per operation (as http.response_time). */
  responseTime: {
    reserve: `${PREFIX}.response_time.reserve`,
    release: `${PREFIX}.response_time.release`,
    consume: `${PREFIX}.response_time.consume`,
    take_out: `${PREFIX}.response_time.take_out`,
  },
  /** Histogram: time to first byte of every unit operation (the "write" budget of load-test:breakpoint). */
  writeTime: `${PREFIX}.response_time.write`,
  /** GET requests (balances, reports: the "read" budget), their failures (not 2xx, or no answer) and their time to first byte. */
  reads: `${PREFIX}.reads`,
  readsFailed: `${PREFIX}.reads.failed`,
  readTime: `${PREFIX}.response_time.read`,
  /**
   * Histogram: the worker's own event-loop delay, ms, sampled once a second. A high delay means
   * the generator (not the API) was the limit: latency measured then is partly the client's.
   */
  loopDelay: `${PREFIX}.generator.loop_delay`,
  /**
   * Answers that break the contract (contract.ts): any at all, and per way (an undescribed status,
   * an undocumented reason, a body that is not JSON, an acknowledgement without its id or balance,
   * a balance that breaks an invariant: reserved, consumed or available below 0, or more held
   * than the capacity).
   */
  contract: {
    violations: `${PREFIX}.contract.violations`,
    status: `${PREFIX}.contract.status`,
    reason: `${PREFIX}.contract.reason`,
    not_json: `${PREFIX}.contract.not_json`,
    id: `${PREFIX}.contract.id`,
    balance: `${PREFIX}.contract.balance`,
    invariant: `${PREFIX}.contract.invariant`,
  },
  /**
   * Keys reused for another request (`isolation: { probe: reuse }`): sent, refused as the contract
   * says a reused key is, and answered any other way (the old outcome replayed, or applied).
   */
  keyReuse: {
    sent: `${PREFIX}.key_reuse.sent`,
    refused: `${PREFIX}.key_reuse.refused`,
    notRefused: `${PREFIX}.key_reuse.not_refused`,
  },
  /** Requests a scenario's mix wanted but the API under test cannot take (no such operation, nothing held to release by id), sent as another operation. */
  substituted: `${PREFIX}.mix.substituted`,
  /**
   * Coordinated omission (arrivals.ts): virtual users started by the phases (the generator's
   * warm-up excluded), those that started more than `lateStartMs` after their intended start,
   * and a histogram of every start's lateness, ms.
   */
  arrivals: `${PREFIX}.arrivals`,
  lateStarts: `${PREFIX}.late_starts`,
  startLateness: `${PREFIX}.start_lateness`,
  /**
   * Histograms: latency from the intended start, ms: from when the request would have been sent
   * had the generator kept its schedule (its virtual user's lateness added) to the first byte,
   * the wait for a socket included. `response_time.*` is the service time alone.
   */
  intendedTime: {
    reserve: `${PREFIX}.intended_time.reserve`,
    release: `${PREFIX}.intended_time.release`,
    consume: `${PREFIX}.intended_time.consume`,
    take_out: `${PREFIX}.intended_time.take_out`,
  },
  intendedWrite: `${PREFIX}.intended_time.write`,
  intendedRead: `${PREFIX}.intended_time.read`,
  /** Hook failures inside the plugin (a history that could not be written, a malformed URL). */
  pluginErrors: `${PREFIX}.plugin_errors`,
  /** Counters per exact status code (not pre-seeded): isolation.code.<status>. */
  codePrefix: `${PREFIX}.code.`,
  /**
   * Histograms per Server-Timing entry the API sends (not pre-seeded): isolation.server_timing.<name>,
   * ms. The reference API sends pool (wait for a connection), db (in the database), retry (backoff
   * between attempts) and app (the whole handler).
   */
  serverTimingPrefix: `${PREFIX}.server_timing.`,
} as const;

/** Every counter, for seeding with 0. */
export const COUNTERS: readonly string[] = [
  METRICS.requests,
  ...Object.values(METRICS.ok),
  ...Object.values(METRICS.conflicts),
  METRICS.conflictsTotal,
  METRICS.conflictInsufficient,
  METRICS.conflictSerialization,
  METRICS.conflictOther,
  METRICS.status4xx,
  METRICS.status5xx,
  METRICS.statusOther,
  METRICS.networkErrors,
  METRICS.failed,
  METRICS.retries,
  METRICS.replays,
  METRICS.resends,
  METRICS.unkeyed,
  METRICS.pluginErrors,
  ...Object.values(METRICS.units),
  METRICS.reads,
  METRICS.readsFailed,
  ...Object.values(METRICS.contract),
  ...Object.values(METRICS.keyReuse),
  METRICS.substituted,
  METRICS.arrivals,
  METRICS.lateStarts,
];

/** The counter of one way an answer breaks the contract. */
export function violationMetric(v: (typeof VIOLATIONS)[number]): string {
  return METRICS.contract[v];
}

export const HISTOGRAMS: readonly string[] = [
  METRICS.attempts,
  ...Object.values(METRICS.responseTime),
  METRICS.writeTime,
  METRICS.readTime,
  METRICS.loopDelay,
  METRICS.startLateness,
  ...Object.values(METRICS.intendedTime),
  METRICS.intendedWrite,
  METRICS.intendedRead,
];

type Leaves<T> = T extends string ? T : T extends Readonly<Record<string, infer V>> ? Leaves<V> : never;

/** Every metric name the table defines (the per-status prefix excluded): reading any other is a type error. */
export type MetricName = Exclude<Leaves<typeof METRICS>, typeof METRICS.codePrefix | typeof METRICS.serverTimingPrefix>;

/** The per-status counter of one HTTP status: isolation.code.<status>. */
export function codeMetric(status: number): string {
  return `${METRICS.codePrefix}${status}`;
}

/** The histogram of one Server-Timing entry: isolation.server_timing.<name>. */
export function serverTimingMetric(name: string): string {
  return `${METRICS.serverTimingPrefix}${name}`;
}
