/**
 * Preloaded (`node --require`, or NODE_OPTIONS) into a process a benchmark runs: at exit it prints
 * the process's peak resident memory and its whole CPU time (every thread: Artillery's workers
 * included), which the benchmark reads from the output (bench/context.ts).
 */
import * as fs from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  try {
    fs.writeSync(2, `bench-usage rss-kb=${u.maxRSS} cpu-ms=${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}\n`);
  } catch {
    /* stderr closed: nothing to report */
  }
});
