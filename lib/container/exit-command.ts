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
// process.) A library process that launched the container and is still there does the same
// work itself, the exit handed over to it (exit-handoff.ts); this command is the fallback.
import { StorePaths } from '../store/paths';
import { exitWork } from './exit-handoff';

async function main(args: string[]): Promise<void> {
  const [rootFlag, root, runrootFlag, runroot, ...rest] = args;
  const removal = rest[0] === '--remove';
  const id = removal ? rest[1] : rest[0];
  if (rootFlag !== '--root' || runrootFlag !== '--runroot' || !root || !runroot || rest.length !== (removal ? 2 : 1) || !/^[0-9a-f]{64}$/.test(id ?? '')) {
    throw new Error('usage: exit-command.js --root ROOT --runroot RUNROOT [--remove] CONTAINER-ID');
  }
  // This process is the restarter a policy records (the monitor's pid, which it execs).
  await exitWork(new StorePaths(root, runroot), id, removal, process.pid);
}

main(process.argv.slice(2)).catch(async (e: unknown) => {
  // No one reads its stderr (the monitor's are /dev/null when detached): the log is where
  // it goes, and the container is left exited, as reconcile records it.
  const [{ log }, { errorLine }] = await Promise.all([import('../log'), import('../errors')]);
  log.warn(`exit command: ${errorLine(e)}`);
  process.exitCode = 1;
});
