// -u NAME|UID[:GROUP|GID], resolved in the image's own /etc/passwd and /etc/group, as docker does.
import * as fs from 'node:fs';
import { GockerError, InvalidOptionError } from '../errors';
import { at, lstatAt, openDirAt, readWhole, readlinkAt } from '../fsread';

export interface ExecUser {
  uid: number;
  gid: number;
  /** supplementary groups */
  groups: number[];
  home: string;
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;
const O_NONBLOCK = fs.constants.O_NONBLOCK;
/** Symlinks followed in one lookup before giving up, as the kernel's MAXSYMLINKS. */
const MAX_LINKS = 40;
/** /etc/passwd and /etc/group are read whole: a bigger one is an attack on our memory. */
const MAX_FILE = 32 << 20;

/** overlay's whiteout: a character device 0/0. */
export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** trusted.overlay.opaque on the directory open as fd. */
export function isOpaqueFd(fd: number): boolean {
  // The addon's getxattr: a getfattr process per directory cost exec and run about 5 ms
  // each. Required here, so that this module (and its unit tests) need no addon otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { native } = require('../native') as typeof import('../native');
  try {
    return native().getxattr(`/proc/self/fd/${fd}`, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

type Found =
  | { kind: 'none' }
  | { kind: 'link'; target: string }
  | { kind: 'file'; dir: number }
  | { kind: 'dir'; dirs: number[] };

/**
 * A union of layer directories read as overlayfs would show it, with every lookup relative to
 * an open directory and none following a symlink: symlinks are resolved here, against the
 * union's own root, so none can lead out of it (what openat2's RESOLVE_IN_ROOT does for one
 * tree; the rootfs is several).
 */
class UnionRoot {
  private readonly fds: number[] = [];

  constructor(private readonly layerDirs: string[]) {}

  close(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }

  /** Kept open until close(); undefined when gone or swapped for a non-directory meanwhile: as if absent. */
  private openDir(parent: number | string, name?: string): number | undefined {
    const fd = openDirAt(parent, name);
    if (fd !== undefined) this.fds.push(fd);
    return fd;
  }

  /** The layer roots, top first. (A root marked opaque is not honoured: overlay ignores it too.) */
  roots(): number[] {
    const out: number[] = [];
    for (let i = this.layerDirs.length - 1; i >= 0; i--) {
      const fd = this.openDir(this.layerDirs[i]);
      if (fd !== undefined) out.push(fd);
    }
    return out;
  }

  /** name in the union directory whose layers (top first, cut at an opaque one) are dirs. */
  lookup(dirs: number[], name: string): Found {
    for (let i = 0; i < dirs.length; i++) {
      const st = lstatAt(dirs[i], name);
      if (!st) continue;
      if (isWhiteout(st)) return { kind: 'none' };
      if (st.isSymbolicLink()) {
        const target = readlinkAt(dirs[i], name);
        return target === undefined ? { kind: 'none' } : { kind: 'link', target };
      }
      if (!st.isDirectory()) return { kind: 'file', dir: dirs[i] };
      const top = this.openDir(dirs[i], name);
      if (top === undefined) return { kind: 'none' };
      const merged = [top];
      // The layers below merge in unless one hides them: a whiteout, a non-directory, or an
      // opaque directory above (checked only when there is something below it to hide).
      let above = top;
      for (let j = i + 1; j < dirs.length; j++) {
        const lst = lstatAt(dirs[j], name);
        if (!lst) continue;
        if (!lst.isDirectory()) break;
        if (isOpaqueFd(above)) break;
        const fd = this.openDir(dirs[j], name);
        if (fd === undefined) break;
        merged.push(fd);
        above = fd;
      }
      return { kind: 'dir', dirs: merged };
    }
    return { kind: 'none' };
  }

  /**
   * The regular file at rel as the container sees it, symlinks followed with the union's
   * root as "/" ("..", absolute targets and all), or undefined when there is none.
   */
  readFile(rel: string): string | undefined {
    const root = this.roots();
    const stack: number[][] = [root];
    const queue = rel.split('/');
    let links = 0;
    while (queue.length) {
      const name = queue.shift()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const last = queue.every((n) => n === '' || n === '.');
      const found = this.lookup(stack[stack.length - 1], name);
      if (found.kind === 'none') return undefined;
      if (found.kind === 'link') {
        if (++links > MAX_LINKS) return undefined;
        if (found.target.startsWith('/')) stack.length = 1;
        queue.unshift(...found.target.split('/'));
        continue;
      }
      if (found.kind === 'dir') {
        if (last) return undefined;
        stack.push(found.dirs);
        continue;
      }
      if (!last) return undefined;
      return this.readRegular(found.dir, name);
    }
    return undefined;
  }

  private readRegular(dir: number, name: string): string | undefined {
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO swapped in must not hang us; O_NOFOLLOW: nor a symlink redirect us.
      fd = fs.openSync(at(dir, name), fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | fs.constants.O_NOCTTY);
    } catch {
      return undefined;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return undefined;
      if (st.size > MAX_FILE) throw new GockerError(`/${name} in the container is too large to read (${st.size} bytes)`, { exitCode: 125 });
      return readWhole(fd, st.size).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * A file as the container will see it: its layers (bottom first; the writable one last) as
 * one tree, whiteouts and opaque directories honoured, symlinks followed inside that tree
 * only. Never a file of the host, whatever links the image or the container made.
 */
export function readImageFile(layerDirs: string[], rel: string): string | undefined {
  const u = new UnionRoot(layerDirs);
  try {
    return u.readFile(rel);
  } finally {
    u.close();
  }
}

function entries(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

export function resolveUser(spec: string, layerDirs: string[]): ExecUser {
  const [userPart, groupPart] = spec.split(':', 2);
  const passwd = entries(readImageFile(layerDirs, 'etc/passwd'));
  const group = entries(readImageFile(layerDirs, 'etc/group'));
  let uid: number;
  let gid: number | undefined;
  let home = '/';
  let name: string | undefined;
  const byName = passwd.find((p) => p[0] === userPart);
  const numeric = /^\d+$/.test(userPart);
  if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3]);
    home = byName[5] || '/';
    name = byName[0];
  } else if (numeric) {
    uid = Number(userPart);
    const p = passwd.find((e) => Number(e[2]) === uid);
    if (p) {
      gid = Number(p[3]);
      home = p[5] || '/';
      name = p[0];
    }
  } else {
    // Not in this image's passwd: the option's value is refused, as the library's InvalidOptionError.
    throw new InvalidOptionError('user', `unable to find user ${userPart}: no matching entries in passwd file`, { exitCode: 125 });
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = group.find((e) => e[0] === groupPart);
    if (g) gid = Number(g[2]);
    else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else throw new InvalidOptionError('user', `unable to find group ${groupPart}: no matching entries in group file`, { exitCode: 125 });
  }
  gid ??= 0;
  const groups = name ? group.filter((g) => (g[3] ?? '').split(',').includes(name!)).map((g) => Number(g[2])) : [];
  return { uid, gid, groups: [...new Set(groups.filter((g) => g !== gid))], home };
}
