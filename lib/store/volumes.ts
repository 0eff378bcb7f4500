// Volumes, as docker's local driver keeps them: <root>/volumes/<name>/_data is the data a
// container mounts, beside it volume.json (labels, driver options, creation time) and refs/,
// one empty file per container that uses the volume. A volume is made in a temporary
// directory and renamed into place, so a crash never leaves half of one; every change of the
// set of volumes or of their references is made under one flock (volumes.lock), so two
// `volume create x` or a `run -v x:/p` racing a `volume rm x` are serialised.
//
// What is read back is input: names listed from the directory are checked against docker's
// pattern before they name a path, volume.json is validated field by field, and a reference
// counts only while the container directory it names (a 64-hex id) exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, GockerError, InvalidOptionError, NoSuchVolumeError, isErrno, refuseNulBytes } from '../errors';
import { volumeEvent } from '../events';
import { log } from '../log';
import { native } from '../native';
import { treeSize, treeSizeCounted } from '../fsread';
import { acquireLock, fsyncDir, writeFileAtomic } from './atomic';
import type { StorePaths } from './paths';
import { PRIVATE_DIR, PRIVATE_FILE } from './perms';
import { matchKVList } from '../labels';
import { goRegexp } from '../patterns';
import { goQuote } from '../format/quote';

/** docker's names.RestrictedNamePattern, which keeps a name from leaving volumes/. */
export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** The label docker (23 and later) sets on volumes made without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
/** docker's local driver options: a filesystem to mount instead of a plain directory. */
const VALID_OPTS = ['type', 'o', 'device', 'size'];
const MANDATORY_OPTS: Array<[string, string[]]> = [['device', ['type']], ['type', ['device']], ['o', ['device', 'type']]];
const CONTAINER_ID_RE = /^[0-9a-f]{64}$/;
const META = 'volume.json';

/** `docker volume inspect`'s object, in its key order. */
export interface VolumeInfo {
  /** RFC 3339, seconds, as docker */
  CreatedAt: string;
  /** the only driver gocker has */
  Driver: 'local';
  /** --label; null when it was made implicitly (by -v NAME:/p) */
  Labels: Record<string, string> | null;
  /** its data's directory on the host */
  Mountpoint: string;
  /** its name (an anonymous volume's is 64 hex chars) */
  Name: string;
  /** --opt (type, o, device): a filesystem mounted there instead of a plain directory; null when none */
  Options: Record<string, string> | null;
  /** 'local': on this host only */
  Scope: 'local';
}

interface VolumeMeta {
  Name: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

/** What `volume create` takes besides the name. */
export interface CreateVolumeOptions {
  /** 'local' (the default) is the only one */
  driver?: string;
  /** null: the volume was made implicitly (by -v NAME:/p), which docker shows as null */
  labels?: Record<string, string> | null;
  /** docker's local driver options: type, o and device (size needs quotas, which gocker does not set up) */
  options?: Record<string, string> | null;
  /** a container (its directory must exist) that uses the volume from now on */
  ref?: string;
}

/** docker's volume errors are the daemon's OpErr: "<op> <name>: <why>"; the CLI exits 1. */
const opError = (op: string, name: string, why: string): GockerError =>
  new GockerError(`${op} ${name}: ${why}`, { exitCode: 1, code: 'EVOLUME' });

export function noSuchVolume(name: string): GockerError {
  return new NoSuchVolumeError(`get ${name}: no such volume`);
}

/** The checks docker's local driver makes of a name, in its words. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw opError('create', name, 'volume name is too short, names should be at least two alphanumeric characters');
  if (!VOLUME_NAME_RE.test(name)) {
    throw opError('create', name, `${goQuote(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/** docker's local driver's option checks (type, o, device; size needs quota support). */
export function validateVolumeOptions(name: string, opts: Record<string, string> | null | undefined): void {
  if (!opts || !Object.keys(opts).length) return;
  for (const k of Object.keys(opts)) if (!VALID_OPTS.includes(k)) throw opError('create', name, `invalid option: "${k}"`);
  if (opts.size !== undefined) {
    if (!/^\d+(\.\d+)?\s*[kmgtp]?i?b?$/i.test(opts.size)) throw opError('create', name, `invalid size: '${opts.size}'`);
    // Project quotas (xfs pquota) are not something gocker sets up: as docker without them.
    if (parseFloat(opts.size) > 0) throw opError('create', name, 'quota size requested but no quota support');
  }
  for (const [k, needs] of MANDATORY_OPTS) {
    if (opts[k] === undefined) continue;
    for (const n of needs) if (opts[n] === undefined) throw opError('create', name, `missing required option: "${n}"`);
  }
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string');

export class Volumes {
  readonly dir: string;

  constructor(readonly paths: StorePaths) {
    this.dir = path.join(paths.root, 'volumes');
  }

  /** The volume's directory; the name is checked first, as it becomes a path. */
  volumeDir(name: string): string {
    if (!VOLUME_NAME_RE.test(name)) throw noSuchVolume(name);
    return path.join(this.dir, name);
  }

  dataPath(name: string): string {
    return path.join(this.volumeDir(name), '_data');
  }

  /** Held for every change of the set of volumes or of their references. */
  async lock(): Promise<() => void> {
    return acquireLock(this.paths.lock('volumes'));
  }

  private readMeta(name: string): VolumeMeta | undefined {
    let text: string;
    try {
      // A real directory of ours, not a symlink planted in its place: its _data is what
      // containers get bind-mounted, and its removal must stay inside volumes/.
      if (!fs.lstatSync(this.volumeDir(name)).isDirectory()) return undefined;
      text = fs.readFileSync(path.join(this.volumeDir(name), META), 'utf8');
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return undefined;
      throw e;
    }
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      m = undefined;
    }
    const v = m as Partial<VolumeMeta> | undefined;
    const ok = v !== null && typeof v === 'object' && v.Name === name && typeof v.CreatedAt === 'string' && !Number.isNaN(Date.parse(v.CreatedAt)) &&
      (v.Labels === null || isStringMap(v.Labels)) && (v.Options === null || (isStringMap(v.Options) && Object.keys(v.Options).every((k) => VALID_OPTS.includes(k))));
    if (!ok) {
      log.warn('skipping a volume whose metadata cannot be read', { volume: name });
      return undefined;
    }
    return v as VolumeMeta;
  }

  private info(meta: VolumeMeta): VolumeInfo {
    return {
      CreatedAt: meta.CreatedAt, Driver: 'local', Labels: meta.Labels, Mountpoint: this.dataPath(meta.Name), Name: meta.Name,
      Options: meta.Options, Scope: 'local',
    };
  }

  /** The volume, or undefined when there is none by that name. */
  find(name: string): VolumeInfo | undefined {
    if (!VOLUME_NAME_RE.test(name)) return undefined;
    const meta = this.readMeta(name);
    return meta && this.info(meta);
  }

  get(name: string): VolumeInfo {
    const v = this.find(name);
    if (!v) throw noSuchVolume(name);
    return v;
  }

  /** Every volume, by name. Anything in volumes/ that is not one (a leftover, a stray file) is skipped. */
  list(): VolumeInfo[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    return names.filter((n) => VOLUME_NAME_RE.test(n)).sort().map((n) => this.find(n)).filter((v): v is VolumeInfo => v !== undefined);
  }

  /**
   * Creates the volume, or returns the one by that name (docker's create is idempotent: the
   * options of a second create are not applied). name undefined: an anonymous volume, named
   * by 64 random hex digits and labelled as docker labels them.
   */
  async create(name: string | undefined, o: CreateVolumeOptions = {}): Promise<{ volume: VolumeInfo; created: boolean }> {
    const anonymous = name === undefined;
    const n = name ?? native().randomHex(32);
    validateVolumeName(n);
    const driver = o.driver ?? 'local';
    if (driver !== 'local') throw opError('create', n, `error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    // As readMeta reads them back: a label or option that is not a string would make a
    // volume no command can list, remove or create again.
    for (const [what, m] of [['labels', o.labels], ['options', o.options]] as const) {
      if (m !== undefined && m !== null && (typeof m !== 'object' || Array.isArray(m) || Object.values(m).some((x) => typeof x !== 'string'))) {
        throw new InvalidOptionError(what, `volume ${what} must be strings, by name`, { exitCode: 1 });
      }
    }
    // The options become mount(2)'s source and data, where a NUL ends them: never what was asked.
    refuseNulBytes({ options: o.options }, 1);
    validateVolumeOptions(n, o.options);
    const release = await this.lock();
    try {
      const existing = this.find(n);
      if (existing) {
        if (o.ref) this.addRefLocked(n, o.ref);
        return { volume: existing, created: false };
      }
      if (fs.existsSync(this.volumeDir(n))) throw opError('create', n, `volume already exists under ${this.volumeDir(n)}, and its metadata cannot be read`);
      const labels = anonymous ? { ...(o.labels ?? {}), [ANONYMOUS_LABEL]: '' } : o.labels ?? null;
      const meta: VolumeMeta = { Name: n, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Labels: labels, Options: o.options ?? null };
      this.makeLocked(meta, o.ref);
      volumeEvent(this.paths, 'create', n);
      return { volume: this.info(meta), created: true };
    } finally {
      release();
    }
  }

  private makeLocked(meta: VolumeMeta, ref?: string): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR });
    const tmp = path.join(this.dir, `.tmp-${native().randomHex(8)}`);
    fs.mkdirSync(tmp, { mode: PRIVATE_DIR });
    try {
      // 0755 whatever the umask: a container's non-root user must be able to enter its volume.
      fs.mkdirSync(path.join(tmp, '_data'));
      fs.chmodSync(path.join(tmp, '_data'), 0o755);
      fs.mkdirSync(path.join(tmp, 'refs'), { mode: PRIVATE_DIR });
      if (ref) this.writeRef(path.join(tmp, 'refs'), ref);
      writeFileAtomic(path.join(tmp, META), `${JSON.stringify(meta, null, 2)}\n`, PRIVATE_FILE);
      fs.renameSync(tmp, path.join(this.dir, meta.Name));
      fsyncDir(this.dir);
    } catch (e) {
      native().removeTreeSync(tmp); // _data copied from the image, as deep as its tree
      throw e;
    }
  }

  private writeRef(refsDir: string, id: string): void {
    if (!CONTAINER_ID_RE.test(id)) throw new GockerError(`refusing ${JSON.stringify(id)} as a container id`);
    fs.writeFileSync(path.join(refsDir, id), '', { mode: PRIVATE_FILE });
  }

  private addRefLocked(name: string, id: string): void {
    const refs = path.join(this.volumeDir(name), 'refs');
    fs.mkdirSync(refs, { recursive: true, mode: PRIVATE_DIR });
    this.writeRef(refs, id);
  }

  /** Container id now uses the volume (which must exist: `volume rm` may have won the race). */
  async addRef(name: string, id: string): Promise<void> {
    const release = await this.lock();
    try {
      if (!this.find(name)) throw noSuchVolume(name);
      this.addRefLocked(name, id);
    } finally {
      release();
    }
  }

  /** Container id no longer uses these volumes (it is being removed). */
  async dropRefs(names: string[], id: string): Promise<void> {
    if (!CONTAINER_ID_RE.test(id) || !names.length) return;
    const release = await this.lock();
    try {
      for (const n of names) {
        if (!VOLUME_NAME_RE.test(n)) continue;
        try {
          fs.unlinkSync(path.join(this.volumeDir(n), 'refs', id));
        } catch (e) {
          if (!isErrno(e, 'ENOENT') && !isErrno(e, 'ENOTDIR')) throw e;
        }
      }
    } finally {
      release();
    }
  }

  /** The containers that use the volume: its references whose container still exists. */
  users(name: string): string[] {
    let ids: string[];
    try {
      ids = fs.readdirSync(path.join(this.volumeDir(name), 'refs'));
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return [];
      throw e;
    }
    return ids.filter((id) => CONTAINER_ID_RE.test(id) && fs.existsSync(this.paths.container(id))).sort();
  }

  /**
   * docker volume rm: refused while a container (running or not) uses it, in docker's words.
   * force: a volume that does not exist is no error, as `docker volume rm -f`.
   */
  async remove(name: string, force = false): Promise<void> {
    const release = await this.lock();
    try {
      if (!this.find(name)) {
        if (force) return;
        throw noSuchVolume(name);
      }
      const users = this.users(name);
      if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`, { exitCode: 1 });
      await this.removeLocked(name);
    } finally {
      release();
    }
  }

  private async removeLocked(name: string): Promise<void> {
    // Renamed out of sight first: a removal cut short leaves a dot-name that no listing shows
    // and the next removal of the same name cannot trip over.
    const dir = this.volumeDir(name);
    const doomed = path.join(this.dir, `.rm-${native().randomHex(8)}`);
    fs.renameSync(dir, doomed);
    volumeEvent(this.paths, 'destroy', name);
    await native().removeTree(doomed);
  }

  /** Removes the volumes that no container uses any more, of those named (anonymous ones, for rm -v). */
  async removeUnused(names: string[]): Promise<string[]> {
    const removed: string[] = [];
    const release = await this.lock();
    try {
      for (const n of names) {
        if (!this.find(n) || this.users(n).length) continue;
        await this.removeLocked(n);
        removed.push(n);
      }
    } finally {
      release();
    }
    return removed;
  }

  /**
   * docker volume prune (23 and later): unused anonymous volumes, or with all every unused
   * volume; never one with driver options (a mount, not data of ours), as dockerd. keep
   * says which of the candidates the filters leave.
   */
  async prune(all: boolean, keep: (v: VolumeInfo) => boolean = () => true): Promise<{ deleted: string[]; bytes: number }> {
    const deleted: string[] = [];
    let bytes = 0;
    const release = await this.lock();
    try {
      for (const v of this.list()) {
        if (v.Options && Object.keys(v.Options).length) continue;
        if (!all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) continue;
        if (!keep(v) || this.users(v.Name).length) continue;
        // What the walk counted, also of one it cannot size: dockerd adds what its walk
        // returned with the error.
        const size = treeSizeCounted(v.Mountpoint);
        await this.removeLocked(v.Name);
        deleted.push(v.Name);
        bytes += size;
      }
    } finally {
      release();
    }
    return { deleted, bytes };
  }

  /** Data sizes for system df: each volume's, and whether a container uses it. */
  usage(): Array<{ volume: VolumeInfo; size: number; used: boolean }> {
    return this.list().filter((v) => !(v.Options && Object.keys(v.Options).length))
      .map((v) => ({ volume: v, size: treeSize(v.Mountpoint), used: this.users(v.Name).length > 0 }));
  }
}


// docker's volume filters, as its daemon reads them (volume/service/convert.go and
// volume/mounts): the CLI sends each key's values, keys lower-cased.

/** What Gocker.listVolumes takes. */
export interface ListVolumesOptions {
  /**
   * docker's filters, each key's values: name (a regular expression, or the whole name),
   * driver, label (KEY or KEY=VALUE: all must match), dangling ('true' or '1': used by no
   * container; 'false' or '0': used by one)
   */
  filters?: Record<string, string[]>;
}

/** What Gocker.pruneVolumes takes. */
export interface PruneVolumesOptions {
  /** every unused volume, not just anonymous ones (docker's --all) */
  all?: boolean;
  /**
   * docker's filters, each key's values: label (KEY or KEY=VALUE: all must match), label!
   * (none may), all (as the option: 'true' or '1', 'false' or '0'; not with it)
   */
  filters?: Record<string, string[]>;
}

/** What Gocker.pruneVolumes removed. */
export interface VolumePruneResult {
  /** the volumes' names */
  deleted: string[];
  /** the bytes their data took */
  bytes: number;
}

const invalidFilter = (msg: string): InvalidOptionError => new InvalidOptionError('filters', msg, { exitCode: 1 });

function checkFilterKeys(filters: Record<string, string[]>, accepted: string[]): void {
  for (const k of Object.keys(filters)) if (!accepted.includes(k)) throw invalidFilter(`invalid filter '${k}'`);
}

/** A boolean filter's values, as docker's ExactMatch on true/1 and false/0: both, or anything else, refused. */
function boolFilter(key: string, values: string[]): boolean {
  const t = values.some((v) => v === 'true' || v === '1');
  const f = values.some((v) => v === 'false' || v === '0');
  if (t === f || values.some((v) => !['true', '1', 'false', '0'].includes(v))) throw invalidFilter(`invalid filter '${key}=[${values.join(' ')}]'`);
  return t;
}

/** label=KEY or label=KEY=VALUE, all of them. */
const hasLabels = (v: VolumeInfo, wanted: string[]): boolean => matchKVList(wanted, v.Labels);

/** name=: any of them, as a Go regular expression or the whole name (docker's filters.Match). */
function nameMatcher(patterns: string[]): (name: string) => boolean {
  const res = patterns.map(goRegexp);
  return (name) => patterns.includes(name) || res.some((m) => m(name));
}

/** docker volume ls: the volumes the filters leave, by name; a filter dockerd refuses is InvalidOptionError. */
export function listVolumes(vols: Volumes, opts: ListVolumesOptions = {}): VolumeInfo[] {
  const filters = opts.filters ?? {};
  checkFilterKeys(filters, ['dangling', 'name', 'driver', 'label']);
  const dangling = filters.dangling ? boolFilter('dangling', filters.dangling) : undefined;
  const named = filters.name ? nameMatcher(filters.name) : undefined;
  return vols.list().filter((v) =>
    (!named || named(v.Name)) &&
    (!filters.driver || filters.driver.includes(v.Driver)) &&
    hasLabels(v, filters.label ?? []) &&
    (dangling === undefined || (vols.users(v.Name).length === 0) === dangling));
}

/**
 * Whether a prune with these options takes every unused volume (true) or the anonymous ones
 * only: its options checked as the prune checks them, so that a caller can ask before it.
 */
export function volumePruneAll(opts: PruneVolumesOptions = {}): boolean {
  const filters = opts.filters ?? {};
  // A truthy string ('false') is no yes: the wider prune only when asked for in so many words.
  if (opts.all !== undefined && typeof opts.all !== 'boolean') throw new InvalidOptionError('all', 'all must be a boolean', { exitCode: 1 });
  checkFilterKeys(filters, ['label', 'label!', 'all']);
  if (!filters.all) return !!opts.all;
  if (opts.all) throw new InvalidOptionError('all', 'conflicting options: cannot specify both --all and --filter all=1', { exitCode: 1 });
  return boolFilter('all', filters.all);
}

/** docker volume prune (23 and later): see Volumes.prune; the filters as volumePruneAll checks them. */
export function pruneVolumes(vols: Volumes, opts: PruneVolumesOptions = {}): Promise<VolumePruneResult> {
  let all: boolean;
  try {
    all = volumePruneAll(opts);
  } catch (e) {
    return Promise.reject(e);
  }
  const wanted = opts.filters?.label ?? [];
  const without = opts.filters?.['label!'] ?? [];
  return vols.prune(all, (v) => hasLabels(v, wanted) && !without.some((w) => hasLabels(v, [w])));
}
