// The helper executables (gocker-monitor, gocker-init) and how the CLI starts and watches a
// monitor: through the addon's posix_spawn and pidfd, not node:child_process, whose load
// (net, stream, dgram) and fork of the whole Node process were a fifth of a container start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../errors';
import { native, packageRoot } from '../native';

/** A helper executable built by binding.gyp next to the addon. */
export function helperPath(name: 'gocker-monitor' | 'gocker-init'): string {
  const p = path.join(packageRoot(), 'build', 'Release', name);
  if (!fs.existsSync(p)) throw new GockerError(`${p} is not built: run \`npm run build:native\` (node-gyp rebuild) in the gocker package`);
  return p;
}

export interface MonitorExit {
  /** the exit status, or null when killed by a signal */
  code: number | null;
  signal: number | null;
}

export interface Monitor {
  readonly pid: number;
  /** false from the moment it has been reaped: its pid may then be someone else's */
  readonly running: boolean;
  readonly exited: Promise<MonitorExit>;
  /** From now on this process may end while the monitor runs on (run -d, exec -d). */
  unref(): void;
}

/**
 * Starts a monitor. stdio: 'inherit' passes this process's fd, 'ignore' gives /dev/null, a
 * number passes that fd (a pipe the library reads, say); extraFds become its fds 3 and on.
 * detached: in a session of its own (setsid).
 */
export function startMonitor(args: string[], o: { stdio: Array<'inherit' | 'ignore' | number>; detached: boolean; extraFds?: number[] }): Monitor {
  const file = helperPath('gocker-monitor');
  const fds = [0, 1, 2].map((i) => { const s = o.stdio[i]; return s === 'inherit' ? i : typeof s === 'number' ? s : -1; }).concat(o.extraFds ?? []);
  const n = native();
  const pid = n.spawn(file, [file, ...args], fds, o.detached);
  let running = true;
  const exited = new Promise<MonitorExit>((resolve) => {
    n.watchExit(pid, (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return { pid, get running() { return running; }, exited, unref: () => n.unrefExit(pid) };
}

/**
 * Waits for a monitor's `started` file (written once the command's execve succeeded) until
 * over() says nothing more will come; true when it is there. `run -d` and `exec -d` return on
 * it. Often at first: a command is usually under way 2 to 4 ms after its release.
 */
export async function startedOrOver(startedFile: string, over: () => boolean): Promise<boolean> {
  for (let i = 0; i < 4000; i++) {
    if (fs.existsSync(startedFile)) return true;
    if (over()) return fs.existsSync(startedFile);
    await new Promise((r) => setTimeout(r, i < 20 ? 1 : 5));
  }
  return false;
}

/**
 * Where a caller sends the signals it passes on to a foreground container: docker's
 * sig-proxy, which is the CLI's (cli/sigproxy.ts). The engine installs no handler of the
 * process's own: what a library's caller does with its signals is its own business.
 */
export interface SignalTarget {
  /** Passes sig on to the container's process (or exec's command) through its monitor; nothing once that has exited. */
  kill(sig: NodeJS.Signals): void;
}

/**
 * A foreground monitor's SignalTarget: signals held until the monitor can take them (the
 * container released: one that arrives before it runs is delivered then, not lost), then
 * sent to the monitor, which passes them to the container, until it exits.
 */
export class HeldSignals implements SignalTarget {
  private child?: Monitor;
  private readonly pending: NodeJS.Signals[] = [];

  kill(sig: NodeJS.Signals): void {
    if (this.child) this.send(sig);
    else this.pending.push(sig);
  }

  private send(sig: NodeJS.Signals): void {
    // Only while it runs: reaped, its pid may be someone else's.
    if (!this.child?.running) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      /* gone */
    }
  }

  /** Sends to child (what came before first) until it exits. */
  async forwardUntilExit(child: Monitor): Promise<MonitorExit> {
    this.child = child;
    for (const s of this.pending.splice(0)) this.send(s);
    return child.exited;
  }
}
