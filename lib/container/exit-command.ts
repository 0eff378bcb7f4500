// What gocker-monitor runs once a container has exited and no CLI is there (podman's
// `container cleanup`), a program of the engine's own, not of the CLI's, so that a container
// a library user ran with `rm` or a restart policy is cleaned up or restarted the same way:
//   node exit-command.js --root R --runroot RR --remove ID   (--rm: the container removed, with its anonymous volumes)
//   node exit-command.js --root R --runroot RR ID            (the exit recorded; a restart policy applied)
// The monitor runs the second when the policy's marker is there (restart.ts markPolicy),
// which may be stale (`update --restart no` while it ran): the record is read first, and the
// restart loaded only for a policy. It runs it too when the container has what only the
// engine takes down at its exit (its published ports' rules: state.ts EXIT_RELEASE_MARKER),
// which then goes at the exit, as dockerd takes it down on the exit event, not when a command
// next sees the exit. (The monitor removes the cgroup itself: an exit without ports starts no
// process.)
import * as fs from 'node:fs';
import type { ContainerRecord } from './record';
import { StorePaths } from '../store/paths';
import { recordFile } from '../store/records';

/** Whether the record names a policy that restarts on some exit (a record gone or unreadable: no). */
function hasPolicyNow(paths: StorePaths, id: string): boolean {
  try {
    const rec = JSON.parse(fs.readFileSync(recordFile(paths, id), 'utf8')) as ContainerRecord;
    return !['', 'no', undefined].includes(rec.HostConfig?.RestartPolicy?.Name);
  } catch {
    return false;
  }
}

/**
 * The exit recorded as the first command to see it records it (lifecycle.ts reconcile, which
 * takes down what the container held while it ran), under the container's lock, so that a
 * CLI that saw the exit too (start -a, stop) does it once with this process. A container
 * started again meanwhile is running, and keeps what its new run made; one removed meanwhile
 * (its runtime directory goes first) is left alone, and no lock file is made for it again.
 */
async function recordExit(paths: StorePaths, id: string): Promise<void> {
  if (!fs.existsSync(paths.runContainer(id))) return;
  const [{ lockContainer }, { reconcile }, { loadRecord }] = await Promise.all([import('../store/records'), import('./lifecycle'), import('./state')]);
  // Removed while this waited: no lock, and none made, as its removal leaves none.
  const release = await lockContainer(paths, id);
  if (!release) return;
  try {
    const rec = loadRecord(paths, id);
    if (rec) reconcile(paths, rec);
  } finally {
    release();
  }
}

async function main(args: string[]): Promise<void> {
  const [rootFlag, root, runrootFlag, runroot, ...rest] = args;
  const removal = rest[0] === '--remove';
  const id = removal ? rest[1] : rest[0];
  if (rootFlag !== '--root' || runrootFlag !== '--runroot' || !root || !runroot || rest.length !== (removal ? 2 : 1) || !/^[0-9a-f]{64}$/.test(id ?? '')) {
    throw new Error('usage: exit-command.js --root ROOT --runroot RUNROOT [--remove] CONTAINER-ID');
  }
  const paths = new StorePaths(root, runroot);
  if (removal) {
    // As `rm -v`: a container removed meanwhile (by its user) is nothing left to do.
    const { remove } = await import('./lifecycle');
    const { NoSuchContainerError } = await import('../errors');
    try {
      await remove(paths, id, false, true);
    } catch (e) {
      if (!(e instanceof NoSuchContainerError)) throw e;
    }
    return;
  }
  if (!hasPolicyNow(paths, id)) {
    await recordExit(paths, id);
    return;
  }
  const { onContainerExit } = await import('./restart');
  const { Store } = await import('../store');
  await onContainerExit(paths, new Store(paths), id);
}

main(process.argv.slice(2)).catch(async (e: unknown) => {
  // No one reads its stderr (the monitor's are /dev/null when detached): the log is where
  // it goes, and the container is left exited, as reconcile records it.
  const [{ log }, { errorLine }] = await Promise.all([import('../log'), import('../errors')]);
  log.warn(`exit command: ${errorLine(e)}`);
  process.exitCode = 1;
});
