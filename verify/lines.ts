/**
 * Reading an NDJSON file line by line, fast: the file is read in large chunks and split in place,
 * and each line is handed to a synchronous callback (no promise or iterator step per line, which
 * is what made `readline` the verifier's bottleneck on histories of millions of lines). A chunk is
 * decoded only up to its last newline, whose bytes never belong to a multi-byte character, so no
 * decoder state and no string joining is needed; the bytes after it move to the front of the
 * buffer for the next read. ASCII text (the plugin's histories) is taken byte for byte.
 */
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';

/**
 * Under V8's 128 KB large-object size: a chunk's text is then an ordinary young object, not a
 * separately mapped one (measured here on a million history lines: 0.72 s against 0.81 to 1.09 s
 * with 4 MB chunks, and a fifth of the system time).
 */
const CHUNK = 120 * 1024;
const NEWLINE = 10;

/** The text of bytes [0, end): one byte a character when they are ASCII, else UTF-8. */
function decode(buffer: Buffer, end: number): string {
  return isAscii(buffer.subarray(0, end)) ? buffer.toString('latin1', 0, end) : buffer.toString('utf8', 0, end);
}

const withoutCr = (line: string): string => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);

/**
 * Calls `onLine` for every line of the file (a final line without its newline included), without
 * its `\r\n` or `\n`; with `start` and `end`, for the lines in those bytes only (line boundaries,
 * see lineStart). A line longer than a chunk grows the buffer.
 */
export async function eachLine(file: string, onLine: (line: string) => void, opts: { chunkBytes?: number; start?: number; end?: number } = {}): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(Math.max(1, opts.chunkBytes ?? CHUNK));
    let position = opts.start ?? 0;
    const end = opts.end ?? Infinity;
    /** Bytes at the front of the buffer that follow the last newline read: the start of a line. */
    let held = 0;
    while (position < end) {
      if (held === buffer.length) {
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, held);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, held, Math.min(buffer.length - held, end - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const filled = held + bytesRead;
      const last = buffer.lastIndexOf(NEWLINE, filled - 1);
      if (last === -1) {
        held = filled;
        continue;
      }
      const text = decode(buffer, last);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        onLine(withoutCr(text.slice(from, nl)));
        from = nl + 1;
      }
      onLine(withoutCr(text.slice(from)));
      buffer.copy(buffer, 0, last + 1, filled);
      held = filled - last - 1;
    }
    if (held > 0) onLine(withoutCr(decode(buffer, held)));
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
