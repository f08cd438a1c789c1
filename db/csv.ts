/**
 * PostgreSQL's CSV output (`COPY … TO STDOUT WITH (FORMAT csv)`), parsed as it streams in: a
 * record is an array of fields, `null` for an unquoted empty field (SQL NULL) and `''` for a quoted
 * one. Quoted fields may hold commas, doubled quotes and newlines, and may span chunks. Lines
 * without a quote (nearly all) take a fast path: one `split`.
 */
export type CsvRecord = (string | null)[];

export class CsvParser {
  private rest = '';

  /** Parses what arrived; a record cut by the end of the text waits for the next push. */
  push(text: string, onRecord: (r: CsvRecord) => void): void {
    const s = this.rest + text;
    let i = 0;
    let quote = s.indexOf('"');
    for (;;) {
      const nl = s.indexOf('\n', i);
      if (nl === -1) break;
      if (quote !== -1 && quote < i) quote = s.indexOf('"', i);
      if (quote === -1 || quote > nl) {
        onRecord(plain(s.slice(i, nl)));
        i = nl + 1;
        continue;
      }
      const r = quoted(s, i);
      if (r === null) break;
      onRecord(r.fields);
      i = r.next;
    }
    this.rest = s.slice(i);
  }

  /** The last record, when the text did not end with a newline. */
  end(onRecord: (r: CsvRecord) => void): void {
    if (this.rest.length === 0) return;
    const last = `${this.rest}\n`;
    this.rest = '';
    const r = last.includes('"') ? quoted(last, 0) : { fields: plain(last.slice(0, -1)), next: last.length };
    if (r === null) throw new Error('the CSV output ended inside a quoted field');
    onRecord(r.fields);
  }
}

function plain(line: string): CsvRecord {
  const fields: CsvRecord = (line.endsWith('\r') ? line.slice(0, -1) : line).split(',');
  for (let f = 0; f < fields.length; f++) if (fields[f] === '') fields[f] = null;
  return fields;
}

/** One record from `start`, quotes honoured; null when the text ends before the record does. */
function quoted(s: string, start: number): { fields: CsvRecord; next: number } | null {
  const fields: CsvRecord = [];
  let i = start;
  for (;;) {
    if (s[i] === '"') {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = s.indexOf('"', from);
        if (q === -1 || q + 1 >= s.length) return null;
        value += s.slice(from, q);
        if (s[q + 1] === '"') {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
    } else {
      let j = i;
      while (j < s.length && s[j] !== ',' && s[j] !== '\n') j++;
      if (j >= s.length) return null;
      const raw = s.slice(i, j);
      const v = raw.endsWith('\r') && s[j] === '\n' ? raw.slice(0, -1) : raw;
      fields.push(v === '' ? null : v);
      i = j;
    }
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === '\r') i++;
    if (s[i] === '\n') return { fields, next: i + 1 };
    if (i >= s.length) return null;
    throw new Error(`unexpected character ${JSON.stringify(s[i])} after a quoted CSV field`);
  }
}
