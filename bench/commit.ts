// export and commit of a real tree: a running busybox container to which 10,000 files (100
// directories of 100, 1 to 8 KiB each) were added. Their archives are written by the addon's
// tar writer (native/tarwrite.cc); before, by GNU tar. Measured in the same invocation:
//   - the writers alone, on the container's tree: GNU tar with the flags gocker gave it
//     (writing to a file: GNU tar skips reading the data when it writes to /dev/null) against
//     the addon's writer run by node, with `node -e 0` as the floor a Node process pays;
//   - gocker export -o and gocker commit end to end, and the same commands of an older gocker
//     build when GOCKER_OLD_BIN names its bin (dist/cli/gocker.js of a checkout built before
//     the change), on the same store and container.
// Run as root: node dist/bench/commit.js   (RUNS=N, GOCKER_OLD_BIN=/path/to/old/dist/cli/gocker.js)
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, median, type Contender } from './common';
import { busyboxRootfs } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';

const DIRS = 100;
const FILES = 100;

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 7);
  const old = process.env.GOCKER_OLD_BIN;
  if (old && !fs.existsSync(old)) throw new Error(`GOCKER_OLD_BIN: ${old} does not exist`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-commit-'));
  const roots = ['--root', path.join(work, 'root'), '--runroot', path.join(work, 'run')];
  const g = (args: string[]): string => execFileSync(BIN, [...roots, ...args], { encoding: 'utf8' }).trim();
  let id: string | undefined;
  try {
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
    g(['import', tarball, 'busybox']);
    id = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '3600']);
    const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id]);
    for (let d = 0; d < DIRS; d++) {
      const dir = path.join(upper, 'data', `d${d}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let f = 0; f < FILES; f++) fs.writeFileSync(path.join(dir, `f${f}`), crypto.randomBytes(1024 + ((d * FILES + f) % 8) * 1024));
    }
    // The whole tree as export sees it, for the writers alone: the container's own mount.
    const pid = g(['inspect', '-f', '{{.State.Pid}}', id]);
    const tree = `/proc/${pid}/root`;
    const names = fs.readdirSync(tree).filter((n) => !['proc', 'sys', 'dev'].includes(n));
    const out = path.join(work, 'out.tar');
    const reset = (): void => fs.rmSync(out, { force: true });
    const writer = `require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'container', 'tar.js'))}).writeTar(process.argv[1], process.argv.slice(2), require('fs').createWriteStream(${JSON.stringify(out)}))`;
    bench('tar writer: busybox rootfs + 10,000 files', [
      { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] },
      { name: 'GNU tar (before)', cmd: ['tar', '--ignore-failed-read', '--format=pax', '--pax-option=delete=atime,delete=ctime', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', tree, '-cf', out, '--', ...names], reset },
      { name: 'addon tar writer (now)', cmd: [process.execPath, '-e', writer, tree, ...names], reset },
    ], runs, 'GNU tar (before)');

    const e2e = (label: string, bin: string | undefined, why: string): Contender[] => [
      bin ? { name: `export ${label}`, cmd: [bin, ...roots, 'export', '-o', out, id!], reset } : { name: `export ${label}`, why },
      bin ? { name: `commit ${label}`, cmd: [bin, ...roots, 'commit', id!, `bench:${label}`], reset: () => spawnSync(BIN, [...roots, 'rmi', `bench:${label}`], { stdio: 'ignore' }) } : { name: `commit ${label}`, why },
    ];
    const all = [...e2e('now', BIN, ''), ...e2e('before', old, 'GOCKER_OLD_BIN not set')];
    const results = bench('export -o and commit of a container with 10,000 added files', all, runs, 'export now');
    for (const what of ['export', 'commit']) {
      const now = results.get(`${what} now`)!;
      const before = results.get(`${what} before`);
      console.log(`  ${what}: ${before ? `now ${(median(now) / median(before)).toFixed(2)}x before` : 'before not measured (GOCKER_OLD_BIN)'}`);
    }
  } finally {
    if (id) spawnSync(BIN, [...roots, 'rm', '-f', id], { stdio: 'ignore' });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/commit: ${(e as Error).message}`);
  process.exit(1);
});
