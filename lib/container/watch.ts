// Waiting for a container to change, without polling: `wait`, `stop` and `logs -f` sleep
// until something that can change the answer has happened, then look again.
//
// What can change it is all on disk or a process: the record and the log (the container's
// directory), the monitor's files (pid, started, exit.json in its runtime directory), the
// directories coming and going (create, rm: their parents), and the monitor's death, which a
// monitor killed with -9 announces in no file at all. inotify (fs.watch) sees the first
// three; a pidfd sees the last. Watches are set before the caller first looks, so a change
// between its look and its sleep is never missed: it wakes the sleep at once.
import * as fs from 'node:fs';
import type { StorePaths } from '../store/paths';
import { native } from '../native';
import { isErrno } from '../errors';

/** How the watch finds the container's monitor: its recorded pid, and whether a pid is one. */
export interface MonitorProbe {
  pid(): number;
  alive(pid: number): boolean;
}

export class ContainerWatch {
  private readonly watchers = new Map<string, { ino: number; watcher: fs.FSWatcher }>();
  private readonly dirs: string[];
  private monitor?: { pid: number; fd: number };
  private changed = false;
  private wake?: () => void;
  private closed = false;

  /** ignore: names in the watched directories whose changes are not this watch's concern */
  constructor(paths: StorePaths, id: string, private readonly probe: MonitorProbe, private readonly ignore?: (name: string) => boolean) {
    this.dirs = [paths.containers, paths.runContainers, paths.container(id), paths.runContainer(id)];
    this.arm();
  }

  /**
   * Resolves true once something changed since the last call (at once if it already has),
   * false when ms pass first or signal aborts.
   */
  async next(ms = Infinity, signal?: AbortSignal): Promise<boolean> {
    if (this.closed) return false;
    if (!this.changed && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = ms === Infinity ? undefined : setTimeout(done, Math.max(0, ms));
        const abort = (): void => done();
        signal?.addEventListener('abort', abort, { once: true });
        function done(): void {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    const was = this.changed;
    this.changed = false;
    // A directory made or replaced meanwhile (start makes the runtime directory), a new
    // monitor (a restart): watched from now on.
    if (!this.closed) this.arm();
    return was;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.dropMonitor();
    this.wake?.();
  }

  private fire = (_event?: unknown, name?: unknown): void => {
    if (typeof name === 'string' && this.ignore?.(name)) return;
    this.changed = true;
    this.wake?.();
  };

  private arm(): void {
    for (const dir of this.dirs) {
      const ino = inode(dir);
      const had = this.watchers.get(dir);
      if (had && had.ino === ino) continue;
      had?.watcher.close();
      this.watchers.delete(dir);
      if (ino === undefined) continue;
      try {
        const watcher = fs.watch(dir, { persistent: true }, this.fire);
        // Its directory removed (rm): an event, and the watch is gone with it.
        watcher.on('error', () => this.fire());
        this.watchers.set(dir, { ino, watcher });
        // Made or replaced since it was last looked at: that is a change too.
        if (had) this.changed = true;
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    }
    this.armMonitor();
  }

  private armMonitor(): void {
    const pid = this.probe.pid();
    if (this.monitor?.pid === pid) return;
    this.dropMonitor();
    if (!pid) return;
    let fd: number;
    try {
      fd = native().pidfdOpen(pid);
    } catch (e) {
      if (isErrno(e, 'ESRCH')) {
        this.fire();
        return;
      }
      throw e;
    }
    // Checked after the pidfd is held: the process it names is this monitor, not a later
    // holder of a recycled pid. Gone already: its exit is a change.
    if (!this.probe.alive(pid)) {
      fs.closeSync(fd);
      this.fire();
      return;
    }
    this.monitor = { pid, fd };
    native().watchPidfd(fd, () => {
      if (this.monitor?.fd === fd) this.monitor = undefined;
      this.fire();
    });
  }

  private dropMonitor(): void {
    if (!this.monitor) return;
    native().unwatchPidfd(this.monitor.fd);
    this.monitor = undefined;
  }
}

function inode(dir: string): number | undefined {
  return fs.statSync(dir, { throwIfNoEntry: false })?.ino;
}

/** f with a watch on the container, closed after, whatever f does. */
export async function watching<T>(paths: StorePaths, id: string, probe: MonitorProbe, f: (w: ContainerWatch) => Promise<T>): Promise<T> {
  const w = new ContainerWatch(paths, id, probe);
  try {
    return await f(w);
  } finally {
    w.close();
  }
}
