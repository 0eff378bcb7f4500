// Which cgroup layout the host has, found as runc does: statfs(2) the mount points.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeBinding } from '../native';

export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const TMPFS_MAGIC = 0x01021994;

/** How the host mounts cgroups: v1 only, the v2 tree only, both (systemd's hybrid), or none. */
export type CgroupMode = 'v1' | 'v2' | 'hybrid' | 'none';

/** One mounted cgroup hierarchy. */
export interface CgroupHierarchy {
  /** cgroup v1 or v2 */
  version: 1 | 2;
  /** where it is mounted ('/sys/fs/cgroup/memory', '/sys/fs/cgroup') */
  mountpoint: string;
  /** the controllers it has ('memory'; v2: cgroup.controllers' list) */
  controllers: string[];
  /** v1: the mount's super options less rw/ro ('cpu,cpuacct', 'xattr,name=systemd'), as a container mounts it again */
  options?: string[];
}

/** The host's cgroup hierarchies, as the engine found them. */
export interface CgroupLayout {
  /** which versions are mounted */
  mode: CgroupMode;
  /** the v2 mount: /sys/fs/cgroup on pure v2, /sys/fs/cgroup/unified on hybrid */
  unifiedMount?: string;
  /** every hierarchy mounted, v1's and v2's */
  hierarchies: CgroupHierarchy[];
}

/** One mountinfo line's fields that matter here. */
interface MountEntry {
  mountpoint: string;
  fstype: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    out.push({
      mountpoint: unescapeMount(pre[4] ?? ''),
      fstype: post[0] ?? '',
      superOptions: (post[2] ?? '').split(','),
    });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Detects the layout. `root` lets unit tests point this at a fake tree; `statfsType`
 * is the addon's statfs (the real source of truth for the mode).
 */
export function detectCgroups(
  statfsType: (p: string) => number | undefined,
  mountinfo: string,
  root = '/sys/fs/cgroup',
): CgroupLayout {
  const rootType = statfsType(root);
  const mounts = parseMountinfo(mountinfo);
  const hierarchies: CgroupHierarchy[] = [];
  let mode: CgroupMode;
  let unifiedMount: string | undefined;
  if (rootType === CGROUP2_SUPER_MAGIC) {
    mode = 'v2';
    unifiedMount = root;
  } else {
    const unified = path.join(root, 'unified');
    mode = statfsType(unified) === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'v1';
    if (mode === 'hybrid') unifiedMount = unified;
    for (const m of mounts) {
      if (m.fstype !== 'cgroup') continue;
      const controllers = m.superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
      hierarchies.push({ version: 1, mountpoint: m.mountpoint, controllers, options: m.superOptions.filter((o) => o !== 'rw' && o !== 'ro') });
    }
    if (mode === 'v1' && hierarchies.length === 0) mode = 'none';
  }
  if (unifiedMount) {
    hierarchies.push({ version: 2, mountpoint: unifiedMount, controllers: readControllers(unifiedMount) });
  }
  return { mode, unifiedMount, hierarchies };
}

function readControllers(dir: string): string[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

/** The layout of this host, through the addon's statfs. */
export function hostCgroups(n: NativeBinding): CgroupLayout {
  const statfsType = (p: string): number | undefined => {
    try {
      return n.statfs(p).type;
    } catch {
      return undefined;
    }
  };
  let mountinfo = '';
  try {
    mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    /* no /proc: report no hierarchies */
  }
  return detectCgroups(statfsType, mountinfo);
}
