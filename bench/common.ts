// Shared by the benchmarks: run each contender in turn, N times, and report medians and
// ratios from the same invocation (never absolute timings across runs).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Contender {
  name: string;
  /** a command and its arguments; undefined when the peer is not installed */
  cmd?: string[];
  /** run before each timed run (e.g. to clear a directory); not timed */
  reset?: () => void;
  why?: string;
}

export function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One table as bench/all.ts gathers them: a line of JSON per table in $GOCKER_BENCH_JSON. */
export interface TableRecord {
  title: string;
  baseline: string;
  runs: number;
  unit: 'ms' | 'MiB';
  rows: Array<{ name: string; median?: number; ratio?: number; skipped?: string }>;
}

/** Appends a table to $GOCKER_BENCH_JSON when bench/all.ts runs this script; else nothing. */
export function record(t: TableRecord): void {
  const file = process.env.GOCKER_BENCH_JSON;
  if (file) fs.appendFileSync(file, `${JSON.stringify(t)}\n`);
}

/** Prints the table; returns every contender's timings (ms) for checks of the caller's own. */
export function bench(title: string, contenders: Contender[], runs: number, baseline: string): Map<string, number[]> {
  const results = new Map<string, number[]>();
  // Interleaved rounds: drift in machine load hits every contender alike. Each round starts
  // one contender further on, so what a run leaves the kernel to finish (a network namespace
  // torn down, a container's mounts) falls on every contender in turn, not on one always.
  const runnable = contenders.filter((c) => c.cmd);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < runnable.length; k++) {
      const c = runnable[(i + k) % runnable.length];
      c.reset?.();
      const t = process.hrtime.bigint();
      const r = spawnSync(c.cmd![0], c.cmd!.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${String(r.stderr).trim().split('\n').pop()}`);
      (results.get(c.name) ?? results.set(c.name, []).get(c.name)!).push(ms);
    }
  }
  // Ratios to a baseline that did not run would be meaningless: refuse rather than print them.
  if (!results.has(baseline)) throw new Error(`the baseline, ${baseline}, did not run: ${contenders.find((c) => c.name === baseline)?.why ?? 'no such contender'}`);
  const base = median(results.get(baseline)!);
  console.log(`${title} — median of ${runs} runs; ratio = time / ${baseline}`);
  const rows: TableRecord['rows'] = [];
  for (const c of contenders) {
    const xs = results.get(c.name);
    if (!xs) {
      console.log(`  ${c.name.padEnd(34)} skipped: ${c.why ?? 'not installed'}`);
      rows.push({ name: c.name, skipped: c.why ?? 'not installed' });
      continue;
    }
    const m = median(xs);
    console.log(`  ${c.name.padEnd(34)} ${m.toFixed(1).padStart(8)} ms   ${(m / base).toFixed(2)}x`);
    rows.push({ name: c.name, median: Number(m.toFixed(2)), ratio: Number((m / base).toFixed(3)) });
  }
  record({ title, baseline, runs, unit: 'ms', rows });
  return results;
}

/** The machine a table was measured on, as the tables print it. */
export function machine(): Record<string, string | number> {
  const cpu = os.cpus();
  return {
    date: new Date().toISOString(),
    kernel: os.release(),
    cpu: `${cpu.length} x ${cpu[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: (/^PRETTY_NAME="?([^"\n]*)/m.exec(fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '')?.[1]) ?? os.type(),
  };
}

/**
 * An OCI bundle for runc and crun in dir: a copy of rootfs (a runtime makes /dev's nodes in
 * it, which a shared fixture must not get) and `runc spec`'s config running `true`. False when
 * runc, whose `spec` writes the config, is not installed.
 */
export function prepareBundle(rootfs: string, dir: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(rootfs, path.join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  if (!which('runc')) return false;
  spawnSync('runc', ['spec', '--bundle', dir], { stdio: 'ignore' });
  const file = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = ['true'];
  cfg.root.readonly = false;
  fs.writeFileSync(file, JSON.stringify(cfg));
  return true;
}
