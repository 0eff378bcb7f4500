// Restart policies (docker's --restart: no, on-failure[:N], always, unless-stopped).
//
// Without a daemon, who restarts a container that exited? gocker-monitor learns the exit, but
// a start is more than a process: the cgroup made with the container's limits, its network
// (an address, a veth, port rules, made from outside by lib/network), the monitor spawned on
// the stored spec with fresh pipes; all of it is TypeScript (Runner.startLocked) and shared
// with `gocker start`. A monitor that restarted the command itself would have to redo all of
// that in C++, or keep the old namespaces and cgroup, which a start does not. So, as podman
// does with conmon's exit command (`podman container cleanup`), the monitor execs an exit
// command once it has recorded the exit (exit-command.ts, onContainerExit below), and that
// process applies the policy: it waits out docker's back-off and starts the container through
// the very path `gocker start` takes. With a CLI still attached (run without -d, start -a)
// the monitor leaves the exit to the CLI, which hands it to the same command (Runner.finish).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, InvalidOptionError, isErrno } from '../errors';
import { log } from '../log';
import { native, packageRoot } from '../native';
import type { Store } from '../store';
import { acquireLock, unlinkIfThere, writeFileAtomic } from '../store/atomic';
import { lockContainer } from '../store/records';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';
import { SPEC_FILE, listRecords, loadRecord, readExit, saveRecord, type ExitInfo } from './state';

export type RestartPolicyName = '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';

/** docker's HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: RestartPolicyName;
  MaximumRetryCount: number;
}

export const NO_RESTART: RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };

/**
 * A refusal docker's CLI makes itself (the flag's format, --rm with --restart), said with its
 * usage hint; the rest are the daemon's.
 */
export class RestartFlagError extends GockerError {}

/** --restart as docker's CLI reads it: name[:count], the count an integer. */
export function parseRestartFlag(value: string): RestartPolicy {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const count = colon < 0 ? '' : value.slice(colon + 1);
  if (colon >= 0 && name === '') throw new RestartFlagError('invalid restart policy format: no policy provided before colon', { exitCode: 125 });
  let n = 0;
  if (count !== '') {
    // Go's strconv.Atoi: an optional sign, digits, within int64.
    if (!/^[+-]?\d+$/.test(count) || !Number.isSafeInteger(Number(count))) {
      throw new RestartFlagError('invalid restart policy format: maximum retry count must be an integer', { exitCode: 125 });
    }
    n = Number(count);
  }
  return { Name: name as RestartPolicyName, MaximumRetryCount: n };
}

/** The daemon's check of a policy (ValidateRestartPolicy), in its words. */
export function validateRestartPolicy(p: RestartPolicy): RestartPolicy {
  const bad = (msg: string): GockerError => new InvalidOptionError('restart', `invalid restart policy: ${msg}`, { exitCode: 125 });
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (p.MaximumRetryCount !== 0) throw bad(`maximum retry count can only be used with 'on-failure'${p.MaximumRetryCount < 0 ? ' and cannot be negative' : ''}`);
      return p;
    case 'on-failure':
      if (p.MaximumRetryCount < 0) throw bad('maximum retry count cannot be negative');
      return p;
    case '':
      return { Name: 'no', MaximumRetryCount: 0 };
    default:
      throw bad(`unknown policy '${p.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}

/** run and create's --restart with --rm, checked as docker's CLI, then its daemon, checks them. */
export function restartPolicyOf(value: string | undefined, autoRemove: boolean): RestartPolicy {
  if (value === undefined) return NO_RESTART;
  const p = parseRestartFlag(value);
  if (autoRemove && p.Name !== '' && p.Name !== 'no') throw new RestartFlagError('conflicting options: cannot specify both --restart and --rm', { exitCode: 125 });
  return validateRestartPolicy(p);
}

export const policyOf = (rec: ContainerRecord): RestartPolicy => rec.HostConfig.RestartPolicy ?? NO_RESTART;
export const hasPolicy = (rec: ContainerRecord): boolean => !['', 'no'].includes(policyOf(rec).Name);

// docker's restart manager: 100 ms, doubled at each restart up to a minute, and back to 100 ms
// once a run lasted 10 s.
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_RESET_AFTER_MS = 10_000;

/** The delay before the next restart, from the one before it and how long the last run lasted. */
export function nextBackoff(previousMs: number, ranMs: number): number {
  const prev = ranMs >= BACKOFF_RESET_AFTER_MS ? 0 : previousMs;
  return prev <= 0 ? BACKOFF_FIRST_MS : Math.min(prev * 2, BACKOFF_MAX_MS);
}

// Markers, as docker's container fields: HasBeenManuallyStopped (kept with the container: it
// outlives a reboot, for unless-stopped) and the restart manager's cancel (ExitOnNext: for
// this run only, so in the runroot). `start` clears both.
const MANUALLY_STOPPED = 'manually-stopped';
const EXIT_ON_NEXT = 'exit-on-next';
/** The delay of the last restart, for the next one's doubling. */
const BACKOFF_FILE = 'restart-backoff';
/** The pid of the process waiting out the back-off (the exit command). */
const RESTARTER_FILE = 'restarter.pid';
/** There while the container has a policy: the monitor runs the exit command only then. */
const POLICY_MARKER = 'restart-policy';
// The engine's own program (exit-command.ts), not the CLI's: a library user's containers are
// cleaned up and restarted the same way. From the package root, as the CLI's bundle runs
// from dist/cli.
const exitCommandScript = (): string => path.join(packageRoot(), 'dist', 'lib', 'container', 'exit-command.js');

/**
 * docker stop and docker kill: the policy no longer restarts this run (exitOnNext: kill with
 * a signal meant to end it, and stop), and unless-stopped not even after a reboot. Written
 * before the signal is sent, so that the exit it causes finds them.
 */
export function markStopped(paths: StorePaths, rec: ContainerRecord, exitOnNext: boolean): void {
  if (!hasPolicy(rec)) return;
  fs.writeFileSync(path.join(paths.container(rec.Id), MANUALLY_STOPPED), '');
  try {
    if (exitOnNext) fs.writeFileSync(path.join(paths.runContainer(rec.Id), EXIT_ON_NEXT), '');
  } catch (e) {
    // No runtime directory: it has not run since a reboot, and no exit command is pending.
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

/** A start by the user: the policy applies again, from a count of 0 and the first delay. */
export function resetRestart(paths: StorePaths, rec: ContainerRecord): void {
  unlinkIfThere(path.join(paths.container(rec.Id), MANUALLY_STOPPED));
  for (const f of [EXIT_ON_NEXT, BACKOFF_FILE, RESTARTER_FILE]) unlinkIfThere(path.join(paths.runContainer(rec.Id), f));
  rec.RestartCount = 0;
}

const manuallyStopped = (paths: StorePaths, id: string): boolean => fs.existsSync(path.join(paths.container(id), MANUALLY_STOPPED));

/** docker's ShouldRestart, for an exit with this code. */
export function shouldRestart(rec: ContainerRecord, exitCode: number, stopped: boolean): boolean {
  const p = policyOf(rec);
  switch (p.Name) {
    case 'always': return true;
    case 'unless-stopped': return !stopped;
    case 'on-failure': return exitCode !== 0 && (p.MaximumRetryCount === 0 || (rec.RestartCount ?? 0) < p.MaximumRetryCount);
    default: return false;
  }
}

/**
 * Is the process waiting to restart this container still there (not gone with a reboot or a
 * kill)? Once it has gone its pid may be any process's: it is the exit command only if root
 * runs it (real uid 0: any user can name a process after the id, and make it non-dumpable so
 * that /proc shows it as root's) with the exit command's script and this id as its arguments.
 */
export function restarterAlive(paths: StorePaths, id: string): boolean {
  return exitCommandAlive(paths, id, restarterPid(paths, id));
}

/**
 * Is pid this container's exit command, or its monitor about to become it (the monitor
 * execs the command: same pid)? The monitor by its arguments too: this container's spec.
 */
export function exitCommandAlive(paths: StorePaths, id: string, pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^Uid:\s+(\d+)/m.exec(status)?.[1] !== '0' || /^State:\s+[ZX]/m.test(status)) return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // No arguments, neither a zombie nor a kernel thread (no exe): in the middle of its
    // execve (the new image's are not set up yet), the monitor becoming the command.
    if (argv.length === 1 && argv[0] === '') return fs.readlinkSync(`/proc/${pid}/exe`) !== '';
    if (argv.at(-1) === '') argv.pop();
    if (argv[0].endsWith('gocker-monitor')) return argv[1] === path.join(paths.runContainer(id), SPEC_FILE);
    return argv[1] === exitCommandScript() && argv.at(-1) === id;
  } catch {
    return false;
  }
}

/**
 * docker's restart manager at an exit, applied to rec (the exit just recorded in it): when
 * the policy restarts it (and stop, kill or rm -f has not cancelled this run's restart), rec
 * is restarting, RestartCount counted as docker counts it at the exit, and restarter (the
 * exit command, or the monitor that becomes it) is the process that will start it again.
 * Whoever sees the exit first applies it, with or without the container's lock, as dockerd
 * applies it at the exit: the record never says exited for the time the exit command takes
 * to start (a window in which `rm` removed a container docker keeps restarting, and `ps`
 * showed it exited). Applying it twice gives the same record: rec is the record before it.
 */
export function applyPolicyAtExit(paths: StorePaths, rec: ContainerRecord, exit: ExitInfo, restarter: number): boolean {
  if (fs.existsSync(path.join(paths.runContainer(rec.Id), EXIT_ON_NEXT)) || !shouldRestart(rec, exit.exitCode, manuallyStopped(paths, rec.Id))) return false;
  writeFileAtomic(path.join(paths.runContainer(rec.Id), RESTARTER_FILE), String(restarter), 0o600, false);
  rec.RestartCount = (rec.RestartCount ?? 0) + 1;
  rec.State = { ...rec.State, Status: 'restarting', Running: true, Restarting: true, Paused: false, Pid: 0 };
  return true;
}

/** The pid recorded as the one to restart the container, 0 when none is. */
function restarterPid(paths: StorePaths, id: string): number {
  try {
    return Number(fs.readFileSync(path.join(paths.runContainer(id), RESTARTER_FILE), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/**
 * What the monitor runs once the container has exited and no CLI is there: the removal with
 * --rm, the restart policy's exit command otherwise. Every container's monitor is given the
 * latter, with a policy or without: `update --restart` may give it one while it runs (or
 * before a created one starts), and docker applies that policy to the exit of the run under
 * way. The monitor runs it only when the policy's marker is there (exitCommandMarker), so that
 * the exit of a container without a policy starts no process.
 */
export function exitCommandFor(paths: StorePaths, rec: ContainerRecord): string[] {
  const global = ['--root', paths.root, '--runroot', paths.runroot];
  return [process.execPath, exitCommandScript(), ...global, ...(rec.HostConfig.AutoRemove ? ['--remove'] : []), rec.Id];
}

/** The file whose presence at the exit makes the monitor run the policy's exit command (none for --rm's removal). */
export function exitCommandMarker(paths: StorePaths, rec: ContainerRecord): string | undefined {
  return rec.HostConfig.AutoRemove ? undefined : path.join(paths.runContainer(rec.Id), POLICY_MARKER);
}

/**
 * The marker made to say what the record says, at each launch and when `update --restart`
 * changes the policy. A container that has not run since a reboot has no runtime directory
 * yet: its next launch marks it.
 */
export function markPolicy(paths: StorePaths, rec: ContainerRecord): void {
  const marker = exitCommandMarker(paths, rec);
  if (!marker) return;
  if (!hasPolicy(rec)) {
    unlinkIfThere(marker);
    return;
  }
  try {
    fs.writeFileSync(marker, '');
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

/**
 * A CLI that saw the exit itself (run in the foreground, start -a) hands it to the exit
 * command, detached: the back-off and the restart go on after this process has ended with
 * the container's code, as docker's CLI ends while dockerd restarts the container. The
 * policy is applied to rec (the exit recorded in it, to be saved by the caller, who holds the
 * container's lock, which the command waits for) with the command as its restarter.
 */
export function handOffExit(paths: StorePaths, rec: ContainerRecord, exit: ExitInfo): void {
  if (rec.HostConfig.AutoRemove) return;
  const cmd = exitCommandFor(paths, rec);
  applyPolicyAtExit(paths, rec, exit, native().spawn(cmd[0], cmd, [-1, -1, -1], true));
}

/**
 * The exit command: the exit recorded (reconcile), and when the policy says so the container
 * marked restarting (RestartCount counted, as docker counts it at the exit), the back-off
 * waited out without the lock (stop, kill and rm can act meanwhile, and cancel it), and the
 * container started again as `gocker start` starts it. restarter: the process recorded as
 * the one to restart it, this one (the exit command) or, with the exit handed over to the
 * library that launched the container (exit-handoff.ts), the monitor that waits for it.
 */
export async function onContainerExit(paths: StorePaths, store: Store, id: string, restarter = process.pid): Promise<void> {
  // Its command never ran (the start failed, or was given up by the CLI that made it, which
  // may hold the lock until this process, the monitor's pid, is gone): nothing to restart,
  // as docker does not restart a container whose start failed.
  if (!fs.existsSync(path.join(paths.runContainer(id), 'started'))) return;
  const { reconcile } = await import('./lifecycle');
  let delay: number;
  const release = await lockContainer(paths, id);
  if (!release) return;
  try {
    const now = loadRecord(paths, id);
    if (!now) return;
    // The exit recorded and the policy applied (applyPolicyAtExit), here or by whoever saw
    // the exit first; a CLI that handed it over applied it before this process could.
    const rec = reconcile(paths, now);
    const exit = readExit(paths, id);
    // Recorded exited by one that found no exit command to restart it (it looked as this
    // process failed to start, say), or by a CLI whose policy said no: applied again, which
    // says what it said unless this process is what was missing. A stop, kill or rm -f that
    // ended a restart said so first (exit-on-next).
    if (exit && rec.State.Status === 'exited' && rec.State.FinishedAt === exit.finishedAt && applyPolicyAtExit(paths, rec, exit, restarter)) saveRecord(paths, rec);
    // Not this process's to restart: the policy said no, stop, kill or rm ended the wait,
    // the user started it again, or it never ran.
    if (rec.State.Status !== 'restarting' || !exit || restarterPid(paths, id) !== restarter) return;
    const run = paths.runContainer(id);
    const ran = Date.parse(exit.finishedAt) - Date.parse(exit.startedAt);
    let previous = 0;
    try {
      previous = Number(fs.readFileSync(path.join(run, BACKOFF_FILE), 'utf8')) || 0;
    } catch {
      /* the first restart */
    }
    delay = nextBackoff(previous, Number.isFinite(ran) ? ran : 0);
    fs.writeFileSync(path.join(run, BACKOFF_FILE), String(delay));
  } finally {
    release();
  }
  log.debug('restarting', { id: id.slice(0, 12), delay });
  // Handed over, the wait holds nothing up: a program that is otherwise done ends, and the
  // monitor, its socket closed, becomes the exit command, which waits again and restarts.
  await new Promise((r) => {
    const t = setTimeout(r, delay);
    if (restarter !== process.pid) t.unref();
  });
  const { Runner } = await import('./run');
  await new Runner(paths, store).autoRestart(id);
}

// ---- after a reboot ----

const BOOT_ID = '/proc/sys/kernel/random/boot_id';
const BOOT_FILE = 'boot_id';

/**
 * dockerd's start after a reboot, done by the first gocker command after one: the boot id
 * recorded in the runroot differs from the kernel's (or none is recorded: the runroot is a
 * tmpfs, gone with the machine). Containers that ran then have lost their monitors, and
 * reconcile records them exited (255); those whose policy is always, and unless-stopped ones
 * the user had not stopped, are started again, as dockerd starts them. The check is two small
 * reads on every command; the restarts happen once per boot, under a lock.
 */
export async function restartAfterBoot(paths: StorePaths, store: Store): Promise<void> {
  let boot: string;
  try {
    boot = fs.readFileSync(BOOT_ID, 'utf8').trim();
  } catch {
    return; // no procfs: nothing to tell boots apart by
  }
  const file = path.join(paths.runroot, BOOT_FILE);
  const recorded = (): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  };
  if (recorded() === boot) return;
  // A store with no containers yet: nothing ran before; this boot is the one they start in.
  if (!fs.existsSync(paths.containers)) {
    fs.mkdirSync(paths.runroot, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${boot}\n`, 0o600, false);
    return;
  }
  const release = await acquireLock(paths.lock('boot'));
  const todo: string[] = [];
  try {
    if (recorded() === boot) return; // another command did it meanwhile
    const { reconcile } = await import('./lifecycle');
    for (const r of listRecords(paths)) {
      const rec = reconcile(paths, r);
      if (rec.State.Running && !rec.State.Restarting) continue; // its monitor survived: no reboot for it
      const p = policyOf(rec).Name;
      if (p === 'always' || (p === 'unless-stopped' && !manuallyStopped(paths, rec.Id))) todo.push(rec.Id);
    }
    fs.mkdirSync(paths.runroot, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${boot}\n`, 0o600, false);
  } finally {
    release();
  }
  if (!todo.length) return;
  const { Runner } = await import('./run');
  const runner = new Runner(paths, store);
  for (const id of todo) {
    try {
      await runner.start(id);
      log.info('started after a reboot (restart policy)', { id: id.slice(0, 12) });
    } catch (e) {
      log.warn(`cannot start container ${id.slice(0, 12)} after a reboot: ${(e as Error).message}`);
    }
  }
}
