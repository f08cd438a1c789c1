export { Plugin, IsolationRecorder, readConfig } from './plugin';
export type { IsolationConfig } from './plugin';
export * from './metrics';
export * from './classify';
export * from './criteria';
export type { HistoryEvent } from './history';
