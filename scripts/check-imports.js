#!/usr/bin/env node
/**
 * node scripts/check-imports.js   (part of `npm run lint`)
 *
 * The house rules docs/architecture.md states, checked on the sources:
 *   1. imports run downwards only: a folder imports only folders of a lower rank (LAYERS below),
 *      never one of its own rank or above;
 *   2. no import cycle spans files in different folders (implied by 1, checked on its own so that
 *      a wrong rank cannot hide one);
 *   3. no function in runner/ is longer than 80 lines.
 * Each breach is one line: the file, the line, what it imports or how long the function is.
 *
 * Exit codes: 0 the house holds; 1 a rule is broken (the lines above say where).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Higher imports lower. Folders of one rank do not import each other. */
const LAYERS = {
  cli: 9,
  bench: 8,
  breakpoint: 7,
  runner: 6,
  report: 5,
  verify: 5,
  processors: 5,
  faults: 5,
  edge: 4,
  target: 4,
  examples: 4,
  api: 3,
  seed: 3,
  db: 2,
  formats: 1,
  lib: 0,
};
const MAX_RUNNER_FUNCTION_LINES = 80;

function sources(root, dirs = Object.keys(LAYERS)) {
  const out = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') walk(r);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(r);
    }
  };
  for (const d of dirs) if (fs.existsSync(path.join(root, d))) walk(d);
  return out;
}

/** Relative imports of a file: [line, the folder-relative target without extension]. */
function importsOf(root, file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const out = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'(\.\.?\/[^']+)'|require\('(\.\.?\/[^']+)'\)/g;
  for (let m; (m = re.exec(text));) {
    const spec = m[1] || m[2];
    const line = text.slice(0, m.index + m[0].length).split('\n').length;
    out.push([line, path.normalize(path.join(path.dirname(file), spec))]);
  }
  return out;
}

const folderOf = (rel) => rel.split(path.sep)[0];

function resolveFile(root, target) {
  for (const c of [`${target}.ts`, path.join(target, 'index.ts')]) if (fs.existsSync(path.join(root, c))) return c;
  return null;
}

/** Rule 1 and 2. */
function importBreaches(root) {
  const files = sources(root);
  const breaches = [];
  const graph = new Map();
  for (const f of files) {
    const from = folderOf(f);
    const edges = [];
    for (const [line, target] of importsOf(root, f)) {
      const to = folderOf(target);
      if (!(to in LAYERS) || to === from) {
        const resolved = resolveFile(root, target);
        if (resolved) edges.push(resolved);
        continue;
      }
      if (LAYERS[to] >= LAYERS[from])
        breaches.push(`${f}:${line}: ${from}/ (rank ${LAYERS[from]}) imports ${target} in ${to}/ (rank ${LAYERS[to]}): imports run downwards only`);
      const resolved = resolveFile(root, target);
      if (resolved) edges.push(resolved);
    }
    graph.set(f, edges);
  }
  // Cycles across folders: Tarjan's strongly connected components over files.
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) || []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const folders = new Set(comp.map(folderOf));
      if (folders.size > 1) breaches.push(`an import cycle spans ${[...folders].join(', ')}: ${comp.sort().join(' → ')}`);
    }
  };
  for (const f of graph.keys()) if (!idx.has(f)) strong(f);
  return breaches;
}

/** Rule 3: functions (declarations, methods, arrow functions) in runner/ longer than the limit. */
function longFunctions(root) {
  const ts = require('typescript');
  const breaches = [];
  for (const f of sources(root, ['runner'])) {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > MAX_RUNNER_FUNCTION_LINES) {
          const name = node.name ? node.name.getText(sf) : '(anonymous)';
          breaches.push(`${f}:${start + 1}: ${name} is ${lines} lines (at most ${MAX_RUNNER_FUNCTION_LINES} in runner/): split it into named steps`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return breaches;
}

function check(root = ROOT) {
  return [...importBreaches(root), ...longFunctions(root)];
}

if (require.main === module) {
  const breaches = check();
  for (const b of breaches) console.error(b);
  if (breaches.length > 0) {
    console.error(`${breaches.length} house rule(s) broken (docs/architecture.md, "The rooms")`);
    process.exit(1);
  }
  console.log('house rules hold: imports run downwards, no cycle spans folders, no runner/ function over 80 lines');
}

module.exports = { check, LAYERS };
