/** The parts of Artillery's untyped plugin API that this plugin uses. */
export type Next = (err?: Error | null) => void;

export interface ScenarioEvents {
  emit(event: 'counter', name: string, value: number): boolean;
  emit(event: 'histogram', name: string, value: number): boolean;
  emit(event: string, ...args: unknown[]): boolean;
}

export interface RequestParams {
  url: string;
  /** The request's name (YAML `name`); metrics-by-endpoint uses it. */
  name?: string;
  method?: string;
  json?: unknown;
  headers?: Record<string, unknown>;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body?: unknown;
  /**
   * got's timings (http-timer), in Date.now() milliseconds: `start` when the request began (before
   * it had a socket), `response` when the answer's first byte was read.
   */
  timings?: { start?: number; response?: number; phases?: { firstByte?: number } };
}

export interface VuContext {
  vars: Record<string, unknown>;
}

export interface ScenarioSpec {
  beforeScenario?: string | string[];
  afterScenario?: string | string[];
  beforeRequest?: string | string[];
  afterResponse?: string | string[];
  onError?: string | string[];
  [k: string]: unknown;
}

export interface Script {
  config: {
    processor?: Record<string, unknown>;
    plugins?: Record<string, unknown>;
    ensure?: unknown;
    [k: string]: unknown;
  };
  scenarios: ScenarioSpec[];
}

export interface BeforeExitEvent {
  report: {
    counters?: Record<string, number>;
    rates?: Record<string, number>;
    summaries?: Record<string, Record<string, number>>;
  };
}

export interface ArtilleryGlobal {
  version: string;
  suggestedExitCode?: number;
  log: (...args: unknown[]) => void;
  ext: (e: { ext: 'beforeExit' | 'onShutdown'; method: (event: BeforeExitEvent) => Promise<void> }) => void;
}
