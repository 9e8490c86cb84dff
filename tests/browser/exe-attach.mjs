// Times attaching a big executable in headless Chromium: the worker reads it in slices from
// the `File` (never whole into wasm memory). The executable need not match the dump: it is
// read whole before the match is checked, so a refusal times the read.
//
//   node tests/browser/exe-attach.mjs DUMP EXECUTABLE
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGS, T, serveDir } from './common.mjs';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const [dump, exe] = process.argv.slice(2);
if (!dump || !exe) throw new Error('usage: node tests/browser/exe-attach.mjs DUMP EXECUTABLE');
const server = await serveDir(DIST);
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ARGS,
});
try {
  const page = await browser.newPage();
  await page.goto(origin + '/');
  await page.waitForSelector(T('drop-zone'));
  await page.setInputFiles(T('file-input'), dump);
  await page.waitForSelector(T('total-objects'), { timeout: 120000 });
  const t0 = Date.now();
  await page.setInputFiles(T('open-exe'), exe);
  await page.waitForFunction(() => {
    const e = document.querySelector('[data-testid="exe-status"]');
    return e && e.textContent && !e.textContent.startsWith('reading');
  }, null, { timeout: 300000 });
  const ms = Date.now() - t0;
  const status = await page.innerText(T('exe-status'));
  const named = await page.$(T('exe-name'));
  console.log(JSON.stringify({ exe: path.basename(exe), bytes: fs.statSync(exe).size, ms, status, named: named ? await named.innerText() : null }));
} finally {
  await browser.close();
  server.close();
}
