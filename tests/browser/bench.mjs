// Browser benchmark: opens each dump given on the command line in the built site (dist/) in
// headless Chromium and measures the time to the overview, the worker's own decode and
// analysis times, its wasm memory, main-thread long tasks, and the time each view takes to
// show its first rows. Prints one JSON object per dump (the `bench-large` table reads them).
//
//   make dist && node tests/browser/bench.mjs DUMP [DUMP…]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGS, T, serveDir } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
// Each view and the element that shows it has real content.
const VIEWS = [
  ['leaks', `${T('finding')}, ${T('no-findings')}`],
  ['classes', T('class-row')],
  ['objects', T('object-row')],
  ['dominators', T('dom-row')],
  ['flame', T('flame-node')],
  ['goroutines', T('goroutine-group')],
  ['lost', T('lost-summary')],
];

const dumps = process.argv.slice(2);
if (!dumps.length) {
  console.error('usage: node tests/browser/bench.mjs DUMP [DUMP…]');
  process.exit(2);
}

const server = await serveDir(DIST);
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });

let failures = 0;
for (const dump of dumps) {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({
      type: 'longtask',
      buffered: false,
    });
  });
  await page.goto(origin + '/');
  await page.waitForSelector(T('drop-zone'));
  const t0 = Date.now();
  await page.setInputFiles(T('file-input'), dump);
  const phases = [];
  let last = null;
  for (;;) {
    if (await page.$(T('total-objects'))) break;
    const err = await page.$(T('error-panel'));
    if (err) {
      const msg = (await err.innerText()).slice(0, 500);
      console.log(JSON.stringify({ dump: path.basename(dump), error: msg }));
      failures++;
      break;
    }
    const ph = await page.$eval(T('progress-phase'), (e) => e.textContent).catch(() => null);
    if (ph && ph !== last) {
      phases.push({ phase: ph, at_ms: Date.now() - t0 });
      last = ph;
    }
    if (Date.now() - t0 > 600000) throw new Error(`${dump}: no overview after 600 s`);
    await page.waitForTimeout(50);
  }
  if (!(await page.$(T('total-objects')))) {
    await page.close();
    continue;
  }
  const overview_ms = Date.now() - t0;
  const stats = await page.$eval(T('load-stats'), (e) => ({
    decode_ms: Number(e.dataset.decodeMs),
    analysis_ms: Number(e.dataset.analysisMs),
    wasm_memory_bytes: Number(e.dataset.wasmMemory),
  }));
  const objects = Number((await page.innerText(T('total-objects'))).replace(/[^0-9]/g, ''));
  const views = {};
  for (const [slug, sel] of VIEWS) {
    const v0 = Date.now();
    await page.click(T(`nav-${slug}`));
    await page.waitForSelector(sel, { timeout: 300000 });
    views[slug] = Date.now() - v0;
  }
  // Linear memory never shrinks: read after every view has been opened, this is the peak.
  let wasm_memory_after_views_bytes = null;
  for (const w of page.workers()) {
    const b = await w
      .evaluate(() => (self.__dumpscopeWasm ? self.__dumpscopeWasm.memory.buffer.byteLength : null))
      .catch(() => null);
    if (b) wasm_memory_after_views_bytes = Math.max(wasm_memory_after_views_bytes || 0, b);
  }
  const long = await page.evaluate(() => window.__long);
  const size = fs.statSync(dump).size;
  console.log(
    JSON.stringify({
      dump: path.basename(dump),
      bytes: size,
      objects,
      overview_ms,
      ...stats,
      bytes_per_object: stats.wasm_memory_bytes / objects,
      wasm_memory_after_views_bytes,
      mb_per_s: size / 1e6 / (stats.decode_ms / 1000),
      phases,
      views_ms: views,
      longest_task_ms: long.length ? Math.max(...long) : 0,
      long_tasks_over_100ms: long.filter((d) => d > 100).length,
    }),
  );
  await page.close();
}
await browser.close();
server.close();
process.exit(failures ? 1 : 0);
