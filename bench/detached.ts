// Many containers at once: 50 x `run -d busybox sleep` with gocker and with podman (runc), the
// time to start them all, and what stays resident per container on the host: gocker's monitor
// against podman's conmon (the process each engine keeps beside a container).
// Run as root: node dist/bench/detached.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, record, which, type TableRecord } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';

/** Resident set of a process in KiB, from /proc (0 when it is gone). */
function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Pids of the processes whose command line's first word ends in `name` and mentions `marker`. */
function pidsOf(name: string, marker: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith(name) && argv.some((a) => a.includes(marker))) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

interface Result { name: string; startMs: number; rssKiB: number[] }

function runMany(name: string, n: number, cmd: (i: number) => string[], helper: string, marker: string): Result {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const c = cmd(i);
    const r = spawnSync(c[0], c.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr.trim().split('\n').pop()}`);
  }
  const startMs = Number(process.hrtime.bigint() - t) / 1e6;
  return { name, startMs, rssKiB: pidsOf(helper, marker).map(rssKiB) };
}

async function main(): Promise<void> {
  const n = Number(process.env.CONTAINERS ?? 50);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-detached-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  const pr = ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run')];
  const results: Result[] = [];
  const skipped: TableRecord['rows'] = [];
  try {
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
    execFileSync(process.execPath, [BIN, ...roots, 'import', tarball, 'busybox']);
    results.push(runMany(`gocker run -d x${n}`, n, () => [BIN, ...roots, 'run', '-d', 'busybox', 'sleep', '600'], 'gocker-monitor', work));
    if (which('podman') && which('runc')) {
      execFileSync('podman', [...pr, 'import', '-q', tarball, 'busybox'], { stdio: 'ignore' });
      results.push(runMany(`podman run -d x${n} (runc)`, n, () => ['podman', ...pr, '--runtime', 'runc', 'run', '-d', '--network', 'none',
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'busybox', 'sleep', '600'], 'conmon', work));
    } else {
      skipped.push({ name: `podman run -d x${n} (runc)`, skipped: 'podman or runc not installed' });
    }
  } finally {
    const records = path.join(work, 'root', 'containers');
    const ids = fs.existsSync(records) ? fs.readdirSync(records) : [];
    if (ids.length) spawnSync(process.execPath, [BIN, ...roots, 'rm', '-f', ...ids], { stdio: 'ignore' });
    if (which('podman')) spawnSync('podman', [...pr, 'system', 'reset', '-f'], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }
  const base = results[results.length - 1];
  console.log(`${n} detached containers — total start time, and the RSS of the process each keeps beside a container (median); ratio = / ${base.name}`);
  const startRows: TableRecord['rows'] = [];
  const rssRows: TableRecord['rows'] = [];
  for (const r of results) {
    const rss = median(r.rssKiB) / 1024;
    console.log(`  ${r.name.padEnd(30)} ${r.startMs.toFixed(0).padStart(7)} ms (${(r.startMs / base.startMs).toFixed(2)}x)   ${rss.toFixed(2)} MiB per container (${(rss / (median(base.rssKiB) / 1024)).toFixed(2)}x), ${r.rssKiB.length} found`);
    startRows.push({ name: r.name, median: Number(r.startMs.toFixed(1)), ratio: Number((r.startMs / base.startMs).toFixed(3)) });
    rssRows.push({ name: r.name, median: Number(rss.toFixed(3)), ratio: Number((rss / (median(base.rssKiB) / 1024)).toFixed(3)) });
  }
  for (const s of skipped) console.log(`  ${s.name.padEnd(30)} skipped: ${s.skipped}`);
  record({ title: `${n} x run -d: time to start all`, baseline: base.name, runs: 1, unit: 'ms', rows: [...startRows, ...skipped] });
  record({ title: `${n} x run -d: resident per container (monitor / conmon)`, baseline: base.name, runs: n, unit: 'MiB', rows: [...rssRows, ...skipped] });
}

main().catch((e: unknown) => {
  console.error(`bench/detached: ${(e as Error).message}`);
  process.exit(1);
});
