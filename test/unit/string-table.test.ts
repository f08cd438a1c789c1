/**
 * The verifier's string table (verify/string-table.ts): ids in the order strings were first added,
 * the same answers as a Map through growth and colliding hashes.
 */
import { StringTable, hashString } from '../../verify/string-table';

/** Pseudo-random strings, some repeated, some differing only in their last character. */
function strings(n: number): string[] {
  let seed = 7;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    out.push(seed % 5 === 0 && out.length > 0 ? out[seed % out.length]! : `lt-${seed.toString(36)}-${i % 10}`);
  }
  return out;
}

type Table = Pick<StringTable, 'add' | 'get' | 'at' | 'size' | 'strings'>;

function checkAgainstMap(table: Table, input: readonly string[]): void {
  const map = new Map<string, number>();
  for (const s of input) {
    const expected = map.get(s) ?? map.size;
    map.set(s, expected);
    expect(table.add(s)).toBe(expected);
  }
  expect(table.size).toBe(map.size);
  for (const [s, id] of map) {
    expect(table.get(s)).toBe(id);
    expect(table.at(id)).toBe(s);
  }
  expect(table.strings).toEqual([...map.keys()]);
  expect(table.get('never added')).toBe(-1);
}

describe('StringTable', () => {
  it('numbers strings as a Map would, through many growths', () => {
    checkAgainstMap(new StringTable(), strings(20_000));
  });

  it('stays exact when every hash collides (a constant hash) and when only the low bits differ', () => {
    checkAgainstMap(new StringTable(4, () => 42), strings(500));
    checkAgainstMap(new StringTable(4, (s) => s.length << 20), strings(2_000));
  });

  it('tells strings with the same hash apart by their text; the comparison fails a table that trusts hashes alone (negative control)', () => {
    const t = new StringTable(4, () => 1);
    expect(t.add('a')).toBe(0);
    expect(t.add('b')).toBe(1);
    expect(t.get('c')).toBe(-1);
    expect(t.get('b')).toBe(1);
    const byHash = new Map<number, number>();
    const list: string[] = [];
    const trusting: Table = {
      add: (s) => byHash.get(s.length) ?? (byHash.set(s.length, list.length), list.push(s) - 1),
      get: (s) => byHash.get(s.length) ?? -1,
      at: (id) => list[id]!,
      get size() {
        return list.length;
      },
      get strings() {
        return list;
      },
    };
    expect(() => checkAgainstMap(trusting, strings(100))).toThrow();
  });

  it('hashes with FNV-1a: the published 32-bit values', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
  });
});
