/**
 * Reading an NDJSON file line by line, fast: the file is read in large chunks and split in place,
 * and each line is handed to a synchronous callback (no promise or iterator step per line, which
 * is what made `readline` the verifier's bottleneck on histories of millions of lines).
 */
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 4 * 1024 * 1024;

/** Calls `onLine` for every line of the file (a final line without its newline included), without its `\r\n` or `\n`. */
export async function eachLine(file: string, onLine: (line: string) => void, chunkBytes = CHUNK): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
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
