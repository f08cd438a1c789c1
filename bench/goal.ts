/** Whether a benchmark's median meets its goal (pure). */
import type { BenchGoal } from '../formats/bench';

export function meets(value: number, goal: BenchGoal): boolean {
  return goal.op === 'lte' ? value <= goal.limit : goal.op === 'lt' ? value < goal.limit : value >= goal.limit;
}
