// `gocker exec`: a new process in a running container, through the monitor's exec mode
// (setns needs a single-threaded process; Node is not one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, GockerError } from '../errors';
import { containerActor, containerEvent, eventsDir, EVENTS_FILE } from '../events';
import { native } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { buildExecSpec, mergeEnv, processEnv } from '../spec';
import { effectiveCaps } from '../spec/caps';
import { find, startedProcess } from './lifecycle';
import { HeldSignals, startMonitor, startedOrOver, type Monitor, type SignalTarget } from './monitor';
import { readSpec, writeSpec } from './state';
import { resolveUser } from './user';

export interface ExecOptions {
  container: string;
  command: string[];
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  /** KEY=VALUE entries over the container's (the CLI resolves a bare -e VAR from its environment) */
  env?: string[];
  workdir?: string;
  user?: string;
  privileged?: boolean;
  /**
   * The library's: the command's stdin, stdout and stderr as these fds (-1: none; with tty,
   * stdout has the terminal's output and stderr is unused), not this process's own stdio,
   * and no signal of this process's passed on to the command.
   */
  fds?: [number, number, number];
  /** ends the command: SIGTERM through its monitor (the exec still resolves, with its exit code) */
  signal?: AbortSignal;
  /**
   * Attached (neither detach nor fds): called as its monitor starts, with where the signals
   * the caller passes on go (docker's sig-proxy: the CLI's; the engine handles no signal of its process).
   */
  onSignals?: (target: SignalTarget) => void;
}

export async function execInContainer(paths: StorePaths, store: Store, o: ExecOptions): Promise<{ exitCode: number; error?: string }> {
  const rec = find(paths, o.container);
  // A frozen container would hold the new process frozen too, and the CLI with it.
  if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is paused, unpause the container before exec`, { exitCode: 1 });
  // Running from the moment its monitor wrote the pid; joinable once its command started.
  const target = startedProcess(paths, rec, 'exec');
  if (o.command.length === 0) throw new GockerError('exec: no command specified', { exitCode: 125 });
  const image = store.loadImage(rec.Image);
  const layers = image?.layers.map((l) => l.dir) ?? [];
  // The container's own files come first: /etc/passwd may have changed since it started.
  const dirs = [...layers, rec.GraphDriver.Data.UpperDir];
  const u = resolveUser(o.user ?? rec.Config.User ?? '' ? (o.user ?? rec.Config.User) : '0', dirs);
  const caps = effectiveCaps({ add: rec.HostConfig.CapAdd ?? undefined, drop: rec.HostConfig.CapDrop ?? undefined, privileged: o.privileged || rec.HostConfig.Privileged });
  const run = paths.runContainer(rec.Id);
  const tag = native().randomHex(6);
  // As dockerd's exec: the defaults a run's process gets (TERM by exec's own -t), then -e.
  const env = mergeEnv(processEnv(rec.Config.Env, rec.Config.Hostname, !!o.tty, u.home), o.env ?? []);
  const file = (ext: string): string => path.join(run, `exec-${tag}.${ext}`);
  const spec = buildExecSpec({
    // --ulimit, no-new-privileges and the seccomp filter (compiled for the container's
    // capabilities, even with exec --privileged, as under docker) hold for exec too, and the
    // cgroups it joins are the container's.
    container: readSpec(paths, rec.Id),
    args: o.command, env, cwd: o.workdir ?? (rec.Config.WorkingDir || '/'),
    user: { uid: u.uid, gid: u.gid, additionalGids: u.groups }, caps, tty: !!o.tty,
    // The container's command, verified as the child of this container's own monitor; the
    // monitor checks that again through a pidfd before it joins (a pid recycled meanwhile is
    // some host process, whose namespaces are the host's). And only a container whose command
    // has started (its root is then the container's) and not exited.
    target: { pid: target.pid, parent: target.monitor, startedFile: path.join(run, 'started'), exitFile: path.join(run, 'exit.json') },
    files: { pid: file('pid'), exit: file('json'), started: file('started') },
    detach: !!o.detach, stdin: !!o.interactive,
    // -d: the monitor records the exec_die at its end, as this process is gone by then.
    events: o.detach ? { file: path.join(eventsDir(paths), EVENTS_FILE), actor: containerActor(rec, { execID: tag }) } : undefined,
  });
  const specFile = file('spec');
  writeSpec(specFile, spec);
  // docker's exec events: the command after the action, the exec's id beside the container's.
  const cmd = o.command.join(' ');
  containerEvent(paths, `exec_create: ${cmd}`, rec, { execID: tag });
  const cleanup = (): void => {
    for (const ext of ['spec', 'pid', 'json', 'started']) fs.rmSync(file(ext), { force: true });
  };
  const result = (): { exitCode: number; error: string } | undefined => {
    try {
      return JSON.parse(fs.readFileSync(file('json'), 'utf8')) as { exitCode: number; error: string };
    } catch {
      return undefined;
    }
  };
  const signals = o.detach || o.fds ? undefined : new HeldSignals();
  if (signals) o.onSignals?.(signals);
  const child = startMonitor(['--exec', specFile], {
    stdio: o.detach ? ['ignore', 'ignore', 'ignore'] : o.fds ?? [o.interactive || o.tty ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    // Its own session unless -t, as run's monitor: otherwise a terminal's ^C reaches it
    // directly and again through the proxy. The library's: never in its caller's session.
    detached: !!o.detach || !o.tty || !!o.fds,
  });
  containerEvent(paths, `exec_start: ${cmd}`, rec, { execID: tag });
  if (o.detach) {
    child.unref();
    return waitExecStarted(child, file('started'), result, cleanup);
  }
  // The monitor passes SIGTERM on to the command, as it does a proxied one.
  const abort = (): void => {
    if (child.running) process.kill(child.pid, 'SIGTERM');
  };
  if (o.signal?.aborted) abort();
  else o.signal?.addEventListener('abort', abort);
  try {
    await (signals ? signals.forwardUntilExit(child) : child.exited);
    const exit = result();
    if (!exit) return { exitCode: 125, error: 'exec: the monitor exited without recording an exit status' };
    containerEvent(paths, 'exec_die', rec, { execID: tag, exitCode: String(exit.exitCode) });
    return { exitCode: exit.exitCode, error: exit.error || undefined };
  } finally {
    o.signal?.removeEventListener('abort', abort);
    cleanup();
  }
}

/**
 * exec -d, as docker: back once the command has started, or with why it could not (126, 127).
 * The monitor writes `started` after the execve; if it is over first, the command ran and
 * ended, or never started and left its result.
 */
async function waitExecStarted(child: Monitor, started: string, result: () => { exitCode: number; error: string } | undefined,
  cleanup: () => void): Promise<{ exitCode: number; error?: string }> {
  if (await startedOrOver(started, () => !child.running)) {
    fs.rmSync(started, { force: true });
    return { exitCode: 0 };
  }
  const exit = result();
  if (exit?.error) {
    cleanup();
    return { exitCode: exit.exitCode, error: exit.error };
  }
  if (child.running) throw new GockerError('exec: the command did not start', { exitCode: 125 });
  return { exitCode: 0 };
}
