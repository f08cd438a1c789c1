/**
 * The faults `load-test:faults` injects while load runs (Jepsen's nemeses, Toxiproxy's toxics).
 * A scenario names them on a timeline in its YAML:
 *
 *   config:
 *     pack:
 *       faults:
 *         - { fault: pg-stop, at: 6, for: 4 }      # seconds after the load starts
 *         - { fault: latency, at: 30, for: 4, ms: 40 }
 *
 * Add a fault here: what it needs (the pack's embedded PostgreSQL, the reference API it started,
 * the proxy it put between them), how it starts and how it ends. Where the target is the user's
 * own API, a fault whose part the pack cannot reach is skipped and named with why.
 */
import type { FaultProxy } from './proxy';
import { reasonOf } from '../lib/errors';
import { parseEntries } from '../lib/pack-entries';
import type { FaultEvent } from '../formats/faults';
export type { FaultEvent } from '../formats/faults';

/** The parts the runner lends to the faults (null: not the pack's to break). */
export interface FaultTargets {
  readonly proxy: FaultProxy | null;
  readonly db: { pause(): Promise<void>; resume(): Promise<void> } | null;
  readonly api: { kill(): Promise<void>; restart(): Promise<void> } | null;
}

type Need = keyof FaultTargets;

interface Fault {
  readonly what: string;
  readonly needs: Need;
  /** The database is out of the API's reach while it lasts: unit requests must get a 503 within 2 s. */
  readonly unreachable: boolean;
  validate(params: Readonly<Record<string, unknown>>): string[];
  start(t: FaultTargets, params: Readonly<Record<string, unknown>>): Promise<void>;
  end(t: FaultTargets, params: Readonly<Record<string, unknown>>): Promise<void>;
}

const none = (): string[] => [];

export const FAULTS: Readonly<Record<string, Fault>> = {
  'pg-stop': {
    what: 'PostgreSQL (the embedded server) stopped, then started again',
    needs: 'db',
    unreachable: true,
    validate: none,
    start: (t) => t.db!.pause(),
    end: (t) => t.db!.resume(),
  },
  'api-kill': {
    what: 'the API process killed with SIGKILL, then started again',
    needs: 'api',
    unreachable: false,
    validate: none,
    start: (t) => t.api!.kill(),
    end: (t) => t.api!.restart(),
  },
  latency: {
    what: 'latency added between the API and PostgreSQL (`ms` each way)',
    needs: 'proxy',
    unreachable: false,
    validate: (p) => (Number.isInteger(p.ms) && (p.ms as number) > 0 && (p.ms as number) <= 5000 ? [] : ['ms must be an integer from 1 to 5000']),
    start: (t, p) => Promise.resolve(t.proxy!.set({ kind: 'latency', ms: p.ms as number })),
    end: (t) => Promise.resolve(t.proxy!.set({ kind: 'pass' })),
  },
  reset: {
    what: 'every connection between the API and PostgreSQL reset, and new ones reset on arrival',
    needs: 'proxy',
    unreachable: true,
    validate: none,
    start: (t) => Promise.resolve(t.proxy!.set({ kind: 'reset' })),
    end: (t) => Promise.resolve(t.proxy!.set({ kind: 'pass' })),
  },
  partition: {
    what: 'the API cut off from PostgreSQL: nothing flows either way, nothing is refused',
    needs: 'proxy',
    unreachable: true,
    validate: none,
    start: (t) => Promise.resolve(t.proxy!.set({ kind: 'partition' })),
    end: (t) => Promise.resolve(t.proxy!.set({ kind: 'pass' })),
  },
};

export interface FaultSpec {
  readonly fault: string;
  /** Seconds after the load starts. */
  readonly at: number;
  /** Seconds it lasts. */
  readonly for: number;
  readonly params: Readonly<Record<string, unknown>>;
}

export function parseFaults(raw: unknown, where: string, problems: string[]): FaultSpec[] {
  const specs = parseEntries(raw, where, problems, (e, at, _i, refuse) => {
    const { fault, at: start, for: duration, ...params } = e;
    if (typeof fault !== 'string' || !(fault in FAULTS)) return refuse(`${at}.fault must be one of ${Object.keys(FAULTS).join(', ')}`);
    if (typeof start !== 'number' || start < 0) return refuse(`${at}.at must be a number of seconds, at least 0`);
    if (typeof duration !== 'number' || duration <= 0 || duration > 600) return refuse(`${at}.for must be a number of seconds from 0 to 600`);
    const bad = FAULTS[fault]!.validate(params);
    if (bad.length > 0) return refuse(...bad.map((b) => `${at}: ${b}`));
    return { fault, at: start, for: duration, params };
  });
  const sorted = [...specs].sort((a, b) => a.at - b.at);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.at < sorted[i - 1]!.at + sorted[i - 1]!.for)
      problems.push(`${where}: ${sorted[i]!.fault} at ${sorted[i]!.at} s starts before ${sorted[i - 1]!.fault} ends`);
  }
  return sorted;
}

const WHY_NOT: Readonly<Record<Need, string>> = {
  db: 'the database is not the embedded PostgreSQL the pack started',
  api: 'the API is not the reference API the pack started',
  proxy: 'the pack cannot put a proxy between your API and its database',
};

/**
 * Runs the timeline from `begin()` (the load's start): each fault starts at its `at`, ends after
 * its `for`. `finish()` ends a fault still on when the load ends early, and resolves with the
 * timeline as it happened.
 */
export function scheduleFaults(
  specs: readonly FaultSpec[],
  targets: FaultTargets,
  out: (line: string) => void,
): { begin(): void; finish(): Promise<FaultEvent[]> } {
  const events: FaultEvent[] = [];
  let started: Promise<void> | null = null;
  let finished: Promise<FaultEvent[]> | null = null;
  let abort = false;
  let wake: () => void = () => undefined;
  const sleepUntil = (t: number): Promise<void> =>
    new Promise((r) => {
      if (abort) return r();
      const timer = setTimeout(r, Math.max(0, t - Date.now()));
      wake = () => {
        clearTimeout(timer);
        r();
      };
    });
  const run = async (t0: number): Promise<void> => {
    for (const spec of specs) {
      const f = FAULTS[spec.fault]!;
      if (targets[f.needs] === null) {
        events.push({ fault: spec.fault, what: f.what, unreachable: f.unreachable, startedAt: null, endedAt: null, skipped: WHY_NOT[f.needs], error: null });
        out(`  fault ${spec.fault}: skipped: ${WHY_NOT[f.needs]}`);
        continue;
      }
      await sleepUntil(t0 + spec.at * 1000);
      if (abort) {
        events.push({
          fault: spec.fault,
          what: f.what,
          unreachable: f.unreachable,
          startedAt: null,
          endedAt: null,
          skipped: 'the load ended before its time',
          error: null,
        });
        continue;
      }
      const startedAt = Date.now();
      let error: string | null = null;
      out(`  fault ${spec.fault}: on (${spec.for} s): ${f.what}`);
      await f.start(targets, spec.params).catch((err: unknown) => (error = `start: ${reasonOf(err)}`));
      await sleepUntil(startedAt + spec.for * 1000);
      await f.end(targets, spec.params).catch((err: unknown) => (error = `${error ? `${error}; ` : ''}end: ${reasonOf(err)}`));
      const endedAt = Date.now();
      out(`  fault ${spec.fault}: off after ${((endedAt - startedAt) / 1000).toFixed(1)} s${error ? ` (${error})` : ''}`);
      events.push({ fault: spec.fault, what: f.what, unreachable: f.unreachable, startedAt, endedAt, skipped: null, error });
    }
  };
  return {
    begin: () => {
      if (started) return;
      started = run(Date.now());
      // Awaited by finish(); until then a failure must not count as unhandled (Node would end the
      // process with exit code 1, which reads as NO-GO).
      started.catch(() => undefined);
    },
    finish: () =>
      (finished ??= (async () => {
        abort = true;
        wake();
        await (started ?? Promise.resolve());
        // A timeline never begun (the load never started) is named fault by fault.
        if (!started)
          for (const s of specs)
            events.push({
              fault: s.fault,
              what: FAULTS[s.fault]!.what,
              unreachable: FAULTS[s.fault]!.unreachable,
              startedAt: null,
              endedAt: null,
              skipped: 'the load never started',
              error: null,
            });
        return events;
      })()),
  };
}
