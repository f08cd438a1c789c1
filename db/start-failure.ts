/**
 * Why the embedded PostgreSQL could not start (again), in one line, from its last messages; and
 * the ports this machine hands out to clients, which a server's port must stay clear of. Pure but
 * for the one read of /proc, which callers may replace.
 */
import * as fs from 'node:fs';

/** The ports this machine gives clients for their own end (Linux), or null where unknown. */
export function ephemeralPorts(read: () => string = () => fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): PortRange | null {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? { low: low!, high: high! } : null;
  } catch {
    return null;
  }
}

export interface PortRange {
  readonly low: number;
  readonly high: number;
}

/** Whether `port` is one the machine may give a client as its own (range null: unknown, no). */
export function inRange(range: PortRange | null, port: number): range is PortRange {
  return range !== null && port >= range.low && port <= range.high;
}

/** The port a server should stay below: under the range, and under 32768 (other OSes' ranges start higher). */
export function safeBelow(range: PortRange): number {
  return Math.min(range.low, 32768);
}

/**
 * Why a server that exited during start-up did so, from its last messages: the line that says it,
 * and for a port taken while it was stopped, how that happens.
 */
export function startFailureReason(log: string, port: number, ephemeral: PortRange | null): string {
  const raw = log.split('\n');
  const text = (l: string): string => l.replace(/^.*?\b(LOG|FATAL|ERROR|PANIC):\s+/, '').trim();
  const bind = raw.map(text).find((l) => /could not bind .*Address already in use/i.test(l));
  if (bind) {
    return inRange(ephemeral, port)
      ? `${bind}: port ${port} is in this machine's ephemeral range (${ephemeral.low}-${ephemeral.high}), where a client reconnecting while the server was stopped can be given it as its own port; choose EMBEDDED_PG_PORT below ${safeBelow(ephemeral)}`
      : `${bind}: another program took port ${port} while the server was stopped`;
  }
  const fatal = raw.find((l) => /\b(FATAL|PANIC):/.test(l));
  return fatal ? text(fatal) : 'the server exited during start-up';
}
