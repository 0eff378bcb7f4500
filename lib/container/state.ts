// Container records on disk, and reconciling them with what the monitor left behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, NoSuchContainerError, isErrno } from '../errors';
import { MS, native } from '../native';
import { writeFileAtomic } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { PRIVATE_FILE } from '../store/perms';
import type { ContainerRecord } from './record';
import { containerIds, containerLock, readRecord, readRecords, recordFile } from '../store/records';
import { claimedBy } from './names';
import { ANNOTATIONS, parseSpecJson, specJson, type OciSpec } from '../spec';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

export interface ExitInfo {
  exitCode: number;
  signal: number;
  /** the cgroup's OOM-kill count rose during this run (written by the monitor) */
  oomKilled?: boolean;
  /** the monitor runs the restart policy's exit command after this exit (the policy applies at its first sight) */
  restartPolicy?: boolean;
  startedAt: string;
  finishedAt: string;
  error: string;
}

export { containerLock };

export function newContainerId(): string {
  return native().randomHex(32);
}

/**
 * Writes the record, durably unless the container is --rm: one that is removed when it exits
 * need not outlive a crash (docker removes such containers when it restarts), and its fsyncs
 * were a tenth of `run --rm`'s start.
 */
export function saveRecord(paths: StorePaths, rec: ContainerRecord): void {
  // 0600: the record holds the container's environment, `-e` secrets included. A record an
  // older gocker wrote 0644 is replaced by this one (a new file, renamed over it).
  writeFileAtomic(recordFile(paths, rec.Id), `${JSON.stringify(rec, null, 2)}\n`, PRIVATE_FILE, !rec.HostConfig.AutoRemove);
}

export function loadRecord(paths: StorePaths, id: string): ContainerRecord | undefined {
  return readRecord<ContainerRecord>(paths, id);
}

export function listRecords(paths: StorePaths): ContainerRecord[] {
  return readRecords<ContainerRecord>(paths);
}

export function readExit(paths: StorePaths, id: string): ExitInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(paths.runContainer(id), 'exit.json'), 'utf8')) as ExitInfo;
  } catch {
    return undefined;
  }
}

/** A container's full id: 64 lowercase hex characters. */
const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * The container ref names, in dockerd's order (GetContainer): a full id, then a name ('/name'
 * or 'name'), then a unique id prefix. names/ (names.ts) is the authority on names, as
 * dockerd's name registry is: a name is the container its entry names, once that record
 * confirms it (an entry outlives its claim when a rename is cut short between its record
 * and the old name's release), and a name with no entry, or a stale one, is no one's. create,
 * rename and rm never leave a record's name without its entry (the entry is made before the
 * record says the name, and goes after the record), so only a hand edit can; that container
 * is then found by its id, as dockerd finds one without a registered name. A prefix reads
 * only the records whose ids it starts (one that has none yet, half made, is no match); the
 * records are read all only on a store from before names/, whose names are in them alone.
 */
export function resolveContainer(paths: StorePaths, ref: string): ContainerRecord {
  if (FULL_ID.test(ref)) {
    const rec = loadRecord(paths, ref);
    if (rec) return rec;
  }
  const name = ref.startsWith('/') ? ref : `/${ref}`;
  const owner = claimedBy(paths, name);
  if (owner === undefined) {
    const byName = listRecords(paths).find((r) => r.Name === name);
    if (byName) return byName;
  } else if (FULL_ID.test(owner)) {
    const rec = loadRecord(paths, owner);
    if (rec?.Name === name) return rec;
  }
  const matches = /^[0-9a-f]+$/.test(ref) ? containerIds(paths).filter((id) => id.startsWith(ref)).map((id) => loadRecord(paths, id)).filter((r): r is ContainerRecord => r !== undefined) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new GockerError(`multiple IDs found with provided prefix: ${ref}`, { exitCode: 1 });
  throw new NoSuchContainerError(`No such container: ${ref}`);
}

/** The socket a container's monitor serves its stdio on, in its runroot directory (attach.ts). */
export const ATTACH_SOCKET = 'attach';

/**
 * In a container's runroot directory once it has what the engine alone takes down at its exit
 * (its published ports' rules): its monitor then runs the exit command at the exit, policy or
 * not, so that they go then rather than when a command next sees the exit. A start clears it.
 */
export const EXIT_RELEASE_MARKER = 'exit-release';

export function markExitRelease(paths: StorePaths, id: string): void {
  fs.writeFileSync(path.join(paths.runContainer(id), EXIT_RELEASE_MARKER), '');
}

/** A container's spec, as kept with it (start runs it again) and as the monitor reads it. */
export const SPEC_FILE = 'config.json';

/**
 * The spec a container was created with. A container made by a gocker from before config.json
 * has a key=value `spec` instead: it is refused with what to do, rather than converted (see
 * the README): its spec was not validated as the monitor now validates, and the record it
 * would be rebuilt from lacks what was resolved at its creation.
 */
export function readSpec(paths: StorePaths, id: string): OciSpec {
  const dir = paths.container(id);
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, SPEC_FILE), 'utf8');
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
    if (fs.existsSync(path.join(dir, 'spec'))) {
      throw engineError(`container ${id.slice(0, 12)} was created by an older gocker (its spec is not a config.json): remove it and create it again`);
    }
    throw engineError(`container ${id.slice(0, 12)} cannot be started again: its spec is missing`);
  }
  try {
    return parseSpecJson(text) as OciSpec;
  } catch (e) {
    throw engineError(`container ${id.slice(0, 12)}: its ${SPEC_FILE} is not JSON: ${(e as Error).message}`);
  }
}

/** Writes a spec, 0600: it holds the environment. */
export function writeSpec(file: string, spec: unknown): void {
  fs.writeFileSync(file, specJson(spec), { mode: PRIVATE_FILE });
}

/**
 * The layers under a container, as its spec names them (l/<link>, top first, ':'-joined).
 * A container from before config.json has them in its key=value spec: read from there, so
 * that cp, diff, commit and export still reach what is in it before it is made again.
 */
function storedLowerDirs(paths: StorePaths, id: string): string | undefined {
  const dir = paths.container(id);
  if (!fs.existsSync(path.join(dir, SPEC_FILE)) && fs.existsSync(path.join(dir, 'spec'))) {
    const entry = fs.readFileSync(path.join(dir, 'spec'), 'utf8').split('\0').find((e) => e.startsWith('overlay_options='));
    return entry?.split(',').find((e) => e.startsWith('overlay_options=lowerdir=') || e.startsWith('lowerdir='))?.replace(/^(overlay_options=)?lowerdir=/, '');
  }
  return readSpec(paths, id).annotations[ANNOTATIONS.overlayLower];
}

/**
 * Mounts a container's layers at target from the store root, as the monitor does: the stored
 * lowerdir names the layers by their short l/ links relative to it, so 60 layers and more
 * still fit the page the kernel allows for mount options. The writable layer goes on top:
 * as the upper dir (with its work dir) or, read-only, as the topmost lower, so a running
 * container's upper dir is never mounted twice as an upper.
 */
export function mountContainerLayers(paths: StorePaths, rec: ContainerRecord, target: string, o: { readonly: boolean }): void {
  const lower = storedLowerDirs(paths, rec.Id);
  if (lower === undefined || !/^l\/[0-9A-Za-z]+(?::l\/[0-9A-Za-z]+)*$/.test(lower)) throw new GockerError(`container ${rec.Id.slice(0, 12)} has no overlay layers recorded`);
  const { UpperDir, WorkDir } = rec.GraphDriver.Data;
  const data = o.readonly ? `lowerdir=${UpperDir}:${lower}` : `lowerdir=${lower},upperdir=${UpperDir},workdir=${WorkDir}`;
  native().mount('overlay', target, 'overlay', o.readonly ? MS.RDONLY : 0, data, paths.root);
}
