/**
 * Why the embedded PostgreSQL could not start (again), in one line, from its last messages; and
 * the ports this machine hands out to clients, which a server's port must stay clear of. Pure but
 * for the one read of /proc, which callers may replace.
 */
import * as fs from 'node:fs';

/** The ports this machine gives clients for their own end (Linux), or null where unknown. */
export function ephemeralPorts(
  read: () => string = () => fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): { low: number; high: number } | null {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? { low: low!, high: high! } : null;
  } catch {
    return null;
  }
}

/**
 * Why a server that exited during start-up did so, from its last messages: the line that says it,
 * and for a port taken while it was stopped, how that happens.
 */
export function startFailureReason(log: string, port: number, ephemeral: { low: number; high: number } | null): string {
  const raw = log.split('\n');
  const text = (l: string): string => l.replace(/^.*?\b(LOG|FATAL|ERROR|PANIC):\s+/, '').trim();
  const bind = raw.map(text).find((l) => /could not bind .*Address already in use/i.test(l));
  if (bind) {
    const inRange = ephemeral !== null && port >= ephemeral.low && port <= ephemeral.high;
    return inRange
      ? `${bind}: port ${port} is in this machine's ephemeral range (${ephemeral.low}-${ephemeral.high}), where a client reconnecting while the server was stopped can be given it as its own port; choose EMBEDDED_PG_PORT below ${Math.min(ephemeral.low, 32768)}`
      : `${bind}: another program took port ${port} while the server was stopped`;
  }
  const fatal = raw.find((l) => /\b(FATAL|PANIC):/.test(l));
  return fatal ? text(fatal) : 'the server exited during start-up';
}
