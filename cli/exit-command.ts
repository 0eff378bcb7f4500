// What gocker-monitor runs once a container with a restart policy has exited and no CLI is
// there (podman's `container cleanup`): `node exit-command.js --root R --runroot RR ID`.
// Not a command of the CLI's: nothing a user would type, and it need not load the CLI.
import { onContainerExit } from '../lib/container/restart';
import { errorLine } from '../lib/errors';
import { log } from '../lib/log';
import { Store } from '../lib/store';
import { StorePaths } from '../lib/store/paths';

async function main(args: string[]): Promise<void> {
  const [rootFlag, root, runrootFlag, runroot, id] = args;
  if (rootFlag !== '--root' || runrootFlag !== '--runroot' || !root || !runroot || !/^[0-9a-f]{64}$/.test(id ?? '')) {
    throw new Error('usage: exit-command.js --root ROOT --runroot RUNROOT CONTAINER-ID');
  }
  const paths = new StorePaths(root, runroot);
  await onContainerExit(paths, new Store(paths), id);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  // No one reads its stderr (the monitor's are /dev/null when detached): the log is where
  // it goes, and the container is left exited, as reconcile records it.
  log.warn(`exit command: ${errorLine(e)}`);
  process.exitCode = 1;
});
