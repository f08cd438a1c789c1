/**
 * The HTML reports in a real browser: Debian's Chromium, from file://, every network request
 * blocked. No console errors, every chart drawn, verdict and integrity visible.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { tempDir } from '../support/db';
import { ROOT, runCli } from '../support/cli';
import { browserMissing, checkPage, launch } from '../support/browser';

jest.setTimeout(120_000);

const missing = browserMissing();
const maybe = missing ? it.skip : it;
if (missing) process.stderr.write(`report browser tests skipped: ${missing}\n`);

describe('HTML report of a plain Artillery JSON (no pack metrics), in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!missing) browser = await launch();
  });
  afterAll(async () => browser?.close());

  maybe('renders offline, draws its charts and says which sections are missing', async () => {
    const dir = tempDir('report-plain');
    const json = path.join(dir, 'plain.json');
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'artillery-plain.json'), json);
    const r = await runCli('report', [json], {});
    expect(r.code).toBe(0);
    const html = path.join(dir, 'plain.html');
    expect(r.stdout).toContain(html);
    const check = await checkPage(browser, html, ['#verdict', '#missing', '#charts'], path.join(dir, 'plain.png'));
    expect(check.consoleErrors).toEqual([]);
    expect(check.blockedRequests).toEqual([]);
    expect(check.canvases.length).toBe(3);
    for (const c of check.canvases) expect([c.id, c.drawn > 500]).toEqual([c.id, true]);
    expect(check.visible).toEqual({ '#verdict': true, '#missing': true, '#charts': true });
    expect(check.text).toMatch(/did not use artillery-plugin-isolation/);
  });

  it('refuses a truncated file with one line and exit 254, writing nothing', async () => {
    const dir = tempDir('report-bad');
    const json = path.join(dir, 'cut.json');
    fs.writeFileSync(json, fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'artillery-plain.json'), 'utf8').slice(0, 300));
    const r = await runCli('report', [json], {});
    expect(r.code).toBe(254);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('is not valid JSON (truncated or not an Artillery report)');
    expect(fs.readdirSync(dir)).toEqual(['cut.json']);
  });
});
