/**
 * A distributed worker's metrics, as Artillery's own distributed runners ship them.
 *
 * On `run-fargate` every worker is a whole Artillery run whose sqs-reporter plugin sends, per
 * reporting period, `{event: 'workerStats', stats: SSMS.serializeMetrics(stats)}`; the leader
 * merges the periods of all workers with `SSMS.mergeBuckets` and `SSMS.pack` (histograms stay
 * mergeable sketches, so percentiles are never averaged). With `ISOLATION_METRICS_FILE` (or
 * `metricsFile:`) set, the main thread writes the same messages, one JSON line each, to that file,
 * and a last line `{event: 'done'}` that says the file is whole. The pack's runner combines N such
 * files with Artillery's own code (runner/distributed.ts) to prove the distributed shape locally.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One line of the file. */
export type WorkerMetricsLine = { readonly event: 'workerStats'; readonly stats: string } | { readonly event: 'done'; readonly periods: number };

interface Serializer {
  serializeMetrics(stats: unknown): string;
}

interface PluginEvents {
  on?: (event: string, fn: (stats: unknown) => void) => void;
}

/**
 * Subscribes to the main thread's `stats` and `done` events. Every failure is reported once on
 * stderr and leaves the file without its `done` line, so that the combiner refuses it.
 */
export function exportWorkerMetrics(file: string, events: PluginEvents, ssms: Serializer | undefined): void {
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
  if (!ssms) {
    console.error('artillery-plugin-isolation: this Artillery exposes no metrics serializer (global.artillery.__SSMS): no worker metrics written');
    return;
  }
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  } catch (err) {
    console.error(`artillery-plugin-isolation: could not create ${file}: ${(err as Error).message}`);
    return;
  }
  events.on?.('stats', (stats) => {
    try {
      write({ event: 'workerStats', stats: ssms.serializeMetrics(stats) });
      periods++;
    } catch (err) {
      failed = true;
      console.error(`artillery-plugin-isolation: could not serialize a period's metrics: ${(err as Error).message}`);
    }
  });
  events.on?.('done', () => write({ event: 'done', periods }));
}
