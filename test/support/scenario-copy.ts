import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './db';
import { ROOT } from './cli';

/** Copies the pack's scenarios to a temporary SCENARIOS_DIR, editing the files named in `edits`. */
export function scenariosCopy(edits: Readonly<Record<string, (yaml: string) => string>>): string {
  const dir = tempDir('scenarios');
  const files = fs.readdirSync(path.join(ROOT, 'scenarios'));
  for (const name of Object.keys(edits)) if (!files.includes(name)) throw new Error(`no scenario file ${name}`);
  for (const f of files) {
    let text = fs
      .readFileSync(path.join(ROOT, 'scenarios', f), 'utf8')
      .replace('"../processors/index.ts"', JSON.stringify(path.join(ROOT, 'processors', 'index.ts')));
    const edit = edits[f];
    if (edit) {
      const edited = edit(text);
      if (edited === text) throw new Error(`the edit changed nothing in ${f}`);
      text = edited;
    }
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

/** Copies the pack's scenarios to a temporary SCENARIOS_DIR, editing one of them. */
export function scenariosWith(file: string, edit: (yaml: string) => string): string {
  return scenariosCopy({ [file]: edit });
}
