// What a container changed: diff (A/C/D from its writable layer), commit (that layer as a new
// image layer, whiteouts in the OCI form), export (its whole filesystem as a tar).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GockerError } from '../errors';
import { containerEvent } from '../events';
import { byCodeUnit } from '../format/order';
import { at, lstatAt, openDirAt } from '../fsread';
import { applyChanges } from '../image/import';
import type { ImageConfig } from '../store/types';
import { MNT_DETACH, native } from '../native';
import { familiarRepo, parseReference } from '../name';
import { Store, sha256 } from '../store';
import { find } from './lifecycle';
import type { ContainerRecord } from './record';
import { mountContainerLayers } from './state';
import { tarStream, writeTar } from './tar';
import { isWhiteout } from './user';

export interface Change { kind: 'A' | 'C' | 'D'; path: string }

const SLASH = Buffer.from('/');

/** Mount points the runtime creates in the writable layer: not the user's changes (docker hides them too). */
const RUNTIME_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', '/proc', '/sys', '/sbin/docker-init']);

/*
 * A container's tree is changed by the container while these walk it: a directory can become a
 * symlink to the host between the moment it was listed and the moment it is entered. So no
 * path into it is ever walked twice: each directory is opened (O_NOFOLLOW) relative to its
 * parent's open fd, and everything in it is looked at through that fd (fsread.ts's at()).
 */

/** The names in the directory open as fd; [] if it went away. Any other failure is thrown, not taken for an empty directory. */
function listAt(fd: number, encoding: BufferEncoding = 'utf8'): string[] {
  try {
    return fs.readdirSync(`/proc/self/fd/${fd}`, { encoding });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function closeAll(fds: Array<number | undefined>): void {
  for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
}

/*
 * The walks below are iterative, over an explicit stack of directories, and hold descriptors
 * for the deepest OPEN_LEVELS of them only: a container can nest directories 100,000 deep,
 * deeper than the JavaScript stack and than RLIMIT_NOFILE. A directory that gave up its
 * descriptors gets them back on the way up, as '..' of the directory below it, accepted only
 * if it is the very directory the walk came down through (device and inode, as native/tree.h
 * does). A tree walked side by side that has no counterpart in the directory below (a lower
 * layer without it, the image without it) keeps its descriptor: along one path there are at
 * most as many of those as trees, so the count stays bounded.
 */
const OPEN_LEVELS = 16;

/** A directory of one of the trees walked side by side; fd undefined while given up. */
interface Dir { fd: number | undefined; dev: bigint; ino: bigint }

/** The directory name in the one open as parent (never through a symlink), as a Dir; undefined if not a directory now. */
function dirAt(parent: number | string, name?: string | Buffer): Dir | undefined {
  const fd = openDirAt(parent, name);
  if (fd === undefined) return undefined;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    return { fd, dev: st.dev, ino: st.ino };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** A directory being walked: the same directory in each tree (undefined where a tree lacks it). */
interface Frame { dirs: Array<Dir | undefined>; rel: string }

class DirStack<F extends Frame> {
  private readonly frames: F[] = [];

  top(): F | undefined {
    return this.frames[this.frames.length - 1];
  }

  push(f: F): void {
    this.frames.push(f);
    if (this.frames.length <= OPEN_LEVELS) return;
    const far = this.frames[this.frames.length - 1 - OPEN_LEVELS];
    const below = this.frames[this.frames.length - OPEN_LEVELS];
    far.dirs.forEach((d, i) => {
      if (d?.fd === undefined || below.dirs[i] === undefined) return;
      fs.closeSync(d.fd);
      d.fd = undefined;
    });
  }

  /** Drops the deepest directory; the one above it has its descriptors again. */
  pop(): void {
    const f = this.frames.pop()!;
    try {
      const up = this.top();
      up?.dirs.forEach((d, i) => {
        if (!d || d.fd !== undefined) return;
        // The deepest directory is always open: each pop reopens the one above it.
        const back = dirAt(f.dirs[i]!.fd!, '..');
        if (back?.dev !== d.dev || back.ino !== d.ino) {
          if (back) fs.closeSync(back.fd!);
          throw new GockerError(`${up.rel || '/'} was moved while it was walked; try again`);
        }
        d.fd = back.fd;
      });
    } finally {
      closeAll(f.dirs.map((d) => d?.fd));
    }
  }

  closeAll(): void {
    for (const f of this.frames) closeAll(f.dirs.map((d) => d?.fd));
    this.frames.length = 0;
  }
}

/** Whether the directory open as fd is empty (or went away), so a runtime mount point. */
function emptyDirAt(parent: number, name: string | Buffer): boolean {
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

/** diff's changes of the container ref, in the order of their paths (as diff prints them). */
export function diffContainer(store: Store, ref: string): Change[] {
  const out: Change[] = [];
  for (const [kind, p] of eachChange(store, ref)) out.push({ kind, path: p.toString() });
  return out;
}

/** Where a directory's change is dropped if it holds nothing but runtime mount points. */
const RUNTIME_PARENTS = new Set([...RUNTIME_PATHS].map((p) => p.slice(0, p.lastIndexOf('/'))));

/**
 * The container's changes, one at a time in the order of their paths (by byte, as Go sorts
 * docker's), none of them kept: a chain 100,000 deep has 10 GB of paths. Each path is in a
 * buffer that is valid until the next one is asked for. The overlay walk needs no sort:
 * under a directory, a child's own change is ordered by its name and everything below it by
 * its name and '/', which is where each falls among the full paths (/a, /a-b, /a/c). Names
 * are the bytes the directories list, never decoded: a name that is no UTF-8 would come
 * back from a string as U+FFFD, name nothing, and its change would be left out.
 */
export function* eachChange(store: Store, ref: string): Generator<[Change['kind'], Buffer]> {
  const rec = find(store.paths, ref);
  if (rec.GraphDriver.Name === 'vfs') {
    for (const c of vfsChanges(imageTree(store, rec), rec.GraphDriver.Data.UpperDir)) yield [c.kind, Buffer.from(c.path, 'latin1')];
    return;
  }
  /** What is left to do in a directory: a child's own change, or the walk below it (sub). */
  interface Item { name: Buffer; key: Buffer; sub?: Item; descend?: boolean; lowerDirs?: boolean[] }
  /**
   * dirs: the writable layer's directory rel, then the same directory in each lower layer that
   * has it (no link followed). items: its children's changes and subtrees, in path order;
   * len: the length of its path in the buffer.
   */
  interface DiffFrame extends Frame { items: Item[]; next: number; len: number }
  let buf = Buffer.alloc(4096);
  /** The path of the directory whose path ends at len, with '/name' after it; its new length. */
  const append = (len: number, name: Buffer): number => {
    const need = len + 1 + name.length;
    if (need > buf.length) {
      const bigger = Buffer.alloc(Math.max(need, buf.length * 2));
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    buf[len] = 0x2f;
    name.copy(buf, len + 1);
    return need;
  };
  const listItems = (fd: number): Item[] => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // Each name's walk below it too, in case it is a directory when its turn comes (its own
    // change says, after its lstat).
    const items: Item[] = [];
    for (const name of names) {
      const self: Item = { name, key: name };
      items.push(self, (self.sub = { name, key: Buffer.concat([name, SLASH]) }));
    }
    return items.sort((x, y) => Buffer.compare(x.key, y.key));
  };
  /** Whether the directory name in the one open as fd holds something, and only the runtime's mount points. */
  const onlyRuntime = (fd: number, name: Buffer, rel: string): boolean => {
    const dir = openDirAt(fd, name);
    if (dir === undefined) return false;
    try {
      const names = listAt(dir);
      return names.length > 0 && names.every((n) => {
        const r = `${rel}/${n}`;
        if (!RUNTIME_PATHS.has(r)) return false;
        const st = lstatAt(dir, n);
        return !st || (st.isDirectory() ? emptyDirAt(dir, n) : st.size === 0);
      });
    } finally {
      fs.closeSync(dir);
    }
  };
  const stack = new DirStack<DiffFrame>();
  try {
    const top = dirAt(rec.GraphDriver.Data.UpperDir);
    if (top === undefined) throw new GockerError(`the writable layer of container ${rec.Id.slice(0, 12)} is gone`);
    stack.push({ dirs: [top], rel: '', items: [], next: 0, len: 0 });
    for (const l of lowerDirs(rec)) stack.top()!.dirs.push(dirAt(l));
    stack.top()!.items = listItems(top.fd!);
    for (let f = stack.top(); f; f = stack.top()) {
      if (f.next === f.items.length) {
        stack.pop();
        continue;
      }
      const item = f.items[f.next++];
      const upper = f.dirs[0]!.fd!;
      const lowers = f.dirs.slice(1);
      if (item.sub === undefined && item.key.length !== item.name.length) {
        // The walk below a directory whose own change said to descend.
        if (!item.descend) continue;
        const child = dirAt(upper, item.name);
        if (child === undefined) continue; // no longer a directory: nothing under it to list
        const dirs: Array<Dir | undefined> = [child];
        const rel = f.len < 64 ? `${f.rel}/${item.name.toString()}` : '';
        stack.push({ dirs, rel, items: [], next: 0, len: append(f.len, item.name) });
        lowers.forEach((l, i) => dirs.push(l && item.lowerDirs![i] ? dirAt(l.fd!, item.name) : undefined));
        stack.top()!.items = listItems(child.fd!);
        continue;
      }
      const name = item.name;
      // Only the first levels' paths are kept as strings (rel), for the runtime's mount points.
      const r = f.len < 64 ? `${f.rel}/${name.toString()}` : undefined;
      const st = lstatAt(upper, name);
      if (!st) continue; // removed since it was listed
      if (r !== undefined && RUNTIME_PATHS.has(r) && (st.isDirectory() ? emptyDirAt(upper, name) : st.size === 0)) continue;
      const len = append(f.len, name);
      if (isWhiteout(st)) {
        yield ['D', buf.subarray(0, len)];
        continue;
      }
      const lowerSt = lowers.map((l) => (l ? lstatAt(l.fd!, name) : undefined));
      const inLower = lowerSt.some((l) => l && !isWhiteout(l));
      if (st.isDirectory() && item.sub) {
        // A directory copied up only to hold /etc/hostname and the like is no change of the user's.
        if (inLower && r !== undefined && RUNTIME_PARENTS.has(r) && onlyRuntime(upper, name, r)) continue;
        item.sub.descend = true;
        item.sub.lowerDirs = lowerSt.map((l) => l?.isDirectory() === true);
      }
      yield [inLower ? 'C' : 'A', buf.subarray(0, len)];
    }
  } finally {
    stack.closeAll();
  }
}

/** vfs: the image's top layer is its whole tree (undefined for an image without layers). */
function imageTree(store: Store, rec: ContainerRecord): string | undefined {
  const image = store.loadImage(rec.Image);
  if (!image) throw new GockerError(`the image of container ${rec.Id.slice(0, 12)} is gone`);
  return image.layers[image.layers.length - 1]?.dir;
}

/**
 * A name or path of vfs's walks as its bytes. Those walks hold them as latin1 strings, a
 * character a byte: a container's names need not be UTF-8, and one that is not would come
 * back from a UTF-8 string as U+FFFD and name nothing. Code-unit order is then byte order.
 */
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The target of the symlink name in the directory open as fd, as bytes; undefined if it is none (now). */
function linkAt(fd: number, name: string): Buffer | undefined {
  try {
    return fs.readlinkSync(at(fd, bytes(name)), { encoding: 'buffer' });
  } catch {
    return undefined;
  }
}

const sameLink = (a: Buffer | undefined, b: Buffer | undefined): boolean => (a === undefined || b === undefined ? a === b : a.equals(b));

/**
 * vfs has no writable layer to read changes from: compare the container's tree with its
 * image's, as docker's vfs driver does. Same metadata (type, mode, owner, size, mtime, link
 * target) means unchanged; the copy kept every mtime, so any write shows. Paths as latin1
 * strings (see bytes).
 */
function vfsChanges(base: string | undefined, rootfs: string): Change[] {
  const out: Change[] = [];
  /**
   * dirs: the container's directory rel, then the image's when it has one there. compare:
   * whether this is a comparison (else everything under rel is added, the image's aside).
   */
  interface VfsFrame extends Frame { names: string[]; next: number; compare: boolean }
  const stack = new DirStack<VfsFrame>();
  const enter = (here: Dir, before: Dir | undefined, rel: string, compare: boolean): void => {
    const f: VfsFrame = { dirs: [here, before], rel, names: [], next: 0, compare };
    stack.push(f);
    f.names = listAt(here.fd!, 'latin1');
    if (!compare || before === undefined) return;
    const names = new Set(f.names);
    for (const n of listAt(before.fd!, 'latin1')) if (!names.has(n)) out.push({ kind: 'D', path: `${rel}/${n}` });
  };
  try {
    const top = dirAt(rootfs);
    if (top === undefined) throw new GockerError(`the container's tree ${rootfs} is gone`);
    let baseDir: Dir | undefined;
    try {
      baseDir = base === undefined ? undefined : dirAt(base);
    } catch (e) {
      fs.closeSync(top.fd!);
      throw e;
    }
    enter(top, baseDir, '', true);
    for (let f = stack.top(); f; f = stack.top()) {
      if (f.next === f.names.length) {
        stack.pop();
        continue;
      }
      const n = f.names[f.next++];
      const here = f.dirs[0]!.fd!;
      const before = f.compare ? f.dirs[1] : undefined;
      const r = `${f.rel}/${n}`;
      const st = lstatAt(here, bytes(n));
      if (!f.compare) {
        // Under an added directory: everything is added.
        out.push({ kind: 'A', path: r });
        const child = st?.isDirectory() ? dirAt(here, bytes(n)) : undefined;
        if (child) enter(child, undefined, r, false);
        continue;
      }
      if (!st) continue;
      const old = before === undefined ? undefined : lstatAt(before.fd!, bytes(n));
      if (!old) {
        if (RUNTIME_PATHS.has(r) && (st.isDirectory() ? emptyDirAt(here, bytes(n)) : st.size === 0)) continue;
        out.push({ kind: 'A', path: r });
        const child = st.isDirectory() ? dirAt(here, bytes(n)) : undefined;
        if (child) enter(child, undefined, r, false);
        continue;
      }
      const same = st.mode === old.mode && st.uid === old.uid && st.gid === old.gid && st.mtimeMs === old.mtimeMs
        && (st.isDirectory() || st.size === old.size)
        && (!st.isSymbolicLink() || sameLink(linkAt(here, n), linkAt(before!.fd!, n)));
      if (!same) out.push({ kind: 'C', path: r });
      if (!st.isDirectory()) continue;
      const child = dirAt(here, bytes(n));
      if (child === undefined) continue;
      const oldChild = old.isDirectory() ? dirAt(before!.fd!, bytes(n)) : undefined;
      if (oldChild === undefined) enter(child, undefined, r, false);
      else enter(child, oldChild, r, true);
    }
  } finally {
    stack.closeAll();
  }
  return out.sort((a, b) => byCodeUnit(a.path, b.path));
}

/**
 * Paths in the order a walk down the tree meets them: a directory, everything under it, then
 * its next sibling ('/' before every other character; code-unit order puts '/a-b' between
 * '/a' and '/a/b').
 */
function byWalk(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x === 0x2f ? -1 : y === 0x2f ? 1 : x - y;
  }
  return a.length - b.length;
}

/**
 * vfs: the changes as an OCI layer tree: added and changed entries copied (an added
 * directory whole), deletions as `.wh.` files. Parent directories come with the container's
 * metadata, given once what goes under them is in, so applying the layer does not reset
 * them. Staged down the container's tree and the stage side by side by open descriptors, the changes taken in the order of that walk: a change 100,000
 * directories deep costs a lookup a level, never a path from the top (which PATH_MAX would
 * refuse), and a directory the container swapped for a link since it was listed is not
 * followed. changes: vfsChanges's, paths as latin1 strings.
 */
async function stageVfsLayer(changes: Change[], rootfs: string, stage: string): Promise<void> {
  /** dirs: the container's directory rel and its copy in the stage; st: the former's, for the latter once left. */
  interface VfsStageFrame extends Frame { st?: fs.Stats }
  const stack = new DirStack<VfsStageFrame>();
  const leave = (): void => {
    const f = stack.top()!;
    if (f.st) {
      const dst = f.dirs[1]!.fd!;
      fs.fchownSync(dst, f.st.uid, f.st.gid);
      fs.fchmodSync(dst, f.st.mode & 0o7777);
      fs.futimesSync(dst, f.st.atime, f.st.mtime);
    }
    stack.pop();
  };
  /** Enters name, a directory of the container's in the one on top, and its copy in the stage (made if missing); false if it is no directory now. */
  const enter = (name: string): boolean => {
    const f = stack.top()!;
    const src = dirAt(f.dirs[0]!.fd!, bytes(name));
    if (src === undefined) return false;
    const frame: VfsStageFrame = { dirs: [src], rel: `${f.rel}/${name}` };
    stack.push(frame);
    frame.st = fs.fstatSync(src.fd!);
    try {
      fs.mkdirSync(at(f.dirs[1]!.fd!, bytes(name)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    frame.dirs.push(dirAt(f.dirs[1]!.fd!, bytes(name)));
    if (frame.dirs[1] === undefined) throw new GockerError(`the commit's stage lost ${frame.rel}`);
    return true;
  };
  try {
    const top = dirAt(rootfs);
    if (top === undefined) throw new GockerError(`the container's tree ${rootfs} is gone`);
    stack.push({ dirs: [top], rel: '' });
    stack.top()!.dirs.push(dirAt(stage));
    if (stack.top()!.dirs[1] === undefined) throw new GockerError(`the commit's stage ${stage} is gone`);
    let skipUnder: string | undefined;
    for (const c of [...changes].sort((a, b) => byWalk(a.path, b.path))) {
      if (skipUnder && c.path.startsWith(`${skipUnder}/`)) continue;
      skipUnder = undefined;
      const slash = c.path.lastIndexOf('/');
      const dir = c.path.slice(0, slash);
      const name = c.path.slice(slash + 1);
      // Up to the directory of the walk this change is under, then down to its parent.
      while (stack.top()!.rel !== dir && !dir.startsWith(`${stack.top()!.rel}/`)) leave();
      for (let f = stack.top()!; f.rel !== dir; f = stack.top()!) {
        const end = dir.indexOf('/', f.rel.length + 1);
        const next = dir.slice(f.rel.length + 1, end < 0 ? undefined : end);
        if (!enter(next)) throw new GockerError(`${f.rel}/${next} changed while the container was committed`);
      }
      const here = stack.top()!;
      const src = here.dirs[0]!.fd!;
      const dst = here.dirs[1]!.fd!;
      if (c.kind === 'D') {
        fs.writeFileSync(at(dst, bytes(`.wh.${name}`)), '');
        continue;
      }
      const st = lstatAt(src, bytes(name));
      if (!st) continue; // removed since the changes were listed
      if (st.isDirectory() && c.kind === 'C') {
        // Only the directory itself: its changed children are changes of their own, staged
        // before it is left. Swapped for something else since the stat: as if absent.
        enter(name);
        continue;
      }
      // Both ends resolved inside the directories open here: a link the container made on the
      // way is followed (if at all) inside its own root, never on the host.
      await native().copyTree(at(src, '.'), bytes(`/${name}`), at(dst, '.'), bytes(`/${name}`), -1, -1, true);
      if (st.isDirectory()) skipUnder = c.path;
    }
    while (stack.top()) leave();
  } finally {
    stack.closeAll();
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
    // overlay: the upper dir itself is the layer, whiteouts written in the OCI form as the
    // archive is. vfs: the changes staged as such a tree first.
    let layerDir = rec.GraphDriver.Data.UpperDir;
    if (rec.GraphDriver.Name === 'vfs') {
      layerDir = path.join(tmp, 'stage');
      fs.mkdirSync(layerDir);
      await stageVfsLayer(vfsChanges(imageTree(store, rec), rec.GraphDriver.Data.UpperDir), rec.GraphDriver.Data.UpperDir, layerDir);
    }
    // Written once and hashed on its way: a layer can be far larger than memory (a tree
    // 100,000 directories deep is 10 GB of names).
    const layerFile = path.join(tmp, 'layer.tar');
    const hash = crypto.createHash('sha256');
    const skipEmpty = [...RUNTIME_PATHS].map((p) => p.slice(1));
    await pipeline(tarStream(layerDir, null, { ociWhiteouts: rec.GraphDriver.Name !== 'vfs', skipEmpty }), new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    }), fs.createWriteStream(layerFile));
    const diffId = `sha256:${hash.digest('hex')}`;
    const layerSize = fs.statSync(layerFile).size;
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
    const baseManifest = JSON.parse(fs.readFileSync(path.join(store.paths.image(base.id), 'manifest.json'), 'utf8')) as { layers: unknown[] };
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBuf), size: configBuf.length },
      layers: [...baseManifest.layers, { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: layerSize }],
    }));
    // Uncompressed: the blob's digest is the diff id.
    store.putBlobFile(layerFile, diffId);
    store.putBlob(configBuf);
    store.putBlob(manifest);
    const id = await store.registerImage(configBuf, manifest, target ? [{ ...target, tag: target.tag ?? 'latest' }] : []);
    containerEvent(store.paths, 'commit', rec, { comment: o.message ?? '', imageID: id, imageRef: name ?? '' });
    return id;
  } finally {
    // Not fs.rmSync: its recursive walk builds full paths, and the stage is as deep as the container's tree.
    await native().removeTree(tmp);
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
    await writeTar(rootfs, null, out);
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
    await writeTar(mnt, null, out);
  } finally {
    native().umount(mnt, MNT_DETACH);
    fs.rmdirSync(mnt);
  }
}

export { familiarRepo };
