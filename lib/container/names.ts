// Container names, reserved as ROOT/names/<name> files created with O_EXCL and holding the
// owner's id: two concurrent `run --name x` cannot both win (a scan of the records could
// not tell them apart), and a run checks one file instead of reading every record.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, GockerError, InvalidOptionError, isErrno } from '../errors';
import { acquireLock, unlinkIfThere } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { readRecord, recordFile, tryLockContainer } from '../store/records';

/** docker's container names: a letter or digit, then at least one of letters, digits, _ . - */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** docker's refusal of a name outside NAME_PATTERN. */
export function invalidName(name: string): GockerError {
  return new InvalidOptionError('name', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { exitCode: 125 });
}

function namesDir(paths: StorePaths): string {
  return path.join(paths.root, 'names');
}

/** The longest file name (NAME_MAX): docker's names have no limit, names/ entries do. */
const NAME_MAX = 255;

/**
 * names/'s entry for a name (with or without docker's leading '/'): the name itself, or for
 * one longer than a file name can be, '#' and its SHA-256 ('#' is in no name, so no name's
 * entry is another's). dockerd takes such names; before, their claim was a raw ENAMETOOLONG.
 */
function entryFile(dir: string, name: string): string {
  const bare = name.replace(/^\//, '');
  if (Buffer.byteLength(bare) <= NAME_MAX) return path.join(dir, bare);
  // Loaded only for such a name: node:crypto is not otherwise among run's modules.
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return path.join(dir, `#${createHash('sha256').update(bare).digest('hex')}`);
}

function conflict(name: string, owner: string): GockerError {
  return new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`, { exitCode: 125 });
}

function tryCreate(file: string, id: string): boolean {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    try {
      fs.writeSync(fd, id);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return false;
    throw e;
  }
}

function readOwner(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/**
 * Whether container `owner`, which names/ says holds `name`, holds it still. Not when its
 * directory is gone (a crash between claim and record, or a removal cut short), nor when
 * its record says another name and no rename of it is under way: a rename claims the new
 * name, saves the record and frees the old one under the container's lock, and one cut
 * short (a crash) left the name it claimed, or the one it was freeing, held for good. A
 * container being made (a directory, no record yet) holds it.
 */
function holds(paths: StorePaths, owner: string, name: string): boolean {
  if (!fs.existsSync(paths.container(owner))) return false;
  const rec = readRecord<{ Name?: string }>(paths, owner);
  if (rec === undefined || rec.Name === `/${name.replace(/^\//, '')}`) return true;
  const release = tryLockContainer(paths, owner);
  if (release === 'busy') return true;
  if (release !== 'gone') release();
  return false;
}

/**
 * Claims `name` for container `id`, whose directory must already exist: a claim its owner
 * no longer holds (holds) is stale and is taken over, under a lock so that two takers cannot
 * both win; one `id` holds already (a rename of it cut short, retried) is its own. Returns
 * undefined once claimed, or the id of the container that holds it.
 */
async function claim(paths: StorePaths, name: string, id: string): Promise<string | undefined> {
  const dir = namesDir(paths);
  if (!fs.existsSync(dir)) await migrate(paths, dir);
  const file = entryFile(dir, name);
  if (tryCreate(file, id)) return undefined;
  const release = await acquireLock(paths.lock('names'));
  try {
    let owner = readOwner(file);
    // Empty: another claim between its create and its write (tryCreate), not a stale one;
    // taken for stale at once, two runs of one --name both won. Empty for good only when
    // that claimer died in between.
    for (let i = 0; i < 100 && owner === ''; i++) {
      await new Promise((r) => setTimeout(r, 10));
      owner = readOwner(file);
    }
    if (owner === id) return undefined;
    if (owner && holds(paths, owner, name)) return owner;
    fs.rmSync(file, { force: true });
    return tryCreate(file, id) ? undefined : readOwner(file) ?? '';
  } finally {
    release();
  }
}

/** How many generated names dockerd tries before it names a container by its id. */
const GENERATED_TRIES = 6;

/**
 * A name as dockerd's namesgenerator makes one: an adjective and a notable scientist's or
 * hacker's surname from its lists (as the docker-names package ships them), never
 * "boring_wozniak"; from the second try on a random digit is appended.
 */
export function generatedName(retry: number): string {
  // Required here: only a run without --name needs the lists.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { left, right } = require('docker-names') as { left: string[]; right: string[] };
  // Math.random, as dockerd's math/rand: a name is no secret, and node:crypto costs a start
  // milliseconds to load.
  const pick = (n: number): number => Math.floor(Math.random() * n);
  let name: string;
  do name = `${left[pick(left.length)]}_${right[pick(right.length)]}`;
  while (name === 'boring_wozniak');
  return retry > 0 ? `${name}${pick(10)}` : name;
}

/**
 * Claims `name` for container `id`, or without a name one generated as dockerd does: up to
 * six generated names, then the id's first 12 characters. Returns the name claimed; a given
 * name that is taken is docker's Conflict.
 */
export async function reserveName(paths: StorePaths, name: string | undefined, id: string): Promise<string> {
  if (name !== undefined) {
    const owner = await claim(paths, name, id);
    if (owner !== undefined) throw conflict(name, owner);
    return name;
  }
  for (let retry = 0; retry < GENERATED_TRIES; retry++) {
    const generated = generatedName(retry);
    if ((await claim(paths, generated, id)) === undefined) return generated;
  }
  return reserveName(paths, id.slice(0, 12), id);
}

/**
 * Frees `name` if `id` holds it, under the lock a claim takes over a stale entry with: a
 * release runs once its container's directory is gone, which makes the entry stale, and a
 * claim that took it over between the release's read and its unlink lost its new entry to
 * the unlink, its record then saying a name names/ gave no one (and would give again).
 */
export async function releaseName(paths: StorePaths, name: string, id: string): Promise<void> {
  const file = entryFile(namesDir(paths), name);
  // Not ours: never ours again, as only our claim writes our id.
  if (readOwner(file) !== id) return;
  let release: () => void;
  try {
    // No lock directory made: a store whose runroot is gone has no claim holding it either.
    release = await acquireLock(paths.lock('names'), false, false);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
    release = () => undefined;
  }
  try {
    if (readOwner(file) === id) unlinkIfThere(file);
  } finally {
    release();
  }
}

/**
 * The id names/ says holds `name` (with or without docker's leading '/'): '' when it says no
 * one holds it (no entry, or a name no entry can have, which is not read as a path), and
 * undefined when there is no names/ yet (a store from before it), whose silence says nothing.
 * The lookup (state.ts) checks the record it names: an entry can outlive its claim.
 */
export function claimedBy(paths: StorePaths, name: string): string | undefined {
  const bare = name.replace(/^\//, '');
  if (!NAME_PATTERN.test(bare)) return '';
  const owner = readOwner(entryFile(namesDir(paths), bare));
  if (owner !== undefined) return owner;
  return fs.existsSync(namesDir(paths)) ? '' : undefined;
}

/** A store from before names/ existed: its containers' names are claimed once, first. */
async function migrate(paths: StorePaths, dir: string): Promise<void> {
  const release = await acquireLock(paths.lock('names'));
  try {
    if (fs.existsSync(dir)) return;
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    let ids: string[] = [];
    try {
      ids = fs.readdirSync(paths.containers);
    } catch {
      /* no containers yet */
    }
    for (const id of ids) {
      try {
        const rec = JSON.parse(fs.readFileSync(recordFile(paths, id), 'utf8')) as { Name?: string };
        if (rec.Name) fs.writeFileSync(entryFile(tmp, rec.Name), id);
      } catch {
        /* a half-written container: no name to keep */
      }
    }
    fs.renameSync(tmp, dir);
  } finally {
    release();
  }
}
