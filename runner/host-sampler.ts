/**
 * The host watch's sampler: once a second while a scenario runs, the whole machine's CPU
 * (/proc/stat, steal included), the pressure the kernel reports (/proc/pressure/{cpu,io,memory},
 * where it has them), and the CPU of the processes that are the run's or the system under test's:
 * this process and everything it started (Artillery, the reference API, the embedded PostgreSQL),
 * and the processes that listen on the target's and the database's ports when they are on this
 * machine (an API or a PostgreSQL you started yourself), with their children. Everything else is
 * other work. runner/host.ts judges the samples. Linux only: elsewhere there is nothing to read,
 * and the watch says it did not run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { HostSample } from './host';

const read = (file: string): string | null => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** /proc/stat's aggregate line: total, idle, iowait, steal ticks. */
export function parseProcStat(text: string): HostSample['cpu'] | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle, iowait, steal };
}

/** A PSI file's "some ... total=" (µs), or null. */
export function parsePressure(text: string | null): number | null {
  const m = text ? /^some .*total=(\d+)/m.exec(text) : null;
  return m ? Number(m[1]) : null;
}

/** /proc/<pid>/stat: its parent and CPU ticks (user + system), or null. */
export function parsePidStat(text: string): { ppid: number; ticks: number } | null {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const end = text.lastIndexOf(')');
  if (end < 0) return null;
  const f = text.slice(end + 2).split(' ');
  // f[0] state, f[1] ppid, ..., f[11] utime, f[12] stime (fields 3, 4, 14, 15 of proc(5)).
  const ppid = Number(f[1]);
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) ? { ppid, ticks } : null;
}

/** Inodes of the sockets listening on these TCP ports (/proc/net/tcp and tcp6). */
export function listeningInodes(tables: readonly string[], ports: readonly number[]): Set<string> {
  const want = new Set(ports.map((p) => p.toString(16).toUpperCase().padStart(4, '0')));
  const out = new Set<string>();
  for (const t of tables)
    for (const line of t.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; inode is the tenth column.
      if (c.length > 9 && c[3] === '0A' && want.has(c[1]!.split(':')[1]!)) out.add(c[9]!);
    }
  return out;
}

function pids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** The processes holding those sockets. */
function socketOwners(inodes: Set<string>): number[] {
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const pid of pids()) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners;
}

export interface HostWatch {
  /** Stops sampling; the samples taken (the last one taken now). */
  stop(): HostSample[];
}

/**
 * Starts sampling every `intervalMs`. `localPorts`: the target's and the database's ports when
 * they are on this machine; their listeners and the listeners' children count as the run's own.
 */
export function startHostWatch(opts: { localPorts: readonly number[]; intervalMs?: number }): HostWatch | null {
  if (os.platform() !== 'linux' || read('/proc/stat') === null) return null;
  const roots = new Set<number>([process.pid, ...socketOwners(listeningInodes([read('/proc/net/tcp') ?? '', read('/proc/net/tcp6') ?? ''], opts.localPorts))]);
  const samples: HostSample[] = [];
  // CPU of own processes that have exited since they were last seen stays counted.
  const lastTicks = new Map<number, number>();
  let gone = 0;
  const sample = (): void => {
    const cpu = parseProcStat(read('/proc/stat') ?? '');
    if (!cpu) return;
    const stats = new Map<number, { ppid: number; ticks: number }>();
    for (const pid of pids()) {
      const s = read(`/proc/${pid}/stat`);
      const p = s ? parsePidStat(s) : null;
      if (p) stats.set(pid, p);
    }
    const children = new Map<number, number[]>();
    for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
    const own = new Set<number>();
    const queue = [...roots].filter((r) => stats.has(r));
    while (queue.length > 0) {
      const p = queue.pop()!;
      if (own.has(p)) continue;
      own.add(p);
      queue.push(...(children.get(p) ?? []));
    }
    for (const [pid, t] of lastTicks)
      if (!stats.has(pid)) {
        gone += t;
        lastTicks.delete(pid);
      }
    let ticks = gone;
    for (const pid of own) {
      const t = stats.get(pid)!.ticks;
      lastTicks.set(pid, t);
      ticks += t;
    }
    samples.push({
      t: Date.now(),
      cpu,
      own: ticks,
      pressure: {
        cpu: parsePressure(read('/proc/pressure/cpu')),
        io: parsePressure(read('/proc/pressure/io')),
        memory: parsePressure(read('/proc/pressure/memory')),
      },
    });
  };
  sample();
  const timer = setInterval(sample, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return samples;
    },
  };
}
