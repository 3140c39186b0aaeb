// Shared set-up for the browser tests: Debian's Chromium, driven by playwright-core,
// on the built site served over real HTTP by scripts/serve.js.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SITE_HEADERS, startServer } from '../../scripts/serve.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = path.join(root, 'dist');
export const screenshotDir = path.join(root, 'build/screenshots');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmsim-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// The built site, with the headers it is served with (its Content-Security-Policy).
export async function serveDist(options = {}) {
  return startServer(distDir, { ...options, headers: { ...SITE_HEADERS, ...options.headers } });
}

// Opens the page and waits until the simulator has drawn. Collects console errors.
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  return { page, errors };
}

export async function screenshot(page, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Viridis anchors as published (t = 0, 1/8, ..., 1), written out here so the tests
// do not borrow the page's own colour code.
const VIRIDIS = [[68, 1, 84], [71, 45, 123], [59, 82, 139], [44, 114, 142], [33, 145, 140],
  [40, 174, 128], [94, 201, 98], [173, 220, 48], [253, 231, 37]];

// The t in [0, 1] whose viridis colour is nearest to rgb, by sampling the curve, and
// how far that colour is from rgb ({ t, d }): a drawn value read back from its pixel.
export function viridisInverse([r, g, b]) {
  let best = { t: 0, d: Infinity };
  for (let s = 0; s <= 800; s++) {
    const x = (s / 800) * 8, i = Math.min(7, Math.floor(x)), f = x - i;
    const c = VIRIDIS[i].map((a, k) => a + (VIRIDIS[i + 1][k] - a) * f);
    const d = Math.hypot(c[0] - r, c[1] - g, c[2] - b);
    if (d < best.d) best = { t: s / 800, d };
  }
  return best;
}
