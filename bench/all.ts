// npm run bench: every benchmark in turn against the peers installed here, then one table of
// all their medians and ratios and the same as JSON (BENCH_OUT, default bench-results.json),
// with the machine it ran on. Each script's own table is printed as it finishes.
// Run as root: npm run bench   (RUNS=N overrides each script's default number of runs)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machine, type TableRecord } from './common';

const SCRIPTS: Array<[string, string]> = [
  ['start', 'CLI container start: run --rm'],
  ['inprocess', 'in-process start to exit: g.run(...).wait() vs crun run'],
  ['exec', 'exec into a running container'],
  ['runtime', 'containerd: ctr run --rm with gocker-runtime, runc, crun'],
  ['detached', '50 x run -d and resident memory per container'],
  ['cli', 'ps -a, images, inspect'],
  ['pull', 'cold pull from a local registry'],
  ['extract', 'layer extraction'],
  ['commit', 'export and commit: the tar writer, GNU tar before'],
];

function main(): void {
  const only = process.argv.slice(2);
  const chosen = only.length ? SCRIPTS.filter(([s]) => only.includes(s)) : SCRIPTS;
  const out = path.resolve(process.env.BENCH_OUT ?? 'bench-results.json');
  const lines = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-all-')), 'tables.jsonl');
  const failed: string[] = [];
  const t0 = Date.now();
  chosen.forEach(([script, what], i) => {
    console.error(`[${i + 1}/${chosen.length}] ${script}: ${what} (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`);
    const r = spawnSync(process.execPath, [path.join(__dirname, `${script}.js`)], { stdio: 'inherit', env: { ...process.env, GOCKER_BENCH_JSON: lines } });
    if (r.status !== 0) failed.push(script);
  });
  const tables = fs.existsSync(lines) ? fs.readFileSync(lines, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TableRecord) : [];
  fs.rmSync(path.dirname(lines), { recursive: true, force: true });
  const m = machine();
  console.log(`\nAll benchmarks — ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Linux ${m.kernel}, Node ${m.node}`);
  console.log(`| benchmark | contender | median | ratio |\n|---|---|---|---|`);
  for (const t of tables) {
    for (const r of t.rows) {
      const value = r.median === undefined ? `skipped: ${r.skipped}` : `${r.median} ${t.unit}`;
      const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x ${t.baseline}`;
      console.log(`| ${t.title} | ${r.name} | ${value} | ${ratio} |`);
    }
  }
  fs.writeFileSync(out, `${JSON.stringify({ machine: m, tables, failed }, null, 2)}\n`);
  console.log(`\n${tables.length} tables in ${out}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  process.exit(failed.length ? 1 : 0);
}

main();
