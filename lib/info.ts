// `gocker info`: what the engine sees on this host, probed through the addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostCgroups, type CgroupLayout } from './cgroups/detect';
import { CLONE, MNT_DETACH, type NativeBinding } from './native';
import { StorePaths } from './store/paths';
import { networkInfo, type NetworkInfo } from './network';
import type { ResolvedOptions, StorageDriver } from './options';

/** What a trial overlay mount on the store's filesystem found (docker's overlay2 checks). */
export interface OverlayProbe {
  /** an overlay mount of the store's directories worked */
  supported: boolean;
  /** why a plain overlay mount failed, when it did */
  error?: string;
  /** the filesystem under the store, as docker names it ('extfs', 'xfs', ...) */
  backingFilesystem: string;
  /** it records file types in directory entries, which overlay needs */
  dType: boolean;
  /** the optional mount options Docker's overlay2 probes for */
  indexOff: boolean;
  /** overlay's metacopy=on mounts here */
  metacopy: boolean;
  /** overlay's userxattr mounts here */
  userxattr: boolean;
}

/** Namespace kind ('pid', 'net', ...) -> whether a trial unshare of it worked, and why not. */
export interface NamespaceProbe {
  [name: string]: { supported: boolean; error?: string };
}

/** The size of one of the store's directories. */
export interface DirUsage {
  /** the directory */
  path: string;
  /** bytes of the files under it, each counted once */
  bytes: number;
  /** false: it is not there yet (nothing was stored) */
  exists: boolean;
}

/** What `gocker info` shows: the engine, the host's kernel and what it allows, and the store. */
export interface EngineInfo {
  /** gocker's version */
  version: string;
  /** uname's release, version and machine */
  kernel: { release: string; version: string; arch: string };
  /** the driver in use (--storage-driver); storage says whether overlay would work here */
  storageDriver: StorageDriver;
  /** whether overlay works on the store's filesystem */
  storage: OverlayProbe;
  /** the cgroup hierarchies mounted: v1, v2 or both */
  cgroups: CgroupLayout;
  /** which namespaces can be made here */
  namespaces: NamespaceProbe;
  /** the system calls containment needs: present, and the kernel that brought each */
  kernelFeatures: Array<{ name: string; present: boolean; since: string; needed: string }>;
  /** the persistent store's directory */
  root: DirUsage;
  /** the runtime state's directory */
  runroot: DirUsage;
  /** images in the store */
  images: number;
  /** containers, in any state */
  containers: number;
  /** the default bridge and the networks */
  network: NetworkInfo;
}

const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x858458f6: 'ramfs',
  0x65735546: 'fuse',
  0x6969: 'nfs',
  0xf2f52010: 'f2fs',
};

export function filesystemName(type: number): string {
  return FS_NAMES[type] ?? `0x${type.toString(16)}`;
}

export function probeOverlay(n: NativeBinding, workdir: string): OverlayProbe {
  fs.mkdirSync(workdir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(workdir, 'overlay-probe-'));
  const backingFilesystem = filesystemName(n.statfs(dir).type);
  const result: OverlayProbe = {
    supported: false, backingFilesystem, dType: false, indexOff: false, metacopy: false, userxattr: false,
  };
  try {
    for (const d of ['lower1', 'lower2', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'lower1', 'f'), '');
    result.dType = n.supportsDType(path.join(dir, 'lower1'));
    const base = `lowerdir=${dir}/lower2:${dir}/lower1,upperdir=${dir}/upper,workdir=${dir}/work`;
    const tryMount = (extra: string): string | undefined => {
      try {
        n.mount('overlay', path.join(dir, 'merged'), 'overlay', 0, extra ? `${base},${extra}` : base);
      } catch (e) {
        return (e as Error).message;
      }
      n.umount(path.join(dir, 'merged'), MNT_DETACH);
      // The work dir keeps state from a mount (work/work); start each probe clean.
      fs.rmSync(path.join(dir, 'work'), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, 'work'));
      return undefined;
    };
    result.error = tryMount('');
    result.supported = result.error === undefined;
    if (result.supported) {
      result.indexOff = tryMount('index=off') === undefined;
      result.metacopy = tryMount('metacopy=on') === undefined;
      result.userxattr = tryMount('userxattr') === undefined;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

const NAMESPACES: Array<[string, number]> = [
  ['mnt', CLONE.NEWNS], ['uts', CLONE.NEWUTS], ['ipc', CLONE.NEWIPC], ['pid', CLONE.NEWPID],
  ['net', CLONE.NEWNET], ['cgroup', CLONE.NEWCGROUP], ['user', CLONE.NEWUSER],
];

const KERNEL_FEATURES: Array<[keyof ReturnType<NativeBinding['kernelFeatures']>, string, string]> = [
  ['openat2', '5.6', 'paths resolved inside a root (mounts, cwd, layers, cp)'],
  ['close_range', '5.9', 'closing inherited fds (slower without)'],
  ['mount_setattr', '5.12', 'recursive read-only mounts'],
  ['open_tree', '5.2', 'bind mounts made without a second lookup'],
  ['pidfd_open', '5.3', 'waiting for and signalling containers'],
  ['seccomp', '3.17', 'the seccomp filter'],
];

export function probeKernelFeatures(n: NativeBinding): EngineInfo['kernelFeatures'] {
  const have = n.kernelFeatures();
  return KERNEL_FEATURES.map(([name, since, needed]) => ({ name, present: have[name], since, needed }));
}

export function probeNamespaces(n: NativeBinding): NamespaceProbe {
  const out: NamespaceProbe = {};
  for (const [name, flag] of NAMESPACES) {
    const r = n.probeNamespace(flag);
    out[name] = r === true ? { supported: true } : { supported: false, error: r.message };
  }
  return out;
}

/** Bytes on disk (allocated blocks) under dir, not following links or crossing mounts. */
export function diskUsage(dir: string): DirUsage {
  let bytes = 0;
  let rootDev: number;
  try {
    rootDev = fs.lstatSync(dir).dev;
  } catch {
    return { path: dir, bytes: 0, exists: false };
  }
  const seen = new Set<string>();
  const walk = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.dev !== rootDev) return;
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    bytes += st.blocks * 512;
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const name of names) walk(path.join(p, name));
    }
  };
  walk(dir);
  return { path: dir, bytes, exists: true };
}

function countImages(paths: StorePaths): number {
  try {
    const book = JSON.parse(fs.readFileSync(paths.imagesJson, 'utf8')) as Record<string, Record<string, string>>;
    const ids = new Set<string>();
    for (const tags of Object.values(book)) for (const id of Object.values(tags)) ids.add(id);
    return ids.size;
  } catch {
    return 0;
  }
}

function countDirs(dir: string): number {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).length;
  } catch {
    return 0;
  }
}

export function engineInfo(n: NativeBinding, opts: ResolvedOptions, version: string): EngineInfo {
  const paths = StorePaths.forDriver(opts.root, opts.runroot, opts.storageDriver);
  const u = n.uname();
  return {
    version,
    kernel: { release: u.release, version: u.version, arch: u.machine },
    storageDriver: opts.storageDriver,
    storage: probeOverlay(n, paths.tmp),
    cgroups: hostCgroups(n),
    namespaces: probeNamespaces(n),
    kernelFeatures: probeKernelFeatures(n),
    root: diskUsage(opts.root),
    runroot: diskUsage(opts.runroot),
    images: countImages(paths),
    containers: countDirs(paths.containers),
    network: networkInfo(),
  };
}
