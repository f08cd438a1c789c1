/**
 * The verifier's streaming readers (B5): the CSV of COPY … TO STDOUT and NDJSON lines read in
 * chunks give exactly what a whole-text parse gives, wherever the chunks are cut; and the folded
 * history in columns (KeyStore) says exactly what a record-per-key fold says.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HistoryEvent } from 'artillery-plugin-isolation';
import { CsvParser, type CsvRecord } from '../../db/csv';
import { eachLine } from '../../verify/lines';
import { KeyStore } from '../../verify/key-store';

const parseAll = (chunks: readonly string[]): CsvRecord[] => {
  const out: CsvRecord[] = [];
  const p = new CsvParser();
  for (const c of chunks) p.push(c, (r) => out.push(r));
  p.end((r) => out.push(r));
  return out;
};

describe('CSV of COPY … WITH (FORMAT csv)', () => {
  // PostgreSQL's own output for: key text, auth, note (NULL, '', a comma, a quote, a newline).
  const text = 'key,auth,note\nk1,a,\nk2,a,""\n"k,3",a,"say ""hi"""\nk4,a,"two\nlines"\n';
  const expected: CsvRecord[] = [
    ['key', 'auth', 'note'],
    ['k1', 'a', null],
    ['k2', 'a', ''],
    ['k,3', 'a', 'say "hi"'],
    ['k4', 'a', 'two\nlines'],
  ];

  it('parses NULL, the empty string, commas, doubled quotes and newlines inside quotes', () => {
    expect(parseAll([text])).toEqual(expected);
  });

  it('gives the same records wherever the stream is cut', () => {
    for (let cut = 0; cut <= text.length; cut++) expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    expect(parseAll([...text])).toEqual(expected);
  });

  it('takes a last record without its newline, and refuses one cut inside its quotes (negative control)', () => {
    expect(parseAll(['a,b\n1,2'])).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(() => parseAll(['a,b\n1,"2'])).toThrow(/inside a quoted field/);
  });
});

describe('NDJSON lines read in chunks', () => {
  it('cuts lines exactly at any chunk size, multi-byte characters and CRLF included', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lines-'));
    const lines = ['{"k":"é"}', '{"k":"日本"}', '', '{"k":"x"}', '{"k":"last, no newline"}'];
    const file = path.join(dir, 'h.ndjson');
    fs.writeFileSync(file, `${lines.slice(0, 3).join('\n')}\r\n${lines.slice(3).join('\n')}`);
    const want = [lines[0], lines[1], '', lines[3], lines[4]];
    for (const chunk of [1, 2, 3, 5, 7, 64]) {
      const got: string[] = [];
      await eachLine(file, (l) => got.push(l), { chunkBytes: chunk });
      expect(got).toEqual(want);
    }
  });
});

/** The fold as it was before the columns: a record object per key (the reference). */
function referenceFold(events: readonly HistoryEvent[]) {
  const acc = new Map<
    string,
    {
      auth: string;
      op: string;
      units: number;
      invokes: number;
      ok: number;
      fail: number;
      refused: number;
      info: number;
      statuses: (number | null)[];
      sigs: string[];
      invokedAt: number | null;
      ackedAt: number | null;
    }
  >();
  for (const e of events) {
    let r = acc.get(e.key);
    if (!r)
      acc.set(
        e.key,
        (r = {
          auth: e.auth,
          op: e.op,
          units: e.units ?? 0,
          invokes: 0,
          ok: 0,
          fail: 0,
          refused: 0,
          info: 0,
          statuses: [],
          sigs: [],
          invokedAt: null,
          ackedAt: null,
        }),
      );
    if (e.type === 'invoke') {
      r.invokes++;
      r.invokedAt = Math.min(r.invokedAt ?? Infinity, e.time);
      continue;
    }
    r[e.type]++;
    if (e.type === 'ok') r.ackedAt = Math.min(r.ackedAt ?? Infinity, e.time);
    r.statuses.push(e.status ?? null);
    if (e.type === 'fail' && typeof e.status === 'number') r.refused++;
    if (e.type === 'ok') {
      const sig = `${e.auth} ${e.op} ${e.units ?? '?'}`;
      if (!r.sigs.includes(sig)) r.sigs.push(sig);
    }
  }
  return [...acc].map(([key, r]) => {
    const answers = r.ok + r.fail + r.info;
    const outcome = r.ok > 0 ? 'ok' : r.info + Math.max(0, r.invokes - answers) > 0 ? 'info' : 'fail';
    const contradiction =
      r.ok > 0 && r.refused > 0
        ? `acknowledged and refused (${r.statuses.join(', ')})`
        : r.sigs.length > 1
          ? `acknowledged as ${r.sigs.length} different requests (${r.sigs.join('; ')})`
          : null;
    return {
      key,
      auth: r.auth,
      op: r.op,
      units: r.units,
      ref: null,
      outcome,
      sends: Math.max(r.invokes, answers),
      statuses: r.statuses,
      contradiction,
      invokedAt: r.invokedAt,
      ackedAt: r.ackedAt,
      replayDiffers: null,
    };
  });
}

/** 20,000 random events (retries, refusals, timeouts, changed requests), the same every time. */
function randomEvents(): HistoryEvent[] {
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const types: HistoryEvent['type'][] = ['invoke', 'invoke', 'ok', 'fail', 'info'];
  const ops: HistoryEvent['op'][] = ['reserve', 'release', 'consume'];
  return Array.from({ length: 20_000 }, (_, i) => {
    const type = types[rnd(types.length)]!;
    const status = type === 'ok' ? 200 : type === 'fail' ? (rnd(4) === 0 ? null : 409) : rnd(2) === 0 ? null : 503;
    return {
      type,
      time: 1 + i,
      key: `k${rnd(3000)}`,
      op: ops[rnd(rnd(20) === 0 ? 3 : 1)]!,
      auth: `a${rnd(rnd(20) === 0 ? 40 : 1)}`,
      units: rnd(30) === 0 ? null : 1 + rnd(rnd(20) === 0 ? 5 : 1),
      status,
      worker: 'w',
    };
  });
}

describe('KeyStore: the folded history in columns', () => {
  it('says what a record-per-key fold says, on 20,000 random events (retries, refusals, timeouts, changed requests)', () => {
    const events = randomEvents();
    const store = new KeyStore();
    for (const e of events) store.add(e);
    const got = [...store.records()];
    expect(got).toEqual(referenceFold(events));
    // The sample holds every kind of record, so the comparison above compared something.
    expect(new Set(got.map((r) => r.outcome))).toEqual(new Set(['ok', 'fail', 'info']));
    expect(got.some((r) => r.contradiction?.startsWith('acknowledged and refused'))).toBe(true);
    expect(got.some((r) => r.contradiction?.includes('different requests'))).toBe(true);
    // Read in two parts (two threads), the second absorbed into the first: the same records, wherever the cut.
    for (const cut of [0, 1, 5000, 12_345, 19_999, 20_000]) {
      const [a, b] = [new KeyStore(), new KeyStore()];
      events.slice(0, cut).forEach((e) => a.add(e));
      events.slice(cut).forEach((e) => b.add(e));
      a.absorb(structuredClone(b.snapshot()));
      expect([...a.records()]).toEqual(got);
    }
    // indexOf and sameRequest agree with the records.
    const r = got[17]!;
    expect(store.sameRequest(store.indexOf(r.key), r.auth, r.op, r.units)).toBe(true);
    expect(store.sameRequest(store.indexOf(r.key), r.auth, r.op, r.units + 1)).toBe(false);
    expect(store.indexOf('no-such-key')).toBe(-1);
  });

  it('negative control: the comparison sees one lost answer, and two halves absorbed in the wrong order', () => {
    const events = randomEvents();
    const want = referenceFold(events);
    const lost = events.findIndex((e, i) => e.type === 'ok' && events.slice(i + 1).some((x) => x.key === e.key && x.type !== 'invoke'));
    const store = new KeyStore();
    events.forEach((e, i) => i !== lost && store.add(e));
    expect([...store.records()]).not.toEqual(want);
    const [a, b] = [new KeyStore(), new KeyStore()];
    events.slice(0, 10_000).forEach((e) => a.add(e));
    events.slice(10_000).forEach((e) => b.add(e));
    b.absorb(structuredClone(a.snapshot()));
    expect([...b.records()]).not.toEqual(want);
  });
});
