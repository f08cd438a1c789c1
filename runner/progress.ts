/**
 * The live progress line: scenario k of n, elapsed and remaining time, the current request rate,
 * p95 and 409 rate. Fed by the plugin's per-period "[isolation] {json}" lines.
 */
export interface Progress {
  readonly rps: number | null;
  readonly p95: number | null;
  readonly requests: number;
  readonly conflicts: number;
  readonly failed: number;
}

export function parseProgressLine(line: string): Progress | null {
  const m = /^\[isolation\] (\{.*\})\s*$/.exec(line);
  if (!m) return null;
  try {
    const p = JSON.parse(m[1]!) as Progress;
    return typeof p.requests === 'number' ? p : null;
  } catch {
    return null;
  }
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatProgress(p: Progress, at: { index: number; of: number; elapsedSeconds: number; expectedSeconds: number }): string {
  const left = at.expectedSeconds - at.elapsedSeconds;
  const rate = p.requests > 0 ? `${((p.conflicts / p.requests) * 100).toFixed(1)}%` : '–';
  return [
    `[scenario ${at.index}/${at.of}] ${clock(at.elapsedSeconds)} elapsed, ${left > 0 ? `~${clock(left)} left` : 'finishing'}`,
    `${p.rps === null ? '–' : p.rps.toFixed(1)} req/s`,
    `p95 ${p.p95 === null ? '–' : `${Math.round(p.p95)} ms`}`,
    `409 ${rate}`,
    ...(p.failed > 0 ? [`failed ${p.failed}`] : []),
  ].join(' | ');
}
