export { Plugin, progressOf } from './plugin';
export { IsolationRecorder, readConfig, renderVars } from './recorder';
export * from './contract';
export { heldAcquisitions, lastRequest, lastOutcome, stepSpec, requestFor, newKey } from './vu';
export type { Acquisition, UnitRequest, StepSpec } from './vu';
export { answerDigest } from './history';
export type { IsolationConfig } from './recorder';
export * from './metrics';
export * from './classify';
export * from './criteria';
export * from './server-timing';
export type { WorkerMetricsLine } from './worker-metrics';
export type { HistoryClose, HistoryEvent, HistoryLine } from './history';
/** Tells Artillery to hand this plugin the current metrics format (counters, rates, summaries). */
export const LEGACY_METRICS_FORMAT = false;
