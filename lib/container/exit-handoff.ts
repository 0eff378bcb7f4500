// The exit handoff: what the monitor's exit command does (exit-command.ts: --rm's removal, the
// exit recorded, the restart policy), done instead by the library process that launched the
// container, while it lives. That process has the engine loaded already; the exit command is
// a Node started for one exit (most of the CPU an in-process `run --rm` costs).
//
// At each launch the engine makes a socket pair, passes one end to the monitor
// (io.gocker.launch.exit-handoff-fd) and watches its own, unref'd: the watch never keeps a
// program that is otherwise done from ending, and its end closing with it is the monitor's
// cue to run the exit command as before. At the exit, when the monitor would run the exit
// command, it says 'e' on the socket; this process answers 'a'; the monitor says 'k', and the
// exit is this process's from then on (its work under the container's lock, as the exit
// command's); it says 'd' once done. No answer within the monitor's wait (an event loop held
// up), the process gone or an error in the work (the socket closed without 'd'), and the
// monitor runs the exit command on the same pid: the work is idempotent, as it is between a
// CLI that saw the exit and that command, so a part done here is not done wrong twice. This
// side acts on 'k' alone: an 'a' the monitor gave up on is never acted on as well.
// The CLI (a process that ends with its command) takes no handoff: GockerOptions.exitHandoff.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../errors';
import { log } from '../log';
import { native } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';
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

/**
 * The exit command's work, in whichever process does it: removal (--rm, as `rm -v`; a
 * container removed meanwhile by its user is nothing left to do), or the exit recorded and a
 * restart policy applied. restarter: the pid recorded as the one that restarts the container
 * (restart.ts applyPolicyAtExit): the exit command's own, or, handed over, the monitor's,
 * which stays until this is done and becomes the exit command if this process goes first.
 */
export async function exitWork(paths: StorePaths, id: string, removal: boolean, restarter: number, store?: Store): Promise<void> {
  if (removal) {
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
  await onContainerExit(paths, store ?? new Store(paths), id, restarter);
}

/** The handoffs this process holds, by container: the latest launch's of each. */
const held = new Map<string, ExitHandoff>();

/**
 * Container.wait() has seen the container exit: this process stays until its monitor has
 * offered the exit (a few ms after exit.json) and it is handled, rather than end at once and
 * leave it to a Node started for it. A monitor with nothing to hand over ends, and so does
 * the hold.
 */
export function holdExitHandoff(paths: StorePaths, id: string): void {
  held.get(id)?.hold(paths);
}

/** This process's end of one launch's handoff socket. */
export class ExitHandoff {
  private readonly ours: number;
  /** the monitor's end, until it has been passed on (spawned with it) */
  private theirs: number | undefined;
  private step: 'offered' | 'accepted' | 'taken' | 'closed' = 'offered';
  private monitor = 0;

  constructor(private readonly paths: StorePaths, private readonly store: Store, private readonly id: string, private readonly removal: boolean) {
    [this.ours, this.theirs] = native().socketPair();
  }

  /** The fd to give the monitor (its copy is made by the spawn). */
  get monitorEnd(): number {
    return this.theirs!;
  }

  /** The monitor (pid) has its end: ours alone is kept, and watched for the exit. */
  passed(monitor: number): void {
    this.closeTheirs();
    this.monitor = monitor;
    native().watchReadable(this.ours, () => this.readable());
    held.set(this.id, this);
  }

  /** The watch keeps the program alive, once this run's exit is written (holdExitHandoff). */
  hold(paths: StorePaths): void {
    // Not a created container's, which a wait finds not running before it ever ran.
    if (this.step === 'offered' && fs.existsSync(path.join(paths.runContainer(this.id), 'exit.json'))) native().refReadable(this.ours, true);
  }

  /** No handoff (the launch failed, or the monitor has gone): both ends closed. */
  close(): void {
    this.closeTheirs();
    if (held.get(this.id) === this) held.delete(this.id);
    // Taken: the work closes it when done.
    if (this.step === 'closed' || this.step === 'taken') return;
    native().unwatchReadable(this.ours);
    this.step = 'closed';
    fs.closeSync(this.ours);
  }

  private closeTheirs(): void {
    if (this.theirs !== undefined) fs.closeSync(this.theirs);
    this.theirs = undefined;
  }

  private say(c: 'a' | 'd'): boolean {
    try {
      return fs.writeSync(this.ours, c) === 1;
    } catch {
      return false; // EPIPE: the monitor has gone on (its exit command), or been killed
    }
  }

  private readable(): void {
    const b = Buffer.alloc(1);
    let n: number;
    try {
      n = fs.readSync(this.ours, b, 0, 1, null);
    } catch (e) {
      if (isErrno(e, 'EAGAIN')) return;
      n = 0;
    }
    const c = n === 1 ? String.fromCharCode(b[0]) : '';
    if (this.step === 'offered' && c === 'e' && this.say('a')) {
      // The monitor's 'k' (or its giving up) follows at once: the program stays for it.
      this.step = 'accepted';
      native().refReadable(this.ours, true);
    } else if (this.step === 'accepted' && c === 'k') {
      // The work keeps the program alive by what it waits on, as any of its calls does.
      this.step = 'taken';
      native().unwatchReadable(this.ours);
      if (held.get(this.id) === this) held.delete(this.id);
      void this.work();
    } else {
      // The end (the monitor exited without an exit to hand over, or gave up on our answer),
      // or a byte out of turn: nothing of the exit is ours.
      this.close();
    }
  }

  private async work(): Promise<void> {
    try {
      await exitWork(this.paths, this.id, this.removal, this.monitor, this.store);
      this.say('d');
    } catch (e) {
      // Closed without 'd': the monitor runs the exit command, which tries again (and logs
      // what it cannot do, as without the handoff).
      log.debug('exit handoff: the work failed, left to the exit command', { id: this.id.slice(0, 12), error: (e as Error).message });
    } finally {
      this.step = 'closed';
      fs.closeSync(this.ours);
    }
  }
}
