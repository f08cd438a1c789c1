#!/usr/bin/env node
/**
 * node scripts/screenshot-report.js [run folder]   (npm run docs:screenshot)
 *
 * The README's picture of a report, taken from a real run, never drawn by hand: opens the run's
 * index.html and its first scenario report (default: reports/latest) in Debian's Chromium,
 * offline, and writes docs/images/report-index.png and docs/images/report-scenario.png.
 * `npm run docs:screenshot` makes a quick scenario 1 run first.
 *
 * Exit codes: 0 written; 2 no run folder or no browser (the line says which); 1 the page failed.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

async function shoot(browser, file, out) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
  // Offline, as a reader opens it: nothing but the file itself loads.
  await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  const page = await context.newPage();
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForTimeout(500);
  const tmp = `${out}.tmp.png`;
  await page.screenshot({ path: tmp, fullPage: false });
  fs.renameSync(tmp, out);
  await context.close();
}

async function main() {
  const run = path.resolve(ROOT, process.argv[2] || 'reports/latest');
  const index = path.join(run, 'index.html');
  if (!fs.existsSync(index)) {
    console.error(`error: no report at ${index} (fix: run a scenario first, e.g. npm run load-test:scenario1 -- --profile quick)`);
    return 2;
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`error: no Chromium at ${CHROMIUM} (fix: apt-get install chromium, or set CHROMIUM_PATH)`);
    return 2;
  }
  const scenario = fs
    .readdirSync(run)
    .filter((f) => f.endsWith('.html') && f !== 'index.html' && !f.startsWith('compare'))
    .sort()[0];
  const dir = path.join(ROOT, 'docs', 'images');
  fs.mkdirSync(dir, { recursive: true });
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    await shoot(browser, index, path.join(dir, 'report-index.png'));
    if (scenario) await shoot(browser, path.join(run, scenario), path.join(dir, 'report-scenario.png'));
  } finally {
    await browser.close();
  }
  console.log(`wrote docs/images/report-index.png${scenario ? ' and docs/images/report-scenario.png' : ''} from ${path.relative(ROOT, run) || run}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
