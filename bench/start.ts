// Container start: `gocker run --rm busybox true` against runc, crun and podman on the same
// rootfs, and `node -e 0` (the floor of any Node CLI); on each engine's default network (a
// bridge: gocker's own, podman's, docker's) and with --network none.
// Run as root: node dist/bench/start.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, median, prepareBundle, which, type Contender } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { hugetlbForCrun } from '../test/helpers/hugetlb';
// Importing the CLI helper gives this process a bridge and subnet of its own (as a test's),
// taken down at the end.
import { BIN } from '../test/helpers/cli';
import { storeBridges, teardownBridges } from '../test/helpers/network';

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  // crun refuses a hybrid cgroup host unless hugetlb is mounted as v1: mounted for this run
  // (test/helpers/hugetlb) and undone at its end, an interrupted one's too.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const unmountHugetlb = which('crun') ? hugetlbForCrun() : () => {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-start-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  try {
    const rootfs = await busyboxRootfs();
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
    execFileSync(process.execPath, [BIN, ...roots, 'import', tarball, 'busybox']);
    // An OCI bundle for runc and crun: the same files, a config from `runc spec`.
    const bundle = path.join(work, 'bundle');
    const bundled = prepareBundle(rootfs, bundle);
    // The gocker command as npm installs it: dist/cli/gocker.js itself, through its launcher.
    const run = [...roots, 'run', '--rm', 'busybox', 'true'];
    const contenders: Contender[] = [
      { name: 'gocker run --rm busybox true', cmd: [BIN, ...run] },
      { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] },
      { name: 'gocker run --rm --network none', cmd: [BIN, ...roots, 'run', '--rm', '--network', 'none', 'busybox', 'true'] },
    ];
    // The same run without a seccomp filter (where this gocker knows the option): what the
    // filter costs a start.
    const unconfined = [...roots, 'run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'true'];
    const probeUnconfined = spawnSync(BIN, unconfined, { encoding: 'utf8' });
    contenders.push(probeUnconfined.status === 0
      ? { name: 'gocker run (seccomp=unconfined)', cmd: [BIN, ...unconfined] }
      : { name: 'gocker run (seccomp=unconfined)', why: probeUnconfined.stderr.trim() });
    // Node reads NODE_EXTRA_CA_CERTS, and with it all its own root certificates, before any
    // script runs (tens of ms here). Where it is set: `node dist/cli/gocker.js`, which pays
    // it (the launcher is what spares the command that); and the pair again without it,
    // which is what gocker costs over Node itself on a machine that does not set it.
    const noCa = process.env.NODE_EXTRA_CA_CERTS ? ['env', '-u', 'NODE_EXTRA_CA_CERTS'] : undefined;
    if (noCa) {
      contenders.push(
        { name: 'node dist/cli/gocker.js run', cmd: [process.execPath, BIN, ...run] },
        { name: 'gocker run (no NODE_EXTRA_CA_CERTS)', cmd: [...noCa, ...contenders[0].cmd!] },
        { name: 'node -e 0 (no NODE_EXTRA_CA_CERTS)', cmd: [...noCa, ...contenders[1].cmd!] },
      );
    }
    if (bundled) {
      contenders.push({ name: 'runc run (prepared bundle)', cmd: ['runc', 'run', '--bundle', bundle, `gocker-bench-${process.pid}`] });
      const crun = which('crun');
      const probe = crun ? spawnSync('crun', ['run', '--bundle', bundle, `gocker-bench-probe-${process.pid}`], { encoding: 'utf8' }) : undefined;
      contenders.push(crun && probe?.status === 0
        ? { name: 'crun run (prepared bundle)', cmd: ['crun', 'run', '--bundle', bundle, `gocker-bench-c${process.pid}`] }
        : { name: 'crun run (prepared bundle)', why: crun ? `crun refuses this host: ${String(probe?.stderr).trim().split('\n').pop()}` : 'not installed' });
    } else {
      contenders.push({ name: 'runc run (prepared bundle)' }, { name: 'crun run (prepared bundle)' });
    }
    if (which('podman')) {
      // podman's own store in the work dir, the same rootfs imported. Its default rlimits are
      // above this host's hard nofile limit (20000), so they are set explicitly. One
      // contender per runtime that works here (crun refuses hybrid cgroup hosts): each is
      // probed once, and a refusal is reported with the runtime's own words.
      const pr = ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run')];
      execFileSync('podman', [...pr, 'import', '-q', tarball, 'busybox'], { stdio: 'ignore' });
      for (const runtime of ['runc', 'crun']) {
        for (const network of ['default', 'none']) {
          const name = `podman run --rm (${runtime}${network === 'none' ? ', none' : ''})`;
          if (!which(runtime)) {
            contenders.push({ name, why: `${runtime} not installed` });
            continue;
          }
          const cmd = ['podman', ...pr, '--runtime', runtime, 'run', '--rm', ...(network === 'none' ? ['--network', 'none'] : []),
            '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'busybox', 'true'];
          const p = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
          contenders.push(p.status === 0 ? { name, cmd } : { name, why: `refused here: ${String(p.stderr).trim().split('\n').pop()}` });
        }
      }
    } else {
      contenders.push({ name: 'podman run --rm', why: 'not installed (apt-get install podman)' });
    }
    // The docker CLI may be installed without a reachable engine: ask the engine itself.
    if (which('docker')) {
      const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
      if (info.status === 0 && info.stdout.trim()) {
        const load = spawnSync('docker', ['import', tarball, 'gocker-bench-busybox'], { encoding: 'utf8' });
        contenders.push(load.status === 0
          ? { name: 'docker run --rm', cmd: ['docker', 'run', '--rm', 'gocker-bench-busybox', 'true'] }
          : { name: 'docker run --rm', why: `docker import failed: ${String(load.stderr).trim().split('\n').pop()}` });
      } else {
        contenders.push({ name: 'docker run --rm', why: `no docker engine reachable (docker info: ${String(info.stderr).trim().split('\n').pop() || `exit ${info.status}`})` });
      }
    } else {
      contenders.push({ name: 'docker run --rm', why: 'not installed' });
    }
    const results = bench('container start', contenders, runs, 'node -e 0');
    // The issue's targets: at most 0.5x podman (each runtime measured), at most 1.3x node -e 0.
    const ours = median(results.get(contenders[0].name)!);
    const check = (label: string, peer: string, factor: number): void => {
      const xs = results.get(peer);
      if (!xs) {
        console.log(`  target ${label}: not measured (${peer} skipped)`);
        return;
      }
      const ratio = ours / median(xs);
      console.log(`  target ${label}: ${ratio.toFixed(2)}x ${ratio <= factor ? 'met' : 'NOT met'}`);
    };
    check('<= 1.3x node -e 0', 'node -e 0', 1.3);
    // Each network mode against podman's same: the default bridge, and none.
    for (const c of contenders.filter((x) => x.name.startsWith('podman') && !x.name.includes('none'))) check(`bridge <= 0.5x ${c.name}`, c.name, 0.5);
    const none = median(results.get('gocker run --rm --network none')!);
    for (const c of contenders.filter((x) => x.name.startsWith('podman') && x.name.includes('none'))) {
      const xs = results.get(c.name);
      if (xs) console.log(`  target none <= 0.5x ${c.name}: ${(none / median(xs)).toFixed(2)}x ${none / median(xs) <= 0.5 ? 'met' : 'NOT met'}`);
    }
    if (noCa) {
      const ratio = median(results.get('gocker run (no NODE_EXTRA_CA_CERTS)')!) / median(results.get('node -e 0 (no NODE_EXTRA_CA_CERTS)')!);
      const podman = results.get('podman run --rm (runc)');
      console.log(`  without NODE_EXTRA_CA_CERTS: ${ratio.toFixed(2)}x node -e 0${podman ? `, ${(median(results.get('gocker run (no NODE_EXTRA_CA_CERTS)')!) / median(podman)).toFixed(2)}x podman (runc)` : ''}`);
    }
    if (results.has('docker run --rm')) spawnSync('docker', ['rmi', 'gocker-bench-busybox'], { stdio: 'ignore' });
    if (which('podman')) spawnSync('podman', ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run'), 'system', 'reset', '-f'], { stdio: 'ignore' });
  } finally {
    const bridges = storeBridges(path.join(work, 'root'));
    fs.rmSync(work, { recursive: true, force: true });
    if (bridges.length) teardownBridges(bridges);
    unmountHugetlb();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/start: ${(e as Error).message}`);
  process.exit(1);
});
