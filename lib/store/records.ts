// Where container records live in the store, and reading them without knowing their shape.
// The container package owns what a record says; images (which ones containers use), names
// and networks (whose address is whose) only need to find them, and do so from here rather
// than from the container package, which is built on them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../errors';
import { log } from '../log';
import type { StorePaths } from './paths';

export const RECORD_FILE = 'config.v2.json';

export function recordFile(paths: StorePaths, id: string): string {
  return path.join(paths.container(id), RECORD_FILE);
}

/** Held while a container is started, finished or removed, so those never interleave. */
export function containerLock(paths: StorePaths, id: string): string {
  return paths.lock(`container-${id}`);
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
