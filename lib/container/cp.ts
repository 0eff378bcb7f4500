// gocker cp: files into and out of a container, with docker's path rules, through the
// native tree copy. The container's side is its root as its processes see it: through
// /proc/PID/root while it runs (volumes and tmpfs included, as docker), or its overlay
// mounted for the copy while it is stopped. Either way every path on that side is resolved
// inside the container's root, so a symlink in the container cannot redirect the copy to
// the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, NoSuchContainerError } from '../errors';
import { log } from '../log';
import { MNT_DETACH, native } from '../native';
import type { StorePaths } from '../store/paths';
import { lockContainer } from '../store/records';
import { containerPid, find, startedProcess } from './lifecycle';
import type { ContainerRecord } from './record';
import { mountContainerLayers } from './state';
import { extractTar, writeTar } from './tar';

/** How docker cp copies. */
export interface CpOptions {
  /**
   * keep the source's owners (-a); otherwise root in the container, the caller on the host.
   * Out of a container, -a also keeps setuid/setgid bits and file capabilities.
   */
  archive?: boolean;
  /** -L: a source that is a symlink is copied as what it points to, under its own name */
  followLink?: boolean;
}

interface Side { container?: string; path: string }

/** docker's rule: `name:path` is a container unless the argument starts with / or . */
export function parseCpArg(arg: string): Side {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) || '/' };
}

const cpError = (msg: string): GockerError => new GockerError(msg, { exitCode: 1 });
/** What docker's CLI refuses itself, before it asks the daemon anything (code EUSAGE). */
const cpUsage = (msg: string): GockerError => new GockerError(msg, { exitCode: 1, code: 'EUSAGE' });

/** The container's root for the copy, and how to let go of it. */
async function containerRoot(paths: StorePaths, rec: ContainerRecord, ref: string): Promise<{ root: string; done: () => void }> {
  if (rec.State.Running && rec.State.Pid > 0) {
    // The root of the container's command, as exec joins it: once it has started (before,
    // the monitor's child is still on the host's /), verified as this container's (not a
    // recycled pid), and held by a descriptor for the whole copy, so that no later lookup of
    // /proc/PID can land on another process.
    const { pid } = startedProcess(paths, rec, 'cp');
    const fd = fs.openSync(`/proc/${pid}/root`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      if (containerPid(paths, rec, 'cp') !== pid) throw cpError(`container ${rec.Id} is not running`);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return { root: `/proc/self/fd/${fd}`, done: () => fs.closeSync(fd) };
  }
  // vfs: a stopped container's tree is a plain directory.
  if (rec.GraphDriver.Name === 'vfs') return { root: rec.GraphDriver.Data.UpperDir, done: () => undefined };
  // Stopped: its overlay, mounted while the container lock keeps a start from racing us.
  // Removed meanwhile: said as docker says it, and no lock file made again for it.
  const release = await lockContainer(paths, rec.Id);
  if (!release) throw new NoSuchContainerError(`No such container: ${ref}`);
  let mounted = '';
  try {
    const merged = path.join(paths.runContainer(rec.Id), 'cp-merged');
    fs.mkdirSync(merged, { recursive: true });
    mountContainerLayers(paths, rec, merged, { readonly: false });
    mounted = merged;
    return {
      root: merged,
      done: () => {
        try {
          native().umount(merged, MNT_DETACH);
          fs.rmdirSync(merged);
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    if (mounted) native().umount(mounted, MNT_DETACH);
    release();
    throw e;
  }
}

const basename = (p: string): string => path.posix.basename(p.replace(/\/+$/, '')) || '/';

/** Copies per docker's rules; returns the bytes copied. */
export async function copyFiles(paths: StorePaths, srcArg: string, dstArg: string, o: CpOptions = {}): Promise<number> {
  const src = parseCpArg(srcArg);
  const dst = parseCpArg(dstArg);
  if (src.container && dst.container) throw cpUsage('copying between containers is not supported');
  if (!src.container && !dst.container) throw cpUsage('must specify at least one container source');
  const rec = find(paths, (src.container ?? dst.container)!);
  const ctr = await containerRoot(paths, rec, (src.container ?? dst.container)!);
  try {
    const srcRoot = src.container ? ctr.root : '/';
    const dstRoot = dst.container ? ctr.root : '/';
    // Host paths are relative to the caller's directory; container paths to its root.
    const srcPath = src.container ? path.posix.join('/', src.path) : path.resolve(src.path);
    const dstPath = dst.container ? path.posix.join('/', dst.path) : path.resolve(dst.path);
    const contentsOnly = /\/\.$/.test(src.path);
    // -L: the link's target, resolved inside the source's root (the container's, never the
    // host's, for a container's path), copied under the link's name.
    const from = o.followLink && !contentsOnly ? followLinks(srcRoot, srcPath) : srcPath;
    const srcType = native().statIn(srcRoot, from, false);
    if (!srcType) {
      throw cpError(src.container ? `Could not find the file ${src.path} in container ${src.container}` : `lstat ${srcPath}: no such file or directory`);
    }
    const dstType = native().statIn(dstRoot, dstPath, true);
    let target = dstPath;
    let merge = false;
    if (srcType !== 'dir') {
      if (contentsOnly) throw cpError(`${src.path}: not a directory`);
      if (dstType === 'dir') target = path.posix.join(dstPath, basename(srcPath));
      else if (dstType === null && /\/$/.test(dst.path)) throw cpError(`destination directory ${dst.path} must exist`);
      merge = true; // an existing file is replaced
    } else if (dstType !== null && dstType !== 'dir') {
      throw cpError(`cannot copy a directory to a file: ${dst.path}`);
    } else if (dstType === 'dir') {
      target = contentsOnly ? dstPath : path.posix.join(dstPath, basename(srcPath));
      merge = true;
    }
    // Onto the host, what container root made is hostile: no device nodes ever (whoever
    // reaches the copy would reach the device), and without -a nothing that carries the
    // container's choice of privilege (setuid/setgid, file capabilities) to the copy's owner.
    const toHost = !dst.container;
    const owner = o.archive ? -1 : dst.container ? 0 : process.getuid?.() ?? 0;
    const group = o.archive ? -1 : dst.container ? 0 : process.getgid?.() ?? 0;
    try {
      const r = await native().copyTree(srcRoot, contentsOnly ? `${srcPath}/.` : from, dstRoot, target, owner, group, merge,
        { skipDevices: toHost, stripPrivilege: toHost && !o.archive });
      for (const rel of r.skipped) log.warn(`skipping device node ${path.posix.join(srcPath, rel)}: device nodes are not copied out of a container`, { container: src.container });
      return r.bytes;
    } catch (e) {
      throw copyError(e, srcArg, dstArg, dst.path);
    }
  } finally {
    ctr.done();
  }
}

/**
 * Where the symlink at p leads, link after link, each read inside root (readlinkIn resolves
 * the leading components there too): an absolute target is taken from root's top, a relative
 * one from the link's directory, and the kernel resolves the result inside root again.
 */
function followLinks(root: string, p: string): string {
  let at = p.replace(/(.)\/+$/, '$1');
  // Linux's limit on the links of one path (ELOOP).
  for (let i = 0; i < 40; i++) {
    const target = native().readlinkIn(root, at);
    if (target === null) return at;
    at = target.startsWith('/') ? target : `${path.posix.dirname(at)}/${target}`;
  }
  throw cpError(`${p}: too many levels of symbolic links`);
}

/** The tree copy's failure in docker's words. */
function copyError(e: unknown, srcArg: string, dstArg: string, dstPath: string): GockerError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT' && err.syscall === 'openat2') return cpError(`no such directory: ${path.posix.dirname(dstPath) || '/'}`);
  if (err.code === 'EISDIR') return cpError(`cannot overwrite directory ${err.path} with non-directory`);
  if (err.code === 'ENOTDIR' && err.syscall === 'copy') return cpError(`cannot overwrite non-directory ${err.path} with directory`);
  return cpError(`copying ${srcArg} to ${dstArg}: ${err.code ?? ''} ${err.syscall ?? ''} ${err.path ?? err.message}`.replace(/\s+/g, ' ').trim());
}

/**
 * A private directory under the store's tmp/ for a stream's files on their way: both ends of
 * the copy then go through the tree copy, with its rules, and the stream is read or written by
 * GNU tar on a tree of our own only.
 */
async function withStage<T>(paths: StorePaths, fn: (stage: string) => Promise<T>): Promise<T> {
  fs.mkdirSync(paths.tmp, { recursive: true, mode: 0o700 });
  const stage = fs.mkdtempSync(path.join(paths.tmp, 'cp-'));
  try {
    return await fn(stage);
  } finally {
    await native().removeTree(stage);
  }
}

/**
 * `cp - CTR:DIR`: a tar archive from input (plain, gzip or zstd) extracted into the
 * container's directory DIR, which must exist. Entries keep the archive's owners, as dockerd
 * extracts them; existing directories merge, other entries are replaced; DIR itself is left
 * as it is (dockerd gives it the metadata of an archive's "./" entry). Returns the bytes
 * copied. The archive is read whole before anything of the container is touched.
 */
export async function copyArchiveIn(paths: StorePaths, dstArg: string, input: NodeJS.ReadableStream): Promise<number> {
  const dst = parseCpArg(dstArg);
  if (!dst.container) throw cpUsage('must specify at least one container source');
  const rec = find(paths, dst.container);
  const dstPath = path.posix.join('/', dst.path);
  // Checked before the archive is read (as docker does), and again once it has been: a
  // stopped container's lock is not held while stdin is.
  const check = (root: string): void => {
    if (native().statIn(root, dstPath, true) !== 'dir') throw cpError(`destination "${dst.container}:${dst.path}" must be a directory`);
  };
  const first = await containerRoot(paths, rec, dst.container);
  try {
    check(first.root);
  } finally {
    first.done();
  }
  return withStage(paths, async (stage) => {
    const tree = path.join(stage, 'tree');
    fs.mkdirSync(tree, { mode: 0o700 });
    await extractTar(input, tree);
    const ctr = await containerRoot(paths, rec, dst.container!);
    try {
      check(ctr.root);
      // Entry by entry: the destination directory itself keeps its owner, mode and times.
      let bytes = 0;
      for (const name of fs.readdirSync(tree)) {
        const r = await native().copyTree('/', path.join(tree, name), ctr.root, path.posix.join(dstPath, name), -1, -1, true).catch((e: unknown) => {
          // Named by its path in the container: the copy names it from the entry down.
          const err = e as NodeJS.ErrnoException;
          if (err.path) err.path = path.posix.join(dstPath, err.path);
          throw copyError(err, '-', dstArg, dst.path);
        });
        bytes += r.bytes;
      }
      return bytes;
    } finally {
      ctr.done();
    }
  });
}

/**
 * `cp CTR:PATH -`: a tar archive of PATH written to out, named as docker names it (PATH's
 * base name and what is under it; `PATH/.`: the contents, as `./`). What reaches the archive
 * passed the same rules as a copy onto the host: no device nodes, and without -a no
 * setuid/setgid bits or file capabilities, owners the caller's.
 */
export async function copyArchiveOut(paths: StorePaths, srcArg: string, out: NodeJS.WritableStream, o: CpOptions = {}): Promise<void> {
  const src = parseCpArg(srcArg);
  if (!src.container) throw cpUsage('must specify at least one container source');
  const rec = find(paths, src.container);
  await withStage(paths, async (stage) => {
    const srcPath = path.posix.join('/', src.path);
    const contentsOnly = /\/\.$/.test(src.path) || srcPath === '/';
    const top = contentsOnly ? 'contents' : basename(srcPath);
    const ctr = await containerRoot(paths, rec, src.container!);
    try {
      // -L: the link's target, under the link's name (top).
      const followed = o.followLink && !contentsOnly ? followLinks(ctr.root, srcPath) : srcPath;
      const srcType = native().statIn(ctr.root, followed, false);
      if (!srcType) throw cpError(`Could not find the file ${src.path} in container ${src.container}`);
      if (contentsOnly && srcType !== 'dir') throw cpError(`${src.path}: not a directory`);
      const from = contentsOnly ? `${srcPath.replace(/\/+$/, '')}/.` : followed;
      const r = await native().copyTree(ctr.root, from, '/', path.join(stage, top), o.archive ? -1 : process.getuid?.() ?? 0,
        o.archive ? -1 : process.getgid?.() ?? 0, false, { skipDevices: true, stripPrivilege: !o.archive }).catch((e: unknown) => {
        throw copyError(e, srcArg, '-', '-');
      });
      for (const rel of r.skipped) log.warn(`skipping device node ${path.posix.join(srcPath, rel)}: device nodes are not copied out of a container`, { container: src.container });
    } finally {
      ctr.done();
    }
    if (contentsOnly) await writeTar(path.join(stage, top), ['.'], out);
    else await writeTar(stage, [top], out);
  });
}
