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

export interface Change { kind: 'A' | 'C' | 'D'; path: string }

/**
 * A tar of entries under dir, written by GNU tar: PAX with xattrs (SCHILY.xattr.*, so file
 * capabilities and user.* attributes survive commit and export, as docker keeps them),
 * numeric owners, no atime/ctime records. The tar npm package drops xattrs.
 */
async function writeTar(dir: string, entries: string[], out: NodeJS.WritableStream): Promise<void> {
  const child = spawn('tar', ['--format=pax', '--pax-option=delete=atime,delete=ctime', '--xattrs', '--xattrs-include=*',
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

function isOpaque(dir: string): boolean {
  try {
    return execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', dir], { stdio: ['ignore', 'pipe', 'ignore'] }).toString() === 'y';
  } catch {
    return false;
  }
}

function lowerDirs(rec: ContainerRecord): string[] {
  return rec.GraphDriver.Data.LowerDir ? rec.GraphDriver.Data.LowerDir.split(':') : [];
}

function inLower(lowers: string[], rel: string): boolean {
  return lowers.some((l) => {
    try {
      return !isWhiteout(fs.lstatSync(path.join(l, rel)));
    } catch {
      return false;
    }
  });
}

export function diffContainer(store: Store, ref: string): Change[] {
  const rec = find(store.paths, ref);
  if (rec.GraphDriver.Name === 'vfs') return vfsChanges(imageTree(store, rec), rec.GraphDriver.Data.UpperDir);
  const upper = rec.GraphDriver.Data.UpperDir;
  const lowers = lowerDirs(rec);
  const out: Change[] = [];
  /** Whether rel held nothing but the runtime's mount points. */
  const walk = (rel: string): boolean => {
    let onlyRuntime = true;
    for (const name of fs.readdirSync(path.join(upper, rel)).sort()) {
      const r = `${rel}/${name}`;
      const st = fs.lstatSync(path.join(upper, r));
      if (RUNTIME_PATHS.has(r) && (st.isDirectory() ? fs.readdirSync(path.join(upper, r)).length === 0 : st.size === 0)) continue;
      onlyRuntime = false;
      if (isWhiteout(st)) {
        out.push({ kind: 'D', path: r });
        continue;
      }
      const at = out.push({ kind: inLower(lowers, r) ? 'C' : 'A', path: r }) - 1;
      // A directory copied up only to hold /etc/hostname and the like is no change of the user's.
      if (st.isDirectory() && walk(r) && out[at].kind === 'C' && fs.readdirSync(path.join(upper, r)).length > 0) out.splice(at, 1);
    }
    return onlyRuntime;
  };
  walk('');
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
}

/** vfs: the image's top layer is its whole tree (undefined for an image without layers). */
function imageTree(store: Store, rec: ContainerRecord): string | undefined {
  const image = store.loadImage(rec.Image);
  if (!image) throw new GockerError(`the image of container ${rec.Id.slice(0, 12)} is gone`);
  return image.layers[image.layers.length - 1]?.dir;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false });
}

/**
 * vfs has no writable layer to read changes from: compare the container's tree with its
 * image's, as docker's vfs driver does. Same metadata (type, mode, owner, size, mtime, link
 * target) means unchanged; the copy kept every mtime, so any write shows.
 */
function vfsChanges(base: string | undefined, rootfs: string): Change[] {
  const out: Change[] = [];
  const added = (rel: string): void => {
    out.push({ kind: 'A', path: rel });
    if (fs.lstatSync(path.join(rootfs, rel)).isDirectory()) for (const n of fs.readdirSync(path.join(rootfs, rel))) added(`${rel}/${n}`);
  };
  const walk = (rel: string): void => {
    const here = new Set(fs.readdirSync(path.join(rootfs, rel)));
    const before = base && lstatOrUndefined(path.join(base, rel))?.isDirectory() ? fs.readdirSync(path.join(base, rel)) : [];
    for (const n of before) if (!here.has(n)) out.push({ kind: 'D', path: `${rel}/${n}` });
    for (const n of here) {
      const r = `${rel}/${n}`;
      const st = fs.lstatSync(path.join(rootfs, r));
      const old = base ? lstatOrUndefined(path.join(base, r)) : undefined;
      if (!old) {
        if (RUNTIME_PATHS.has(r) && (st.isDirectory() ? fs.readdirSync(path.join(rootfs, r)).length === 0 : st.size === 0)) continue;
        added(r);
        continue;
      }
      const same = st.mode === old.mode && st.uid === old.uid && st.gid === old.gid && st.mtimeMs === old.mtimeMs
        && (st.isDirectory() || st.size === old.size)
        && (!st.isSymbolicLink() || fs.readlinkSync(path.join(rootfs, r)) === fs.readlinkSync(path.join(base!, r)));
      if (!same) out.push({ kind: 'C', path: r });
      if (st.isDirectory() && old.isDirectory()) walk(r);
      else if (st.isDirectory()) for (const c of fs.readdirSync(path.join(rootfs, r))) added(`${r}/${c}`);
    }
  };
  walk('');
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
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
      const st = fs.lstatSync(path.join(rootfs, r));
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
    const st = fs.lstatSync(path.join(rootfs, rel));
    if (st.isDirectory() && c.kind === 'C') {
      // Only the directory itself: its changed children are changes of their own.
      const d = path.join(stage, rel);
      if (!fs.existsSync(d)) fs.mkdirSync(d);
      fs.chownSync(d, st.uid, st.gid);
      fs.chmodSync(d, st.mode & 0o7777);
      fs.utimesSync(d, st.atime, st.mtime);
      continue;
    }
    await native().copyTree('/', path.join(rootfs, rel), '/', path.join(stage, rel), -1, -1, true);
    if (st.isDirectory()) skipUnder = c.path;
  }
}

/** A copy of the upper dir (hardlinks, no data copied) with whiteouts in the OCI form. */
function stageLayer(upper: string, stage: string): void {
  execFileSync('cp', ['-a', '--link', `${upper}/.`, stage]);
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      if (isWhiteout(st)) {
        fs.unlinkSync(p);
        fs.writeFileSync(path.join(dir, `.wh.${name}`), '');
      } else if (st.isDirectory()) {
        if (isOpaque(path.join(upper, path.relative(stage, p)))) fs.writeFileSync(path.join(p, '.wh..wh..opq'), '');
        walk(p);
      }
    }
  };
  walk(stage);
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
