// exec: `gocker exec CTR true` in a running container against podman exec (runc) and runc
// exec on the same rootfs, with node -e 0 (the floor of any Node CLI); and gocker exec in a
// container without seccomp, which is what the filter costs.  Run as root: node dist/bench/exec.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, which, type Contender } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-exec-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  const g = (args: string[]): string => execFileSync(BIN, [...roots, ...args], { encoding: 'utf8' }).trim();
  const cleanup: Array<() => void> = [];
  try {
    const rootfs = await busyboxRootfs();
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
    g(['import', tarball, 'busybox']);
    g(['run', '-d', '--name', 'bench', 'busybox', 'sleep', '100000']);
    cleanup.push(() => spawnSync(BIN, [...roots, 'rm', '-f', 'bench'], { stdio: 'ignore' }));
    const contenders: Contender[] = [
      { name: 'gocker exec CTR true', cmd: [BIN, ...roots, 'exec', 'bench', 'true'] },
      { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] },
    ];
    // The same container without a seccomp filter (where this gocker knows the option).
    const unconfined = spawnSync(BIN, [...roots, 'run', '-d', '--name', 'bench-unconfined', '--security-opt', 'seccomp=unconfined', 'busybox', 'sleep', '100000'], { encoding: 'utf8' });
    if (unconfined.status === 0) {
      cleanup.push(() => spawnSync(BIN, [...roots, 'rm', '-f', 'bench-unconfined'], { stdio: 'ignore' }));
      contenders.push({ name: 'gocker exec (seccomp=unconfined)', cmd: [BIN, ...roots, 'exec', 'bench-unconfined', 'true'] });
    } else {
      contenders.push({ name: 'gocker exec (seccomp=unconfined)', why: unconfined.stderr.trim() });
    }
    if (which('runc')) {
      const bundle = path.join(work, 'bundle');
      fs.mkdirSync(bundle);
      fs.cpSync(rootfs, path.join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
      execFileSync('runc', ['spec', '--bundle', bundle]);
      const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
      cfg.process.terminal = false;
      cfg.process.args = ['sleep', '100000'];
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
      const id = `gocker-bench-exec-${process.pid}`;
      execFileSync('runc', ['run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
      cleanup.push(() => spawnSync('runc', ['delete', '-f', id], { stdio: 'ignore' }));
      contenders.push({ name: 'runc exec', cmd: ['runc', 'exec', id, 'true'] });
    } else {
      contenders.push({ name: 'runc exec' });
    }
    if (which('podman')) {
      const pr = ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run')];
      execFileSync('podman', [...pr, 'import', '-q', tarball, 'busybox'], { stdio: 'ignore' });
      const p = spawnSync('podman', [...pr, '--runtime', 'runc', 'run', '-d', '--name', 'bench', '--network', 'none',
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'busybox', 'sleep', '100000'], { encoding: 'utf8' });
      cleanup.push(() => spawnSync('podman', [...pr, 'system', 'reset', '-f'], { stdio: 'ignore' }));
      contenders.push(p.status === 0
        ? { name: 'podman exec (runc)', cmd: ['podman', ...pr, 'exec', 'bench', 'true'] }
        : { name: 'podman exec (runc)', why: `refused here: ${p.stderr.trim().split('\n').pop()}` });
    } else {
      contenders.push({ name: 'podman exec (runc)', why: 'not installed (apt-get install podman)' });
    }
    bench('exec', contenders, runs, 'node -e 0');
  } finally {
    for (const c of cleanup.reverse()) c();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/exec: ${(e as Error).message}`);
  process.exit(1);
});
