#!/usr/bin/env node
/**
 * Installs the Artillery the running Node can run, from its own lockfile (npm's postinstall runs
 * this after `npm ci`; plain JavaScript, so it needs no build):
 *
 *   Node >= 22.18   artillery/current   the newest Artillery 2.x (2.0.34 needs Node >= 22.18)
 *   Node <  22.18   artillery/node20    2.0.21, the last release that runs on Node 20
 *
 * Each tree is installed with `npm ci` from its own package-lock.json, so a run is as
 * reproducible as the pack's own dependencies, and only the tree this Node needs is installed.
 * A tree already in place at the locked version is left alone. LOADTEST_ARTILLERY=current|node20
 * chooses another tree (it must suit the Node that will run it); ARTILLERY_DIR points the runner
 * at an Artillery installed elsewhere, and then nothing is installed here.
 *
 * Exit codes: 0 installed or already in place; 1 npm failed (its output above); 254 a bad
 * LOADTEST_ARTILLERY.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TREES = ['current', 'node20'];

/** The tree for a Node version: the newest Artillery needs Node >= 22.18. */
function treeFor(nodeVersion) {
  const [major, minor] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 18) ? 'current' : 'node20';
}

function lockedVersion(tree) {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'artillery', tree, 'package-lock.json'), 'utf8'));
  return lock.packages['node_modules/artillery'].version;
}

function installedVersion(tree) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'artillery', tree, 'node_modules', 'artillery', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function main() {
  if (process.env.ARTILLERY_DIR) {
    console.log(`artillery: ARTILLERY_DIR is set (${process.env.ARTILLERY_DIR}); nothing installed`);
    return 0;
  }
  const asked = process.env.LOADTEST_ARTILLERY;
  if (asked && !TREES.includes(asked)) {
    console.error(`error LT_USAGE: LOADTEST_ARTILLERY=${asked} is not one of ${TREES.join(', ')} (fix: unset it, or name one of them)`);
    return 254;
  }
  const tree = asked || treeFor(process.version);
  const want = lockedVersion(tree);
  if (installedVersion(tree) === want) {
    console.log(`artillery: ${want} already in artillery/${tree} (Node ${process.version})`);
    return 0;
  }
  const started = Date.now();
  // The parent npm's settings (a global prefix, a production-only install) are not this tree's.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_config_(prefix|global|omit|only|production|workspaces?|include_workspace_root)$/i.test(k)),
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: path.join(ROOT, 'artillery', tree),
    env: { ...env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(
      `error: npm ci in artillery/${tree} failed (exit ${r.status}); see above (fix: rerun npm ci, or set ARTILLERY_DIR to an Artillery of your own)`,
    );
    return 1;
  }
  console.log(`artillery: ${want} installed in artillery/${tree} for Node ${process.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

if (require.main === module) process.exit(main());
module.exports = { treeFor };
