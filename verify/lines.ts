/**
 * Reading an NDJSON file line by line, fast: the file is read in large chunks and split in place,
 * and each line is handed to a synchronous callback (no promise or iterator step per line, which
 * is what made `readline` the verifier's bottleneck on histories of millions of lines).
 */
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 4 * 1024 * 1024;

/**
 * Calls `onLine` for every line of the file (a final line without its newline included), without
 * its `\r\n` or `\n`; with `start` and `end`, for the lines in those bytes only (line boundaries,
 * see lineStart).
 */
export async function eachLine(file: string, onLine: (line: string) => void, opts: { chunkBytes?: number; start?: number; end?: number } = {}): Promise<void> {
  const chunkBytes = opts.chunkBytes ?? CHUNK;
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let position = opts.start ?? 0;
    const end = opts.end ?? Infinity;
    let rest = '';
    while (position < end) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(chunkBytes, end - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        onLine(text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.end();
    if (rest.length > 0) onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  } finally {
    await handle.close();
  }
}

/** The first line start at or after byte `at` of the file (its size when there is none): where a segment of it may begin. */
export async function lineStart(file: string, at: number): Promise<number> {
  const size = (await fs.promises.stat(file)).size;
  if (at <= 0) return 0;
  if (at >= size) return size;
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (let position = at - 1; position < size; position += buffer.length) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      const nl = buffer.subarray(0, bytesRead).indexOf(10);
      if (nl !== -1) return position + nl + 1;
    }
    return size;
  } finally {
    await handle.close();
  }
}
