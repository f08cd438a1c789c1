/**
 * The Artillery script of one breakpoint step, and what the mix sends (pure).
 */
import type { Stage } from '../formats/breakpoint';
import { ScenarioConfig, absolutizePaths } from '../runner/scenario-config';

/** Pure: the Artillery script of one step: the scenario at one constant rate, paths made absolute, judged by the runner. */
export function stepScript(s: ScenarioConfig, stage: Stage, rate: number, seconds: number): Record<string, unknown> {
  const config = structuredClone(s.config) as Record<string, unknown>;
  for (const k of ['environments', 'breakpoint', 'ensure', 'pack']) delete config[k];
  // A constant rate written as a ramp to itself: Artillery 2.0.21 busy-waits a core on a constant arrivalRate (issue 10).
  config.phases = [{ name: `${stage} ${rate}/s`, duration: seconds, arrivalRate: rate, rampTo: rate }];
  absolutizePaths(config, s.file);
  return { config, scenarios: structuredClone(s.scenarios) };
}

/** Pure: whether the mix sends reads and writes (a budget for requests the mix never sends is not judged). */
export function mixOf(readShare: number): { reads: boolean; writes: boolean } {
  return { reads: readShare > 0, writes: readShare < 1 };
}
