// `gocker exec`: a new process in a running container, through the monitor's exec mode
// (setns needs a single-threaded process; Node is not one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, GockerError } from '../errors';
import { escapeNonPrint } from '../format/quote';
import { containerActor, containerEvent, eventsDir, EVENTS_FILE } from '../events';
import { native } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { buildExecSpec, mergeEnv, processEnv } from '../spec';
import { effectiveCaps } from '../spec/caps';
import { connectAttach, parseDetachKeys, type Attachment } from './attach';
import { find, startedProcess } from './lifecycle';
import { HeldSignals, startMonitor, startedOrOver, type Monitor, type SignalTarget } from './monitor';
import { readSpec, writeSpec } from './state';
import { resolveUser } from './user';
import type { ContainerRecord } from './record';

export interface ExecOptions {
  container: string;
  /** the container as the caller named it, which a paused container's refusal says (default: container) */
  named?: string;
  /** the container's record as a lookup just read it (the handle's): not read again */
  record?: ContainerRecord;
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
   * exec -t in the foreground (the CLI's): the command's terminal through a socket its
   * monitor serves, as a container's, so that the detach keys leave the command running.
   * onAttached: called once this process is a client, before the command runs.
   */
  attach?: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; detachKeys?: string; onAttached?: (a: Attachment) => void };
  /**
   * Attached (neither detach nor fds): called as its monitor starts, with where the signals
   * the caller passes on go (docker's sig-proxy: the CLI's; the engine handles no signal of its process).
   */
  onSignals?: (target: SignalTarget) => void;
}

/** How an exec ended: its exit code, why it could not start, or the detach keys. */
export interface ExecResult {
  exitCode: number;
  error?: string;
  /** exec -t left with the detach keys: the command runs on */
  detached?: boolean;
}

/** runc's refusal of an exec as docker's CLI says it, by way of containerd and dockerd. */
const runtimeExecFailed = (why: string): string => `OCI runtime exec failed: exec failed: ${why}: unknown`;

export async function execInContainer(paths: StorePaths, store: Store, o: ExecOptions): Promise<ExecResult> {
  const rec = o.record ?? find(paths, o.container);
  const viaSocket = !!o.attach && !!o.tty && !o.detach && !o.fds;
  // Refused before anything starts, in docker's words.
  if (viaSocket) parseDetachKeys(o.attach!.detachKeys);
  // A frozen container would hold the new process frozen too, and the CLI with it. Named as
  // the caller named it: dockerd's refusal says the name it was asked for, not the id.
  if (rec.State.Paused) throw new ConflictError(`Container ${o.named ?? o.container} is paused, unpause the container before exec`, { exitCode: 1 });
  // Running from the moment its monitor wrote the pid; joinable once its command started.
  const target = startedProcess(paths, rec, 'exec');
  if (o.command.length === 0) throw new GockerError('exec: no command specified', { exitCode: 125 });
  // dockerd passes -w on as given and runc refuses a relative one (validateProcessSpec), which
  // docker's CLI says as the runtime's error: bare with 126 attached, as the daemon's refusal
  // of the start with -d. Said here, before the monitor is asked (its spec check would say our
  // spec file's path, twice) and before anything of the exec is made.
  if (o.workdir && !o.workdir.startsWith('/')) {
    const refused = runtimeExecFailed('Cwd must be an absolute path');
    if (o.detach) throw new GockerError(refused, { exitCode: 1 });
    return { exitCode: 126, error: refused };
  }
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
    args: o.command, env, cwd: o.workdir || (rec.Config.WorkingDir || '/'),
    user: { uid: u.uid, gid: u.gid, additionalGids: u.groups }, caps, tty: !!o.tty,
    // The container's command, verified as the child of this container's own monitor; the
    // monitor checks that again through a pidfd before it joins (a pid recycled meanwhile is
    // some host process, whose namespaces are the host's). And only a container whose command
    // has started (its root is then the container's) and not exited.
    target: { pid: target.pid, parent: target.monitor, startedFile: path.join(run, 'started'), exitFile: path.join(run, 'exit.json') },
    files: { pid: file('pid'), exit: file('json'), started: file('started') },
    detach: !!o.detach, stdin: !!o.interactive,
    // -d: the monitor records the exec_die at its end, as this process is gone by then (and
    // may be with -t through the socket: detached).
    events: o.detach || viaSocket ? { file: path.join(eventsDir(paths), EVENTS_FILE), actor: containerActor(rec, { execID: tag }) } : undefined,
    attach: viaSocket ? { socket: file('sock'), goFd: 3, reportFd: 4 } : undefined,
  });
  const specFile = file('spec');
  writeSpec(specFile, spec);
  // docker's exec events: the command after the action, the exec's id beside the container's.
  const cmd = o.command.join(' ');
  containerEvent(paths, `exec_create: ${cmd}`, rec, { execID: tag });
  const cleanup = (): void => {
    for (const ext of ['spec', 'pid', 'json', 'started', 'sock']) fs.rmSync(file(ext), { force: true });
  };
  const result = (): { exitCode: number; error: string } | undefined => {
    try {
      const exit = JSON.parse(fs.readFileSync(file('json'), 'utf8')) as { exitCode: number; error: string };
      // The command's name is in it as runc's %q has it, but for the characters Go would not
      // print that only a Unicode table tells (the monitor has none): written here as %q does.
      const error = escapeNonPrint(exit.error ?? '');
      // A command that could not be started (not found: 127; not executable, or a working
      // directory that is not there: 126) is runc's failure to start the process, which
      // docker's CLI prints as dockerd has it from containerd.
      const unstarted = !!error && (exit.exitCode === 126 || exit.exitCode === 127);
      return { ...exit, error: unstarted ? runtimeExecFailed(`unable to start container process: ${error}`) : error };
    } catch {
      return undefined;
    }
  };
  // -t through the socket: the terminal is raw, its ^C a byte to the command's pty, and no
  // signal is passed on (docker's sig-proxy is for non-TTY mode only).
  if (viaSocket) return execAttached(paths, rec, o, { specFile, file, tag, cmd, result, cleanup });
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
 * exec -t in the foreground: the monitor serves the command's terminal on a socket and holds
 * it, never this process's; this process is a client of it as `run -it` is of a container's.
 * The detach keys end the client only. The monitor records the exec_die.
 */
async function execAttached(paths: StorePaths, rec: ReturnType<typeof find>, o: ExecOptions, x: {
  specFile: string; file: (ext: string) => string; tag: string; cmd: string; result: () => { exitCode: number; error: string } | undefined; cleanup: () => void;
}): Promise<ExecResult> {
  const [goRead, goWrite] = native().pipe();
  const [reportRead, reportWrite] = native().pipe();
  let go: number | undefined = goWrite;
  const closeGo = (): void => {
    if (go !== undefined) fs.closeSync(go);
    go = undefined;
  };
  let child: Monitor;
  try {
    // Its own session, stdio /dev/null: the terminal is this process's alone, and the
    // command outlives a detach.
    child = startMonitor(['--exec', x.specFile], { stdio: ['ignore', 'ignore', 'ignore'], detached: true, extraFds: [goRead, reportWrite] });
  } catch (e) {
    closeGo();
    x.cleanup();
    throw e;
  } finally {
    fs.closeSync(goRead);
    fs.closeSync(reportWrite);
  }
  containerEvent(paths, `exec_start: ${x.cmd}`, rec, { execID: x.tag });
  const failed = async (fallback: string): Promise<ExecResult> => {
    closeGo();
    await child.exited;
    const exit = x.result();
    x.cleanup();
    return { exitCode: exit?.exitCode ?? 125, error: exit?.error || fallback };
  };
  // 'l' once its socket listens; the end of the pipe: it failed, and its exit file says why.
  const listening = await new Promise<boolean>((resolve) => {
    fs.read(reportRead, Buffer.alloc(1), 0, 1, null, (err, n, b) => {
      fs.closeSync(reportRead);
      resolve(!err && n === 1 && b[0] === 0x6c);
    });
  });
  if (!listening) return failed('exec: the monitor exited without recording an exit status');
  let attachment: Attachment;
  try {
    attachment = await connectAttach(paths, rec.Id, true, { stdin: o.interactive ? o.attach!.stdin : undefined, stdout: o.attach!.stdout, detachKeys: o.attach!.detachKeys },
      { socket: path.basename(x.file('sock')), exit: x.result });
  } catch (e) {
    // The end of the go pipe: the monitor gives the command up.
    await failed('');
    throw e;
  }
  o.attach!.onAttached?.(attachment);
  try {
    fs.writeSync(go!, 'g');
  } catch {
    /* gone already: the exit frame or the socket's end says how it ended */
  }
  closeGo();
  const abort = (): void => {
    if (child.running) process.kill(child.pid, 'SIGTERM');
  };
  if (o.signal?.aborted) abort();
  else o.signal?.addEventListener('abort', abort);
  try {
    const end = await attachment.done;
    if (end.detached) {
      child.unref();
      return { exitCode: 0, detached: true };
    }
    await child.exited;
    // Kept by the monitor only for a command that did not start: why.
    const exit = x.result();
    x.cleanup();
    return exit?.error ? { exitCode: exit.exitCode, error: exit.error } : { exitCode: end.exitCode };
  } finally {
    o.signal?.removeEventListener('abort', abort);
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
