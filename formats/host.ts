/**
 * How busy the machine was while a scenario ran (runner/host.ts judges it): part of summary.json,
 * each scenario's `host`.
 */
export interface HostLoad {
  readonly cores: number;
  readonly seconds: number;
  /** Mean cores busy, the run's own and the system under test's, and everything else. */
  readonly busyCores: number;
  readonly ownCores: number;
  readonly otherCores: number;
  /** Shares of the machine's capacity (0-1). */
  readonly otherShare: number;
  readonly stealShare: number;
  /** Shares of the window some task stalled (PSI some), null where not measured. */
  readonly pressure: { readonly cpu: number | null; readonly io: number | null; readonly memory: number | null };
  readonly busy: boolean;
  /** Why it was busy, each one short clause. */
  readonly reasons: readonly string[];
  /** The API under test runs on another machine: this watches only the generator's. */
  readonly remote: boolean;
}
