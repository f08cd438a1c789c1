import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { foldHistory, readHistoryDir } from '../../verify/history';
import { checkBounds, checkCounters, reconcileKeys } from '../../verify/reconcile';
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

  it('merges the files of several workers exactly and survives a torn last line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    fs.writeFileSync(path.join(dir, 'history-1-1.ndjson'), [ev('invoke', 'k1'), ev('ok', 'k1')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'history-2-1.ndjson'), [ev('invoke', 'k2'), ev('fail', 'k2')].map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"inv');
    const h = readHistoryDir(dir)!;
    expect([h.files.length, h.events, h.keys.size, h.badLines]).toEqual([2, 4, 2, 1]);
    expect(readHistoryDir(path.join(dir, 'none'))).toBeNull();
  });
});

describe('reconciliation (Jepsen-style)', () => {
  const history = foldHistory([ev('ok', 'ok-1'), ev('ok', 'ok-lost'), ev('fail', 'fail-1'), ev('fail', 'fail-unexpected'), ev('info', 'info-in'), ev('info', 'info-out'), ev('ok', 'ok-dup')]);
  const ledger = [
    { key: 'ok-1', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'fail-unexpected', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'info-in', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
    { key: 'ok-dup', auth: A, op: 'reserve' as const, units: 5, rows: 2 },
    { key: 'seed-x', auth: A, op: 'reserve' as const, units: 100, rows: 1 },
    { key: 'stranger', auth: A, op: 'reserve' as const, units: 5, rows: 1 },
  ];

  it('names lost, duplicated and unexpected writes, counts recovered / not applied, and flags unattributed rows', () => {
    const v = reconcileKeys(history, ledger);
    expect(v.valid).toBe(false);
    expect(Object.fromEntries(Object.entries(v.errors).map(([t, s]) => [t, s.count]))).toEqual({ lost: 1, unexpected: 1, duplicated: 1, unattributed: 1 });
    expect(v.errors.lost!.first).toMatchObject({ key: 'ok-lost', detail: 'acknowledged (200) but not in the ledger' });
    expect(v.counts).toMatchObject({ ok: 3, fail: 2, info: 2, recovered: 1, not_applied: 1 });
  });

  it('is valid when every acknowledged write is there once and no refused one is, whatever the unknowns did', () => {
    const clean = reconcileKeys(history, ledger.filter((l) => ['ok-1', 'info-in', 'seed-x'].includes(l.key)).concat([{ key: 'ok-lost', auth: A, op: 'reserve', units: 5, rows: 1 }, { key: 'ok-dup', auth: A, op: 'reserve', units: 5, rows: 1 }]));
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
});
