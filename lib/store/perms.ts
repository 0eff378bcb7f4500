// Who may enter the store: its owner (root) alone. Containers' upper dirs hold whatever
// container root put there (a setuid-root binary, a device node) and their records and specs
// hold `-e` secrets; with a root or runroot other users can traverse, any local user could
// run or read those (docker CVE-2021-41091). Docker closes its roots 0710, podman 0700: here
// both roots are 0700, made so when missing and put right when an older store left them open.
//
// Only the two top directories are checked, once per process: when they are already right (the
// common case, and all a container start pays) an lstat, a realpath, an lstat of each directory
// above and an open and fstat each, about 0.2 ms for both; a chmod when not. What lies below is
// unreachable through them, so no tree walk; directories below are made 0700 too
// (run.ts) in case a root is ever opened up again by hand.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import { log } from '../log';
import type { StorePaths } from './paths';

export const PRIVATE_DIR = 0o700;
/** Files that hold a container's environment (record, specs): the owner's alone. */
export const PRIVATE_FILE = 0o600;

const done = new Set<string>();

/** Makes root and runroot private to their owner (see above); cheap to call on every open. */
export function secureStore(paths: StorePaths): void {
  const dirs = [paths.root, paths.runroot];
  // vfs keeps its store under ROOT/vfs and RUNROOT/vfs: the roots the user named are closed
  // first, and made with the right mode before mkdir -p could make them 0755.
  if (paths.driver === 'vfs') dirs.unshift(path.dirname(paths.root), path.dirname(paths.runroot));
  for (const d of dirs) secureDir(d);
}

function secureDir(dir: string): void {
  if (done.has(dir)) return;
  // A non-root caller cannot fix root's store (nor read it: its own commands fail on their
  // own with permission denied); a store of its own is its own business.
  if (process.geteuid?.() !== 0) return;
  try {
    let link: fs.Stats;
    try {
      link = fs.lstatSync(dir);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      // The parents as mkdir -p makes them (they are /var/lib, /var/run or the user's own);
      // the root itself private from its creation, never open for a moment.
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      try {
        fs.mkdirSync(dir, { mode: PRIVATE_DIR });
      } catch (e2) {
        if (!isErrno(e2, 'EEXIST')) throw e2; // made by a concurrent command: checked below
      }
      link = fs.lstatSync(dir);
    }
    // A symlink is followed only when root made it: one a user planted (in a sticky /tmp,
    // say) would have us make any directory private, or use one the user controls.
    if (link.isSymbolicLink() && link.uid !== 0) throw refuse(dir, `is a symlink owned by uid ${link.uid}`);
    const real = fs.realpathSync.native(dir);
    // Nothing on the way may be another user's to rename or replace: owned by root, and not
    // writable by others unless sticky (as /tmp).
    for (let p = path.dirname(real); ; p = path.dirname(p)) {
      const st = fs.lstatSync(p);
      if (st.uid !== 0) throw refuse(dir, `is inside ${p}, owned by uid ${st.uid}`);
      if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) throw refuse(dir, `is inside ${p}, which other users can write`);
      if (p === '/') break;
    }
    // The mode is read and set through one descriptor, which no rename can redirect.
    const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd);
      // Its owner could open it, or plant records and layers in it, at will.
      if (st.uid !== 0) throw refuse(dir, `is owned by uid ${st.uid}`);
      // Any bit for group or others is one too many (0710 included: no group here needs in).
      if ((st.mode & 0o077) !== 0) {
        fs.fchmodSync(fd, PRIVATE_DIR);
        log.debug('store directory made private', { dir, was: (st.mode & 0o7777).toString(8) });
      }
    } finally {
      fs.closeSync(fd);
    }
    done.add(dir);
  } catch (e) {
    if (e instanceof GockerError) throw e;
    // A read-only store cannot be written through either.
    if (isErrno(e, 'EROFS')) {
      log.warn('cannot make the store private: read-only file system', { dir });
      return;
    }
    throw new GockerError(`cannot make ${dir} private to root: ${(e as Error).message}`, { cause: e });
  }
}

function refuse(dir: string, why: string): GockerError {
  return new GockerError(`${dir} ${why}: gocker keeps its store only where no other user can reach or replace it`, { exitCode: 125 });
}
