// Test images built by tools that are not gocker's: busybox-static for the files, GNU tar
// for hand-shaped layers, umoci to make OCI images (it writes `.wh.` whiteouts), skopeo to
// move them. Each fixture is cached by the hash of its recipe and inputs, so a second run
// is fast; a fixture is built in a temp dir and renamed into place, so a killed run never
// leaves a half-built one behind.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface OciFixture {
  /** an OCI image layout directory */
  layout: string;
  tag: string;
  /** skopeo's name for it: 'oci:<layout>:<tag>' */
  ref: string;
}

const BUSYBOX = '/bin/busybox';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function fixtureCacheDir(): string {
  const dir = process.env.GOCKER_FIXTURE_CACHE || path.join(os.tmpdir(), 'gocker-fixtures');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`fixture: ${cmd} ${args.join(' ')} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/**
 * What every fixture depends on: the recipes (this module's own compiled code, so editing a
 * recipe invalidates the cache without anyone remembering to), the busybox binary, and the
 * versions of the tools that write the images.
 */
let baseKey: string | undefined;
function inputsKey(name: string, extra = ''): string {
  if (baseKey === undefined) {
    const h = crypto.createHash('sha256').update(fs.readFileSync(__filename)).update(fs.readFileSync(BUSYBOX));
    for (const [tool, arg] of [['umoci', '--version'], ['skopeo', '--version'], ['tar', '--version']]) {
      try {
        h.update(execFileSync(tool, [arg], { stdio: ['ignore', 'pipe', 'ignore'] }));
      } catch {
        h.update(`${tool}: missing`); // the recipe that needs it fails with its own message
      }
    }
    baseKey = h.digest('hex');
  }
  return `${name}-${crypto.createHash('sha256').update(`${baseKey}\0${extra}`).digest('hex').slice(0, 16)}`;
}

/** Build into a temp sibling, then rename: concurrent or killed builds never expose a partial fixture. */
function cached(key: string, build: (dir: string) => void): string {
  const final = path.join(fixtureCacheDir(), key);
  if (fs.existsSync(final)) return final;
  const tmp = fs.mkdtempSync(path.join(fixtureCacheDir(), `.tmp-${key}-`));
  try {
    build(tmp);
    try {
      fs.renameSync(tmp, final);
    } catch (e) {
      // Another process won the race: its copy is as good as ours.
      if (!fs.existsSync(final)) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/** Lays a busybox-static root filesystem into dir (which exists). */
function layBusybox(dir: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'home/app', 'var/log']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = run(BUSYBOX, ['--list-full']).split('\n').filter(Boolean);
  for (const a of applets) {
    const p = path.join(dir, a);
    if (fs.existsSync(p) || a === 'bin/busybox') continue;
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(p), path.join(dir, 'bin/busybox')), p);
  }
  fs.writeFileSync(path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app user:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc/group'),
    'root:x:0:\nwheel:x:10:app\napp:x:1000:\naudio:x:29:app\nnogroup:x:65534:\n');
  fs.chownSync(path.join(dir, 'home/app'), 1000, 1000);
}

/** A directory holding a busybox-static rootfs: /bin/busybox, applet links, /etc/passwd and group. */
export async function busyboxRootfs(): Promise<string> {
  return cached(inputsKey('busybox-rootfs'), (d) => layBusybox(d));
}

function ociFixture(layout: string, tag: string): OciFixture {
  return { layout, tag, ref: `oci:${layout}:${tag}` };
}

/** umoci image with the busybox rootfs as its first layer; the bundle is left unpacked in work/bundle. */
function newBusyboxImage(root: string, work: string, tag: string): string {
  const layout = path.join(root, 'layout');
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', `${layout}:${tag}`]);
  const bundle = path.join(work, 'bundle');
  run('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  layBusybox(path.join(bundle, 'rootfs'));
  run('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
  run('umoci', ['config', '--image', `${layout}:${tag}`, '--config.cmd', 'sh', '--config.env', PATH_ENV,
    '--architecture', goArch(), '--os', 'linux']);
  return layout;
}

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** Applies a change to the image's tree and commits it as one more layer with umoci repack. */
function repack(layout: string, tag: string, bundle: string, change: (rootfs: string) => void): void {
  // umoci keeps the bundle's mtree; repack diffs against it, so the bundle must be the one
  // unpacked from the current tag.
  fs.rmSync(bundle, { recursive: true, force: true });
  run('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  change(path.join(bundle, 'rootfs'));
  run('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
}

/** One-layer busybox image, Cmd ["sh"]. */
export async function busyboxImage(): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('busybox-image'), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      newBusyboxImage(d, work, tag);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/**
 * Four layers. 1: busybox plus /data. 2 (umoci): deletes files and a directory, so `.wh.`
 * whiteouts appear; adds a hardlink and a setuid file. 3 (GNU tar, added raw): an opaque
 * directory `.wh..wh..opq`, which umoci does not write itself. 4 (umoci): a file replaces a
 * directory and a directory replaces a file, a symlink is retargeted.
 */
export async function multiLayerImage(): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('multi-layer-image'), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      const layout = newBusyboxImage(d, work, tag);
      const bundle = path.join(work, 'bundle');
      repack(layout, tag, bundle, (r) => {
        fs.mkdirSync(path.join(r, 'data/dir/deep'), { recursive: true });
        fs.mkdirSync(path.join(r, 'data/opaque'), { recursive: true });
        fs.writeFileSync(path.join(r, 'data/keep'), 'keep\n');
        fs.writeFileSync(path.join(r, 'data/gone'), 'gone\n');
        fs.writeFileSync(path.join(r, 'data/dir/deep/file'), 'deep\n');
        fs.writeFileSync(path.join(r, 'data/opaque/old1'), 'old1\n');
        fs.writeFileSync(path.join(r, 'data/opaque/old2'), 'old2\n');
        fs.writeFileSync(path.join(r, 'data/file-to-dir'), 'was a file\n');
        fs.mkdirSync(path.join(r, 'data/dir-to-file'));
        fs.writeFileSync(path.join(r, 'data/dir-to-file/inner'), 'inner\n');
        fs.symlinkSync('keep', path.join(r, 'data/link'));
      });
      repack(layout, tag, bundle, (r) => {
        fs.rmSync(path.join(r, 'data/gone'));
        fs.rmSync(path.join(r, 'data/dir'), { recursive: true });
        fs.linkSync(path.join(r, 'data/keep'), path.join(r, 'data/keep-hardlink'));
        fs.writeFileSync(path.join(r, 'data/setuid'), '#!/bin/sh\n');
        fs.chmodSync(path.join(r, 'data/setuid'), 0o4755);
        fs.chownSync(path.join(r, 'data/keep'), 1000, 1000);
      });
      // The opaque layer, shaped by GNU tar: data/opaque/ is emptied and refilled.
      const opq = path.join(work, 'opq');
      fs.mkdirSync(path.join(opq, 'data/opaque'), { recursive: true });
      fs.writeFileSync(path.join(opq, 'data/opaque/.wh..wh..opq'), '');
      fs.writeFileSync(path.join(opq, 'data/opaque/new'), 'new\n');
      const opqTar = path.join(work, 'opq.tar');
      run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', opqTar, '-C', opq, 'data']);
      run('umoci', ['raw', 'add-layer', '--image', `${layout}:${tag}`, opqTar]);
      repack(layout, tag, bundle, (r) => {
        fs.rmSync(path.join(r, 'data/file-to-dir'));
        fs.mkdirSync(path.join(r, 'data/file-to-dir'));
        fs.writeFileSync(path.join(r, 'data/file-to-dir/now'), 'now a dir\n');
        fs.rmSync(path.join(r, 'data/dir-to-file'), { recursive: true });
        fs.writeFileSync(path.join(r, 'data/dir-to-file'), 'now a file\n');
        fs.rmSync(path.join(r, 'data/link'));
        fs.symlinkSync('/etc/passwd', path.join(r, 'data/link'));
      });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/** busybox plus n-1 small layers (n layers in all): the overlay mount option must still fit a page. */
export async function manyLayerImage(n = 60): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('many-layer-image', String(n)), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      const layout = newBusyboxImage(d, work, tag);
      for (let i = 2; i <= n; i++) {
        // raw add-layer of a tiny GNU tar is far faster than n unpack/repack cycles.
        const dir = path.join(work, `l${i}`);
        fs.mkdirSync(path.join(dir, 'layers'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'layers', String(i)), `${i}\n`);
        const t = path.join(work, `l${i}.tar`);
        run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', t, '-C', dir, 'layers']);
        run('umoci', ['raw', 'add-layer', '--image', `${layout}:${tag}`, t]);
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/** The rootfs umoci itself unpacks for an image: the oracle for layer application. */
export function umociUnpack(fx: OciFixture, dest: string): string {
  run('umoci', ['unpack', '--image', `${fx.layout}:${fx.tag}`, dest]);
  return path.join(dest, 'rootfs');
}

/** A docker-archive tarball of the fixture, written by skopeo. */
export function dockerArchive(fx: OciFixture, file: string, repoTag = 'fixture:latest'): string {
  run('skopeo', ['copy', '--quiet', fx.ref, `docker-archive:${file}:${repoTag}`]);
  return file;
}

/** busybox plus a layer holding `mb` megabytes of random (incompressible) data in /data/random. */
export async function bigLayerImage(mb = 8): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('big-layer-image', String(mb)), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      const layout = newBusyboxImage(d, work, tag);
      const dir = path.join(work, 'big');
      fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data', 'random'), crypto.randomBytes(mb << 20));
      const t = path.join(work, 'big.tar');
      run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', t, '-C', dir, 'data']);
      run('umoci', ['raw', 'add-layer', '--image', `${layout}:${tag}`, t]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/** The busybox image with its config claiming another architecture (for multi-platform indexes). */
export async function busyboxAsArch(arch: string): Promise<OciFixture> {
  const tag = 'latest';
  const src = await busyboxImage();
  const root = cached(inputsKey('busybox-as', arch), (d) => {
    run('cp', ['-a', src.layout, path.join(d, 'layout')]);
    run('umoci', ['config', '--image', `${path.join(d, 'layout')}:${tag}`, '--architecture', arch]);
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/** An OCI archive (a tarred OCI layout) of the fixture, written by skopeo; refName is its index's ref name. */
export function ociArchive(fx: OciFixture, file: string, refName = 'latest'): string {
  run('skopeo', ['copy', '--quiet', fx.ref, `oci-archive:${file}:${refName}`]);
  return file;
}

/** One OCI layout holding several images, each under its ref name, as skopeo writes them into it. */
export function ociLayoutOf(images: Array<[OciFixture, string]>, dir: string): string {
  for (const [fx, refName] of images) run('skopeo', ['copy', '--quiet', fx.ref, `oci:${dir}:${refName}`]);
  return dir;
}

/**
 * A docker-archive with several images in it (docker save's format, one manifest.json entry
 * an image), written by `podman save --multi-image-archive` from a private podman store:
 * skopeo writes one image per archive. `images` are [fixture, name, ...more names].
 */
export function multiImageDockerArchive(images: Array<[OciFixture, ...string[]]>): string {
  const inputs = JSON.stringify([run('podman', ['--version']), ...images.map(([fx, ...names]) => [fs.readFileSync(path.join(fx.layout, 'index.json'), 'utf8'), names])]);
  const dir = cached(inputsKey('multi-image-archive', inputs), (d) => {
    const pod = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-podman-'));
    const podman = (...a: string[]): string => run('podman', ['--root', path.join(pod, 'root'), '--runroot', path.join(pod, 'run'), '--storage-driver', 'vfs', ...a]);
    try {
      const all: string[] = [];
      for (const [fx, ...names] of images) {
        const id = podman('pull', '-q', fx.ref).trim();
        for (const n of names) podman('tag', id, n);
        all.push(...names);
      }
      podman('save', '--multi-image-archive', '-o', path.join(d, 'archive.tar'), ...all);
    } finally {
      fs.rmSync(pod, { recursive: true, force: true });
    }
  });
  return path.join(dir, 'archive.tar');
}

/**
 * busybox plus a layer for volumes, with VOLUME /data, /cache and /escape in its config
 * (umoci config --config.volume): /data holds a tree with owners, modes, a symlink and a
 * hardlink for copy-up to keep; /cache is empty; /escape is an absolute symlink to /etc,
 * which copy-up must resolve inside the image (its passwd), never on the host.
 */
export async function volumeImage(): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('volume-image'), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      const layout = newBusyboxImage(d, work, tag);
      repack(layout, tag, path.join(work, 'bundle'), (r) => {
        fs.mkdirSync(path.join(r, 'data/app/deep'), { recursive: true });
        fs.writeFileSync(path.join(r, 'data/app/config'), 'setting=1\n');
        fs.writeFileSync(path.join(r, 'data/app/deep/file'), 'deep\n');
        fs.chownSync(path.join(r, 'data/app'), 1000, 1000);
        fs.chownSync(path.join(r, 'data/app/config'), 1000, 1000);
        fs.chmodSync(path.join(r, 'data/app/config'), 0o640);
        fs.chmodSync(path.join(r, 'data/app'), 0o750);
        fs.symlinkSync('app/config', path.join(r, 'data/link'));
        fs.linkSync(path.join(r, 'data/app/deep/file'), path.join(r, 'data/hardlink'));
        fs.chownSync(path.join(r, 'data'), 1000, 1000);
        fs.chmodSync(path.join(r, 'data'), 0o770);
        fs.mkdirSync(path.join(r, 'cache'));
        fs.symlinkSync('/etc', path.join(r, 'escape'));
      });
      run('umoci', ['config', '--image', `${layout}:${tag}`, '--config.volume', '/data', '--config.volume', '/cache', '--config.volume', '/escape']);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}

/**
 * busybox whose config's StopSignal is `signal` as given (umoci config --config.stopsignal,
 * which checks nothing): an image from elsewhere may carry a stop signal no one can send.
 */
export async function stopSignalImage(signal: string): Promise<OciFixture> {
  const tag = 'latest';
  const root = cached(inputsKey('stopsignal-image', signal), (d) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fx-'));
    try {
      const layout = newBusyboxImage(d, work, tag);
      run('umoci', ['config', '--image', `${layout}:${tag}`, '--config.stopsignal', signal]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return ociFixture(path.join(root, 'layout'), tag);
}
