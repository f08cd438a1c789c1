/**
 * reports/<run>/breakpoint.json: what `load-test:breakpoint` measured, step by step, and the knee
 * it found. Written atomically by breakpoint/run.ts; read by its HTML page and by tests.
 */
import type { CheckRow } from './summary';

export const STAGES = ['smoke', 'baseline', 'stress'] as const;
export type Stage = (typeof STAGES)[number];

/** Seed 001's budgets, unless the YAML says otherwise. */
export interface Budgets {
  readonly p95ReadMs: number;
  readonly p95WriteMs: number;
  readonly p99Ms: number;
  /** Non-2xx answers (and requests never answered) over requests, per stage. */
  readonly errorRate: Readonly<Record<Stage, number>>;
}

/** One criterion of a step, as measured (value null: not measured, which breaks the step). */
export interface StepCriterion {
  readonly id: 'p95-read' | 'p95-write' | 'p99' | 'error-rate' | 'generator';
  readonly name: string;
  readonly value: number | null;
  readonly limit: number;
  readonly unit: 'ms' | '%' | 'cores';
  readonly held: boolean;
}

export interface BreakpointStep {
  readonly stage: Stage;
  /** Arrivals per second offered (each virtual user sends one request). */
  readonly offeredRate: number;
  /** Requests per second sent over the step. */
  readonly sentRate: number | null;
  readonly requests: number | null;
  readonly p95ReadMs: number | null;
  readonly p95WriteMs: number | null;
  readonly p99Ms: number | null;
  readonly errorRate: number | null;
  /** The Artillery process's busiest 5 s, in cores, and its event loop's p99 delay. */
  readonly generatorCpu: number | null;
  readonly generatorLoopDelayMs: number | null;
  readonly generatorSaturated: boolean;
  /** Why the generator was the limit: its CPU, its event loop, or a shortfall of the rate sent. */
  readonly generatorReasons: readonly string[];
  readonly criteria: readonly StepCriterion[];
  /** Every SLO held (the generator's saturation is not an SLO: it is a warning about the measure). */
  readonly held: boolean;
  /** Integrity, replay, reconciliation and the contract: they must hold at every rate. */
  readonly correctness: readonly CheckRow[];
  readonly reportFile: string;
}

export interface BreakpointResult {
  readonly version: 1;
  readonly runId: string;
  readonly profile: string;
  readonly target: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly stepSeconds: number;
  readonly readShare: number;
  readonly budgets: Budgets;
  readonly steps: readonly BreakpointStep[];
  /** The highest offered rate at which every SLO held (null: not even the first step). */
  readonly highestHeldRate: number | null;
  /** The first criterion to break and the rate it broke at (null: none broke within the steps). */
  readonly firstBreak: { readonly criterion: string; readonly atRate: number; readonly measured: string } | null;
  /** The limit found was the generator's, not the API's (or the generator was saturated when an SLO broke). */
  readonly generatorLimited: boolean;
  /** A correctness check failed at some rate: the API is wrong under that load, whatever its speed. */
  readonly correctnessHeld: boolean;
  readonly warnings: readonly string[];
}
