/**
 * Opens report pages in Debian's Chromium (driven by playwright-core) from file:// with every
 * network request blocked, and says what a person would see.
 */
import * as fs from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or null. In CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | null {
  if (fs.existsSync(CHROMIUM)) return null;
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI) throw new Error(`CI=true and ${why}`);
  return why;
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

export interface PageCheck {
  readonly consoleErrors: string[];
  readonly blockedRequests: string[];
  /** For every canvas: how many pixels have been drawn on. */
  readonly canvases: { id: string; drawn: number }[];
  readonly visible: Record<string, boolean>;
  readonly text: string;
}

export async function checkPage(browser: Browser, file: string, selectors: string[], screenshot?: string): Promise<PageCheck> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const blockedRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blockedRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  const canvases = await page.$$eval('canvas', (els) =>
    els.map((el) => {
      const c = el as HTMLCanvasElement;
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) return { id: c.id, drawn: 0 };
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let drawn = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) drawn++;
      return { id: c.id, drawn };
    }),
  );
  const visible: Record<string, boolean> = {};
  for (const s of selectors) visible[s] = await page.locator(s).first().isVisible();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  const text = await page.innerText('body');
  await context.close();
  return { consoleErrors, blockedRequests, canvases, visible, text };
}
