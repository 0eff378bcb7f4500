// A container's mounts as docker makes them: `-v` (host paths, named and anonymous volumes,
// with docker's modes), HostConfig.Mounts (`--mount`, whose csv the CLI reads: bind, volume,
// tmpfs) and the image's VOLUME entries, checked as dockerd checks them, then resolved into
// the records `inspect` shows and the bind mounts the monitor makes. A new, empty volume
// gets what the image has at its path (docker's local driver's "copy-up"), copied with the
// native tree copy so that neither side's symlinks are followed on the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, InvalidOptionError } from '../errors';
import { log } from '../log';
import { MNT_DETACH, MS, native } from '../native';
import type { ImageRecord } from '../store/types';
import type { StorePaths } from '../store/paths';
import { PRIVATE_DIR } from '../store/perms';
import { ANONYMOUS_LABEL, Volumes } from '../store/volumes';
import type { ContainerRecord, MountRecord } from './record';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** One mount as the flags and the image ask for it, validated; what docker's MountPoint holds. */
export interface MountPlan {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** bind: the host path; volume: its name ('' for an anonymous one); tmpfs: '' */
  Source: string;
  Destination: string;
  RW: boolean;
  /** docker's Mode: -v's mode string ('z' for a volume given without one) */
  Mode: string;
  /** binds: rprivate unless asked otherwise; volumes and tmpfs: '' */
  Propagation: string;
  /** -v's binds only: a missing host directory is created, as dockerd does */
  createSource: boolean;
  /** a new volume gets the image's content at the destination (not with nocopy) */
  copyData: boolean;
  /** --mount bind-recursive=disabled: the source mount alone, not the mounts below it */
  nonRecursive: boolean;
  /** --mount volume-label / volume-opt / volume-driver, for a volume this run creates */
  volumeLabels?: Record<string, string>;
  volumeOptions?: Record<string, string>;
  volumeDriver?: string;
  /** --mount tmpfs-size / tmpfs-mode as tmpfs data */
  tmpfsData?: string;
  /** docker's HostConfig.Mounts entry, for --mount */
  spec?: Record<string, unknown>;
}

const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const RW_MODES = ['rw', 'ro', 'ro-non-recursive', 'ro-force-recursive', 'rro'];
const LABEL_MODES = ['z', 'Z'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];

/** docker's linuxValidMountMode: each kind of word at most once, and nothing else. */
function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATION, COPY_MODES, CONSISTENCY].findIndex((l) => l.includes(o));
    if (kind < 0) return false;
    counts[kind]++;
  }
  return counts.every((c) => c <= 1);
}

const invalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;
const mountConfig = (type: string, why: string): GockerError => engineError(`invalid mount config for type "${type}": ${why}`);
// HostConfig.Mounts' refusals, in dockerd's words, named as the library's option (the CLI says the message alone).
const badMount = (type: string, why: string): GockerError => new InvalidOptionError('mounts', `invalid mount config for type "${type}": ${why}`, { exitCode: 125 });

function checkTarget(type: string, target: string): string {
  if (!target) throw badMount(type, 'field Target must not be empty');
  if (path.posix.normalize(target) === '/') throw badMount(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) throw badMount(type, `invalid mount path: '${target}' mount path must be absolute`);
  return path.posix.normalize(target).replace(/(.)\/$/, '$1');
}

/**
 * One of HostConfig.Binds (docker's -v) as dockerd reads it (ParseMountRaw). A host path is
 * absolute: docker's CLI makes a relative one its caller's (cli/runflags.ts), the engine has
 * no directory of the caller's to resolve it against.
 */
export function parseVolumeFlag(raw: string): MountPlan {
  const arr = raw.split(':');
  if (arr.length > 3 || arr[0] === '') throw engineError(invalidSpec(raw));
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) {
    target = arr[0];
  } else if (arr.length === 2) {
    // Destination + mode is no volume: /foo:rw.
    if (validMode(arr[1])) throw engineError(invalidSpec(raw));
    [source, target] = arr;
  } else {
    [source, target, mode] = arr;
  }
  if (!validMode(mode)) throw engineError(`invalid mode: ${mode}`);
  if (source.startsWith('.')) throw engineError(`${invalidSpec(raw)}: a host path must be absolute`);
  const words = mode ? mode.split(',') : [];
  const rw = !words.includes('ro') && !words.some((w) => w.startsWith('ro-') || w === 'rro');
  const propagation = words.find((w) => PROPAGATION.includes(w));
  const type = source === '' || !source.startsWith('/') ? 'volume' : 'bind';
  const fail = (why: string): GockerError => engineError(`${invalidSpec(raw)}: invalid mount config for type "${type}": ${why}`);
  if (!target.startsWith('/')) throw fail(`invalid mount path: '${target}' mount path must be absolute`);
  if (path.posix.normalize(target) === '/') throw fail("invalid specification: destination can't be '/'");
  const dest = path.posix.normalize(target).replace(/(.)\/$/, '$1');
  if (type === 'volume') {
    if (propagation) throw fail('field BindOptions must not be specified');
    if (!rw && source === '') throw fail('must not set ReadOnly mode when using anonymous volumes');
    return {
      Type: 'volume', Source: source, Destination: dest, RW: rw, Mode: mode || (source ? 'z' : ''), Propagation: '', createSource: false,
      copyData: !words.includes('nocopy'), nonRecursive: false,
    };
  }
  if (words.includes('nocopy')) throw fail('field VolumeOptions must not be specified');
  return {
    Type: 'bind', Source: path.posix.normalize(source).replace(/(.)\/$/, '$1'), Destination: dest, RW: rw, Mode: mode,
    Propagation: propagation ?? 'rprivate', createSource: true, copyData: false, nonRecursive: false,
  };
}

/**
 * One of HostConfig.Mounts, as docker's API has it (mount.Mount): what `--mount`'s csv
 * becomes in docker's CLI (cli/mountflag.ts), and what a library caller gives.
 */
export interface Mount {
  /** bind, volume or tmpfs */
  Type: 'bind' | 'volume' | 'tmpfs';
  /** bind: an absolute host path; volume: its name (none: an anonymous volume); tmpfs: none */
  Source?: string;
  /** an absolute path in the container */
  Target: string;
  /** mounted read-only (recursively, for a bind) */
  ReadOnly?: boolean;
  /** docker for Mac's; meaningless on Linux, taken and ignored as dockerd does */
  Consistency?: string;
  /** a bind's: its propagation, whether the mounts below its source come too, whether a missing source is made */
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  /** a volume's: no copy of the image's content, and the labels and driver of a volume this creates */
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  /** a tmpfs's size in bytes and its root's mode (permission bits) */
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** tmpfs-size as dockerd writes it for the mount: the largest unit that divides it. */
function tmpfsSize(bytes: number): string {
  for (const [suffix, div] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as Array<[string, number]>) {
    if (bytes % div === 0) return `${bytes / div}${suffix}`;
  }
  return String(bytes);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * The shape of one Mount, as dockerd's JSON decoding would refuse it: a caller's typed value
 * (the CLI's csv reader only ever makes well-formed ones). Named as the option 'mounts'.
 */
function checkMountShape(m: unknown): asserts m is Mount {
  const bad = (why: string): GockerError => new InvalidOptionError('mounts', `invalid mount: ${why}`, { exitCode: 125 });
  if (!isRecord(m)) throw bad('a mount is an object with Type and Target');
  // A field of docker's gocker does not carry out (VolumeOptions.Subpath, BindOptions'
  // ReadOnlyNonRecursive, TmpfsOptions.Options, ...) is refused by name, never dropped: a
  // dropped Subpath mounted the whole volume where the caller asked for a part of it.
  const only = (o: Record<string, unknown>, where: string, known: string[]): void => {
    for (const k of Object.keys(o)) if (o[k] !== undefined && !known.includes(k)) throw bad(`${where}${k} is not supported by gocker`);
  };
  only(m, '', ['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']);
  if (isRecord(m.BindOptions)) only(m.BindOptions, 'BindOptions.', ['Propagation', 'NonRecursive', 'CreateMountpoint']);
  if (isRecord(m.VolumeOptions)) {
    only(m.VolumeOptions, 'VolumeOptions.', ['NoCopy', 'Labels', 'DriverConfig']);
    if (isRecord(m.VolumeOptions.DriverConfig)) only(m.VolumeOptions.DriverConfig, 'VolumeOptions.DriverConfig.', ['Name', 'Options']);
  }
  if (isRecord(m.TmpfsOptions)) only(m.TmpfsOptions, 'TmpfsOptions.', ['SizeBytes', 'Mode']);
  for (const k of ['Type', 'Source', 'Target', 'Consistency'] as const) {
    if (m[k] !== undefined && typeof m[k] !== 'string') throw bad(`${k} must be a string`);
  }
  if (m.ReadOnly !== undefined && typeof m.ReadOnly !== 'boolean') throw bad('ReadOnly must be a boolean');
  const b = m.BindOptions;
  if (b !== undefined && (!isRecord(b) || (b.Propagation !== undefined && typeof b.Propagation !== 'string')
    || [b.NonRecursive, b.CreateMountpoint].some((x) => x !== undefined && typeof x !== 'boolean'))) throw bad('BindOptions must be { Propagation?: string, NonRecursive?: boolean, CreateMountpoint?: boolean }');
  const v = m.VolumeOptions;
  if (v !== undefined && (!isRecord(v) || (v.NoCopy !== undefined && typeof v.NoCopy !== 'boolean') || (v.Labels !== undefined && !isStringMap(v.Labels))
    || (v.DriverConfig !== undefined && (!isRecord(v.DriverConfig) || (v.DriverConfig.Name !== undefined && typeof v.DriverConfig.Name !== 'string')
      || (v.DriverConfig.Options !== undefined && !isStringMap(v.DriverConfig.Options)))))) {
    throw bad('VolumeOptions must be { NoCopy?: boolean, Labels?: { [name]: string }, DriverConfig?: { Name?: string, Options?: { [name]: string } } }');
  }
  const t = m.TmpfsOptions;
  const whole = (x: unknown, max: number): boolean => x === undefined || (Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max);
  if (t !== undefined && (!isRecord(t) || !whole(t.SizeBytes, Number.MAX_SAFE_INTEGER) || !whole(t.Mode, 0xffffffff))) throw bad('TmpfsOptions must be { SizeBytes?: whole bytes, Mode?: permission bits }');
}

/**
 * One of HostConfig.Mounts as dockerd checks it (ParseMountSpec), in its words: a type
 * gocker mounts, an absolute target, a bind's absolute source that exists (unless it is to
 * be made), each type's options on that type alone. A relative source is the CLI's to
 * resolve (cli/runflags.ts): here it is refused for a bind.
 */
export function checkMount(m: Mount): MountPlan {
  checkMountShape(m);
  const type: string = m.Type ?? '';
  if (type === 'image' || type === 'npipe' || type === 'cluster') throw new InvalidOptionError('mounts', `mount type ${type} is not supported by gocker`, { exitCode: 125 });
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw badMount(type, 'mount type unknown');
  const target = m.Target ?? '';
  const source = m.Source ?? '';
  const readOnly = !!m.ReadOnly;
  const dest = checkTarget(type, target);
  if (type !== 'bind' && m.BindOptions) throw badMount(type, 'field BindOptions must not be specified');
  if (type !== 'volume' && m.VolumeOptions) throw badMount(type, 'field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && m.TmpfsOptions) throw badMount(type, 'field TmpfsOptions must not be specified');
  // What inspect shows as HostConfig.Mounts: the entry as given, its empty parts left out.
  const spec: Record<string, unknown> = { Type: type, Source: source, Target: target };
  if (readOnly) spec.ReadOnly = true;
  if (type === 'bind') {
    const propagation = m.BindOptions?.Propagation?.toLowerCase() ?? '';
    const nonRecursive = !!m.BindOptions?.NonRecursive;
    const createSrc = !!m.BindOptions?.CreateMountpoint;
    if (!source) throw badMount('bind', 'field Source must not be empty');
    if (propagation && !PROPAGATION.includes(propagation)) throw badMount('bind', `invalid propagation mode: ${propagation}`);
    if (!source.startsWith('/')) throw badMount('bind', `invalid mount path: '${source}' mount path must be absolute`);
    if (!createSrc && !fs.existsSync(source)) throw badMount('bind', `bind source path does not exist: ${source}`);
    if (m.BindOptions) spec.BindOptions = { ...(propagation ? { Propagation: propagation } : {}), ...(nonRecursive ? { NonRecursive: true } : {}), ...(createSrc ? { CreateMountpoint: true } : {}) };
    return {
      Type: 'bind', Source: path.posix.normalize(source).replace(/(.)\/$/, '$1'), Destination: dest, RW: !readOnly, Mode: '', Propagation: propagation || 'rprivate',
      createSource: createSrc, copyData: false, nonRecursive, spec,
    };
  }
  if (type === 'volume') {
    const noCopy = !!m.VolumeOptions?.NoCopy;
    const labels = m.VolumeOptions?.Labels ?? {};
    const driver = m.VolumeOptions?.DriverConfig?.Name || undefined;
    const options = m.VolumeOptions?.DriverConfig?.Options ?? {};
    if (readOnly && !source) throw badMount('volume', 'must not set ReadOnly mode when using anonymous volumes');
    if (m.VolumeOptions) {
      spec.VolumeOptions = {
        ...(noCopy ? { NoCopy: true } : {}), ...(Object.keys(labels).length ? { Labels: { ...labels } } : {}),
        ...(m.VolumeOptions.DriverConfig ? { DriverConfig: { Name: driver ?? '', ...(Object.keys(options).length ? { Options: { ...options } } : {}) } } : {}),
      };
    }
    return {
      Type: 'volume', Source: source, Destination: dest, RW: !readOnly, Mode: 'z', Propagation: '', createSource: false, copyData: !noCopy, nonRecursive: false,
      volumeLabels: Object.keys(labels).length ? { ...labels } : undefined, volumeOptions: Object.keys(options).length ? { ...options } : undefined, volumeDriver: driver, spec,
    };
  }
  if (source) throw badMount('tmpfs', 'field Source must not be specified');
  const size = m.TmpfsOptions?.SizeBytes || undefined;
  const tmode = m.TmpfsOptions?.Mode;
  const data = [...(tmode !== undefined ? [`mode=${tmode.toString(8)}`] : []), ...(size ? [`size=${tmpfsSize(size)}`] : [])];
  if (m.TmpfsOptions) spec.TmpfsOptions = { ...(size ? { SizeBytes: size } : {}), ...(tmode !== undefined ? { Mode: tmode } : {}) };
  return {
    Type: 'tmpfs', Source: '', Destination: dest, RW: !readOnly, Mode: '', Propagation: '', createSource: false, copyData: false, nonRecursive: false,
    tmpfsData: data.join(','), spec,
  };
}

/**
 * Every mount of a new container, in docker's order and with its duplicate check: -v's
 * binds and volumes, then --mount, then anonymous volumes for -v /path and the image's
 * VOLUME entries that nothing else mounts. tmpfsDests: --tmpfs's destinations.
 */
export function planMounts(o: { volume?: string[]; mounts?: Mount[] }, imageVolumes: Record<string, object> | undefined, tmpfsDests: string[]): MountPlan[] {
  const out: MountPlan[] = [];
  const taken = new Set<string>();
  const anonymous: MountPlan[] = [];
  const duplicate = (dest: string): GockerError => engineError(`Duplicate mount point: ${dest}`);
  for (const raw of o.volume ?? []) {
    const p = parseVolumeFlag(raw);
    // -v /path is the container's Config.Volumes, as an image's VOLUME: no duplicate check.
    if (p.Type === 'volume' && p.Source === '') {
      anonymous.push({ ...p, Mode: '' });
      continue;
    }
    if (taken.has(p.Destination) || tmpfsDests.includes(p.Destination)) throw duplicate(p.Destination);
    taken.add(p.Destination);
    out.push(p);
  }
  for (const m of o.mounts ?? []) {
    const p = checkMount(m);
    if (taken.has(p.Destination) || tmpfsDests.includes(p.Destination)) throw duplicate(p.Destination);
    taken.add(p.Destination);
    out.push(p);
  }
  const imageDests = Object.keys(imageVolumes ?? {}).map((d) => path.posix.normalize(d).replace(/(.)\/$/, '$1'));
  for (const d of imageDests) {
    if (!d.startsWith('/') || d === '/') continue; // an image's config is input: a relative VOLUME names nothing
    anonymous.push({ Type: 'volume', Source: '', Destination: d, RW: true, Mode: '', Propagation: '', createSource: false, copyData: true, nonRecursive: false });
  }
  for (const a of anonymous) {
    if (taken.has(a.Destination) || tmpfsDests.includes(a.Destination)) continue;
    taken.add(a.Destination);
    out.push(a);
  }
  return out;
}

/** docker's message for a relative -w, before anything of the container exists. */
export function checkWorkdir(workdir: string | undefined): void {
  if (workdir && !workdir.startsWith('/')) throw engineError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
}

/** /proc/self/mountinfo's mount holding p (the longest mount point above it), with its optional fields. */
function mountOf(p: string): { mountpoint: string; optional: string } {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  let best = { mountpoint: '/', optional: '' };
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 7 || sep < 6) continue;
    const mp = unescape(f[4]);
    if ((p === mp || p.startsWith(mp === '/' ? '/' : `${mp}/`)) && mp.length >= best.mountpoint.length) best = { mountpoint: mp, optional: f.slice(6, sep).join(' ') };
  }
  return best;
}

/**
 * dockerd's checks for a bind's propagation: shared needs a shared source mount, slave a
 * shared or slave one (a private mount has nothing to propagate), in docker's words.
 */
function checkPropagation(source: string, propagation: string): void {
  if (!/shared|slave/.test(propagation)) return;
  const real = fs.realpathSync(source);
  const { mountpoint, optional } = mountOf(real);
  const shared = /(^| )shared:/.test(optional);
  const slave = /(^| )master:/.test(optional);
  if (propagation.endsWith('shared') && !shared) throw engineError(`path ${source} is mounted on ${mountpoint} but it is not a shared mount`);
  if (propagation.endsWith('slave') && !shared && !slave) throw engineError(`path ${source} is mounted on ${mountpoint} but it is not a shared or slave mount`);
}

/** A volume's driver options as the monitor's mount: [type, source, flags, data]. */
function optionMount(name: string, opts: Record<string, string>): [string, string, string, string] {
  const type = opts.type ?? '';
  const words = (opts.o ?? '').split(',').filter(Boolean);
  const bind = words.includes('bind') || words.includes('rbind');
  if (/^(nfs4?|cifs|smb3|ceph|glusterfs)$/.test(type)) {
    throw engineError(`volume ${name}: gocker mounts a volume's device inside the container's own namespaces, where a network filesystem (${type}) cannot reach its server`);
  }
  const flagWords = new Set(['ro', 'nosuid', 'nodev', 'noexec', 'bind', 'rbind', 'strictatime', 'relatime', 'noatime', 'nodiratime', 'sync', 'dirsync', 'rw']);
  const flags = words.filter((w) => flagWords.has(w) && w !== 'rw');
  const data = words.filter((w) => !flagWords.has(w));
  if (bind) {
    if (!opts.device?.startsWith('/')) throw engineError(`volume ${name}: a bind volume's device must be an absolute host path`);
    if (!fs.existsSync(opts.device)) throw engineError(`error while mounting volume '${name}': failed to mount local volume: mount ${opts.device}: no such file or directory`);
    return ['', opts.device, [...new Set(flags.map((w) => (w === 'bind' ? 'rbind' : w)))].join(','), ''];
  }
  return [type, opts.device ?? '', flags.join(','), data.join(',')];
}

/** What a resolved mount becomes for the monitor: mount=TYPE, SOURCE, DEST, FLAGS, DATA. */
export interface MonitorMount { type: string; source: string; dest: string; flags: string; data: string }

export interface ResolvedMounts {
  /** docker's Mounts, for the record and `inspect` */
  records: MountRecord[];
  /** in the same order, for the spec */
  monitor: MonitorMount[];
  /** volumes this run made, anonymous or not (removed again if the run fails) */
  created: string[];
  /** docker's HostConfig.Mounts: what --mount asked for */
  specs: Array<Record<string, unknown>>;
}

/**
 * Makes what the mounts need: named volumes that do not exist yet, anonymous volumes, -v's
 * missing host directories; registers the container (whose directory must exist) as a user
 * of each volume, and fills new volumes from the image. On failure, what it made is undone.
 */
export async function resolveMounts(paths: StorePaths, id: string, plans: MountPlan[], image: ImageRecord): Promise<ResolvedMounts> {
  const volumes = new Volumes(paths);
  const out: ResolvedMounts = { records: [], monitor: [], created: [], specs: plans.filter((p) => p.spec).map((p) => p.spec!) };
  const used: string[] = [];
  const fresh: Array<{ name: string; dest: string }> = [];
  try {
    for (const p of plans) {
      const recursive = p.nonRecursive ? 'bind' : 'rbind';
      if (p.Type === 'tmpfs') {
        out.records.push({ Type: 'tmpfs', Source: '', Destination: p.Destination, Mode: p.Mode, RW: p.RW, Propagation: '' });
        out.monitor.push({ type: 'tmpfs', source: 'tmpfs', dest: p.Destination, flags: `nosuid,nodev,noexec${p.RW ? '' : ',ro'}`, data: p.tmpfsData ?? '' });
        continue;
      }
      if (p.Type === 'bind') {
        if (p.createSource && !fs.existsSync(p.Source)) {
          // dockerd's MkdirAllAndChownNew: the missing directories, 0755, root's.
          fs.mkdirSync(p.Source, { recursive: true, mode: 0o755 });
        }
        if (!fs.existsSync(p.Source)) throw mountConfig('bind', `bind source path does not exist: ${p.Source}`);
        checkPropagation(p.Source, p.Propagation);
        out.records.push({ Type: 'bind', Source: p.Source, Destination: p.Destination, Mode: p.Mode, RW: p.RW, Propagation: p.Propagation });
        out.monitor.push({ type: '', source: p.Source, dest: p.Destination, flags: [recursive, ...(p.RW ? [] : ['ro']), p.Propagation].join(','), data: '' });
        continue;
      }
      const { volume, created } = await volumes.create(p.Source || undefined, {
        driver: p.volumeDriver || undefined, labels: p.volumeLabels ?? (p.Source ? null : undefined), options: p.volumeOptions ?? null, ref: id,
      }).catch((e: unknown) => {
        // In `run`, dockerd's volume errors are the engine's: exit 125.
        throw e instanceof GockerError ? engineError(e.message) : e;
      });
      used.push(volume.Name);
      if (created) out.created.push(volume.Name);
      out.records.push({ Type: 'volume', Name: volume.Name, Source: volume.Mountpoint, Destination: p.Destination, Driver: 'local', Mode: p.Mode, RW: p.RW, Propagation: '' });
      if (volume.Options && Object.keys(volume.Options).length) {
        const [type, source, flags, data] = optionMount(volume.Name, volume.Options);
        out.monitor.push({ type, source, dest: p.Destination, flags: [flags, ...(p.RW ? [] : ['ro'])].filter(Boolean).join(','), data });
        continue;
      }
      out.monitor.push({ type: '', source: volume.Mountpoint, dest: p.Destination, flags: `rbind${p.RW ? '' : ',ro'}`, data: '' });
      if (p.copyData) fresh.push({ name: volume.Name, dest: p.Destination });
    }
    await copyUp(paths, id, image, volumes, fresh);
    return out;
  } catch (e) {
    await letGo(volumes, id, used, out.created);
    throw e;
  }
}

async function letGo(volumes: Volumes, id: string, used: string[], created: string[]): Promise<void> {
  // Best effort on the way out of a failure: the failure is what the caller reports.
  await volumes.dropRefs(used, id).catch(() => undefined);
  await volumes.removeUnused(created).catch(() => []);
}

/** A run that failed after resolveMounts lets go of the volumes, and removes those it made. */
export async function undoMounts(paths: StorePaths, id: string, r: ResolvedMounts): Promise<void> {
  await letGo(new Volumes(paths), id, r.records.filter((m) => m.Type === 'volume').map((m) => m.Name!), r.created);
}

/**
 * docker's copy-up: a volume that is still empty gets the image's content at its destination,
 * owners, modes, xattrs and times kept, and the directory's own owner and mode. The image's
 * tree is the source root (an image's symlink on the way resolves inside it, as dockerd's
 * GetResourcePath), the volume's directory the destination root: nothing either side holds
 * can send the copy to the host's files. A destination the image has no directory at is
 * left as it is.
 */
async function copyUp(paths: StorePaths, id: string, image: ImageRecord, volumes: Volumes, wanted: Array<{ name: string; dest: string }>): Promise<void> {
  const empty = wanted.filter((w) => {
    try {
      return fs.readdirSync(volumes.dataPath(w.name)).length === 0;
    } catch {
      return false;
    }
  });
  if (!empty.length || !image.layers.length) return;
  await withImageRoot(paths, id, image, async (root) => {
    for (const w of empty) {
      if (native().statIn(root, w.dest, true) !== 'dir') continue;
      log.debug('copying image data into volume', { volume: w.name, path: w.dest });
      await native().copyTree(root, `${w.dest}/.`, volumes.volumeDir(w.name), '/_data', -1, -1, true);
    }
  });
}

/** The image's tree, read-only: vfs keeps it whole in the top layer; overlay2 mounts the layers. */
async function withImageRoot(paths: StorePaths, id: string, image: ImageRecord, fn: (root: string) => Promise<void>): Promise<void> {
  if (paths.driver === 'vfs') return fn(image.layers[image.layers.length - 1].dir);
  const work = path.join(paths.runContainer(id), 'volume-copy');
  const merged = path.join(work, 'merged');
  // overlayfs wants two lower layers when there is no upper one: an empty one on top.
  fs.mkdirSync(path.join(work, 'empty'), { recursive: true, mode: PRIVATE_DIR });
  fs.mkdirSync(merged, { recursive: true, mode: PRIVATE_DIR });
  const lower = [path.join(work, 'empty'), ...image.layers.slice().reverse().map((l) => `l/${l.link}`)].join(':');
  // The short l/ links are relative to the store root, as the monitor mounts them.
  native().mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${lower}`, paths.root);
  try {
    await fn(merged);
  } finally {
    native().umount(merged, MNT_DETACH);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A removed container lets go of its volumes; with removeAnonymous (rm -v, --rm) its
 * anonymous volumes go too, unless another container uses them. Named volumes stay, as in
 * docker.
 */
export async function releaseVolumes(paths: StorePaths, rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
  const names = (rec.Mounts ?? []).filter((m) => m.Type === 'volume' && typeof m.Name === 'string').map((m) => m.Name!);
  if (!names.length) return;
  const volumes = new Volumes(paths);
  await volumes.dropRefs(names, rec.Id);
  if (!removeAnonymous) return;
  const anonymous = names.filter((n) => {
    const labels = volumes.find(n)?.Labels;
    return !!labels && ANONYMOUS_LABEL in labels;
  });
  try {
    await volumes.removeUnused(anonymous);
  } catch (e) {
    // The container is gone either way; what is left is an unused volume that prune removes.
    log.warn(`could not remove the anonymous volumes of container ${rec.Id.slice(0, 12)}: ${(e as Error).message}`);
  }
}
