/**
 * The one atomic write of the pack: the text goes to a temporary file beside the target, then is
 * renamed over it, so a reader (or a crash) never sees half a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, text: string, opts: { mode?: number } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, opts.mode === undefined ? undefined : { mode: opts.mode });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** JSON, pretty-printed with a final newline, written atomically. */
export function writeJsonAtomic(file: string, value: unknown, opts: { mode?: number } = {}): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, opts);
}
