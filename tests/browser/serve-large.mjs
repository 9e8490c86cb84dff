// `make serve-large`: the built app (dist/) against `dumpscope serve` on large dumps, in
// headless Chromium (playwright-core), compared with the CLI's own JSON on the same dump:
// overview, classes, dominator tree, retainers and inspector show the CLI's numbers, and no
// request leaves loopback. Needs dist/ and the release CLI.
//
//   node tests/browser/serve-large.mjs [--exe EXE] DUMP [[--exe EXE] DUMP…]
//
// `--exe EXE` applies to the dump after it only: `dumpscope --exe EXE serve DUMP`, and the
// CLI side runs with `--exe EXE` too (names then come from the executable).
//
// Per dump it prints what was compared (view, item, how, app, CLI), serve's time to its URL,
// the page's time to the overview and serve's peak RSS (VmHWM). Exits non-zero on any
// mismatch or error.
//
// How numbers are compared: exactly wherever the app exposes the exact value (the overview's
// object count is printed raw; title="N B" on class rows and dominator rows; "(N B)" in the
// inspector; addresses, class names, root labels as text). Where the app only shows a
// formatted number (counts with thousands separators, human bytes such as "1.23 GiB",
// percentages), the CLI's number goes through the same formatting as the app's
// (src/units.rs, src/web/app/fmt.rs, reproduced below) and the texts are compared: "fmt".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ARGS, T } from './common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'target/release/dumpscope');
const SCREENS = path.join(ROOT, 'tests/out/screens');
// Large dumps: serve decodes and analyses before it prints its URL, and each page of rows
// is computed on demand, so the waits are long.
const URL_TIMEOUT_MS = 30 * 60 * 1000;
const PAGE_TIMEOUT_MS = 10 * 60 * 1000;
// Rows compared: the classes view's first rows; dominator entries (at most); `top` rows
// fetched.
const CLASS_ROWS = 10;
const DOM_MAX = 30;
const TOP_LIMIT = 200;

// ---------------------------------------------------------------- the app's formatting
// Rust's `{:.N}`: the exact binary value rounded, an exact tie to even (55.25 → "55.2");
// JS toFixed breaks a tie upwards ("55.3").
function fixed(v, d) {
  const k = 10 ** d;
  const scaled = v * k;
  if (scaled / k === v && !Number.isInteger(scaled) && Number.isInteger(scaled * 2)) {
    const lo = Math.floor(scaled);
    return ((lo % 2 === 0 ? lo : lo + 1) / k).toFixed(d);
  }
  return v.toFixed(d);
}
// src/units.rs count: "1234567" → "1,234,567".
const count = (n) => Number(n).toLocaleString('en-US');
// src/units.rs human_bytes: binary units, three significant digits.
function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return v < 10 ? `${fixed(v, 2)} ${units[u]}` : `${fixed(v, 1)} ${units[u]}`;
}
// src/web/app/fmt.rs percent.
function percent(part, whole) {
  if (whole === 0) return '0%';
  const p = (100 * part) / whole;
  return p > 0 && p < 0.1 ? '<0.1%' : `${fixed(p, 1)}%`;
}

// ---------------------------------------------------------------- CLI
function cli(pre, ...args) {
  const t0 = Date.now();
  const r = spawnSync(CLI, [...pre, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`dumpscope ${[...pre, ...args].join(' ')}: ${r.stderr}`);
  console.error(`  cli ${[...pre, ...args].map((a) => (a.length > 40 ? path.basename(a) : a)).join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return JSON.parse(r.stdout);
}

// ---------------------------------------------------------------- arguments
const jobs = [];
{
  const argv = process.argv.slice(2);
  let exe = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--exe') exe = argv[++i];
    else if (argv[i].startsWith('--exe=')) exe = argv[i].slice(6);
    else {
      jobs.push({ dump: argv[i], exe });
      exe = null;
    }
  }
}
if (!jobs.length) {
  console.error('usage: node tests/browser/serve-large.mjs [--exe EXE] DUMP [[--exe EXE] DUMP…]');
  process.exit(2);
}
for (const f of [CLI, path.join(ROOT, 'dist/index.html'), ...jobs.map((j) => j.dump), ...jobs.filter((j) => j.exe).map((j) => j.exe)]) {
  if (!fs.existsSync(f)) {
    console.error(`missing ${f} (the release CLI: cargo build --release --bin dumpscope; the app: make dist)`);
    process.exit(2);
  }
}
fs.mkdirSync(SCREENS, { recursive: true });

// ---------------------------------------------------------------- one dump
async function runDump(browser, { dump, exe }) {
  const pre = exe ? ['--exe', exe] : [];
  const label = path.basename(dump) + (exe ? ` (--exe ${path.basename(exe)})` : '');
  const rows = []; // { view, what, how, app, cli, ok }
  const cmp = (view, what, how, app, want) => {
    const ok = app === want;
    rows.push({ view, what, how, app: String(app), cli: String(want), ok });
    if (!ok) console.error(`  MISMATCH ${view} ${what}: app ${JSON.stringify(app)}, CLI ${JSON.stringify(want)}`);
    return ok;
  };
  const fail = (view, what, detail) => rows.push({ view, what, how: 'error', app: detail, cli: '', ok: false });
  const info = { label, dump_mb: fs.statSync(dump).size / 1e6 };

  // The CLI's numbers first, before serve holds the dump's analysis in memory too.
  console.error(`${label}: CLI`);
  const sum = cli(pre, 'summary', '--json', dump);
  const classes = cli(pre, 'classes', '--json', '--limit', String(CLASS_ROWS), dump);
  const top = cli(pre, 'top', '--json', '--limit', String(TOP_LIMIT), dump);
  const reachable = sum.reachable_bytes;
  // The retainers view asks for 10 paths (MAX_PATHS in src/web/app/retainers.rs).
  const biggest = top.objects[0];
  const retainers = (addr) => cli(pre, 'retainers', '--json', '--paths', '10', dump, addr);
  const retain = [{ obj: biggest, r: retainers(biggest.address) }];
  info.objects = sum.objects;
  info.pointer_edges = sum.pointer_edges;

  // ------------------------------------------------------------ serve
  console.error(`${label}: dumpscope ${[...pre, 'serve', dump, '--site', 'dist', '--port', '0'].join(' ')}`);
  const t0 = Date.now();
  const child = spawn(CLI, [...pre, 'serve', dump, '--site', 'dist', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.on('exit', (code, sig) => (exited = `${code ?? sig}`));
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // Every request of every page and worker of this context.
  const requests = [];
  context.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
  const errors = [];
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL from dumpscope serve in ${URL_TIMEOUT_MS / 1000} s: ${stderr}`)), URL_TIMEOUT_MS);
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/^(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32})$/m);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dumpscope serve exited (${code}): ${stderr}`));
      });
    });
    info.serve_url_s = (Date.now() - t0) / 1000;
    const origin = new URL(url).origin;
    info.origin = origin;
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });

    // ---------------------------------------------------------- overview
    const t1 = Date.now();
    await page.goto(url);
    await page.waitForSelector(`${T('total-objects')}, ${T('error-panel')}`);
    if (await page.$(T('error-panel'))) throw new Error(`error panel: ${(await page.innerText(T('error-panel'))).slice(0, 400)}`);
    info.page_overview_s = (Date.now() - t1) / 1000;
    await page.screenshot({ path: path.join(SCREENS, `serve-large-${path.basename(dump)}-overview.png`) });
    // The object count is printed raw.
    cmp('overview', 'objects', 'exact', Number(await page.innerText(T('total-objects'))), sum.objects);
    cmp('overview', 'Go version', 'exact', await page.innerText(T('go-version')), sum.go_version);
    const card = page.locator('.cards .card', { has: page.locator('.label', { hasText: /^Object bytes$/ }) }).locator('.value');
    cmp('overview', 'object bytes', 'exact (title)', await card.getAttribute('title'), `${sum.object_bytes} B`);
    const legend = await page.$$eval('.overview .legend > span', (l) => l.map((s) => s.textContent.trim()));
    cmp('overview', 'reachable', 'fmt', legend[0], `reachable: ${count(sum.reachable_objects)} objects, ${bytes(sum.reachable_bytes)} (${percent(sum.reachable_bytes, sum.object_bytes)})`);
    cmp('overview', 'unreachable', 'fmt', legend[1], `unreachable: ${count(sum.unreachable_objects)} objects, ${bytes(sum.unreachable_bytes)}`);
    const edges = page.locator('.cards .card', { has: page.locator('.label', { hasText: /^Objects$/ }) }).locator('.muted');
    cmp('overview', 'pointer edges', 'fmt', await edges.innerText(), `${count(sum.pointer_edges)} pointer edges`);
    cmp('overview', 'local engine', 'text', (await page.innerText(T('local-engine'))).includes('local engine'), true);

    // ---------------------------------------------------------- classes
    // Default order: retained, largest first (default_sort in src/engine/protocol.rs), as
    // `dumpscope classes`.
    await nav(page, 'classes');
    let t = Date.now();
    await page.waitForSelector(T('class-row'));
    info.classes_s = (Date.now() - t) / 1000;
    const crows = await page.$$eval(T('class-row'), (rs) =>
      rs.map((r) => {
        const c = r.querySelectorAll(':scope > span');
        return { class: c[0].title, count: c[1].textContent, shallow: c[2].title, retained: c[3].title, share: c[4].textContent };
      }),
    );
    await page.screenshot({ path: path.join(SCREENS, `serve-large-${path.basename(dump)}-classes.png`) });
    const nc = Math.min(CLASS_ROWS, classes.length);
    if (crows.length < nc) fail('classes', 'rows', `${crows.length} rows shown, CLI has ${classes.length}`);
    for (let i = 0; i < Math.min(nc, crows.length); i++) {
      const a = crows[i];
      const c = classes[i];
      cmp('classes', `#${i + 1} name`, 'exact (title)', a.class, c.class);
      cmp('classes', `#${i + 1} count`, 'fmt', a.count, count(c.count));
      cmp('classes', `#${i + 1} shallow`, 'exact (title)', a.shallow, `${c.shallow} B`);
      cmp('classes', `#${i + 1} retained`, 'exact (title)', a.retained, `${c.retained} B`);
      cmp('classes', `#${i + 1} share`, 'fmt', a.share, `${fixed(c.share * 100, 1)}%`);
    }

    // ---------------------------------------------------------- dominator tree
    // `top` lists every reachable object by retained size; the tree nests them. An object's
    // dominator retains more than it does (its own size more), so every object retaining at
    // least R shows in the tree once each node retaining at least R is expanded. R is the
    // smallest retained size of `top` that keeps at most DOM_MAX objects, all of them
    // within the TOP_LIMIT rows fetched (ties included). The app's rows with retained >= R
    // must be exactly those objects (address, class, retained exact from the title, shallow
    // formatted: the app shows no exact shallow size there), and the rows under the root
    // must come in `top`'s order.
    await nav(page, 'dominators');
    t = Date.now();
    await page.waitForSelector(T('dom-row'));
    info.dominators_s = (Date.now() - t) / 1000;
    const R = domThreshold(top.objects);
    const want = top.objects.filter((o) => o.retained >= R);
    const tree = await expandDominators(page, R);
    await page.screenshot({ path: path.join(SCREENS, `serve-large-${path.basename(dump)}-dominators.png`) });
    const got = tree.filter((r) => r.kind === 'row' && r.retained >= R);
    cmp('dominators', `objects retaining >= ${R} B`, 'count', got.length, want.length);
    const byAddr = new Map(got.map((r) => [r.addr, r]));
    for (const o of want) {
      const a = byAddr.get(o.address);
      if (!a) {
        fail('dominators', o.address, `not in the expanded tree (CLI: ${o.class}, retained ${o.retained})`);
        continue;
      }
      cmp('dominators', `${o.address} class`, 'exact (title)', a.class, o.class);
      cmp('dominators', `${o.address} retained`, 'exact (title)', a.retained, o.retained);
      cmp('dominators', `${o.address} shallow`, 'fmt', a.shallow, bytes(o.shallow));
      cmp('dominators', `${o.address} of reachable`, 'fmt', a.percent, percent(o.retained, reachable));
    }
    const rootRows = got.filter((r) => r.depth === 0).map((r) => r.addr);
    const rootSet = new Set(rootRows);
    cmp('dominators', 'order under the root', 'exact', rootRows.join(' '), want.filter((o) => rootSet.has(o.address)).map((o) => o.address).join(' '));
    cmp('dominators', 'first row under the root', 'exact', rootRows[0], biggest.address);

    // A second object for the retainers and the inspector: the deepest row of the expanded
    // tree (largest retained first among equals), so its paths have several hops. The CLI
    // runs now, while serve holds its analysis too (serve's peak RSS is its own).
    const deep = tree.filter((r) => r.kind === 'row' && r.depth > 0).sort((a, b) => b.depth - a.depth || b.retained - a.retained)[0];
    if (deep) {
      const r = retainers(deep.addr);
      // Its dominator: the row above it one level up.
      const at = tree.indexOf(deep);
      const parent = tree.slice(0, at).reverse().find((x) => x.kind === 'row' && x.depth === deep.depth - 1);
      retain.push({ obj: r.target, r, dominator: parent && `${parent.addr} ${parent.class}` });
      cmp('dominators', `${deep.addr} (depth ${deep.depth}) class`, 'exact (title)', deep.class, r.target.class);
      cmp('dominators', `${deep.addr} (depth ${deep.depth}) retained`, 'exact (title)', deep.retained, r.target.retained);
      cmp('dominators', `${deep.addr} (depth ${deep.depth}) shallow`, 'fmt', deep.shallow, bytes(r.target.shallow));
    }

    // ---------------------------------------------------------- retainers
    for (const { obj, r } of retain) {
      t = Date.now();
      await page.evaluate((h) => (location.hash = h), `#/retainers/${obj.address}`);
      await page.waitForFunction((a) => {
        const h = document.querySelector('.retainers h2 a.mono');
        return (h && h.textContent === a && document.querySelector('[data-testid="retainer-tree"]')) || document.querySelector('.panel p.err');
      }, obj.address);
      info[`retainers_${obj.address}_s`] = (Date.now() - t) / 1000;
      const err = await page.$('.panel p.err');
      if (err) {
        fail('retainers', obj.address, await err.innerText());
        continue;
      }
      const v = await page.evaluate(() => {
        const tree = document.querySelector('[data-testid="retainer-tree"]');
        const roots = (el) => [...el.querySelectorAll(':scope > ul.roots > [data-testid="root-label"]')].map((li) => `${li.querySelector('.badge').textContent} ${li.querySelector('.mono').textContent}`);
        const direct = [...tree.querySelectorAll(':scope > .path:not([data-testid])')].flatMap(roots);
        const paths = [...tree.querySelectorAll('[data-testid="retainer-path"]')].map((p) => ({
          head: p.querySelector('.path-head').textContent,
          fields: p.querySelector('[data-testid="path-fields"]')?.textContent ?? null,
          roots: roots(p),
          gap: p.querySelector('[data-testid="path-gap"]')?.textContent.trim() ?? null,
          hops: [...p.querySelectorAll('li.hop:not([data-testid="path-gap"])')].map((li) => ({
            addr: li.querySelector('a.mono').textContent,
            class: li.querySelector('.cls').title,
            retained: li.querySelector('.num').textContent,
          })),
        }));
        const summary = document.querySelector('.retainers > p').textContent;
        return { direct, paths, summary };
      });
      const id = obj.address;
      cmp('retainers', `${id} target`, 'fmt', v.summary, `${r.target.class} · ${bytes(r.target.shallow)} · retains ${bytes(r.target.retained)}`);
      const rl = (l) => l.map((x) => `${x.kind} ${x.label}`).join(' | ');
      cmp('retainers', `${id} held by roots`, 'exact', v.direct.join(' | '), rl(r.roots));
      cmp('retainers', `${id} paths`, 'count', v.paths.length, r.paths.length);
      r.paths.forEach((p, i) => {
        const a = v.paths[i];
        if (!a) return;
        const total = p.objects.length + (p.elided || 0);
        cmp('retainers', `${id} path ${i + 1} head`, 'fmt', a.head, `Path ${i + 1} · ${total} object${total === 1 ? '' : 's'}`);
        cmp('retainers', `${id} path ${i + 1} roots`, 'exact', a.roots.join(' | '), rl(p.roots));
        cmp('retainers', `${id} path ${i + 1} objects`, 'exact', a.hops.map((h) => h.addr).join(' '), p.objects.map((o) => o.address).join(' '));
        cmp('retainers', `${id} path ${i + 1} classes`, 'exact (title)', a.hops.map((h) => h.class).join(' | '), p.objects.map((o) => o.class).join(' | '));
        cmp('retainers', `${id} path ${i + 1} retained`, 'fmt', a.hops.map((h) => h.retained).join(' | '), p.objects.map((o) => bytes(o.retained)).join(' | '));
        cmp('retainers', `${id} path ${i + 1} elided`, 'fmt', a.gap, p.elided ? `… ${count(p.elided)} more objects …` : null);
        if (p.fields !== undefined || a.fields !== null) cmp('retainers', `${id} path ${i + 1} fields`, 'exact', a.fields, p.fields ?? null);
      });
      await page.screenshot({ path: path.join(SCREENS, `serve-large-${path.basename(dump)}-retainers-${id}.png`) });
    }

    // ---------------------------------------------------------- inspector
    for (const { obj: o, dominator } of retain) {
      t = Date.now();
      await page.evaluate((h) => (location.hash = h), `#/object/${o.address}`);
      await page.waitForFunction((a) => document.querySelector('[data-testid="inspector-address"]')?.textContent === a || document.querySelector('.panel p.err'), o.address);
      info[`inspector_${o.address}_s`] = (Date.now() - t) / 1000;
      const err = await page.$('.panel p.err');
      if (err) {
        fail('inspector', o.address, await err.innerText());
        continue;
      }
      const kv = await page.$$eval(`${T('inspector')} table.kv tr`, (trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])));
      // "1.23 KiB (1264 B)": the exact size is in the text.
      cmp('inspector', `${o.address} size`, 'exact (text)', kv.size, `${bytes(o.shallow)} (${o.shallow} B)`);
      cmp('inspector', `${o.address} retained`, 'exact (text)', kv.retained, `${bytes(o.retained)} (${o.retained} B, ${percent(o.retained, reachable)} of reachable)`);
      cmp('inspector', `${o.address} class`, 'exact', await page.innerText(T('inspector-class')), o.class);
      // The dominator as the tree shows it (the CLI prints no dominators).
      if (o === biggest) cmp('inspector', `${o.address} dominator`, 'exact', kv.dominator, 'the GC roots (no single object keeps it alive)');
      else if (dominator) cmp('inspector', `${o.address} dominator`, 'tree parent', kv.dominator, dominator);
      await page.screenshot({ path: path.join(SCREENS, `serve-large-${path.basename(dump)}-inspector-${o.address}.png`) });
    }

    // ---------------------------------------------------------- requests
    const away = requests.filter((r) => !r.url.startsWith(origin + '/') && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    cmp('requests', `not to ${origin} (of ${requests.length})`, 'count', away.length, 0);
    if (away.length) fail('requests', 'left loopback', away.map((r) => `${r.method} ${r.url}`).join(', '));
    cmp('requests', 'POSTs to the engine', '> 0', requests.some((r) => r.method === 'POST' && r.url === `${origin}/api`), true);
    cmp('requests', 'worker started in the tab', 'none', requests.some((r) => r.url.includes('worker')), false);
    cmp('page', 'errors', 'count', errors.length, 0);
    if (errors.length) fail('page', 'errors', errors.slice(0, 5).join(' / '));
  } catch (e) {
    fail('run', 'error', String(e && e.stack ? e.stack : e).split('\n').slice(0, 4).join(' / '));
  } finally {
    info.requests = requests.length;
    info.peak_rss_mb = peakRss(child.pid);
    await context.close();
    if (exited === null) {
      child.kill();
      await new Promise((resolve) => (exited !== null ? resolve() : child.on('exit', resolve)));
    }
  }
  // The tab's own budget (src/engine/session/load.rs too_large): 80 B per object and 10 B
  // per pointer (src/load.rs estimate_peak_bytes) plus 24 B per object, against 4 GiB.
  info.tab_need_mb = (104 * sum.objects + 10 * sum.pointer_edges) / 2 ** 20;
  return { info, rows };
}

async function nav(page, slug) {
  await page.click(T(`nav-${slug}`));
  await page.waitForSelector(T(`view-${slug}`));
}

function peakRss(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

// The smallest retained size R of `top` (sorted, largest first) such that the objects
// retaining at least R are at most DOM_MAX and all among the rows fetched.
function domThreshold(objs) {
  let best = objs[0].retained;
  for (let i = 0; i < Math.min(DOM_MAX, objs.length); i++) {
    const r = objs[i].retained;
    const n = objs.filter((o) => o.retained >= r).length;
    if (n <= DOM_MAX && n < objs.length) best = r;
  }
  return best;
}

// The dominator tree's rows as shown, in order: rows, "show more" rows and loading rows,
// each with its depth (the spacer is 16 px a level).
async function treeRows(page) {
  return page.$$eval('[data-testid="dominator-tree"] > .tree-row:not(.head)', (rs) =>
    rs.map((r) => {
      const depth = Number(r.querySelector('svg.spacer')?.getAttribute('width') || 0) / 16;
      if (r.dataset.testid !== 'dom-row') return { kind: r.querySelector('button.link') ? 'more' : 'loading', depth };
      const nums = r.querySelectorAll(':scope > span.num');
      const toggle = r.querySelector('button.toggle');
      return {
        kind: 'row',
        depth,
        addr: r.querySelector('a.mono').textContent,
        class: r.querySelector('.cls').title,
        retained: Number(nums[0].title.replace(/ B retained$/, '')),
        percent: nums[1].textContent,
        shallow: nums[2].textContent,
        toggle: toggle ? toggle.getAttribute('aria-expanded') : null,
      };
    }),
  );
}

// Expands every node retaining at least R (and pages on while a list's last row does).
async function expandDominators(page, R) {
  const sel = '[data-testid="dominator-tree"] > .tree-row:not(.head)';
  for (let step = 0; step < 500; step++) {
    await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid="dominator-tree"] .tree-row')].some((r) => r.textContent === 'loading…'));
    const rows = await treeRows(page);
    let click = -1;
    let button = '';
    for (let i = 0; i < rows.length && click < 0; i++) {
      const r = rows[i];
      if (r.kind === 'row' && r.retained >= R && r.toggle === 'false') {
        click = i;
        button = 'button.toggle';
      } else if (r.kind === 'more') {
        let j = i - 1;
        while (j >= 0 && rows[j].depth > r.depth) j--;
        if (j >= 0 && rows[j].kind === 'row' && rows[j].depth === r.depth && rows[j].retained >= R) {
          click = i;
          button = 'button.link';
        }
      }
    }
    if (click < 0) return rows;
    await page.locator(sel).nth(click).locator(button).click();
    await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length !== n, [sel, rows.length]);
  }
  throw new Error('the dominator tree kept expanding after 500 clicks');
}

// ---------------------------------------------------------------- main
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
const results = [];
try {
  for (const job of jobs) results.push(await runDump(browser, job));
} finally {
  await browser.close();
}

let bad = 0;
const cut = (s, n = 70) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
for (const { info, rows } of results) {
  const failed = rows.filter((r) => !r.ok).length;
  bad += failed;
  console.log(`\n## ${info.label}: ${info.dump_mb.toFixed(0)} MB, ${count(info.objects)} objects, ${count(info.pointer_edges)} pointer edges; the tab would need about ${info.tab_need_mb.toFixed(0)} MB of its 4096 MB (${info.tab_need_mb > 4096 ? 'refused in the tab' : 'fits the tab'})`);
  const times = Object.entries(info)
    .filter(([k]) => k.endsWith('_s'))
    .map(([k, v]) => `${k.replace(/_s$/, '')} ${v.toFixed(1)} s`)
    .join(', ');
  console.log(`serve → URL ${info.serve_url_s?.toFixed(1) ?? '-'} s; page → overview ${info.page_overview_s?.toFixed(1) ?? '-'} s; serve peak RSS (VmHWM) ${info.peak_rss_mb.toFixed(0)} MB (${((info.peak_rss_mb * 2 ** 20) / info.objects).toFixed(0)} B/object); ${info.requests} requests, all to ${info.origin ?? '?'}${failed ? ' (see below)' : ''}`);
  console.log(`times: ${times}`);
  console.log('');
  console.log('| view | compared | how | app | CLI | |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.view} | ${cut(r.what, 60)} | ${r.how} | ${cut(r.app)} | ${r.ok && r.app === r.cli ? '=' : cut(r.cli)} | ${r.ok ? 'ok' : 'MISMATCH'} |`);
  console.log(`${rows.length - failed} of ${rows.length} equal`);
}
console.log(bad ? `\nFAIL: ${bad} mismatches` : '\nok: every number the app shows equals the CLI\'s');
process.exit(bad ? 1 : 0);
