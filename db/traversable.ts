/**
 * As root, the embedded PostgreSQL runs as the `postgres` user. That user must be able to enter
 * every folder on the way to its data and to its binaries: checked before anything starts, so
 * the command stops with the folder and the fix instead of a failed spawn.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { PackError } from '../lib/errors';

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to enter every parent folder
 * of its data folder, and of its binaries (in the checkout's node_modules: a checkout under /root,
 * mode 700, cannot run them).
 */
export function assertTraversableByOthers(dir: string, what: 'data' | 'binaries'): void {
  const fix =
    what === 'data'
      ? (d: string) => `set EMBEDDED_PG_DIR to a folder whose parents are world-searchable (the default is under ${os.tmpdir()}), or \`chmod o+x ${d}\``
      : (d: string) => `put the pack's checkout in a folder others can enter (such as /opt, /srv or ${os.tmpdir()}), or \`chmod o+x ${d}\``;
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    let mode: number;
    try {
      mode = fs.statSync(d).mode;
    } catch {
      mode = 0o755;
    }
    if ((mode & 0o001) === 0) {
      throw new PackError(
        'LT_EMBEDDED_PG_FAILED',
        `PostgreSQL runs as the postgres user, which cannot enter ${d} (mode ${(mode & 0o777).toString(8)}) to reach its ${what === 'data' ? 'data folder' : 'binaries'}`,
        { hint: fix(d) },
      );
    }
    if (path.dirname(d) === d) return;
  }
}
