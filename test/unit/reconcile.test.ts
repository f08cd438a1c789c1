import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { foldHistory, readHistoryDir } from '../../verify/history';
import { CapacityReplay, checkBounds, checkCompleteness, checkCounters, mergeKeyVerdicts, reconcileKeys } from '../../verify/checkers';
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
    const ok = checkCounters({ reserve: 50, release: 0, consume: 0 }, 0, { reserve: 50, release: 0, consume: 0 }, 10);
    expect(ok.valid).toBe(true);
    const lost = checkCounters({ reserve: 50, release: 0, consume: 0 }, 0, { reserve: 40, release: 0, consume: 0 }, 10);
    expect(Object.keys(lost.errors)).toEqual(['lost_units']);
    expect(checkCounters({ reserve: 50, release: 0, consume: 0 }, 1, { reserve: 60, release: 0, consume: 0 }, 10).valid).toBe(true);
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

  it('replays the ledger in order: overbooking a later release hid is caught, with the worst excess and where', () => {
    const replay = new CapacityReplay();
    const move = (reserved: number, at: string, consumed = 0) => replay.add({ auth: A, capacity: 50, reserved, consumed, at });
    move(30, '1');
    move(30, '2'); // 60 of 50: overbooked by 10
    move(-10, '3'); // back to 50: a final-state check sees nothing
    replay.add({ auth: 'auth-b', capacity: 50, reserved: 50, consumed: 0, at: '4' });
    const v = replay.verdict();
    expect(v.valid).toBe(false);
    expect(v.errors.overbooked_at_some_point).toMatchObject({ count: 1, worst: { auth: A, capacity: 50, peak: 60, excess: 10, at: '2' } });
    expect(v.counts).toEqual({ rows: 4, authorizations: 2 });
    const fine = new CapacityReplay();
    fine.add({ auth: A, capacity: 50, reserved: 50, consumed: 0, at: '1' });
    expect(fine.verdict().valid).toBe(true);
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
