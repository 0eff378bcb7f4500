// A container's teardown: everything it had, taken down when it is removed (rm, --rm, prune)
// or when a run fails before its container could start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerCgroup } from '../cgroups';
import { containerEvent } from '../events';
import { MNT_DETACH, native } from '../native';
import { unlinkIfThere } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { releaseVolumes, undoMounts, type ResolvedMounts } from './mounts';
import { releaseName } from './names';
import type { ContainerRecord } from './record';
import { containerLock } from './state';

/**
 * Everything a stopped container had: addresses and port rules, cgroup, writable layer and
 * record, runtime dir, name, lock, its hold on its volumes (with removeVolumes, its anonymous
 * volumes too: rm -v). The runtime dir goes on an addon worker thread while the cgroup is
 * taken down; the record's directory only once the cgroup is gone, so a cgroup that cannot be
 * removed leaves a container that `rm` can be asked to remove again.
 */
export async function removeContainer(paths: StorePaths, rec: ContainerRecord, cgroup: ContainerCgroup, removeVolumes = false): Promise<void> {
  // Its addresses and port rules first: the record, which names them, is still there if this fails.
  if (Object.values(rec.NetworkSettings?.Networks ?? {}).some((e) => (e as { NetworkID?: string }).NetworkID)) {
    await (await import('./network')).releaseNetworking(paths, rec);
  }
  // --ipc shareable: its /dev/shm, which its monitor unmounts when it ends, unless it was killed.
  if (rec.HostConfig.IpcMode === 'shareable') {
    try {
      native().umount(path.join(paths.runContainer(rec.Id), 'shm'), MNT_DETACH);
    } catch {
      /* not mounted: its monitor ended as it should */
    }
  }
  const [runDir, cg] = await Promise.allSettled([native().removeTree(paths.runContainer(rec.Id)), cgroup.destroy()]);
  if (cg.status === 'rejected') throw cg.reason;
  await native().removeTree(paths.container(rec.Id));
  if (runDir.status === 'rejected') throw runDir.reason;
  // Once its directory is gone: until then the container counts as a user of its volumes.
  await releaseVolumes(paths, rec, removeVolumes);
  releaseName(paths, rec.Name, rec.Id);
  unlinkIfThere(containerLock(paths, rec.Id));
  containerEvent(paths, 'destroy', rec);
}

/**
 * A run that failed while its container was being prepared (no record, no cgroup yet): its
 * directory, and once its name was claimed its runtime dir, name and volumes.
 */
export async function abandonPrepared(paths: StorePaths, id: string, claimed?: { name: string; mounts?: ResolvedMounts }): Promise<void> {
  fs.rmSync(paths.container(id), { recursive: true, force: true });
  if (!claimed) return;
  fs.rmSync(paths.runContainer(id), { recursive: true, force: true });
  releaseName(paths, claimed.name, id);
  if (claimed.mounts) await undoMounts(paths, id, claimed.mounts);
}
