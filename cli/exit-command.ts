// What gocker-monitor runs once a container with a restart policy has exited and no CLI is
// there (podman's `container cleanup`): `node exit-command.js --root R --runroot RR ID`. The
// monitor runs it when the policy's marker is there (restart.ts markPolicy), which may be
// stale (`update --restart no` while it ran): the record is read first, and the engine
// loaded only for a policy.
// Not a command of the CLI's: nothing a user would type, and it need not load the CLI.
import * as fs from 'node:fs';
import type { ContainerRecord } from '../lib/container/record';
import { StorePaths } from '../lib/store/paths';
import { recordFile } from '../lib/store/records';

/** Whether the record names a policy that restarts on some exit (a record gone or unreadable: no). */
function hasPolicyNow(paths: StorePaths, id: string): boolean {
  try {
    const rec = JSON.parse(fs.readFileSync(recordFile(paths, id), 'utf8')) as ContainerRecord;
    return !['', 'no', undefined].includes(rec.HostConfig?.RestartPolicy?.Name);
  } catch {
    return false;
  }
}

async function main(args: string[]): Promise<void> {
  const [rootFlag, root, runrootFlag, runroot, id] = args;
  if (rootFlag !== '--root' || runrootFlag !== '--runroot' || !root || !runroot || !/^[0-9a-f]{64}$/.test(id ?? '')) {
    throw new Error('usage: exit-command.js --root ROOT --runroot RUNROOT CONTAINER-ID');
  }
  const paths = new StorePaths(root, runroot);
  if (!hasPolicyNow(paths, id)) return;
  const { onContainerExit } = await import('../lib/container/restart');
  const { Store } = await import('../lib/store');
  await onContainerExit(paths, new Store(paths), id);
}

main(process.argv.slice(2)).catch(async (e: unknown) => {
  // No one reads its stderr (the monitor's are /dev/null when detached): the log is where
  // it goes, and the container is left exited, as reconcile records it.
  const [{ log }, { errorLine }] = await Promise.all([import('../lib/log'), import('../lib/errors')]);
  log.warn(`exit command: ${errorLine(e)}`);
  process.exitCode = 1;
});
