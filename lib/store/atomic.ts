// Crash-safe writes and cross-process locks: temp -> fsync -> rename, flock from the addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import { LOCK, native } from '../native';

let tmpSeq = 0;

/** Writes data to a new temporary file beside `file`; returns its name and open fd. */
function writeTemp(file: string, data: string | Buffer, mode: number): { tmp: string; fd: number } {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  // Unique among live writers by pid and sequence; the time keeps a dead process's leftover
  // with a reused pid from colliding ('wx' would refuse it loudly). No node:crypto: it costs
  // a container start 2.5 ms to load.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${(tmpSeq++).toString(36)}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    fs.writeFileSync(fd, data);
    return { tmp, fd };
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw noSpace(e, file);
  }
}

function noSpace(e: unknown, file: string): unknown {
  return isErrno(e, 'ENOSPC') ? new GockerError(`no space left on device writing ${file}`, { code: 'ENOSPC', cause: e }) : e;
}

/**
 * Writes data to file so that readers see the old or the new content, never a mix; durable
 * (the default): on disk, the old content or the new, even after a crash, once this returns.
 * Not durable skips the fsyncs, for files that need not outlive a crash.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644, durable = true): void {
  const { tmp, fd } = writeTemp(file, data, mode);
  try {
    try {
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw noSpace(e, file);
  }
  if (durable) fsyncDir(path.dirname(file));
}

/** unlink, where a missing file is no error (fs.rmSync loads its whole recursive remover for one file). */
export function unlinkIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether fd is still the file at lockFile once locked: a holder may unlink a lock file (a
 * container's, once the container has no record), and a flock taken meanwhile on the file it
 * unlinked excludes nobody who opens the path afresh. Such a lock is taken again.
 */
function stillThere(fd: number, lockFile: string): boolean {
  try {
    return fs.statSync(lockFile).ino === fs.fstatSync(fd).ino;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return false;
    throw e;
  }
}

/**
 * The lock file's directory: made with its parents, or with parents false only when they are
 * there (ENOENT otherwise), so that a lock on a store that is gone makes no directories.
 */
function lockDir(lockFile: string, parents: boolean): void {
  try {
    fs.mkdirSync(path.dirname(lockFile), { recursive: parents });
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) throw e;
  }
}

/**
 * For a lock whose file exists only while what it guards does (a container's, see
 * store/records.ts): before the file is made, again or for the first time, whether that is
 * still there. When it is not, an ENOENT is thrown rather than the file made: a waiter taking
 * the lock its holder unlinked as it removed the container would otherwise make the file
 * again, and leave it there until it had looked and unlinked it once more.
 */
export type LockWhile = () => boolean;

function checkWhile(lockFile: string, still: LockWhile | undefined): void {
  if (still && !still()) throw Object.assign(new Error(`ENOENT: what ${lockFile} guards is gone`), { code: 'ENOENT' });
}

/**
 * Takes a flock on lockFile (created if missing): exclusive unless shared. Returns its
 * release. parents: make the lock's directory's parents too. still: see LockWhile.
 */
export async function acquireLock(lockFile: string, shared = false, parents = true, still?: LockWhile): Promise<() => void> {
  for (;;) {
    checkWhile(lockFile, still);
    lockDir(lockFile, parents);
    const fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      // Blocking flock would stall the event loop; poll with LOCK_NB instead.
      for (let delay = 2; !native().flock(fd, (shared ? LOCK.SH : LOCK.EX) | LOCK.NB); delay = Math.min(delay * 2, 50)) {
        await new Promise((r) => setTimeout(r, delay));
      }
      if (!stillThere(fd, lockFile)) {
        fs.closeSync(fd);
        continue;
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    let held = true;
    return () => {
      if (held) fs.closeSync(fd); // closing the last fd releases the flock
      held = false;
    };
  }
}

/**
 * Takes an exclusive flock on lockFile only if nobody holds it in any mode, without waiting.
 * Returns its release, or undefined when the lock is busy. parents, still: as acquireLock's.
 */
export function tryExclusiveLock(lockFile: string, parents = true, still?: LockWhile): (() => void) | undefined {
  for (;;) {
    checkWhile(lockFile, still);
    lockDir(lockFile, parents);
    const fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    let got = false;
    try {
      got = native().flock(fd, LOCK.EX | LOCK.NB) && stillThere(fd, lockFile);
      if (!got && !stillThere(fd, lockFile)) continue; // unlinked under us: the path's file again
    } finally {
      if (!got) fs.closeSync(fd);
    }
    if (!got) return undefined;
    let held = true;
    return () => {
      if (held) fs.closeSync(fd);
      held = false;
    };
  }
}

/** Runs fn while holding a flock on lockFile (created if missing): exclusive unless shared. */
export async function withLock<T>(lockFile: string, fn: () => Promise<T> | T, shared = false): Promise<T> {
  const release = await acquireLock(lockFile, shared);
  try {
    return await fn();
  } finally {
    release();
  }
}
