/**
 * The host watch (runner/host.ts, host-sampler.ts) and its policy (runner/judge.ts withHost,
 * decide): whose work the machine did, and what a latency miss on a busy host means.
 */
import { describeHost, judgeHost, type HostSample } from '../../runner/host';
import { listeningInodes, parsePidStat, parsePressure, parseProcStat } from '../../runner/host-sampler';
import { decide, withHost } from '../../runner/judge';
import type { CheckRow } from '../../formats/summary';

/** Two samples 10 s apart on 2 cores (100 ticks a second): `busy` ticks of 2000, `own` of them the run's. */
function window(o: { busy: number; own: number; steal?: number; io?: number; cpu?: number; memory?: number }): HostSample[] {
  const at = (t: number, f: number): HostSample => ({
    t,
    cpu: { total: 2000 * f, idle: (2000 - o.busy - (o.steal ?? 0)) * f, iowait: 0, steal: (o.steal ?? 0) * f },
    own: o.own * f,
    pressure: { cpu: (o.cpu ?? 0) * 10e6 * f, io: (o.io ?? 0) * 10e6 * f, memory: (o.memory ?? 0) * 10e6 * f },
  });
  return [at(0, 0), at(10_000, 1)];
}

describe('the host watch', () => {
  it('a quiet host: the run used the cores, nothing else did', () => {
    const h = judgeHost(window({ busy: 400, own: 380, io: 0.01, cpu: 0.05 }), 2, false)!;
    expect([h.busy, h.reasons, h.ownCores, Number(h.otherCores.toFixed(2))]).toEqual([false, [], 0.38, 0.02]);
  });

  it('negative control: other work, steal, I/O and memory pressure each make it busy, and say so', () => {
    expect(judgeHost(window({ busy: 1400, own: 400 }), 2, false)!.reasons).toEqual(['other work used 50 % of the CPU (1.00 of 2 cores)']);
    expect(judgeHost(window({ busy: 400, own: 380, steal: 200 }), 2, false)!.reasons).toEqual(['the hypervisor took 10 % of the CPU (steal)']);
    expect(judgeHost(window({ busy: 400, own: 380, io: 0.2 }), 2, false)!.reasons).toEqual(['I/O pressure 20 % (tasks waited on I/O)']);
    expect(judgeHost(window({ busy: 400, own: 380, memory: 0.1 }), 2, false)!.reasons).toEqual(['memory pressure 10 %']);
    // CPU pressure the run makes itself is not the host's fault; with other work beside it, it is.
    expect(judgeHost(window({ busy: 1000, own: 980, cpu: 0.6 }), 2, false)!.busy).toBe(false);
    expect(judgeHost(window({ busy: 1200, own: 900, cpu: 0.6 }), 2, false)!.reasons).toEqual(['CPU pressure 60 % with other work at 15 %']);
  });

  it('says when it watches only the generator\u2019s machine', () => {
    expect(describeHost(judgeHost(window({ busy: 400, own: 380 }), 2, true)!)).toMatch(
      /^host quiet \(the generator's machine only: the API runs elsewhere\): run 0\.38 cores/,
    );
  });

  it('reads /proc as the kernel writes it', () => {
    expect(parseProcStat('cpu  100 5 50 800 10 1 2 3 0 0\ncpu0 1 2 3\n')).toEqual({ total: 971, idle: 800, iowait: 10, steal: 3 });
    expect(parsePressure('some avg10=1.00 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0 avg60=0 avg300=0 total=7\n')).toBe(123456);
    expect(parsePressure(null)).toBeNull();
    expect(parsePidStat('42 (node (worker) x) S 7 42 42 0 -1 4194560 0 0 0 0 150 25 0 0 20 0 11 0')).toEqual({ ppid: 7, ticks: 175 });
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0CE4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0 100 0 0 10 0',
      '   1: 0100007F:0CE5 00000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 556 1 0 100 0 0 10 0',
    ].join('\n');
    expect([...listeningInodes([tcp], [3300, 3301])]).toEqual(['555']);
  });
});

describe('the policy: a latency miss on a busy host', () => {
  const row = (over: Partial<CheckRow>): CheckRow => ({
    scenario: 's1',
    name: 'isolation.response_time.write.p95 < 200',
    limit: '< 200 ms',
    measured: '252.2 ms',
    pass: false,
    kind: 'performance',
    overBy: 0.26,
    measure: { value: 252.2, op: 'lt', limit: 200, unit: 'ms' },
    ...over,
  });
  const busy = judgeHost(window({ busy: 1600, own: 500, io: 0.2 }), 2, false);
  const quiet = judgeHost(window({ busy: 400, own: 390 }), 2, false);

  it('is UNKNOWN, names the host and suggests a rerun; correctness and passing rows are untouched', () => {
    const rows = withHost([row({}), row({ name: 'p99', pass: true, overBy: null }), row({ name: 'exact', kind: 'correctness', measure: undefined })], busy);
    expect([rows[0]!.unknown, rows[0]!.host?.busy, rows[0]!.measured]).toEqual([
      true,
      true,
      expect.stringMatching(/^252\.2 ms \(host busy: run 0\.50 cores, other work 1\.10 of 2/),
    ]);
    expect([rows[1]!.pass, rows[1]!.unknown]).toEqual([true, undefined]);
    expect(rows[2]!.host).toBeUndefined();
    const d = decide(rows.slice(0, 2), []);
    expect(d.decision).toBe('UNKNOWN');
    expect(d.reasons[0]).toMatch(/missed while the host was busy .*rerun on a quiet machine, or with --repeat 3$/);
  });

  it('negative control: the same miss on a quiet host is the API\u2019s: CONDITIONAL by its margin, with the host noted as quiet', () => {
    const rows = withHost([row({})], quiet);
    expect([rows[0]!.unknown, rows[0]!.host]).toEqual([undefined, { busy: false, note: expect.stringMatching(/^host quiet/) }]);
    expect(decide(rows, []).decision).toBe('CONDITIONAL');
  });
});
