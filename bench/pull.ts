// Cold pull of a two-layer Debian image (mmdebstrap minbase plus a small layer) from a local
// docker-registry: gocker pull against `podman pull` and `skopeo copy` + `umoci unpack`, in
// one run, each into an empty store every time.  node dist/bench/pull.js
import { execFileSync, execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, which, type Contender } from './common';
import { fixtureCacheDir } from '../test/helpers/fixtures';
import { BIN } from '../test/helpers/cli';
import { startRegistry } from '../test/helpers/registry';

/** An OCI layout: Debian minbase as one layer (by umoci) and a small second one. */
function debianImage(): string {
  const layout = path.join(fixtureCacheDir(), 'debian-2layer-oci');
  if (fs.existsSync(layout)) return layout;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-img-'));
  try {
    const tmp = `${layout}.${process.pid}.tmp`;
    if (!which('mmdebstrap')) throw new Error('mmdebstrap is not installed (apt-get install mmdebstrap): it builds the Debian image');
    const rootfs = path.join(work, 'rootfs.tar');
    execSync(`mmdebstrap --quiet --variant=minbase bookworm ${rootfs}`, { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('umoci', ['init', '--layout', tmp]);
    execFileSync('umoci', ['new', '--image', `${tmp}:latest`]);
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${tmp}:latest`, rootfs]);
    const extra = path.join(work, 'extra');
    fs.mkdirSync(path.join(extra, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(extra, 'etc', 'bench'), 'second layer\n');
    execFileSync('tar', ['-cf', path.join(work, 'extra.tar'), '-C', extra, 'etc']);
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${tmp}:latest`, path.join(work, 'extra.tar')]);
    fs.renameSync(tmp, layout);
    return layout;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = Number(process.env.RUNS ?? 5);
  // The target is a ratio to podman: without it there is nothing to report, and quietly
  // measuring against another baseline would print ratios that mean something else.
  for (const peer of ['podman', 'skopeo', 'umoci']) {
    if (!which(peer)) throw new Error(`${peer} is not installed (apt-get install ${peer}): the benchmark compares against it`);
  }
  const layout = debianImage();
  const reg = await startRegistry();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bench-pull-'));
  try {
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${reg.host}/debian:bench`]);
    const ref = `${reg.host}/debian:bench`;
    const dir = (n: string): string => path.join(work, n);
    // Each run gets a new empty directory behind a fixed symlink; nothing is deleted until
    // the end. Deleting the last run's 8.7k files just before the next made that run's file
    // creations crawl on ext4 (its inode allocator steps over recently deleted inodes,
    // `recently_deleted` in a profile), by an amount that varied from run to run.
    let serial = 0;
    const fresh = (n: string) => (): void => {
      const target = path.join(work, 'runs', `${n}-${serial++}`);
      fs.mkdirSync(target, { recursive: true });
      fs.rmSync(dir(n), { force: true });
      fs.symlinkSync(target, dir(n));
    };
    // umoci unpack is the second half of the skopeo route: done in the same timed command.
    const skopeoUmoci = `skopeo copy --quiet --src-tls-verify=false docker://${ref} oci:${dir('skopeo')}/layout:latest && umoci unpack --image ${dir('skopeo')}/layout:latest ${dir('skopeo')}/bundle >/dev/null`;
    const contenders: Contender[] = [
      { name: 'gocker pull', cmd: [process.execPath, BIN, '--root', dir('gocker'), '--runroot', path.join(dir('gocker'), 'run'), 'pull', '-q', ref], reset: fresh('gocker') },
      { name: 'skopeo copy + umoci unpack', cmd: ['sh', '-c', skopeoUmoci], reset: fresh('skopeo') },
      { name: 'podman pull', cmd: ['podman', '--root', path.join(dir('podman'), 'root'), '--runroot', path.join(dir('podman'), 'run'), '--storage-driver', 'overlay', 'pull', '-q', '--tls-verify=false', ref], reset: fresh('podman') },
    ];
    const mb = (fs.readdirSync(path.join(layout, 'blobs', 'sha256')).reduce((n, b) => n + fs.statSync(path.join(layout, 'blobs', 'sha256', b)).size, 0) / 1e6).toFixed(1);
    bench(`cold pull of a two-layer Debian image (${mb} MB in the registry)`, contenders, runs, 'podman pull');
  } finally {
    await reg.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench/pull: ${(e as Error).message}`);
  process.exit(1);
});
