/**
 * A distributed worker's metrics, per reporting period, in a form that merges exactly.
 *
 * On `run-fargate` every worker is a whole Artillery run that ships its period metrics to a
 * leader, which merges the periods of all workers: counters add up, histograms stay mergeable
 * DDSketch sketches, so percentiles are never averaged. With `ISOLATION_METRICS_FILE` (or
 * `metricsFile:`) set, the main thread writes each period the same way, one JSON line each:
 * counters and rates as they are, every histogram as its sketch's protobuf (`toProto()` of
 * Artillery's own `@artilleryio/sketches-js`, base64), and a last line `{event: 'done'}` that
 * says the file is whole. The pack's runner combines N such files with the same sketches library
 * (runner/combine.ts); nothing of Artillery's own serializer or internals is needed, so the
 * format is the same whichever Artillery 2.x wrote it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One period of one worker. */
export interface SerializedPeriod {
  /** The period's start (epoch ms, as Artillery keys its periods). */
  readonly period: number;
  readonly counters: Readonly<Record<string, number>>;
  readonly rates: Readonly<Record<string, number>>;
  /** name → base64 of the DDSketch protobuf. */
  readonly histograms: Readonly<Record<string, string>>;
  readonly firstMetricAt?: number;
  readonly lastMetricAt?: number;
}

/** One line of the file. */
export type WorkerMetricsLine = { readonly event: 'period'; readonly period: SerializedPeriod } | { readonly event: 'done'; readonly periods: number };

interface Sketch {
  toProto(): Uint8Array;
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Pure: a period of Artillery's metrics (its `stats` event) as a line; throws when a histogram is not a sketch. */
export function serializePeriod(stats: unknown): SerializedPeriod {
  const s = stats as { period?: unknown; counters?: Record<string, number>; rates?: Record<string, number>; histograms?: Record<string, unknown> };
  const histograms: Record<string, string> = {};
  for (const [name, h] of Object.entries(s.histograms ?? {})) {
    if (typeof (h as Partial<Sketch>)?.toProto !== 'function') throw new Error(`histogram ${name} is not a sketch (no toProto)`);
    histograms[name] = Buffer.from((h as Sketch).toProto()).toString('base64');
  }
  const first = finite((stats as { firstMetricAt?: unknown }).firstMetricAt);
  const last = finite((stats as { lastMetricAt?: unknown }).lastMetricAt);
  return {
    period: Number(s.period),
    counters: { ...(s.counters ?? {}) },
    rates: { ...(s.rates ?? {}) },
    histograms,
    ...(first !== undefined ? { firstMetricAt: first } : {}),
    ...(last !== undefined ? { lastMetricAt: last } : {}),
  };
}

interface PluginEvents {
  on?: (event: string, fn: (stats: unknown) => void) => void;
}

/**
 * Subscribes to the main thread's `stats` and `done` events. Every failure is reported once on
 * stderr and leaves the file without its `done` line, so that the combiner refuses it.
 */
export function exportWorkerMetrics(file: string, events: PluginEvents): void {
  let failed = false;
  let periods = 0;
  const write = (line: WorkerMetricsLine): void => {
    if (failed) return;
    try {
      fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch (err) {
      failed = true;
      console.error(`artillery-plugin-isolation: could not write the worker metrics to ${file}: ${(err as Error).message}`);
    }
  };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  } catch (err) {
    console.error(`artillery-plugin-isolation: could not create ${file}: ${(err as Error).message}`);
    return;
  }
  events.on?.('stats', (stats) => {
    try {
      write({ event: 'period', period: serializePeriod(stats) });
      periods++;
    } catch (err) {
      failed = true;
      console.error(`artillery-plugin-isolation: could not serialize a period's metrics: ${(err as Error).message}`);
    }
  });
  events.on?.('done', () => write({ event: 'done', periods }));
}
