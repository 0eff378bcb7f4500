// Who may enter the store: its owner (root) alone. Containers' upper dirs hold whatever
// container root put there (a setuid-root binary, a device node) and their records and specs
// hold `-e` secrets; with a root or runroot other users can traverse, any local user could
// run or read those (docker CVE-2021-41091). Docker closes its roots 0710, podman 0700: here
// both roots are 0700, made so when missing and put right when an older store left them open.
//
// Only the two top directories are checked, once per process: a stat each when they are
// already right (the common case, and all a container start pays), a chmod when not. What lies
// below is unreachable through them, so no tree walk; directories below are made 0700 too
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
  try {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
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
      st = fs.statSync(dir);
    }
    // Any bit for group or others is one too many (0710 included: no group here needs in).
    if ((st.mode & 0o077) !== 0) {
      fs.chmodSync(dir, PRIVATE_DIR);
      log.debug('store directory made private', { dir, was: (st.mode & 0o7777).toString(8) });
    }
    // Its owner could open it again at will: said, not changed (a deliberate set-up, or not).
    if (process.geteuid?.() === 0 && st.uid !== 0) log.warn('the store directory is owned by another user, who can open it to everyone', { dir, uid: st.uid });
    done.add(dir);
  } catch (e) {
    // A non-root caller cannot fix root's store (nor read it: its own commands fail on their
    // own with permission denied). A read-only store cannot be written through either.
    if (process.geteuid?.() !== 0) return;
    if (isErrno(e, 'EROFS')) {
      log.warn('cannot make the store private: read-only file system', { dir });
      return;
    }
    throw new GockerError(`cannot make ${dir} private to root: ${(e as Error).message}`, { cause: e });
  }
}
