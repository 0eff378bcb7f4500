// What a container changed: diff (A/C/D from its writable layer), commit (that layer as a new
// image layer, whiteouts in the OCI form), export (its whole filesystem as a tar).
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GockerError } from '../errors';
import { byCodeUnit } from '../format/order';
import { applyChanges } from '../image/import';
import type { ImageConfig } from '../image/types';
import { MNT_DETACH, native } from '../native';
import { familiarRepo, parseReference } from '../name';
import { Store, sha256 } from '../store';
import { find } from './lifecycle';
import type { ContainerRecord } from './record';
import { mountContainerLayers } from './state';
import { at } from './user';

export interface Change { kind: 'A' | 'C' | 'D'; path: string }

/**
 * A tar of entries under dir, written by GNU tar: PAX with xattrs (SCHILY.xattr.*, so file
 * capabilities and user.* attributes survive commit and export, as docker keeps them),
 * numeric owners, no atime/ctime records. The tar npm package drops xattrs.
 */
async function writeTar(dir: string, entries: string[], out: NodeJS.WritableStream): Promise<void> {
  // --ignore-failed-read: an entry a running container removed after it was listed is a
  // warning, not a failed export. GNU tar walks with openat and O_NOFOLLOW, so what it
  // archives of a link is the link.
  const child = spawn('tar', ['--ignore-failed-read', '--format=pax', '--pax-option=delete=atime,delete=ctime', '--xattrs', '--xattrs-include=*',
    '--numeric-owner', '-C', dir, '-cf', '-', '--', ...entries], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  await pipeline(child.stdout!, out, { end: out !== process.stdout });
  const code = await exited;
  // 1: a file changed while it was read (a running container's export); the archive is whole.
  if (code !== 0 && code !== 1) throw new GockerError(`tar of ${dir} failed: ${err.trim().split('\n')[0] || `exit ${code}`}`);
}

/** Mount points the runtime creates in the writable layer: not the user's changes (docker hides them too). */
const RUNTIME_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', '/proc', '/sys', '/sbin/docker-init']);

function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** trusted.overlay.opaque on the directory open as fd (getfattr gets the fd itself, as its fd 3). */
function isOpaqueFd(fd: number): boolean {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', '/proc/self/fd/3'], { stdio: ['ignore', 'pipe', 'ignore', fd] }).toString() === 'y';
  } catch {
    return false;
  }
}

/*
 * A container's tree is changed by the container while these walk it: a directory can become a
 * symlink to the host between the moment it was listed and the moment it is entered. So no
 * path into it is ever walked twice: each directory is opened (O_NOFOLLOW) relative to its
 * parent's open fd, and everything in it is looked at through that fd (user.ts's at()).
 */

/** The directory name in the one open as parent, never through a symlink; undefined if not a directory now. */
function openDirAt(parent: number | string, name?: string): number | undefined {
  try {
    return fs.openSync(name === undefined ? (parent as string) : at(parent as number, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
}

function listAt(fd: number): string[] {
  try {
    return fs.readdirSync(`/proc/self/fd/${fd}`);
  } catch {
    return [];
  }
}

function lstatAt(fd: number, name: string): fs.Stats | undefined {
  return fs.lstatSync(at(fd, name), { throwIfNoEntry: false });
}

function readlinkAt(fd: number, name: string): string | undefined {
  try {
    return fs.readlinkSync(at(fd, name));
  } catch {
    return undefined;
  }
}

function closeAll(fds: Array<number | undefined>): void {
  for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
}

/** Whether the directory open as fd is empty (or went away), so a runtime mount point. */
function emptyDirAt(parent: number, name: string): boolean {
  const fd = openDirAt(parent, name);
  if (fd === undefined) return true;
  try {
    return listAt(fd).length === 0;
  } finally {
    fs.closeSync(fd);
  }
}

function lowerDirs(rec: ContainerRecord): string[] {
  return rec.GraphDriver.Data.LowerDir ? rec.GraphDriver.Data.LowerDir.split(':') : [];
}

export function diffContainer(store: Store, ref: string): Change[] {
  const rec = find(store.paths, ref);
  if (rec.GraphDriver.Name === 'vfs') return vfsChanges(imageTree(store, rec), rec.GraphDriver.Data.UpperDir);
  const out: Change[] = [];
  /**
   * upper: the writable layer's directory rel, open; lowers: the same directory in each lower
   * layer that has it (open, no link followed). Whether rel held nothing but the runtime's
   * mount points.
   */
  const walk = (upper: number, lowers: number[], rel: string): boolean => {
    let onlyRuntime = true;
    for (const name of listAt(upper).sort(byCodeUnit)) {
      const r = `${rel}/${name}`;
      const st = lstatAt(upper, name);
      if (!st) continue; // removed since it was listed
      if (RUNTIME_PATHS.has(r) && (st.isDirectory() ? emptyDirAt(upper, name) : st.size === 0)) continue;
      onlyRuntime = false;
      if (isWhiteout(st)) {
        out.push({ kind: 'D', path: r });
        continue;
      }
      const lowerSt = lowers.map((l) => lstatAt(l, name));
      const inLower = lowerSt.some((l) => l && !isWhiteout(l));
      const at0 = out.push({ kind: inLower ? 'C' : 'A', path: r }) - 1;
      if (!st.isDirectory()) continue;
      const child = openDirAt(upper, name);
      if (child === undefined) continue; // no longer a directory: nothing under it to list
      const childLowers: Array<number | undefined> = [];
      try {
        for (let i = 0; i < lowers.length; i++) if (lowerSt[i]?.isDirectory()) childLowers.push(openDirAt(lowers[i], name));
        // A directory copied up only to hold /etc/hostname and the like is no change of the user's.
        if (walk(child, childLowers.filter((f): f is number => f !== undefined), r) && out[at0].kind === 'C' && listAt(child).length > 0) out.splice(at0, 1);
      } finally {
        closeAll([child, ...childLowers]);
      }
    }
    return onlyRuntime;
  };
  const top = openDirAt(rec.GraphDriver.Data.UpperDir);
  if (top === undefined) throw new GockerError(`the writable layer of container ${rec.Id.slice(0, 12)} is gone`);
  const lowers = lowerDirs(rec).map((l) => openDirAt(l));
  try {
    walk(top, lowers.filter((f): f is number => f !== undefined), '');
  } finally {
    closeAll([top, ...lowers]);
  }
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
}

/** vfs: the image's top layer is its whole tree (undefined for an image without layers). */
function imageTree(store: Store, rec: ContainerRecord): string | undefined {
  const image = store.loadImage(rec.Image);
  if (!image) throw new GockerError(`the image of container ${rec.Id.slice(0, 12)} is gone`);
  return image.layers[image.layers.length - 1]?.dir;
}

/**
 * vfs has no writable layer to read changes from: compare the container's tree with its
 * image's, as docker's vfs driver does. Same metadata (type, mode, owner, size, mtime, link
 * target) means unchanged; the copy kept every mtime, so any write shows.
 */
function vfsChanges(base: string | undefined, rootfs: string): Change[] {
  const out: Change[] = [];
  const added = (parent: number, name: string, rel: string): void => {
    out.push({ kind: 'A', path: rel });
    const fd = lstatAt(parent, name)?.isDirectory() ? openDirAt(parent, name) : undefined;
    if (fd === undefined) return;
    try {
      for (const n of listAt(fd)) added(fd, n, `${rel}/${n}`);
    } finally {
      fs.closeSync(fd);
    }
  };
  /** here: the container's directory rel, open; before: the image's, when it has one there. */
  const walk = (here: number, before: number | undefined, rel: string): void => {
    const names = new Set(listAt(here));
    for (const n of before === undefined ? [] : listAt(before)) if (!names.has(n)) out.push({ kind: 'D', path: `${rel}/${n}` });
    for (const n of names) {
      const r = `${rel}/${n}`;
      const st = lstatAt(here, n);
      if (!st) continue;
      const old = before === undefined ? undefined : lstatAt(before, n);
      if (!old) {
        if (RUNTIME_PATHS.has(r) && (st.isDirectory() ? emptyDirAt(here, n) : st.size === 0)) continue;
        added(here, n, r);
        continue;
      }
      const same = st.mode === old.mode && st.uid === old.uid && st.gid === old.gid && st.mtimeMs === old.mtimeMs
        && (st.isDirectory() || st.size === old.size)
        && (!st.isSymbolicLink() || readlinkAt(here, n) === readlinkAt(before!, n));
      if (!same) out.push({ kind: 'C', path: r });
      if (!st.isDirectory()) continue;
      const child = openDirAt(here, n);
      if (child === undefined) continue;
      const oldChild = old.isDirectory() ? openDirAt(before!, n) : undefined;
      try {
        if (oldChild !== undefined) walk(child, oldChild, r);
        else for (const c of listAt(child)) added(child, c, `${r}/${c}`);
      } finally {
        closeAll([child, oldChild]);
      }
    }
  };
  const top = openDirAt(rootfs);
  if (top === undefined) throw new GockerError(`the container's tree ${rootfs} is gone`);
  const baseFd = base === undefined ? undefined : openDirAt(base);
  try {
    walk(top, baseFd, '');
  } finally {
    closeAll([top, baseFd]);
  }
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
}

/** lstat of rel inside root, each directory on the way entered without following a link. */
function lstatIn(root: string, rel: string): fs.Stats | undefined {
  const parts = rel.split('/').filter(Boolean);
  const last = parts.pop();
  let fd = openDirAt(root);
  try {
    for (const p of parts) {
      if (fd === undefined) return undefined;
      const next = openDirAt(fd, p);
      fs.closeSync(fd);
      fd = next;
    }
    if (fd === undefined) return undefined;
    return last === undefined ? fs.fstatSync(fd) : lstatAt(fd, last);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * vfs: the changes as an OCI layer tree: added and changed entries copied (an added
 * directory whole), deletions as `.wh.` files. Parent directories come with the container's
 * metadata, so applying the layer does not reset them.
 */
async function stageVfsLayer(changes: Change[], rootfs: string, stage: string): Promise<void> {
  const ensureParents = (rel: string): void => {
    const parts = rel.split('/').filter(Boolean).slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const r = parts.slice(0, i).join('/');
      const d = path.join(stage, r);
      if (fs.existsSync(d)) continue;
      const st = lstatIn(rootfs, r);
      if (!st?.isDirectory()) throw new GockerError(`/${r} changed while the container was committed`);
      fs.mkdirSync(d);
      fs.chownSync(d, st.uid, st.gid);
      fs.chmodSync(d, st.mode & 0o7777);
      fs.utimesSync(d, st.atime, st.mtime);
    }
  };
  let skipUnder: string | undefined;
  for (const c of changes) {
    if (skipUnder && c.path.startsWith(`${skipUnder}/`)) continue;
    skipUnder = undefined;
    ensureParents(c.path);
    const rel = c.path.slice(1);
    if (c.kind === 'D') {
      fs.writeFileSync(path.join(stage, path.dirname(rel), `.wh.${path.basename(rel)}`), '');
      continue;
    }
    const st = lstatIn(rootfs, rel);
    if (!st) continue; // removed since the changes were listed
    if (st.isDirectory() && c.kind === 'C') {
      // Only the directory itself: its changed children are changes of their own.
      const d = path.join(stage, rel);
      if (!fs.existsSync(d)) fs.mkdirSync(d);
      fs.chownSync(d, st.uid, st.gid);
      fs.chmodSync(d, st.mode & 0o7777);
      fs.utimesSync(d, st.atime, st.mtime);
      continue;
    }
    // Both ends resolved inside their trees: a link the container made on the way is
    // followed (if at all) inside its own root, never on the host.
    await native().copyTree(rootfs, `/${rel}`, stage, `/${rel}`, -1, -1, true);
    if (st.isDirectory()) skipUnder = c.path;
  }
}

/**
 * A copy of the upper dir (hardlinks, no data copied) with whiteouts in the OCI form. Walked
 * by open directory fds (see above), not `cp -a`, which re-walks paths a running container
 * can turn into links to the host between its stat and its descent.
 */
function stageLayer(upper: string, stage: string): void {
  const walk = (src: number, dst: string): void => {
    for (const name of listAt(src)) {
      const st = lstatAt(src, name);
      if (!st) continue;
      const d = path.join(dst, name);
      if (isWhiteout(st)) {
        fs.writeFileSync(path.join(dst, `.wh.${name}`), '');
        continue;
      }
      if (st.isDirectory()) {
        const fd = openDirAt(src, name);
        if (fd === undefined) continue; // swapped for something else since: as if absent
        try {
          const dst2 = fs.fstatSync(fd);
          fs.mkdirSync(d);
          walk(fd, d);
          if (isOpaqueFd(fd)) fs.writeFileSync(path.join(d, '.wh..wh..opq'), '');
          fs.chownSync(d, dst2.uid, dst2.gid);
          fs.chmodSync(d, dst2.mode & 0o7777);
          fs.utimesSync(d, dst2.atime, dst2.mtime);
        } finally {
          fs.closeSync(fd);
        }
        continue;
      }
      // link(2) does not follow its source's last component: whatever is there now (a file,
      // a link, a device) is what is linked, and the prefix is the directory we hold open.
      try {
        fs.linkSync(at(src, name), d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  };
  const top = openDirAt(upper);
  if (top === undefined) throw new GockerError(`the writable layer ${upper} is gone`);
  try {
    walk(top, stage);
  } finally {
    fs.closeSync(top);
  }
}

export interface CommitOptions { message?: string; author?: string; changes?: string[]; pause?: boolean }

/** Under the store's shared gc lock: see Store.adding. */
export async function commitContainer(store: Store, ref: string, name: string | undefined, o: CommitOptions = {}): Promise<string> {
  return store.adding(() => commitContainerLocked(store, ref, name, o));
}

async function commitContainerLocked(store: Store, ref: string, name: string | undefined, o: CommitOptions = {}): Promise<string> {
  const rec = find(store.paths, ref);
  const base = store.loadImage(rec.Image);
  if (!base) throw new GockerError(`the image of container ${rec.Id.slice(0, 12)} is gone`);
  const target = name ? parseReference(name) : undefined;
  if (target?.digest) throw new GockerError(`refusing to create a tag with a digest reference: ${name}`);
  fs.mkdirSync(store.paths.tmp, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(store.paths.tmp, 'commit-'));
  try {
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(stage);
    if (rec.GraphDriver.Name === 'vfs') await stageVfsLayer(vfsChanges(imageTree(store, rec), rec.GraphDriver.Data.UpperDir), rec.GraphDriver.Data.UpperDir, stage);
    else stageLayer(rec.GraphDriver.Data.UpperDir, stage);
    for (const p of RUNTIME_PATHS) {
      const f = path.join(stage, p);
      try {
        const st = fs.lstatSync(f);
        if (st.isDirectory() ? fs.readdirSync(f).length === 0 : st.size === 0) fs.rmSync(f, { recursive: true });
      } catch {
        /* not there */
      }
    }
    const layerFile = path.join(tmp, 'layer.tar');
    const entries = fs.readdirSync(stage);
    if (entries.length) await writeTar(stage, entries, fs.createWriteStream(layerFile));
    else fs.writeFileSync(layerFile, Buffer.alloc(1024));
    const diffId = sha256(fs.readFileSync(layerFile));
    const parent = base.layers[base.layers.length - 1]?.chainId ?? null;
    await store.addLayer(parent, { file: layerFile, diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar' });
    const now = new Date().toISOString();
    const cfg: ImageConfig = JSON.parse(JSON.stringify(base.config)) as ImageConfig;
    cfg.created = now;
    if (o.author) cfg.author = o.author;
    // As docker: the container's own settings (from run's flags) become the image's, then -c.
    cfg.config = applyChanges({
      ...(cfg.config ?? {}), Cmd: rec.Config.Cmd ?? cfg.config?.Cmd, Entrypoint: rec.Config.Entrypoint ?? undefined, Env: rec.Config.Env,
      WorkingDir: rec.Config.WorkingDir || cfg.config?.WorkingDir, User: rec.Config.User || cfg.config?.User,
    }, o.changes ?? []);
    cfg.rootfs = { type: 'layers', diff_ids: [...cfg.rootfs.diff_ids, diffId] };
    cfg.history = [...(cfg.history ?? []), { created: now, created_by: [rec.Path, ...rec.Args].join(' '), author: o.author, comment: o.message ?? '' }];
    const configBuf = Buffer.from(JSON.stringify(cfg));
    const layerDigest = store.putBlob(fs.readFileSync(layerFile));
    const baseManifest = JSON.parse(fs.readFileSync(path.join(store.paths.image(base.id), 'manifest.json'), 'utf8')) as { layers: unknown[] };
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBuf), size: configBuf.length },
      layers: [...baseManifest.layers, { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: fs.statSync(layerFile).size }],
    }));
    store.putBlob(configBuf);
    store.putBlob(manifest);
    return await store.registerImage(configBuf, manifest, target ? [{ ...target, tag: target.tag ?? 'latest' }] : []);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The container's whole tree as a tar. Its layers are mounted read-only in the host with the
 * writable layer as the top lower (so a running container's upper is not taken over), then
 * unmounted.
 */
export async function exportContainer(store: Store, ref: string, out: NodeJS.WritableStream): Promise<void> {
  const rec = find(store.paths, ref);
  if (rec.GraphDriver.Name === 'vfs') {
    // vfs: the container's tree is a plain directory already.
    const rootfs = rec.GraphDriver.Data.UpperDir;
    await writeTar(rootfs, fs.readdirSync(rootfs), out);
    return;
  }
  const mnt = path.join(store.paths.runContainer(rec.Id), `export-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(mnt, { recursive: true });
  try {
    mountContainerLayers(store.paths, rec, mnt, { readonly: true });
  } catch (e) {
    fs.rmdirSync(mnt);
    throw e;
  }
  try {
    await writeTar(mnt, fs.readdirSync(mnt), out);
  } finally {
    native().umount(mnt, MNT_DETACH);
    fs.rmdirSync(mnt);
  }
}

export { familiarRepo };
