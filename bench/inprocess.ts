// In-process start to exit: `await (await g.run('busybox', ['true'], { rm: true })).wait()`
// from a program that already has gocker loaded (what a Node service pays per container),
// against `crun run` and `runc run` of a prepared bundle of the same rootfs, in the same
// invocation. gocker does more for it (an overlay over the image's layers, cgroups with
// limits, docker's seccomp profile, a log, a record); the bundle runtimes get a plain
// directory. Run as root: node dist/bench/inprocess.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, prepareBundle, record, which, type TableRecord } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { hugetlbForCrun } from '../test/helpers/hugetlb';
// Importing the CLI helper gives this process a bridge and subnet of its own (as a test's),
// taken down at the end.
import { BIN } from '../test/helpers/cli';
import { storeBridges, teardownBridges } from '../test/helpers/network';
import { Gocker, NoSuchContainerError, type Container } from '../lib';

interface Timed {
  name: string;
  once?: () => Promise<void>;
  why?: string;
}

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  // crun refuses a hybrid cgroup host unless hugetlb is mounted as v1: mounted for this run
  // (test/helpers/hugetlb) and undone at its end, an interrupted one's too.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const unmountHugetlb = which('crun') ? hugetlbForCrun() : () => {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-inprocess-'));
  const root = path.join(work, 'root');
  const runroot = path.join(work, 'run');
  try {
    const rootfs = await busyboxRootfs();
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
    execFileSync(process.execPath, [BIN, '--root', root, '--runroot', runroot, 'import', tarball, 'busybox']);
    const g = new Gocker({ root, runroot });
    // Timed to the exit, as the target has it; their removal (the monitor's exit command, as
    // docker's --rm) goes on meanwhile, and is waited for before the store goes.
    const started: Container[] = [];
    const runWait = async (network?: string): Promise<void> => {
      const c = await g.run('busybox', ['true'], { rm: true, ...(network ? { network } : {}) });
      started.push(c);
      await c.wait();
    };
    const contenders: Timed[] = [
      { name: 'gocker in-process run --rm, wait', once: () => runWait() },
      { name: 'gocker in-process, network none', once: () => runWait('none') },
    ];
    const bundle = path.join(work, 'bundle');
    const bundled = prepareBundle(rootfs, bundle);
    for (const runtime of ['crun', 'runc']) {
      const name = `${runtime} run (prepared bundle)`;
      if (!which(runtime) || !bundled) {
        contenders.push({ name, why: `${which(runtime) ? 'runc (for its spec)' : runtime} not installed` });
        continue;
      }
      const cmd = [runtime, 'run', '--bundle', bundle, `gocker-bench-${runtime}-${process.pid}`];
      const probe = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
      contenders.push(probe.status === 0
        ? { name, once: async () => {
          const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
          if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${String(r.stderr).trim().split('\n').pop()}`);
        } }
        : { name, why: `${runtime} refuses this host: ${String(probe.stderr).trim().split('\n').pop()}` });
    }
    // Interleaved rounds, each starting one contender further on, as bench/common's.
    const runnable = contenders.filter((c) => c.once);
    const times = new Map<string, number[]>();
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < runnable.length; k++) {
        const c = runnable[(i + k) % runnable.length];
        const t = process.hrtime.bigint();
        await c.once!();
        (times.get(c.name) ?? times.set(c.name, []).get(c.name)!).push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
    const baseline = 'crun run (prepared bundle)';
    const title = 'in-process start to exit';
    const base = times.has(baseline) ? median(times.get(baseline)!) : undefined;
    console.log(`${title} — median of ${runs} runs; ratio = time / ${base === undefined ? 'nothing (crun did not run)' : baseline}`);
    const rows: TableRecord['rows'] = [];
    for (const c of contenders) {
      const xs = times.get(c.name);
      if (!xs) {
        console.log(`  ${c.name.padEnd(36)} skipped: ${c.why}`);
        rows.push({ name: c.name, skipped: c.why });
        continue;
      }
      const m = median(xs);
      console.log(`  ${c.name.padEnd(36)} ${m.toFixed(1).padStart(8)} ms${base === undefined ? '' : `   ${(m / base).toFixed(2)}x`}`);
      rows.push({ name: c.name, median: Number(m.toFixed(2)), ...(base === undefined ? {} : { ratio: Number((m / base).toFixed(3)) }) });
    }
    record({ title, baseline, runs, unit: 'ms', rows });
    if (base !== undefined) {
      const ratio = median(times.get(contenders[0].name)!) / base;
      console.log(`  target <= 1.0x ${baseline}: ${ratio.toFixed(2)}x ${ratio <= 1 ? 'met' : 'NOT met'}`);
    }
    for (const c of started) await c.wait({ condition: 'removed' }).catch((e: unknown) => {
      if (!(e instanceof NoSuchContainerError)) throw e;
    });
  } finally {
    const bridges = storeBridges(root);
    fs.rmSync(work, { recursive: true, force: true });
    if (bridges.length) teardownBridges(bridges);
    unmountHugetlb();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/inprocess: ${(e as Error).message}`);
  process.exit(1);
});
