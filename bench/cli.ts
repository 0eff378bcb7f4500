// The commands that only read state, which users type all day: `ps -a`, `images` and
// `inspect` of gocker against podman's, on the same image and the same three exited
// containers, and `node -e 0` (the floor of any Node CLI). Run as root: node dist/bench/cli.js
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, median, which, type Contender } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';

const NAMES = ['c1', 'c2', 'c3'];

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 20);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-cli-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  const pr = ['--root', path.join(work, 'podman'), '--runroot', path.join(work, 'podman-run')];
  const podman = which('podman') && which('runc');
  try {
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
    // The gocker command as npm installs it (dist/cli/gocker.js through its launcher).
    const gocker = (args: string[]): string[] => [BIN, ...roots, ...args];
    execFileSync(BIN, [...roots, 'import', tarball, 'busybox'], { stdio: 'ignore' });
    for (const n of NAMES) execFileSync(BIN, [...roots, 'run', '--name', n, 'busybox', 'true'], { stdio: 'ignore' });
    const p = (args: string[]): string[] => ['podman', ...pr, '--runtime', 'runc', ...args];
    if (podman) {
      execFileSync('podman', [...pr, 'import', '-q', tarball, 'busybox'], { stdio: 'ignore' });
      // As in bench/start: podman's default rlimits are above this host's hard nofile limit.
      for (const n of NAMES) {
        const [cmd, ...args] = p(['run', '--name', n, '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'busybox', 'true']);
        execFileSync(cmd, args, { stdio: 'ignore' });
      }
    }
    const commands: Array<[string, string[]]> = [['ps -a', ['ps', '-a']], ['images', ['images']], ['inspect c1', ['inspect', 'c1']]];
    const contenders: Contender[] = [{ name: 'node -e 0', cmd: [process.execPath, '-e', '0'] }];
    for (const [label, args] of commands) {
      contenders.push({ name: `gocker ${label}`, cmd: gocker(args) });
      contenders.push(podman ? { name: `podman ${label}`, cmd: p(args) } : { name: `podman ${label}`, why: 'podman or runc not installed' });
    }
    const results = bench('state-reading commands', contenders, runs, 'node -e 0');
    for (const [label] of commands) {
      const ours = results.get(`gocker ${label}`)!;
      const theirs = results.get(`podman ${label}`);
      console.log(`  gocker ${label}: ${theirs ? `${(median(ours) / median(theirs)).toFixed(2)}x podman` : 'podman not measured'}`);
    }
    if (process.env.NODE_EXTRA_CA_CERTS) {
      console.log('  (NODE_EXTRA_CA_CERTS is set: node -e 0 reads it at start, the gocker command does not)');
    }
  } finally {
    if (podman) spawnSync('podman', [...pr, 'system', 'reset', '-f'], { stdio: 'ignore' });
    spawnSync(BIN, [...roots, 'rm', '-f', ...NAMES], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/cli: ${(e as Error).message}`);
  process.exit(1);
});
