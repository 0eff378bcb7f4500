// Where container records live in the store, and reading them without knowing their shape.
// The container package owns what a record says; images (which ones containers use), names
// and networks (whose address is whose) only need to find them, and do so from here rather
// than from the container package, which is built on them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../errors';
import { log } from '../log';
import { acquireLock, tryExclusiveLock, unlinkIfThere } from './atomic';
import type { StorePaths } from './paths';

export const RECORD_FILE = 'config.v2.json';

export function recordFile(paths: StorePaths, id: string): string {
  return path.join(paths.container(id), RECORD_FILE);
}

/** Held while a container is started, finished or removed, so those never interleave. */
export function containerLock(paths: StorePaths, id: string): string {
  return paths.lock(`container-${id}`);
}

/**
 * The container's lock, for a container that has a record: undefined when it has none
 * (removed, or never made), and then no lock file is left for it, as its removal leaves none,
 * nor any directory made for one on a store that is gone. Not for a create, which holds the
 * lock before its record is there.
 */
export async function lockContainer(paths: StorePaths, id: string): Promise<(() => void) | undefined> {
  const file = containerLock(paths, id);
  let release: () => void;
  try {
    release = await acquireLock(file, false, false, () => hasRecord(paths, id));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined; // no record, or no runroot: no container either
    throw e;
  }
  return heldFor(paths, id, file, release);
}

/** lockContainer's without waiting: 'busy' when someone holds it, 'gone' when the container has no record. */
export function tryLockContainer(paths: StorePaths, id: string): (() => void) | 'busy' | 'gone' {
  const file = containerLock(paths, id);
  let release: (() => void) | undefined;
  try {
    release = tryExclusiveLock(file, false, () => hasRecord(paths, id));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 'gone';
    throw e;
  }
  if (!release) return 'busy';
  return heldFor(paths, id, file, release) ?? 'gone';
}

/**
 * lockContainer's lock with the record read under it, for the callers that read it there at
 * once: the read says the record is still there, which lockContainer looks at again for them.
 * undefined when it has none (nor a record that reads: the lock file then stays, as the
 * record does).
 */
export async function lockRecord<T>(paths: StorePaths, id: string): Promise<{ release: () => void; rec: T } | undefined> {
  const file = containerLock(paths, id);
  let release: () => void;
  try {
    release = await acquireLock(file, false, false, () => hasRecord(paths, id));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  let rec: T | undefined;
  try {
    rec = readRecord<T>(paths, id);
  } catch (e) {
    release();
    throw e;
  }
  if (rec !== undefined) return { release, rec };
  if (hasRecord(paths, id)) release();
  else heldFor(paths, id, file, release);
  return undefined;
}

const hasRecord = (paths: StorePaths, id: string): boolean => fs.existsSync(recordFile(paths, id));

function heldFor(paths: StorePaths, id: string, file: string, release: () => void): (() => void) | undefined {
  // Looked at before the file was made too (LockWhile), but it may have gone since.
  if (hasRecord(paths, id)) return release;
  // Unlinked while held: whoever waits for it takes it again on the path's file (acquireLock).
  unlinkIfThere(file);
  release();
  return undefined;
}

export function containerIds(paths: StorePaths): string[] {
  try {
    return fs.readdirSync(paths.containers);
  } catch (e) {
    // None yet. Anything else (a non-root user facing root's private store) is said as it
    // is: read as "no containers" it became "No such container" for one that runs.
    if (isErrno(e, 'ENOENT')) return [];
    throw e;
  }
}

export function readRecord<T>(paths: StorePaths, id: string): T | undefined {
  const file = recordFile(paths, id);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // Empty or cut short: a crash while a --rm container ran, whose record is not fsynced
    // (saveRecord). Skipped, as docker skips a config it cannot load.
    log.warn('skipping a container whose record cannot be read', { file });
    return undefined;
  }
}

export function readRecords<T>(paths: StorePaths): T[] {
  return containerIds(paths).map((id) => readRecord<T>(paths, id)).filter((r): r is T => r !== undefined);
}

/** What the image side needs of a container: which image it was made from. */
export interface ImageUser {
  Id: string;
  Image: string;
}
