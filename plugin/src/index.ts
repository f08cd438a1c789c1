export { Plugin, IsolationRecorder, readConfig, progressOf } from './plugin';
export type { IsolationConfig } from './plugin';
export * from './metrics';
export * from './classify';
export * from './criteria';
export type { HistoryEvent } from './history';
/** Tells Artillery to hand this plugin the current metrics format (counters, rates, summaries). */
export const LEGACY_METRICS_FORMAT = false;
