// `make bench-large`: native and in-browser numbers for each dump given, side by side, as a
// Markdown table (the one kept in docs/benchmarks.md). Needs dist/ and the release CLI.
//
//   node tests/browser/bench-large.mjs DUMP [DUMP…]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'target/release/dumpscope');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const dumps = process.argv.slice(2);
const rows = [];
for (const dump of dumps) {
  console.error(`native: ${dump}`);
  const n = JSON.parse(run(CLI, ['bench', dump, '--json']));
  const heapObjects = JSON.parse(run(CLI, ['summary', dump, '--json'])).memstats?.HeapObjects;
  console.error(`browser: ${dump}`);
  const lines = run('node', [path.join(ROOT, 'tests/browser/bench.mjs'), dump]).trim().split('\n');
  const b = JSON.parse(lines[lines.length - 1]);
  if (b.error) throw new Error(`${dump}: ${b.error}`);
  // Correct totals: the native and browser object counts both equal MemStats.HeapObjects.
  if (n.objects !== heapObjects || b.objects !== heapObjects) {
    throw new Error(`${dump}: objects native ${n.objects}, browser ${b.objects}, MemStats.HeapObjects ${heapObjects}`);
  }
  rows.push({ dump: path.basename(dump), n, b, heapObjects });
}

const s = (x) => x.toFixed(2);
const mb = (x) => (x / 1e6).toFixed(0);
const phase = (list, name) => (list.find((p) => p[0] === name) || [name, NaN])[1];
console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`);
console.log('');
console.log('| dump | size MB | objects (= HeapObjects) | edges | plain read MB/s | decode MB/s (% of read) | decode+keep s | graph build s | dominators s | retained s | classes s | native total s | native peak B/object | browser decode+build s | browser analysis s | browser to overview s | wasm memory at overview MB (B/object) | after every view MB (B/object) | budget MB | wasm/native time | longest main-thread task ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const { dump, n, b, heapObjects } of rows) {
  const browserTotal = b.overview_ms / 1000;
  const after = b.wasm_memory_after_views_bytes;
  const afterCell = after ? `${mb(after)} (${(after / b.objects).toFixed(0)})` : 'n/a';
  console.log(
    `| ${dump} | ${mb(n.bytes)} | ${n.objects} (${n.objects === heapObjects ? '=' : '≠'}) | ${n.pointer_edges} | ${(n.bytes / 1e6 / n.plain_read_s).toFixed(0)} | ${(n.bytes / 1e6 / n.decode_s).toFixed(0)} (${(100 * n.decode_vs_read).toFixed(0)} %) | ${s(n.decode_keep_s)} | ${s(n.graph_s)} | ${s(phase(n.analysis_phases, 'Dominators'))} | ${s(phase(n.analysis_phases, 'RetainedSizes'))} | ${s(phase(n.analysis_phases, "Classes' retained sizes"))} | ${s(n.total_s)} | ${n.bytes_per_object.toFixed(0)} | ${s(b.decode_ms / 1000)} | ${s(b.analysis_ms / 1000)} | ${s(browserTotal)} | ${mb(b.wasm_memory_bytes)} (${b.bytes_per_object.toFixed(0)}) | ${afterCell} | ${mb(n.budget_bytes)} | ${(browserTotal / n.total_s).toFixed(1)} | ${b.longest_task_ms.toFixed(0)} |`,
  );
}
console.log('');
for (const { dump, b } of rows) {
  console.log(`${dump}: browser phases ${b.phases.map((p) => `${p.phase}@${(p.at_ms / 1000).toFixed(1)}s`).join(', ')}; first rows of each view (ms): ${Object.entries(b.views_ms).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
