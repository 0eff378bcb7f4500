// gocker cp: files into and out of a container, with docker's path rules, through the
// native tree copy. The container's side is its root as its processes see it: through
// /proc/PID/root while it runs (volumes and tmpfs included, as docker), or its overlay
// mounted for the copy while it is stopped. Either way every path on that side is resolved
// inside the container's root, so a symlink in the container cannot redirect the copy to
// the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../errors';
import { log } from '../log';
import { MNT_DETACH, native } from '../native';
import { acquireLock } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { containerPid, find, startedProcess } from './lifecycle';
import type { ContainerRecord } from './record';
import { containerLock, mountContainerLayers } from './state';

export interface CpOptions {
  /**
   * keep the source's owners (-a); otherwise root in the container, the caller on the host.
   * Out of a container, -a also keeps setuid/setgid bits and file capabilities.
   */
  archive?: boolean;
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

/** The container's root for the copy, and how to let go of it. */
async function containerRoot(paths: StorePaths, rec: ContainerRecord): Promise<{ root: string; done: () => void }> {
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
  const release = await acquireLock(containerLock(paths, rec.Id));
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
  if (srcArg === '-' || dstArg === '-') throw cpError('copying tar streams through - is not supported by gocker cp yet: copy to or from a path');
  if (src.container && dst.container) throw cpError('copying between containers is not supported');
  if (!src.container && !dst.container) throw cpError('must specify at least one container source');
  const rec = find(paths, (src.container ?? dst.container)!);
  const ctr = await containerRoot(paths, rec);
  try {
    const srcRoot = src.container ? ctr.root : '/';
    const dstRoot = dst.container ? ctr.root : '/';
    // Host paths are relative to the caller's directory; container paths to its root.
    const srcPath = src.container ? path.posix.join('/', src.path) : path.resolve(src.path);
    const dstPath = dst.container ? path.posix.join('/', dst.path) : path.resolve(dst.path);
    const contentsOnly = /\/\.$/.test(src.path);
    const srcType = native().statIn(srcRoot, srcPath, false);
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
      const r = await native().copyTree(srcRoot, contentsOnly ? `${srcPath}/.` : srcPath, dstRoot, target, owner, group, merge,
        { skipDevices: toHost, stripPrivilege: toHost && !o.archive });
      for (const rel of r.skipped) log.warn(`skipping device node ${path.posix.join(srcPath, rel)}: device nodes are not copied out of a container`, { container: src.container });
      return r.bytes;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && err.syscall === 'openat2') throw cpError(`no such directory: ${path.posix.dirname(dst.path) || '/'}`);
      if (err.code === 'EISDIR') throw cpError(`cannot overwrite directory ${err.path} with non-directory`);
      if (err.code === 'ENOTDIR' && err.syscall === 'copy') throw cpError(`cannot overwrite non-directory ${err.path} with directory`);
      throw cpError(`copying ${srcArg} to ${dstArg}: ${err.code ?? ''} ${err.syscall ?? ''} ${err.path ?? err.message}`.replace(/\s+/g, ' ').trim());
    }
  } finally {
    ctr.done();
  }
}
