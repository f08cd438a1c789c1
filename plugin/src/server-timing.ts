/**
 * The W3C Server-Timing response header (`db;dur=3.1, pool;dur=0.4;desc="wait"`), parsed. An API
 * that sends it lets the report split a response time into the server's parts (the reference API
 * sends pool, db, retry and app); an API that does not send it loses nothing.
 */
export interface ServerTiming {
  readonly name: string;
  readonly durationMs: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,40}$/;

/** The entries with a usable name and a finite, non-negative `dur`; anything else is skipped. */
export function parseServerTiming(header: unknown): ServerTiming[] {
  const text = Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '';
  const out: ServerTiming[] = [];
  for (const entry of text.split(',')) {
    const [rawName, ...params] = entry.split(';').map((p) => p.trim());
    if (!rawName || !NAME.test(rawName)) continue;
    for (const param of params) {
      const m = /^dur\s*=\s*"?([0-9]+(?:\.[0-9]+)?)"?$/i.exec(param);
      if (m) {
        out.push({ name: rawName.toLowerCase().replace(/[^a-z0-9_]/g, '_'), durationMs: Number(m[1]) });
        break;
      }
    }
  }
  return out;
}
