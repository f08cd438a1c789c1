import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compiledProcessor, compiledTwin, compiledUpToDate } from '../../runner/compiled-processor';

/** A pack root with processors/index.ts, lib/config.ts and their compiled files, a second apart. */
function packRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-proc-'));
  const write = (file: string, mtime: number): void => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), '//\n');
    fs.utimesSync(path.join(root, file), mtime, mtime);
  };
  write('processors/index.ts', 1000);
  write('lib/config.ts', 1000);
  write('dist/processors/index.js', 1001);
  write('dist/lib/config.js', 1001);
  fs.mkdirSync(path.join(root, 'scenarios'));
  return root;
}

function scenario(root: string, config: Record<string, unknown>): string {
  const file = path.join(root, 'scenarios', 's.yml');
  fs.writeFileSync(
    file,
    `config:\n${Object.entries(config)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
      .join('\n')}\nscenarios: []\n`,
  );
  return file;
}

describe('compiled processors (runner/compiled-processor.ts)', () => {
  let root: string;
  beforeEach(() => {
    root = packRoot();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test("only the pack's own TypeScript processors have a compiled twin", () => {
    expect(compiledTwin(root, path.join(root, 'processors', 'index.ts'))).toBe(path.join(root, 'dist', 'processors', 'index.js'));
    expect(compiledTwin(root, path.join(root, 'processors', 'index.js'))).toBeNull();
    expect(compiledTwin(root, path.join(root, 'elsewhere', 'index.ts'))).toBeNull();
    expect(compiledTwin(root, path.join(root, 'processors', 'sub', 'index.ts'))).toBeNull();
  });

  test('a scenario naming the pack processor gets the compiled one', () => {
    expect(compiledProcessor(root, scenario(root, { processor: '../processors/index.ts' }))).toBe(path.join(root, 'dist', 'processors', 'index.js'));
  });

  test('negative controls: a source newer than its compiled file, or one never compiled, and Artillery bundles the TypeScript', () => {
    const file = scenario(root, { processor: '../processors/index.ts' });
    fs.utimesSync(path.join(root, 'lib', 'config.ts'), 1002, 1002);
    expect(compiledUpToDate(root)).toBe(false);
    expect(compiledProcessor(root, file)).toBeNull();
    fs.utimesSync(path.join(root, 'lib', 'config.ts'), 1000, 1000);
    expect(compiledProcessor(root, file)).not.toBeNull();
    fs.writeFileSync(path.join(root, 'processors', 'new.ts'), '//\n');
    expect(compiledUpToDate(root)).toBe(false);
  });

  test("someone else's processor, one per environment, none, or a scenario that does not parse: left to Artillery", () => {
    expect(compiledProcessor(root, scenario(root, { processor: './mine.ts' }))).toBeNull();
    expect(compiledProcessor(root, scenario(root, { processor: '../processors/index.ts', environments: { x: { processor: './other.js' } } }))).toBeNull();
    expect(compiledProcessor(root, scenario(root, { target: 'http://x' }))).toBeNull();
    const bad = path.join(root, 'scenarios', 'bad.yml');
    fs.writeFileSync(bad, 'config: [unclosed\n');
    expect(compiledProcessor(root, bad)).toBeNull();
  });
});
