// A container's teardown: one ordered list of steps that every path runs, whether the
// container is removed (rm, rm -f, --rm's exit, prune, a --rm container whose monitor was
// lost), given up while a run sets it up, or has only exited (the steps marked atExit).
//
// Each step is idempotent: what it takes down may be gone already (an earlier teardown that
// stopped half way, a monitor that cleaned up after itself), and then it does nothing. A step
// that fails does not stop the others; its failure is collected and reported with the rest.
// Only the record waits for them: it is what `rm` finds the container by, so it goes once
// every step before it has succeeded, and a container whose teardown failed stays, marked
// dead (as docker's), for `rm` to finish once the cause is gone. What follows the record (its
// volumes, name, lock, the destroy event) needs it gone first: a volume counts a container as
// its user, and a name as taken, while the container's directory exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cgroupManager, type ContainerCgroup } from '../cgroups';
import { GockerError, isErrno } from '../errors';
import { containerEvent } from '../events';
import { log } from '../log';
import { MNT_DETACH, UMOUNT_NOFOLLOW, native } from '../native';
import { unlinkIfThere } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { recordFile } from '../store/records';
import { releaseVolumes, undoMounts, type ResolvedMounts } from './mounts';
import { releaseName } from './names';
import { hasBridgeNetworks, releaseNetworking, removePublishedPorts } from './network';
import type { ContainerRecord } from './record';
import { containerLock, loadRecord, saveRecord } from './state';

/** What a teardown works from. */
interface Doomed {
  paths: StorePaths;
  id: string;
  /** the container's record; none for a run given up before it had one */
  rec?: ContainerRecord;
  /** the name it claimed (the record's, when there is one) */
  name?: string;
  /** its cgroup as the caller has it (the record's CgroupPath otherwise) */
  cgroup?: ContainerCgroup;
  /** rm -v, --rm: its anonymous volumes go too */
  removeVolumes: boolean;
  /** a run given up before its record: the volumes its mounts were resolved to */
  mounts?: ResolvedMounts;
}

interface Step {
  /** what it takes down, as its failure names it */
  what: string;
  /** run only once the record is gone */
  afterRecord?: boolean;
  /** at a removal */
  run(d: Doomed): Promise<void> | void;
  /** when the container exits, what of it goes then (reconcile, which is synchronous, runs it) */
  atExit?(d: Doomed): void;
}

/**
 * The steps in order; the steps of one stage run together (the runtime directory's removal,
 * on an addon worker thread, while the cgroup is taken down).
 */
const STAGES: Step[][] = [
  // The port rules and addresses first: they are found through the record's network settings.
  [{ what: 'port rules', run: removePortRules, atExit: removePortRules }],
  [{
    what: 'addresses', run: async (d) => {
      if (d.rec && hasBridgeNetworks(d.rec)) await releaseNetworking(d.paths, d.rec);
    },
  }],
  // Before the runtime directory, which holds them: a removal never empties a mount.
  [{ what: 'mounts', run: (d) => unmountUnder(d.paths.runContainer(d.id)) }],
  [
    // At the exit too, as runc's delete: a stopped container holds no cgroup (a store
    // deleted with its containers still in it left theirs behind for good). Its monitor
    // removes it first, before it records the exit; this is for one that could not.
    { what: 'cgroup', run: async (d) => cgroupOf(d)?.destroy(), atExit: (d) => cgroupOf(d)?.release() },
    { what: 'runtime directory', run: (d) => native().removeTree(d.paths.runContainer(d.id)) },
  ],
  [{ what: 'writable layer and record', run: (d) => removeContainerDir(d.paths, d.id) }],
  [{ what: 'volumes', afterRecord: true, run: releaseVolumesOf }],
  [{
    what: 'name', afterRecord: true, run: async (d) => {
      const name = d.name ?? d.rec?.Name;
      if (name !== undefined) await releaseName(d.paths, name, d.id);
    },
  }],
  [{ what: 'lock', afterRecord: true, run: (d) => unlinkIfThere(containerLock(d.paths, d.id)) }],
  [{
    what: 'destroy event', afterRecord: true, run: (d) => {
      if (d.rec) containerEvent(d.paths, 'destroy', d.rec);
    },
  }],
];

function removePortRules(d: Doomed): void {
  if (d.rec) removePublishedPorts(d.rec);
}

const cgroupOf = (d: Doomed): ContainerCgroup | undefined => d.cgroup ?? (d.rec && cgroupManager().open(d.rec.CgroupPath));

interface Failure {
  what: string;
  err: unknown;
}

async function runSteps(d: Doomed, which: (s: Step) => boolean): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const stage of STAGES) {
    const steps = stage.filter(which).filter((s) => !s.afterRecord || !fs.existsSync(recordFile(d.paths, d.id)));
    const results = await Promise.allSettled(steps.map(async (s) => s.run(d)));
    results.forEach((r, i) => r.status === 'rejected' && failures.push({ what: steps[i].what, err: r.reason }));
  }
  return failures;
}

/**
 * Everything a container had, taken down (removeVolumes: its anonymous volumes too, rm -v).
 * Throws, once every step has been tried, what failed; the container is then left dead.
 */
export async function removeContainer(paths: StorePaths, rec: ContainerRecord, cgroup: ContainerCgroup, removeVolumes = false): Promise<void> {
  const failures = await runSteps({ paths, id: rec.Id, rec, cgroup, removeVolumes }, () => true);
  if (!failures.length) return;
  // Dead, as docker leaves a container whose removal failed: `rm` (not start) is what it takes.
  const now = loadRecord(paths, rec.Id);
  if (now) {
    try {
      saveRecord(paths, { ...now, State: { ...now.State, Status: 'dead', Running: false, Paused: false, Restarting: false, Pid: 0 } });
    } catch (e) {
      failures.push({ what: 'record', err: e });
    }
  }
  const what = failures.map((f) => `${f.what}: ${(f.err as Error).message ?? String(f.err)}`).join('; ');
  throw new GockerError(`could not remove container ${rec.Id}: ${what}`, { exitCode: 1, cause: failures[0].err });
}

/**
 * A container given up by the run or create that made it (with its record: launched and
 * abandoned; without: still being prepared, then its name and resolved mounts). Never throws:
 * the caller's own error is what its user needs; what could not be taken down is logged, and
 * a container left dead is for `rm`.
 */
export async function abandonContainer(paths: StorePaths, c: { id: string; rec?: ContainerRecord; name?: string; cgroup?: ContainerCgroup; mounts?: ResolvedMounts }): Promise<void> {
  try {
    if (c.rec) await removeContainer(paths, c.rec, c.cgroup ?? cgroupManager().open(c.rec.CgroupPath), true);
    else for (const f of await runSteps({ paths, ...c, removeVolumes: true }, () => true)) log.warn(`could not remove the ${f.what} of container ${c.id.slice(0, 12)}: ${(f.err as Error).message}`);
  } catch (e) {
    log.warn((e as Error).message);
  }
}

/** The container has exited: what it had only while it ran (its published ports' rules, its cgroup). */
export function containerExited(paths: StorePaths, rec: ContainerRecord): void {
  const d: Doomed = { paths, id: rec.Id, rec, removeVolumes: false };
  for (const s of STAGES.flat()) {
    if (!s.atExit) continue;
    try {
      s.atExit(d);
    } catch (e) {
      log.warn(`could not remove the ${s.what} of container ${rec.Id.slice(0, 12)}: ${(e as Error).message}`);
    }
  }
}

/** A volume counts the container as its user until its directory is gone (store/volumes.ts). */
async function releaseVolumesOf(d: Doomed): Promise<void> {
  if (d.rec) await releaseVolumes(d.paths, d.rec, d.removeVolumes);
  else if (d.mounts) await undoMounts(d.paths, d.id, d.mounts);
}

/**
 * The container's directory, its record last: a removal cut short (a mount left in its
 * writable layer, which removeTree refuses to empty) leaves the record, by which `rm` finds
 * the container again.
 */
async function removeContainerDir(paths: StorePaths, id: string): Promise<void> {
  const dir = paths.container(id);
  const record = path.basename(recordFile(paths, id));
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    throw e;
  }
  // Files at once; the trees (upper, work) on the addon's worker threads, together.
  const trees = entries.filter((e) => e.name !== record && e.isDirectory());
  for (const e of entries) if (e.name !== record && !e.isDirectory()) unlinkIfThere(path.join(dir, e.name));
  const removed = await Promise.allSettled(trees.map((e) => native().removeTree(path.join(dir, e.name))));
  const failed = removed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  unlinkIfThere(path.join(dir, record));
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

/**
 * The mounts gocker made on the host under a container's runtime directory (an --ipc
 * shareable /dev/shm, cp's and export's views of a stopped container, a volume's copy-up)
 * and a killed process left behind: deepest first, detached.
 */
function unmountUnder(dir: string): void {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  // The mount point is the fifth field, with space, tab, newline and backslash in octal.
  const points = info.split('\n').map((l) => l.split(' ')[4]).filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      // Not through a link: what is at the path must be the mount listed, not where it points.
      native().umount(p, MNT_DETACH | UMOUNT_NOFOLLOW);
    } catch (e) {
      if (!isErrno(e, 'EINVAL') && !isErrno(e, 'ENOENT')) throw e;
    }
  }
}
