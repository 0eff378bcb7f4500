// Container records on disk, and reconciling them with what the monitor left behind.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import { writeFileAtomic } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { RECORD_FILE, type ContainerRecord } from './record';

export interface ExitInfo {
  exitCode: number;
  signal: number;
  startedAt: string;
  finishedAt: string;
  error: string;
}

/** Held while a container is started, finished or removed, so those never interleave. */
export function containerLock(paths: StorePaths, id: string): string {
  return paths.lock(`container-${id}`);
}

export function newContainerId(): string {
  return crypto.randomBytes(32).toString('hex');
}

export function saveRecord(paths: StorePaths, rec: ContainerRecord): void {
  writeFileAtomic(path.join(paths.container(rec.Id), RECORD_FILE), `${JSON.stringify(rec, null, 2)}\n`);
}

export function loadRecord(paths: StorePaths, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(paths.container(id), RECORD_FILE), 'utf8')) as ContainerRecord;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

export function listRecords(paths: StorePaths): ContainerRecord[] {
  let ids: string[];
  try {
    ids = fs.readdirSync(paths.containers);
  } catch {
    return [];
  }
  return ids.map((id) => loadRecord(paths, id)).filter((r): r is ContainerRecord => r !== undefined);
}

export function readExit(paths: StorePaths, id: string): ExitInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(paths.runContainer(id), 'exit.json'), 'utf8')) as ExitInfo;
  } catch {
    return undefined;
  }
}

/** A unique id prefix or a name ('/name' or 'name'). */
export function resolveContainer(paths: StorePaths, ref: string): ContainerRecord {
  const all = listRecords(paths);
  const name = ref.startsWith('/') ? ref : `/${ref}`;
  const byName = all.find((r) => r.Name === name);
  if (byName) return byName;
  const matches = /^[0-9a-f]+$/.test(ref) ? all.filter((r) => r.Id.startsWith(ref)) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new GockerError(`multiple IDs found with provided prefix: ${ref}`, { exitCode: 1 });
  throw new GockerError(`No such container: ${ref}`, { code: 'ENOCONTAINER', exitCode: 1 });
}
