// Reading a tree someone else can change while it is read (a container's, an image's):
// every lookup relative to a directory already open, none following a link, and a file read
// whole through a descriptor already opened (and checked with fstat): the callers open
// without following links, or refuse what is not a regular file, before they know how much
// to read.
import * as fs from 'node:fs';
import { native } from './native';

/**
 * name inside the directory open as fd: the kernel follows the /proc magic link to exactly that
 * directory, then looks name up in it alone, so a path prefix the container could swap for a
 * symlink is never walked again (openat() without the addon).
 */
export function at(fd: number, name: string): string;
/** A name as the directory's listing gave its bytes (any but '/' and NUL, UTF-8 or not). */
export function at(fd: number, name: Buffer): Buffer;
export function at(fd: number, name: string | Buffer): string | Buffer {
  if (typeof name === 'string') return `/proc/self/fd/${fd}/${name}`;
  return Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name]);
}

/**
 * The directory name in the one open as parent (or the path parent), never through a symlink;
 * undefined if there is none now (gone, not a directory, a symlink). Any other failure
 * (EMFILE, ENOMEM, EIO) is thrown: a walk must not take it for a missing directory and
 * silently leave out what is below it.
 */
export function openDirAt(parent: number | string, name?: string | Buffer): number | undefined {
  try {
    return fs.openSync(name === undefined ? (parent as string) : typeof name === 'string' ? at(parent as number, name) : at(parent as number, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw e;
  }
}

/** lstat of name in the directory open as fd; undefined if there is none. */
export function lstatAt(fd: number, name: string | Buffer): fs.Stats | undefined {
  return fs.lstatSync(typeof name === 'string' ? at(fd, name) : at(fd, name), { throwIfNoEntry: false });
}

/** The target of the symlink name in the directory open as fd; undefined if it is none (now). */
export function readlinkAt(fd: number, name: string): string | undefined {
  try {
    return fs.readlinkSync(at(fd, name));
  } catch {
    return undefined;
  }
}

/** Up to size bytes of fd from its start; fewer if the file shrank meanwhile. */
export function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let n = 0;
  while (n < buf.length) {
    const r = fs.readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

/**
 * The bytes under dir as docker counts them (moby's directory.Size): every entry but a
 * directory by its lstat size, a symlink's its target's length, a file with several hard
 * links once; not following a symlink or leaving dir's filesystem: a volume's contents and a
 * writable layer are a container's to shape. -1 when an entry's path is PATH_MAX bytes or
 * longer, as dockerd shows a size its walk failed on (SizeRw, a volume's UsageData.Size):
 * docker's walk by full paths fails there (ENAMETOOLONG). The addon's walk (native/remove.cc)
 * is relative to open directories, and stops there rather than walk on through a tree the
 * container can make a million levels deep.
 */
export function treeSize(dir: string): number {
  const u = native().treeUsageSync(dir);
  return u.complete ? u.bytes : -1;
}

/**
 * treeSize's walk, and the bytes it counted before it stopped at a path PATH_MAX long: what
 * dockerd's volume prune counts as reclaimed of a volume it cannot size (the size its walk
 * returns with the error).
 */
export function treeSizeCounted(dir: string): number {
  return native().treeUsageSync(dir).bytes;
}
