/**
 * benchmarks/results.json: what `npm run bench` measured (bench/). One figure per benchmark, each
 * with the values of its repeats taken side by side, their median and range, the ceiling it is
 * compared with, and the command that reproduces it. benchmarks/results.md is rendered from it.
 */
export interface BenchGoal {
  readonly op: 'lte' | 'gte' | 'lt';
  readonly limit: number;
  /** How the goal reads in the table ("≤ 1.05 × bare Artillery"). */
  readonly text: string;
}

export interface BenchFigure {
  readonly id: string;
  readonly title: string;
  /** What the number is ("CPU-ms per request, pack ÷ bare"). */
  readonly measure: string;
  readonly unit: string;
  /** The value of each repeat. */
  readonly values: readonly number[];
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly goal: BenchGoal | null;
  /** Whether the median meets the goal; null when nothing was measured or there is no goal. */
  readonly met: boolean | null;
  /** Secondary figures (breakdowns, the two sides of a ratio), already formatted. */
  readonly detail: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
  /** The command that measures it alone. */
  readonly command: string;
  readonly seconds: number;
  /** Set when the benchmark could not run. */
  readonly error?: string;
  /** When and by which command this figure was measured (figures kept from an earlier `--only` run differ from the file's). */
  readonly measuredAt?: string;
  readonly measuredBy?: string;
  /** The Node and Artillery it was measured with ("Node v24.21.0 + Artillery 2.0.34"). */
  readonly pair?: string;
}

/** One figure as measured with one Node and Artillery pair. */
export interface PairFigure {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly measuredAt: string;
}

export interface BenchMachine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly postgres: string | null;
  readonly artillery: string;
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly command: string;
  readonly repeats: number;
  readonly machine: BenchMachine;
  readonly figures: readonly BenchFigure[];
  /** Every figure by the Node and Artillery pair it was measured with, kept across runs: pair → id → figure. */
  readonly pairs?: Readonly<Record<string, Readonly<Record<string, PairFigure>>>>;
}
