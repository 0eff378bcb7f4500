// containerd's runtime: `ctr run --rm busybox true` through the io.containerd.runc.v2 shim with
// gocker-runtime, runc and crun as its runc binary, on one containerd of this script's own
// (test/helpers/containerd), the same image and snapshotter. What differs is the runtime's
// part alone (create, start, state, delete), under the same shim and ctr overhead. crun gets
// the hugetlb v1 mount it needs on a hybrid host (test/helpers/hugetlb), undone at the end.
// Run as root: node dist/bench/runtime.js
import { spawnSync } from 'node:child_process';
import { bench, median, which, type Contender } from './common';
import { IMAGE, RUNTIME, startContainerd } from '../test/helpers/containerd';
import { hugetlbForCrun } from '../test/helpers/hugetlb';

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  if (!which('containerd') || !which('ctr')) {
    console.log('runtime: skipped, containerd is not installed (apt-get install containerd)');
    return;
  }
  // Interrupted: the exit handlers (the hugetlb unmount) still run.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const c = await startContainerd('gocker-bench-rt-');
  let unmountHugetlb = (): void => {};
  try {
    const cmd = (binary: string, id: string) => ['ctr', '-a', c.sock, '-n', c.ns, 'run', '--rm', '--runc-binary', binary, '--runc-root', c.runcRoot, IMAGE, id, 'true'];
    const contenders: Contender[] = [{ name: 'ctr run --rm (gocker-runtime)', cmd: cmd(RUNTIME, 'bench-gocker') }];
    for (const peer of ['runc', 'crun']) {
      const bin = which(peer);
      const name = `ctr run --rm (${peer})`;
      if (!bin) {
        contenders.push({ name, why: `${peer} not installed` });
        continue;
      }
      if (peer === 'crun') unmountHugetlb = hugetlbForCrun();
      // Probed once: a runtime that refuses this host says why, in its own words.
      const probe = cmd(bin, `bench-probe-${peer}`);
      const p = spawnSync(probe[0], probe.slice(1), { encoding: 'utf8', timeout: 60_000 });
      if (p.status !== 0) c.ctr(['containers', 'rm', `bench-probe-${peer}`]);
      contenders.push(p.status === 0 ? { name, cmd: cmd(bin, `bench-${peer}`) } : { name, why: `refused here: ${String(p.stderr).trim().split('\n').pop()}` });
    }
    const results = bench('containerd task start: ctr run --rm busybox true', contenders, runs, 'ctr run --rm (runc)');
    const ours = median(results.get(contenders[0].name)!);
    for (const x of contenders.slice(1)) {
      const xs = results.get(x.name);
      if (xs) console.log(`  gocker-runtime / ${/\((\w+)\)/.exec(x.name)![1]}: ${(ours / median(xs)).toFixed(2)}x`);
    }
  } finally {
    // Its containers' cgroups (under hugetlb too) go with it, before the unmount.
    await c.stop();
    unmountHugetlb();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/runtime: ${(e as Error).message}`);
  process.exit(1);
});
