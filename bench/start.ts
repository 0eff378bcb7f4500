// Container start: `gocker run --rm busybox true` against runc, crun and podman on the same
// rootfs, and `node -e 0` (the floor of any Node CLI).  Run as root: node dist/bench/start.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, which, type Contender } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-start-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  try {
    const rootfs = await busyboxRootfs();
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
    execFileSync(process.execPath, [BIN, ...roots, 'import', tarball, 'busybox']);
    // An OCI bundle for runc and crun: the same files, a config from `runc spec`.
    const bundle = path.join(work, 'bundle');
    fs.mkdirSync(bundle);
    fs.cpSync(rootfs, path.join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
    const contenders: Contender[] = [
      { name: 'gocker run --rm busybox true', cmd: [process.execPath, BIN, ...roots, 'run', '--rm', 'busybox', 'true'] },
      { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] },
    ];
    if (which('runc')) {
      execFileSync('runc', ['spec', '--bundle', bundle]);
      const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
      cfg.process.terminal = false;
      cfg.process.args = ['true'];
      cfg.root.readonly = false;
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
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
      // above this host's hard nofile limit (20000), so they are set explicitly; crun refuses
      // hybrid cgroup hosts, so podman runs with runc here.
      const pr = ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run')];
      execFileSync('podman', [...pr, 'import', '-q', tarball, 'busybox'], { stdio: 'ignore' });
      contenders.push({ name: 'podman run --rm (runc)', cmd: ['podman', ...pr, '--runtime', 'runc', 'run', '--rm', '--network', 'none',
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'busybox', 'true'] });
    } else {
      contenders.push({ name: 'podman run --rm', why: 'not installed (apt-get install podman)' });
    }
    contenders.push(which('dockerd') ? { name: 'docker run --rm', why: 'no docker engine running' } : { name: 'docker run --rm', why: 'no docker engine on this machine' });
    bench('container start', contenders, runs, 'node -e 0');
    if (which('podman')) spawnSync('podman', ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run'), 'system', 'reset', '-f'], { stdio: 'ignore' });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/start: ${(e as Error).message}`);
  process.exit(1);
});
