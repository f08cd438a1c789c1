import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './db';
import { ROOT } from './cli';

/** Copies the pack's scenarios to a temporary SCENARIOS_DIR, editing one of them. */
export function scenariosWith(file: string, edit: (yaml: string) => string): string {
  const dir = tempDir('scenarios');
  for (const f of fs.readdirSync(path.join(ROOT, 'scenarios'))) {
    let text = fs.readFileSync(path.join(ROOT, 'scenarios', f), 'utf8').replace('"../processors/index.ts"', JSON.stringify(path.join(ROOT, 'processors', 'index.ts')));
    if (f === file) {
      const edited = edit(text);
      if (edited === text) throw new Error(`the edit changed nothing in ${file}`);
      text = edited;
    }
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}
