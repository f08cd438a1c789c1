/**
 * The swarm and pressure (seed 000; load-test:swarm): what the expensive reads cost the writers.
 * A scenario asks for it in its YAML, and its variables say when the pressure starts:
 *
 *   config:
 *     variables: { runSeconds: 30, pressureAfterSeconds: 12 }
 *     pack:
 *       pressure: { minWriteRatio: 0.5, maxDeadlocks: 0, maxReadErrorRate: 0.03 }
 *
 * From the operation history it measures the writers' throughput (acknowledged unit operations
 * per second) before the pressure and while it runs, each window trimmed by a guard of a second at
 * both ends; from the report, the reads (count, failures, latency under the write load); from the
 * database sampler, deadlocks and rollbacks; from the API, serialization retries. Pure.
 */
import { METRICS } from 'artillery-plugin-isolation';
import type { Exchange } from '../faults/analysis';
import type { ArtilleryReport } from '../formats/artillery-json';
import { counterOf, summaryOf } from '../formats/artillery-json';
import type { DbHeadline } from '../formats/db-samples';
import type { CheckRow, PressureOutcome } from '../formats/summary';

export interface PressureSpec {
  readonly afterSeconds: number;
  readonly runSeconds: number;
  readonly minWriteRatio: number;
  readonly maxDeadlocks: number;
  readonly maxReadErrorRate: number;
}

const GUARD_MS = 1000;

export function parsePressure(raw: unknown, vars: Readonly<Record<string, unknown>>, where: string, problems: string[]): PressureSpec | null {
  if (raw === undefined) return null;
  const p = (raw ?? {}) as Record<string, unknown>;
  const after = Number(vars.pressureAfterSeconds);
  const run = Number(vars.runSeconds);
  const spec = {
    afterSeconds: after,
    runSeconds: run,
    minWriteRatio: Number(p.minWriteRatio ?? 0.5),
    maxDeadlocks: Number(p.maxDeadlocks ?? 0),
    maxReadErrorRate: Number(p.maxReadErrorRate ?? 0.03),
  };
  if (typeof raw !== 'object' || raw === null) problems.push(`${where} must be a mapping`);
  if (!(after >= 3 && run >= after + 3))
    problems.push(`${where} needs variables pressureAfterSeconds (3 or more) and runSeconds (at least 3 more): a window without the pressure and one with it`);
  if (!(spec.minWriteRatio >= 0 && spec.minWriteRatio <= 1)) problems.push(`${where}.minWriteRatio must be from 0 to 1`);
  if (!(Number.isInteger(spec.maxDeadlocks) && spec.maxDeadlocks >= 0)) problems.push(`${where}.maxDeadlocks must be an integer of 0 or more`);
  if (!(spec.maxReadErrorRate >= 0 && spec.maxReadErrorRate <= 1)) problems.push(`${where}.maxReadErrorRate must be from 0 to 1`);
  return spec;
}

/** Acknowledged (2xx) writes per second answered within [from, to); null for an empty window. */
function rate(exchanges: readonly Exchange[], from: number, to: number): number | null {
  if (!(to > from)) return null;
  const n = exchanges.filter((x) => x.status !== null && x.status >= 200 && x.status < 300 && x.endedAt >= from && x.endedAt < to).length;
  return n / ((to - from) / 1000);
}

/** Pure: the pressure's effect, from the writes' history, the report and the database's headline. */
export function pressureEffect(spec: PressureSpec, exchanges: readonly Exchange[] | null, report: ArtilleryReport, db: DbHeadline | null): PressureOutcome {
  let without: number | null = null;
  let withP: number | null = null;
  let span: [number, number] | null = null;
  if (exchanges && exchanges.length > 0) {
    const t0 = exchanges[0]!.sentAt;
    const end = Math.min(t0 + spec.runSeconds * 1000, Math.max(...exchanges.map((x) => x.endedAt)));
    const at = t0 + spec.afterSeconds * 1000;
    without = rate(exchanges, t0 + GUARD_MS, at - GUARD_MS);
    withP = rate(exchanges, at + GUARD_MS, end - GUARD_MS);
    span = [at, end];
  }
  const a = report.aggregate;
  const read = summaryOf(a, METRICS.readTime);
  return {
    afterSeconds: spec.afterSeconds,
    runSeconds: spec.runSeconds,
    pressureFromMs: span?.[0] ?? null,
    pressureToMs: span?.[1] ?? null,
    writeTpsWithout: without,
    writeTpsWith: withP,
    writeRatio: without !== null && withP !== null && without > 0 ? withP / without : null,
    reads: counterOf(a, METRICS.reads),
    readsFailed: counterOf(a, METRICS.readsFailed),
    readP50: read?.median ?? read?.p50 ?? null,
    readP95: read?.p95 ?? null,
    readP99: read?.p99 ?? null,
    serializationRetries: counterOf(a, METRICS.retries),
    serializationConflicts: counterOf(a, METRICS.conflictSerialization),
    deadlocks: db?.deadlocks ?? null,
    rollbacks: db?.rollbacks ?? null,
    peakPredicateLocks: db?.peakPredicateLocks ?? null,
  };
}

/** The pressure's rows: each fails when it was not measured. */
export function pressureRows(scenario: string, spec: PressureSpec, o: PressureOutcome): CheckRow[] {
  const row = (name: string, limit: string, measured: string, pass: boolean, overBy: number | null = null): CheckRow => ({
    scenario,
    name,
    limit,
    measured,
    pass,
    kind: 'performance',
    overBy: pass ? null : overBy,
  });
  const tps = (v: number | null): string => (v === null ? 'not measured' : `${v.toFixed(1)}/s`);
  const readErrors = o.reads !== null && o.reads > 0 && o.readsFailed !== null ? o.readsFailed / o.reads : null;
  return [
    row(
      `write throughput under the pressure reads, against without them`,
      `>= ${(spec.minWriteRatio * 100).toFixed(0)}%`,
      o.writeRatio === null
        ? `not measured (writes ${tps(o.writeTpsWithout)} without, ${tps(o.writeTpsWith)} with: the history is needed)`
        : `${(o.writeRatio * 100).toFixed(0)}% (${tps(o.writeTpsWith)} with, ${tps(o.writeTpsWithout)} without)`,
      o.writeRatio !== null && o.writeRatio >= spec.minWriteRatio,
      o.writeRatio === null ? null : spec.minWriteRatio > 0 ? (spec.minWriteRatio - o.writeRatio) / spec.minWriteRatio : null,
    ),
    row(
      'pressure reads answered 2xx',
      `>= 1 read, failed <= ${(spec.maxReadErrorRate * 100).toFixed(0)}%`,
      readErrors === null
        ? 'no read was measured (is the pressure user running? does the API serve the report reads?)'
        : `${o.reads} reads, ${o.readsFailed} failed`,
      readErrors !== null && readErrors <= spec.maxReadErrorRate,
    ),
    row(
      'deadlocks during the run',
      `<= ${spec.maxDeadlocks}`,
      o.deadlocks === null ? 'not measured (no database samples)' : String(o.deadlocks),
      o.deadlocks !== null && o.deadlocks <= spec.maxDeadlocks,
    ),
  ];
}
