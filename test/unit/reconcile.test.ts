import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { foldHistory, readHistoryDir } from '../../verify/history';
import { LedgerReplay, checkBounds, checkCompleteness, checkCounters, mergeKeyVerdicts, reconcileKeys } from '../../verify/checkers';
import { partitionCount, partitionOf } from '../../verify/partition';
import { formatReconciliation } from '../../verify/reconciliation';
import type { HistoryEvent } from 'artillery-plugin-isolation';

const A = 'auth-a';
const ev = (type: HistoryEvent['type'], key: string, op: HistoryEvent['op'] = 'reserve', units = 5, status: number | null = null): HistoryEvent => ({
  type,
  time: 1,
  key,
  op,
  auth: A,
  units,
  status: status ?? (type === 'ok' ? 200 : type === 'fail' ? 409 : null),
  worker: 'w',
});

describe('operation history', () => {
  it('folds sends per key: a retry acknowledged once is ok; an unanswered invoke is info', () => {
    const h = foldHistory([ev('invoke', 'k1'), ev('info', 'k1'), ev('invoke', 'k1'), ev('ok', 'k1'), ev('invoke', 'k2'), ev('invoke', 'k3'), ev('fail', 'k3')]);
    expect(h.get('k1')).toMatchObject({ outcome: 'ok', sends: 2 });
    expect(h.get('k2')).toMatchObject({ outcome: 'info', sends: 1 });
    expect(h.get('k3')).toMatchObject({ outcome: 'fail' });
  });

  it('merges the files of several workers exactly and survives a torn last line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    fs.writeFileSync(path.join(dir, 'history-1-1.ndjson'), [ev('invoke', 'k1'), ev('ok', 'k1')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'history-2-1.ndjson'), [ev('invoke', 'k2'), ev('fail', 'k2')].map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"inv');
    const h = (await readHistoryDir(dir))!;
    expect([h.files.length, h.events, h.keys.size, h.badLines]).toEqual([2, 4, 2, 1]);
    expect(await readHistoryDir(path.join(dir, 'none'))).toBeNull();
  });
});

describe('reconciliation (Jepsen-style)', () => {
  const history = foldHistory([
    ev('ok', 'ok-1'),
    ev('ok', 'ok-lost'),
    ev('fail', 'fail-1'),
    ev('fail', 'fail-unexpected'),
    ev('info', 'info-in'),
    ev('info', 'info-out'),
    ev('ok', 'ok-dup'),
  ]);
  const ledger = [
    { key: 'ok-1', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'fail-unexpected', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'info-in', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'ok-dup', auth: A, op: 'reserve' as const, units: 5, rows: 2 },
    { key: 'seed-x', auth: A, op: 'reserve' as const, units: 100, rows: 1 },
    { key: 'stranger', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
  ];

  // The seed's row was in the database before the load: the baseline says so.
  const baseline = { keys: new Map([['seed-x', 1]]), balances: new Map() };

  it('names lost, duplicated and unexpected writes, counts recovered / not applied, and flags unattributed rows', () => {
    const v = reconcileKeys(history, ledger, baseline);
    expect(v.valid).toBe(false);
    expect(Object.fromEntries(Object.entries(v.errors).map(([t, s]) => [t, s.count]))).toEqual({ lost: 1, unexpected: 1, duplicated: 1, unattributed: 1 });
    expect(v.errors.lost!.first).toMatchObject({ key: 'ok-lost', detail: 'acknowledged (200) but not in the ledger' });
    expect(v.counts).toMatchObject({ ok: 3, fail: 2, info: 2, recovered: 1, not_applied: 1 });
  });

  it('is valid when every acknowledged write is there once and no refused one is, whatever the unknowns did', () => {
    const clean = reconcileKeys(
      history,
      ledger
        .filter((l) => ['ok-1', 'info-in', 'seed-x'].includes(l.key))
        .concat([
          { key: 'ok-lost', auth: A, op: 'reserve', units: 5, rows: 1 },
          { key: 'ok-dup', auth: A, op: 'reserve', units: 5, rows: 1 },
        ]),
      baseline,
    );
    expect(clean.valid).toBe(true);
    const onlyStranger = reconcileKeys(new Map(), [{ key: 'stranger', auth: A, op: 'reserve', units: 5, rows: 1 }]);
    expect(onlyStranger.valid).toBe('unknown');
  });

  it('bounds: ok operations are certain, info operations widen the interval', () => {
    const h = foldHistory([ev('ok', 'a'), ev('ok', 'b', 'consume', 3), ev('info', 'c'), ev('fail', 'd')]);
    const base = new Map([[A, { reserved: 100, consumed: 0 }]]);
    // reserved: 100 + 5 - 3 = 102, up to 107 with the unknown reserve; consumed exactly 3.
    expect(checkBounds(h, base, [{ auth: A, reserved: 102, consumed: 3 }]).valid).toBe(true);
    expect(checkBounds(h, base, [{ auth: A, reserved: 107, consumed: 3 }]).valid).toBe(true);
    const v = checkBounds(h, base, [{ auth: A, reserved: 112, consumed: 3 }]);
    expect(v.valid).toBe(false);
    expect(v.errors.outside_bounds!.first).toMatchObject({ field: 'reserved', final: 112, lower: 102, upper: 107 });
  });

  it('counters mode compares acknowledged units with the ledger and says what it cannot see', () => {
    const u = (reserve: number) => ({ reserve, release: 0, consume: 0, take_out: 0 });
    const ok = checkCounters(u(50), 0, u(50), 10);
    expect(ok.valid).toBe(true);
    const lost = checkCounters(u(50), 0, u(40), 10);
    expect(Object.keys(lost.errors)).toEqual(['lost_units']);
    expect(checkCounters(u(50), 1, u(60), 10).valid).toBe(true);
    expect(ok.note).toMatch(/cannot tell lost from duplicated/);
    expect(formatReconciliation({ mode: 'counters', verdict: ok, counts: {}, source: 'aggregated plugin counters' })).toContain('counters mode');
  });

  it('rows already in the database before the run are never unattributed; a pre-existing key applied again during the run is', () => {
    const before = {
      keys: new Map([
        ['old', 1],
        ['again', 1],
      ]),
      balances: new Map(),
    };
    const v = reconcileKeys(
      new Map(),
      [
        { key: 'old', auth: A, op: 'reserve', units: 5, rows: 1 },
        { key: 'again', auth: A, op: 'reserve', units: 5, rows: 2 },
      ],
      before,
    );
    expect(Object.fromEntries(Object.entries(v.errors).map(([t, s]) => [t, s.count]))).toEqual({ unattributed: 1 });
    expect(v.errors.unattributed!.first).toMatchObject({ key: 'again', detail: '1 ledger row(s) written during the run, but in no client history' });
  });

  it('matches a key on the whole request: a ledger row with other units, operation or authorization under a correct key is mismatched', () => {
    const h = foldHistory([ev('ok', 'k1'), ev('ok', 'k2'), ev('ok', 'k3')]);
    const v = reconcileKeys(h, [
      { key: 'k1', auth: A, op: 'reserve', units: 5, rows: 1 },
      { key: 'k2', auth: A, op: 'reserve', units: 50, rows: 1 },
      { key: 'k3', auth: 'auth-b', op: 'consume', units: 5, rows: 1 },
    ]);
    expect(v.valid).toBe(false);
    expect(Object.fromEntries(Object.entries(v.errors).map(([t, s]) => [t, s.count]))).toEqual({ mismatched: 2 });
    expect(v.errors.mismatched!.worst).toMatchObject({
      key: 'k2',
      detail: 'the request was reserve 5 on auth-a; the ledger holds 1 row(s) of reserve 50 on auth-a under its key',
    });
  });

  it("a key's rows add up whether ledger-keys.sql groups them or gives one line a row: the same verdict, counts and details", () => {
    const h = foldHistory([ev('ok', 'k1'), ev('ok', 'k2'), ev('ok', 'k3')]);
    const before = { keys: new Map<string, number>(), balances: new Map() };
    const grouped = [
      { key: 'k1', auth: A, op: 'reserve' as const, units: 5, rows: 2 },
      { key: 'k2', auth: A, op: 'reserve' as const, units: 50, rows: 3 },
      { key: 'k3', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
      { key: 'stranger', auth: A, op: 'reserve' as const, units: 5, rows: 2 },
    ];
    const oneLineEach = grouped.flatMap((g) => Array.from({ length: g.rows }, () => ({ ...g, rows: 1 })));
    const a = reconcileKeys(h, grouped, before);
    const b = reconcileKeys(h, oneLineEach, before);
    expect(Object.fromEntries(Object.entries(a.errors).map(([t, s]) => [t, s.count]))).toEqual({ duplicated: 2, mismatched: 1, unattributed: 1 });
    expect(b).toEqual(a);
    expect(b.errors.mismatched!.first).toMatchObject({
      detail: 'the request was reserve 5 on auth-a; the ledger holds 3 row(s) of reserve 50 on auth-a under its key',
    });
    // Negative control: a row less on one line is seen.
    expect(reconcileKeys(h, oneLineEach.slice(1), before)).not.toEqual(a);
  });

  it('a key answered 409 and later 200 (a phantom commit replayed on a retry) is contradicted, not folded into ok', () => {
    const h = foldHistory([
      ev('invoke', 'p'),
      ev('fail', 'p'),
      ev('invoke', 'p'),
      ev('ok', 'p'),
      ev('invoke', 'q'),
      { ...ev('fail', 'q'), status: null },
      ev('ok', 'q'),
    ]);
    expect(h.get('p')).toMatchObject({ outcome: 'ok', contradiction: 'acknowledged and refused (409, 200)' });
    // A send that never left the client (connection refused) is no refusal by the server.
    expect(h.get('q')!.contradiction).toBeNull();
    const v = reconcileKeys(h, [
      { key: 'p', auth: A, op: 'reserve', units: 5, rows: 1 },
      { key: 'q', auth: A, op: 'reserve', units: 5, rows: 1 },
    ]);
    expect(Object.keys(v.errors)).toEqual(['contradicted']);
    const twoRequests = foldHistory([ev('ok', 'r'), { ...ev('ok', 'r'), units: 7 }]);
    expect(twoRequests.get('r')!.contradiction).toMatch(/acknowledged as 2 different requests/);
  });

  it('completeness: each gap in the history makes the verdict unknown and is named; a whole history is valid', () => {
    const whole: Parameters<typeof checkCompleteness>[0] = {
      files: 2,
      truncated: [],
      badLines: 0,
      completions: 100,
      answered: 100,
      unkeyed: 0,
      pluginErrors: 0,
    };
    expect(checkCompleteness(whole).valid).toBe(true);
    const cases: [Partial<Parameters<typeof checkCompleteness>[0]>, string][] = [
      [{ unkeyed: 3, completions: 97 }, 'unkeyed_requests'],
      [{ pluginErrors: 1 }, 'history_write_errors'],
      [{ badLines: 1 }, 'unreadable_lines'],
      [{ truncated: ['history-1-1.ndjson'] }, 'truncated_files'],
      [{ completions: 60 }, 'missing_answers'],
      [{ answered: null }, 'not_measured'],
    ];
    for (const [change, type] of cases) {
      const v = checkCompleteness({ ...whole, ...change });
      expect([type, v.valid, Object.keys(v.errors)]).toEqual([type, 'unknown', [type]]);
    }
  });

  it('reads a cut-short file as truncated, and a file that ends with its close line as whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const lines = [ev('invoke', 'k1'), ev('ok', 'k1')].map((e) => JSON.stringify(e));
    fs.writeFileSync(path.join(dir, 'history-1-1.ndjson'), [...lines, JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 2 })].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'history-2-1.ndjson'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'history-3-1.ndjson'), [...lines, JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 5 })].join('\n') + '\n');
    const h = (await readHistoryDir(dir))!;
    expect([...h.truncated].sort()).toEqual(['history-2-1.ndjson', 'history-3-1.ndjson']);
    expect(h.completions).toBe(3);
  });
});

describe('the ordered replay: every invariant at every moment', () => {
  const move = (auth: string, reserved: number, consumed: number, at: string, extra: { capacity?: number; op?: string; ref?: string } = {}) => ({
    auth,
    capacity: extra.capacity ?? 50,
    reserved,
    consumed,
    at,
    op: extra.op ?? (consumed > 0 ? 'consume' : reserved > 0 ? 'reserve' : 'release'),
    ref: extra.ref ?? null,
  });

  it('overbooking that a later release hid is caught, with its first and its worst moment', () => {
    const replay = new LedgerReplay();
    replay.add(move(A, 30, 0, '1'));
    replay.add(move(A, 30, 0, '2')); // 60 of 50: overbooked by 10
    replay.add(move(A, 5, 0, '3')); // 65: the worst, by 15
    replay.add(move(A, -20, 0, '4')); // back to 45: a final-state check sees nothing
    replay.add(move('auth-b', 50, 0, '5'));
    const v = replay.verdict();
    expect(v.valid).toBe(false);
    expect(v.errors.overbooked).toMatchObject({ count: 1, first: { auth: A, at: '2', excess: 10 }, worst: { auth: A, at: '3', excess: 15, reserved: 65 } });
    expect(v.counts).toMatchObject({ rows: 5, authorizations: 2, overbooked_moments: 2 });
  });

  it('reserved below zero (a consume of units never reserved), hidden by a later reserve, is caught; so is a negative consumed', () => {
    const replay = new LedgerReplay();
    replay.add(move(A, 2, 0, '1'));
    replay.add(move(A, -3, 3, '2')); // consume 3 with 2 reserved: reserved -1
    replay.add(move(A, -3, 3, '3')); // -4: the worst
    replay.add(move(A, 10, 0, '4')); // back to 6: the final state is fine
    replay.add(move('auth-c', 0, -1, '5', { op: 'consume' }));
    const v = replay.verdict();
    expect(v.errors.negative_reserved).toMatchObject({ count: 1, first: { at: '2', reserved: -1 }, worst: { at: '3', reserved: -4, excess: 4 } });
    expect(v.errors.negative_consumed).toMatchObject({ count: 1, first: { auth: 'auth-c', consumed: -1 } });
  });

  it('a take-out that leaves the capacity below what is held is named as such', () => {
    const replay = new LedgerReplay();
    replay.add(move(A, 40, 0, '1', { capacity: 50 }));
    replay.add(move(A, 0, 0, '2', { capacity: 30, op: 'take_out' }));
    expect(replay.verdict().errors.capacity_below_held).toMatchObject({ count: 1, worst: { at: '2', capacity: 30, excess: 10 } });
  });

  it('starts from the baseline: the rows before the load are skipped, and a balance seeded without rows is not undercounted', () => {
    // 45 units were held before the load, 40 of them without any ledger row (seeded balances).
    const start = { balances: new Map([[A, { reserved: 45, consumed: 0 }]]), rows: new Map([[A, 1]]) };
    const replay = new LedgerReplay(start);
    replay.add(move(A, 5, 0, 'old')); // before the load: skipped
    replay.add(move(A, 10, 0, '2')); // 45 + 10 = 55 of 50: overbooked (from zero it would read 15)
    const v = replay.verdict();
    expect(v.errors.overbooked).toMatchObject({ worst: { at: '2', reserved: 55, excess: 5 } });
    expect(v.counts).toMatchObject({ rows: 1, skipped: 1, starts_differ: 1 });
    const fromZero = new LedgerReplay();
    fromZero.add(move(A, 5, 0, 'old'));
    fromZero.add(move(A, 10, 0, '2'));
    expect(fromZero.verdict().valid).toBe(true); // the blind spot the baseline closes
  });

  it('an order that puts a release before the reservation it undoes is named: the order column is not the commit order', () => {
    const replay = new LedgerReplay();
    replay.add(move(A, 5, 0, '1', { op: 'reserve', ref: 'r-1' }));
    replay.add(move(A, -5, 0, '2', { op: 'release', ref: 'r-1' }));
    replay.add(move(A, -5, 0, '3', { op: 'release', ref: 'r-2' })); // r-2 not yet reserved
    replay.add(move(A, 5, 0, '4', { op: 'reserve', ref: 'r-2' }));
    const v = replay.verdict();
    expect(v.errors.order_violation).toMatchObject({ count: 1, first: { at: '3' } });
    expect((v.errors.order_violation!.first as { detail: string }).detail).toMatch(/release of reservation r-2 comes before the reservation/);
  });

  it('a ledger that keeps every invariant is valid', () => {
    const replay = new LedgerReplay();
    replay.add(move(A, 50, 0, '1'));
    replay.add(move(A, -3, 3, '2'));
    expect(replay.verdict()).toMatchObject({ valid: true, errors: {} });
  });
});

describe('without idempotency keys: answers tied to rows by the id the API returned', () => {
  const refEv = (type: HistoryEvent['type'], key: string, op: HistoryEvent['op'], ref: string | null, status: number | null = null): HistoryEvent => ({
    ...ev(type, key, op, 5, status),
    ...(ref ? { ref } : {}),
  });

  it('finds lost and duplicated writes by id; an unexplained row is unknown, unless an unknown outcome may explain it', () => {
    const h = foldHistory([
      refEv('invoke', 'q1', 'reserve', null),
      refEv('ok', 'q1', 'reserve', 'b-1'),
      refEv('invoke', 'q2', 'reserve', null),
      refEv('ok', 'q2', 'reserve', 'b-2'), // never in the ledger: lost
      refEv('invoke', 'q3', 'release', 'b-1'),
      refEv('ok', 'q3', 'release', 'b-1'),
      refEv('invoke', 'q4', 'reserve', null),
      refEv('info', 'q4', 'reserve', null), // timed out: no id
      refEv('invoke', 'q5', 'reserve', null),
      refEv('fail', 'q5', 'reserve', null, 409),
    ]);
    const row = (key: string, op: 'reserve' | 'release', rows = 1) => ({ key, auth: A, op, units: 5, rows });
    const v = reconcileKeys(
      h,
      [row('reserve:b-1', 'reserve'), row('release:b-1', 'release', 2), row('reserve:b-9', 'reserve')],
      { keys: new Map(), balances: new Map() },
      'ref',
    );
    expect(Object.fromEntries(Object.entries(v.errors).map(([t, e]) => [t, e.count]))).toEqual({ lost: 1, duplicated: 1 });
    // b-9 may be the timed-out reserve's row: recovered, not unexplained.
    expect(v.counts).toMatchObject({ recovered: 1, unexplained: 0, unidentified: 1 });
    const more = reconcileKeys(
      h,
      [
        row('reserve:b-1', 'reserve'),
        row('reserve:b-2', 'reserve'),
        row('release:b-1', 'release'),
        row('reserve:b-8', 'reserve'),
        row('reserve:b-9', 'reserve'),
      ],
      null,
      'ref',
    );
    expect(more.valid).toBe(true); // no baseline: strangers are not judged
    const withBaseline = reconcileKeys(
      h,
      [
        row('reserve:b-1', 'reserve'),
        row('reserve:b-2', 'reserve'),
        row('release:b-1', 'release'),
        row('reserve:b-8', 'reserve'),
        row('reserve:b-9', 'reserve'),
      ],
      { keys: new Map(), balances: new Map() },
      'ref',
    );
    expect([withBaseline.valid, withBaseline.errors.unexplained?.count]).toEqual(['unknown', 1]);
  });
});

describe('a replay compared with the first answer', () => {
  it('a resend answered with the same status but another meaningful body is named replay_differs; the same body is not', () => {
    const base = ev('ok', 'k1');
    const h = foldHistory([
      ev('invoke', 'k1'),
      { ...base, digest: 'aaaaaaaa' },
      ev('invoke', 'k1'),
      { ...base, digest: 'bbbbbbbb', replayed: true },
      ev('invoke', 'k2'),
      { ...ev('ok', 'k2'), digest: 'cccccccc' },
      ev('invoke', 'k2'),
      { ...ev('ok', 'k2'), digest: 'cccccccc', replayed: true },
    ]);
    const v = reconcileKeys(h, [
      { key: 'k1', auth: A, op: 'reserve', units: 5, rows: 1 },
      { key: 'k2', auth: A, op: 'reserve', units: 5, rows: 1 },
    ]);
    expect(v.valid).toBe(false);
    expect(Object.keys(v.errors)).toEqual(['replay_differs']);
    expect(v.errors.replay_differs!.first).toMatchObject({ key: 'k1' });
    expect((v.errors.replay_differs!.first as { detail: string }).detail).toMatch(/aaaaaaaa, then 200 bbbbbbbb/);
  });
});

describe('key partitions (bounded-memory reconciliation)', () => {
  it('puts a key always in the same partition, within range, spread over all of them', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const p = partitionOf(`key-${i}`, 7);
      expect(p).toBe(partitionOf(`key-${i}`, 7));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
      seen.add(p);
    }
    expect(seen.size).toBe(7);
    expect([partitionCount(0), partitionCount(100, 100), partitionCount(101, 100)]).toEqual([1, 1, 2]);
  });

  it('merges per-partition verdicts into the verdict of the whole (and keeps the worst example)', () => {
    const e = (key: string, severity: number) => ({ key, auth: 'a', op: 'reserve', units: severity, detail: '', severity });
    const merged = mergeKeyVerdicts([
      { checker: 'history', valid: false, errors: { lost: { count: 2, first: e('k1', 1), worst: e('k2', 5) } }, counts: { ok: 3, lost: 2, unattributed: 0 } },
      {
        checker: 'history',
        valid: 'unknown',
        errors: { lost: { count: 1, first: e('k3', 9), worst: e('k3', 9) } },
        counts: { ok: 1, lost: 1, unattributed: 1 },
      },
    ]);
    expect(merged.counts).toEqual({ ok: 4, lost: 3, unattributed: 1 });
    expect(merged.errors.lost).toEqual({ count: 3, first: e('k1', 1), worst: e('k3', 9) });
    expect(merged.valid).toBe(false);
    expect(mergeKeyVerdicts([{ checker: 'history', valid: 'unknown', errors: {}, counts: { unattributed: 2 } }]).valid).toBe('unknown');
    expect(mergeKeyVerdicts([{ checker: 'history', valid: true, errors: {}, counts: { ok: 1 } }]).valid).toBe(true);
  });
});
