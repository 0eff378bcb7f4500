// The container lifecycle after run: state from what the monitor left, and ps, rm, stop,
// kill, wait, logs. No daemon: every command reads the records and the monitor's files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupManager } from '../cgroups';
import { ConflictError, GockerError, NoSuchContainerError, NotRunningError, isErrno } from '../errors';
import { byCodeUnit } from '../format/order';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';
import { log } from '../log';
import { native } from '../native';
import { signalNumber } from '../signals';
import { lockRecord, recordFile, tryLockContainer } from '../store/records';
import { invalidName, NAME_PATTERN, releaseName, reserveName } from './names';
import { SPEC_FILE, listRecords, loadRecord, readExit, resolveContainer, saveRecord } from './state';
import { containerExited, removeContainer } from './teardown';
import { containerEvent, readEvents } from '../events';
import { applyPolicyAtExit, exitCommandAlive, markStopped, restarterAlive } from './restart';
import { ContainerWatch } from './watch';

export { signalNumber };

/** Linux's largest pid_max (PID_MAX_LIMIT on 64-bit). */
const PID_MAX = 4194304;

/**
 * A pid file's number, or 0 when it is missing or is not one: a pid file is input (written
 * by the monitor, but read while it may be half-written, or left by an older gocker), and a
 * 0, a -1 or a NaN reaching kill(2) would signal our own process group or every process.
 */
export function parsePid(text: string): number {
  const t = text.trim();
  if (!/^[0-9]{1,7}$/.test(t)) return 0;
  const n = Number(t);
  return n > 1 && n <= PID_MAX ? n : 0;
}

function readPid(file: string): number {
  try {
    return parsePid(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if (isErrno(e, 'EACCES') || isErrno(e, 'EPERM')) throw permissionDenied(e);
    return 0;
  }
}

function permissionDenied(cause: unknown): GockerError {
  return new GockerError(`permission denied: gocker must run as root to manage containers (${(cause as Error).message})`, { exitCode: 1, code: 'EACCES', cause });
}

/**
 * The argv of pid when it is a gocker-monitor; undefined for any other process. Its pid may
 * have been recycled, and any local user can run a process whose argv imitates the monitor's
 * (and make it non-dumpable, so that /proc shows it as root's): the monitor is root's, real
 * uid 0, as restarterAlive checks the exit command.
 */
function monitorArgv(pid: number): string[] | undefined {
  if (!pid) return undefined;
  try {
    const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (uid?.[1] !== '0') return undefined;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[0].endsWith('gocker-monitor') ? argv : undefined;
  } catch {
    return undefined;
  }
}

/** Is pid alive and still a gocker-monitor (not a recycled pid)? */
function monitorAlive(pid: number): boolean {
  return monitorArgv(pid) !== undefined;
}

/**
 * A watch on the container for the commands that wait on it (wait, stop, logs -f): woken by
 * what changes on disk and by its monitor's death, never by a timer. Log writes wake only
 * those that read the log.
 */
function watchContainer(paths: StorePaths, id: string, logs = false): ContainerWatch {
  return new ContainerWatch(paths, id, { pid: () => readPid(path.join(paths.runContainer(id), 'monitor.pid')), alive: monitorAlive }, logs ? undefined : isLogFile);
}

const isLogFile = (name: string): boolean => name.includes('-json.log');

/** The State.Error of a container whose monitor went (a reboot, a kill) without recording an exit. */
const LOST = 'container monitor exited unexpectedly';

/**
 * Brings a record up to date with the monitor's files: exited once exit.json is written
 * (restarting, when its policy restarts it: applyPolicyAtExit);
 * exited (255, as podman reports a lost conmon) when the monitor died without writing it or
 * the runroot is gone (a reboot); running while the monitor lives, and paused (running too,
 * as docker has it) while its cgroup's freezer holds it: the freezer is the truth, whoever
 * froze or thawed it. The command that sees the exit first takes down the published ports' rules
 * (the monitor's exit command, when no CLI waited for the exit: exit-command.ts).
 */
export function reconcile(paths: StorePaths, rec: ContainerRecord): ContainerRecord {
  if (rec.State.Status === 'exited' || rec.State.Status === 'dead') return rec;
  if (rec.State.Status === 'restarting') {
    // Between runs, its exit recorded: restarting while the exit command waits out the
    // back-off, exited once that process has gone (a reboot) without starting it again.
    if (restarterAlive(paths, rec.Id)) return rec;
    rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false, Pid: 0 };
    saveRecord(paths, rec);
    return rec;
  }
  const run = paths.runContainer(rec.Id);
  const monitorPid = readPid(path.join(run, 'monitor.pid'));
  // The monitor writes exit.json before it exits: read after the monitor is seen gone, a
  // missing exit.json is a monitor that went without one, not one that is writing it.
  const alive = monitorAlive(monitorPid);
  const exit = readExit(paths, rec.Id);
  if (exit) {
    const oom = exit.oomKilled === true;
    rec.State = { ...rec.State, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: exit.exitCode, OOMKilled: oom,
      StartedAt: exit.startedAt || rec.State.StartedAt, FinishedAt: exit.finishedAt, Error: exit.error };
    // Its monitor runs the restart policy's exit command after this exit: the policy applies
    // now, restarting it, as dockerd does at the exit; not once that command has started (a
    // node process: 100 ms and more, in which rm removed it). Not when the monitor died
    // before it became that command, or that command died: nothing would restart it.
    if (exit.restartPolicy && exitCommandAlive(paths, rec.Id, monitorPid)) applyPolicyAtExit(paths, rec, exit, monitorPid);
    saveRecord(paths, rec);
    containerExited(paths, rec);
  } else if (alive) {
    // Created (by create, or a run not yet released): it waits, nothing of it runs.
    if (rec.State.Status === 'created' && !fs.existsSync(path.join(run, 'started'))) return rec;
    const pid = readPid(path.join(run, 'pid'));
    const paused = cgroupManager().open(rec.CgroupPath).frozen();
    const status = paused ? 'paused' : 'running';
    if (rec.State.Status !== status || rec.State.Pid !== pid || rec.State.Paused !== paused) {
      rec.State = { ...rec.State, Status: status, Running: true, Paused: paused, Pid: pid };
      if (rec.State.StartedAt.startsWith('0001')) rec.State.StartedAt = new Date().toISOString();
    }
  } else if (rec.State.Running || monitorPid) {
    rec.State = { ...rec.State, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: 255, FinishedAt: new Date().toISOString(), Error: LOST };
    saveRecord(paths, rec);
    containerExited(paths, rec);
  }
  return rec;
}

export function containers(paths: StorePaths, all: boolean): ContainerRecord[] {
  return listed(listRecords(paths).map((r) => reconcile(paths, r)), all);
}

const listed = (recs: ContainerRecord[], all: boolean): ContainerRecord[] =>
  recs.filter((r) => all || r.State.Running).sort((a, b) => byCodeUnit(b.Created, a.Created));

/**
 * containers() for ps and stats, which first remove the --rm containers nothing else will:
 * those whose monitor went without recording an exit (a reboot, or the monitor killed), so
 * that no exit command ran and no CLI is there to remove them. dockerd removes its AutoRemove
 * containers the same way when it starts again. A container whose lock is held is left to
 * its holder: a foreground `run --rm` whose monitor died removes its own.
 */
export async function listContainers(paths: StorePaths, all: boolean): Promise<ContainerRecord[]> {
  const kept: ContainerRecord[] = [];
  for (const rec of listRecords(paths).map((r) => reconcile(paths, r))) {
    if (!(rec.HostConfig.AutoRemove && rec.State.Error === LOST && (await removeLost(paths, rec.Id)))) kept.push(rec);
  }
  return listed(kept, all);
}

/** True once the lost --rm container id is gone, by this call or by another just before. */
async function removeLost(paths: StorePaths, id: string): Promise<boolean> {
  const release = tryLockContainer(paths, id);
  if (release === 'busy') return false;
  if (release === 'gone') return true;
  try {
    const now = loadRecord(paths, id);
    if (!now) return true;
    const rec = reconcile(paths, now);
    if (rec.State.Error !== LOST || rec.State.Running) return false; // started again meanwhile
    await removeLocked(paths, rec, false, true);
    log.info('removed a --rm container whose monitor had gone', { id: id.slice(0, 12) });
    return true;
  } catch (e) {
    log.warn(`could not remove --rm container ${id.slice(0, 12)}: ${(e as Error).message}`);
    return false;
  } finally {
    release();
  }
}

export function find(paths: StorePaths, ref: string): ContainerRecord {
  return reconcile(paths, resolveContainer(paths, ref));
}

/**
 * The id of the container ref names, for a caller that locks it and reads its record under
 * the lock: a full id with a record (the library's handles pass theirs) is taken as it is,
 * as resolveContainer would take it, without reading the record it then reads again; neither
 * is it brought up to date here, which the caller does under the lock.
 */
export function lockTarget(paths: StorePaths, ref: string): string {
  return /^[0-9a-f]{64}$/.test(ref) && fs.existsSync(recordFile(paths, ref)) ? ref : resolveContainer(paths, ref).Id;
}

/** The parent pid in /proc/pid/stat (after the command name, which may hold spaces and parens). */
function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/**
 * Is pid the monitor of this container (its argv is [gocker-monitor, RUN/config.json], or
 * RUN/spec for one an older gocker started, which stop and kill still reach)?
 */
function isMonitorOf(pid: number, paths: StorePaths, rec: ContainerRecord): boolean {
  const argv = monitorArgv(pid);
  const run = paths.runContainer(rec.Id);
  return argv !== undefined && (argv[1] === path.join(run, SPEC_FILE) || argv[1] === path.join(run, 'spec'));
}

/**
 * The container's process, verified as this container's: a pid above 1 that is a child of the
 * live monitor of this very container (the monitor forks it and reaps it, so until the
 * monitor has seen it exit the pid cannot be another process's). Anything else — no pid
 * yet, a 0, garbage, a host process, another container's — throws; nothing is signalled.
 */
export function containerPid(paths: StorePaths, rec: ContainerRecord, what: string): number {
  return containerProcess(paths, rec, what).pid;
}

/** containerPid, and the pid of the monitor it was verified against. */
function containerProcess(paths: StorePaths, rec: ContainerRecord, what: string): { pid: number; monitor: number } {
  const run = paths.runContainer(rec.Id);
  const monitor = readPid(path.join(run, 'monitor.pid'));
  const pid = readPid(path.join(run, 'pid'));
  if (!monitor || !isMonitorOf(monitor, paths, rec)) throw new GockerError(`${what}: container ${rec.Id} has no monitor running`, { exitCode: 1 });
  if (!pid || parentOf(pid) !== monitor) throw new GockerError(`${what}: container ${rec.Id} has no process of its own to signal (its pid is not known yet, or not its own)`, { exitCode: 1 });
  return { pid, monitor };
}

/**
 * The process exec joins and cp reaches into: the container's verified process, once its
 * command has started (before, the monitor's child has not yet pivoted into the container's
 * root, and its / is the host's).
 */
export function startedProcess(paths: StorePaths, rec: ContainerRecord, what: string): { pid: number; monitor: number } {
  if (!rec.State.Running || !fs.existsSync(path.join(paths.runContainer(rec.Id), 'started'))) {
    throw new NotRunningError(`container ${rec.Id} is not running`);
  }
  return containerProcess(paths, rec, what);
}

/**
 * Signals the container's verified process through a pidfd taken after the check and checked
 * again once it is held: the process checked is the process signalled, whatever happens to
 * its pid meanwhile. False when it has gone.
 */
function signalContainer(paths: StorePaths, rec: ContainerRecord, signal: number | NodeJS.Signals, what: string): boolean {
  const pid = containerPid(paths, rec, what);
  let pidfd: number;
  try {
    pidfd = native().pidfdOpen(pid);
  } catch (e) {
    if (isErrno(e, 'ESRCH')) return false;
    throw e;
  }
  try {
    // Still the monitor's child with the pidfd held: not a pid recycled since the check.
    let same: boolean;
    try {
      same = containerPid(paths, rec, what) === pid;
    } catch {
      same = false;
    }
    if (!same) return false;
    return native().pidfdSignal(pidfd, typeof signal === 'number' ? signal : os.constants.signals[signal]);
  } catch (e) {
    if (isErrno(e, 'EPERM')) throw new GockerError(`${what}: permission denied`, { exitCode: 1, code: 'EACCES', cause: e });
    throw e;
  } finally {
    fs.closeSync(pidfd);
  }
}

/**
 * A paused container's signal waits in the kernel until it is thawed. docker thaws it for
 * SIGKILL and for the container's stop signal (any signal when it has none set), as those
 * mean "end"; any other signal stays pending while it stays paused.
 */
function endsIt(rec: ContainerRecord, signal: number): boolean {
  const stop = rec.Config.StopSignal;
  if (!stop || signal === os.constants.signals.SIGKILL) return true;
  return signalNumber(stop) === signal;
}

/**
 * The container's own stop signal, when set, if it does not parse: an image's STOPSIGNAL is
 * taken as the image says (dockerd checks only --stop-signal), and dockerd's kill parses it
 * again for every signal but SIGKILL, which it then refuses to send.
 */
function unsendable(rec: ContainerRecord, signal: number): GockerError | undefined {
  if (!rec.Config.StopSignal || signal === os.constants.signals.SIGKILL) return undefined;
  try {
    signalNumber(rec.Config.StopSignal);
    return undefined;
  } catch (e) {
    return e as GockerError;
  }
}

/** docker's Container.StopSignal(): the container's, SIGTERM when it has none or it does not parse. */
function stopSignalOf(rec: ContainerRecord): number {
  try {
    return signalNumber(rec.Config.StopSignal || 'SIGTERM');
  } catch {
    return os.constants.signals.SIGTERM;
  }
}

/** Thaws a paused container so that the signal just sent reaches it. */
async function thawToDeliver(rec: ContainerRecord): Promise<void> {
  const cg = cgroupManager().open(rec.CgroupPath);
  if (!cg.frozen()) return;
  try {
    await cg.thaw();
  } catch (e) {
    log.warn(`cannot unpause container ${rec.Id}: ${(e as Error).message}`);
  }
}

/**
 * named: the container as the caller named it, in the errors (default: ref). found: its
 * record as a lookup has just read it (a handle's), not read again.
 */
export async function kill(paths: StorePaths, ref: string, sig = 'SIGKILL', named = ref, found?: ContainerRecord): Promise<ContainerRecord> {
  const signal = signalNumber(sig);
  let rec = found ? reconcile(paths, found) : find(paths, ref);
  if (!rec.State.Running) throw new NotRunningError(`cannot kill container: ${named}: container ${rec.Id} is not running`);
  // As docker: a kill by the user is no exit for the restart policy (a signal meant to end
  // it cancels this run's restart; any keeps unless-stopped down), and ends a back-off.
  if (await cancelRestart(paths, rec)) return rec;
  if (rec.State.Restarting) rec = find(paths, ref);
  const refused = unsendable(rec, signal);
  if (refused) throw new GockerError(`cannot kill container: ${named}: ${refused.message}`, { exitCode: 1 });
  markStopped(paths, rec, endsIt(rec, signal));
  signalContainer(paths, rec, signal, `cannot kill container: ${named}`);
  containerEvent(paths, 'kill', rec, { signal: String(signal) });
  if (rec.State.Paused && endsIt(rec, signal)) await thawToDeliver(rec);
  return rec;
}

/**
 * A container waiting out its restart policy's back-off has no process to signal: stop and
 * kill end the wait instead (the exit command, which waits without the lock, then finds it
 * no longer restarting). False when it is not restarting.
 */
async function cancelRestart(paths: StorePaths, rec: ContainerRecord): Promise<boolean> {
  if (!rec.State.Restarting) return false;
  return withContainer(paths, rec.Id, (now) => {
    if (!now.State.Restarting) return false;
    markStopped(paths, now, true);
    now.State = { ...now.State, Status: 'exited', Running: false, Restarting: false, Pid: 0 };
    saveRecord(paths, now);
    rec.State = now.State;
    return true;
  });
}

/**
 * docker pause: the freezer stops every process of a running container where it stands.
 * Under the container's lock, as start and rm are.
 */
export async function pause(paths: StorePaths, ref: string): Promise<ContainerRecord> {
  return withContainer(paths, ref, async (rec) => {
    if (!rec.State.Running) throw new NotRunningError(`container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is already paused`, { exitCode: 1 });
    // dockerd's words: waiting out its policy's back-off, it has no process (nor, since its
    // exit took it, a cgroup) to freeze.
    if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`, { exitCode: 1 });
    await cgroupManager().open(rec.CgroupPath).freeze();
    rec.State = { ...rec.State, Status: 'paused', Paused: true };
    saveRecord(paths, rec);
    containerEvent(paths, 'pause', rec);
    return rec;
  });
}

/** docker unpause: the processes go on where they stood. */
export async function unpause(paths: StorePaths, ref: string): Promise<ContainerRecord> {
  return withContainer(paths, ref, async (rec) => {
    if (!rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is not paused`, { exitCode: 1 });
    await cgroupManager().open(rec.CgroupPath).thaw();
    rec.State = { ...rec.State, Status: 'running', Paused: false };
    saveRecord(paths, rec);
    containerEvent(paths, 'unpause', rec);
    return rec;
  });
}

/**
 * docker rename: the new name is claimed first (names.ts: two claims of one name cannot both
 * win), the record saved with it, and only then the old name freed; a failure on the way
 * frees the new one and leaves the container as it was.
 */
export async function rename(paths: StorePaths, ref: string, newName: string): Promise<ContainerRecord> {
  if (!ref || !newName) throw new GockerError('Neither old nor new names may be empty', { exitCode: 1 });
  return withContainer(paths, ref, async (rec) => {
    const name = newName.replace(/^\//, '');
    if (rec.Name === `/${name}`) throw new GockerError('Renaming a container with the same name as its current name', { exitCode: 1 });
    // A name in use is a conflict still (docker's 409), said in the same words.
    const allocating = (e: unknown): GockerError => new (e instanceof ConflictError ? ConflictError : GockerError)(`Error when allocating new name: ${(e as Error).message}`, { exitCode: 1, cause: e });
    if (!NAME_PATTERN.test(name)) throw allocating(invalidName(newName));
    try {
      await reserveName(paths, name, rec.Id);
    } catch (e) {
      throw allocating(e);
    }
    const old = rec.Name;
    try {
      saveRecord(paths, { ...rec, Name: `/${name}` });
    } catch (e) {
      await releaseName(paths, name, rec.Id);
      throw e;
    }
    await releaseName(paths, old, rec.Id);
    rec.Name = `/${name}`;
    containerEvent(paths, 'rename', rec, { oldName: old });
    return rec;
  });
}

/**
 * Runs f on the container's record as it is on disk, brought up to date, under the
 * container's lock: a start, an rm or another change of it either went first or waits.
 */
export async function withContainer<T>(paths: StorePaths, ref: string, f: (rec: ContainerRecord) => Promise<T> | T): Promise<T> {
  const locked = await lockRecord<ContainerRecord>(paths, lockTarget(paths, ref));
  if (!locked) throw new NoSuchContainerError(`No such container: ${ref}`);
  try {
    return await f(reconcile(paths, locked.rec));
  } finally {
    locked.release();
  }
}

async function waitExit(paths: StorePaths, rec: ContainerRecord, ms: number, abort?: AbortSignal): Promise<boolean> {
  const end = Date.now() + ms;
  const watch = watchContainer(paths, rec.Id);
  try {
    for (;;) {
      // Restarting is an exit too: its process is gone, and its policy restarts it.
      const now = reconcile(paths, rec).State;
      if (now.Status === 'exited' || now.Restarting) return true;
      abort?.throwIfAborted();
      const left = end - Date.now();
      if (left <= 0) return false;
      await watch.next(left, abort);
    }
  } finally {
    watch.close();
  }
}

/**
 * The container's StopSignal (--stop-signal, else the image's, else SIGTERM), then SIGKILL
 * after the grace period: graceSeconds, else its --stop-timeout, else 10 (-1: no SIGKILL).
 * named: the container as the caller named it, in the errors. abort ends the wait for the
 * exit (rejecting with its reason): what was sent stays sent, nothing more is. o.found: its
 * record as a lookup has just read it (a handle's), not read again.
 */
export async function stop(paths: StorePaths, ref: string, graceSeconds?: number, signal?: string, o: { named?: string; abort?: AbortSignal; found?: ContainerRecord } = {}): Promise<ContainerRecord> {
  o.abort?.throwIfAborted();
  let rec = o.found ? reconcile(paths, o.found) : find(paths, ref);
  if (!rec.State.Running) {
    // Exited just now, its exit command not yet at the policy (the record says exited as
    // soon as the monitor is gone): docker's daemon is never between the two; this stop
    // still keeps the policy from restarting it.
    markStopped(paths, rec, true);
    return rec;
  }
  if (await cancelRestart(paths, rec)) {
    containerEvent(paths, 'stop', rec);
    return rec;
  }
  // Started again by its policy just before: as it is now (and gone again: kept down).
  if (rec.State.Restarting) {
    rec = find(paths, ref);
    if (!rec.State.Running || rec.State.Restarting) {
      markStopped(paths, rec, true);
      return rec;
    }
  }
  let grace = graceSeconds ?? rec.Config.StopTimeout ?? 10;
  const first = signal ? signalNumber(signal) : stopSignalOf(rec);
  const what = `cannot stop container: ${o.named ?? ref}`;
  // Before the signal: the exit it brings is the user's, which the restart policy leaves be.
  markStopped(paths, rec, true);
  if (unsendable(rec, first)) {
    // As dockerd's stop when its kill refuses the signal (a stop signal that does not parse):
    // nothing sent, 2 s for an exit all the same (unless it was to wait for ever), then SIGKILL.
    if (grace >= 0) grace = 2;
  } else {
    // A failure to signal (no pid of its own, not permitted) is the command's failure: saying
    // the name as if it stopped, while it runs on, is what docker never does.
    signalContainer(paths, rec, first, what);
    containerEvent(paths, 'kill', rec, { signal: String(first) });
    // Paused: thawed, as docker does, so that the stop signal is delivered.
    if (rec.State.Paused && endsIt(rec, first)) await thawToDeliver(rec);
  }
  if (!(await waitExit(paths, rec, grace < 0 ? Infinity : grace * 1000, o.abort))) {
    try {
      signalContainer(paths, rec, 'SIGKILL', what);
    } catch (e) {
      // Its process gone (reaped) since the grace period began is an exit on its way.
      if (reconcile(paths, rec).State.Running && (e as GockerError).code === 'EACCES') throw e;
    }
    containerEvent(paths, 'kill', rec, { signal: String(os.constants.signals.SIGKILL) });
    // Frozen again meanwhile (a pause from elsewhere): v1's freezer holds even SIGKILL.
    await thawToDeliver(rec);
    if (!(await waitExit(paths, rec, 10_000, o.abort))) throw new GockerError(`${what}: tried to kill container, but did not receive an exit event`, { exitCode: 1 });
  }
  containerEvent(paths, 'stop', rec);
  return rec;
}

/** What `wait --condition` waits for, as docker's API names it. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export const WAIT_CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

/**
 * The exit code once the condition holds: not-running (at once for a container that is not
 * running), next-exit (the end of its next run, even if it is not running now) or removed
 * (its exit, then its removal). The record is read by id each time: a removal while waiting
 * ends the wait with the last exit seen. signal aborts the wait (rejecting with its reason).
 */
export async function wait(paths: StorePaths, ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<number> {
  if (!WAIT_CONDITIONS.includes(condition)) throw new GockerError(`invalid condition: ${JSON.stringify(condition)}`, { exitCode: 1 });
  const first = find(paths, ref);
  const since = Date.now();
  // Set before the first look: whatever happens after it wakes the wait.
  const watch = watchContainer(paths, first.Id);
  try {
    return await waitWatched(paths, first, condition, watch, since, signal);
  } finally {
    watch.close();
  }
}

async function waitWatched(paths: StorePaths, first: ContainerRecord, condition: WaitCondition, watch: ContainerWatch, since: number, signal?: AbortSignal): Promise<number> {
  const finishedBefore = first.State.FinishedAt;
  let code = first.State.ExitCode;
  let running = first.State.Running;
  for (;;) {
    signal?.throwIfAborted();
    const onDisk = loadRecord(paths, first.Id);
    if (!onDisk) {
      // Removed (the exit command of --rm runs rm as soon as the monitor is gone) before
      // this wait saw the exit: its die event says the code. Without one since the wait
      // began, only rm -f removes a running container, and it does so with SIGKILL.
      return running ? (await lastDieCode(paths, first.Id, since)) ?? 128 + os.constants.signals.SIGKILL : code;
    }
    // Started again (by its policy, from restarting): created for the time the start takes,
    // which is no exit of a container that was running. Not reconciled meanwhile either: its
    // new monitor was seen gone there at times, and the record said exited (255) until the
    // start saved it running.
    if (running && onDisk.State.Status === 'created') {
      await watch.next(Infinity, signal);
      continue;
    }
    let rec: ContainerRecord;
    try {
      rec = reconcile(paths, onDisk);
    } catch (e) {
      // Its directory went while the exit was being recorded: removed, next time round.
      if (loadRecord(paths, first.Id)) throw e;
      continue;
    }
    running = rec.State.Running;
    // An exit its policy restarts it from is an exit: restarting (running, as docker has it)
    // from the exit on, and dockerd wakes its waiters then, with that exit's code.
    const restarted = rec.State.Restarting && rec.State.FinishedAt !== finishedBefore;
    if (!running || restarted) code = rec.State.ExitCode;
    if ((!running || restarted) && (condition === 'not-running' || (condition === 'next-exit' && rec.State.FinishedAt !== finishedBefore && (rec.State.Status === 'exited' || restarted)))) return code;
    await watch.next(Infinity, signal);
  }
}

/** The exit code of the container's last die event at or after since (ms), if any. */
async function lastDieCode(paths: StorePaths, id: string, since: number): Promise<number | undefined> {
  let code: number | undefined;
  for await (const ev of readEvents(paths, { since, until: Date.now(), follow: false, filters: { container: [id], event: ['die'] } })) {
    const n = Number(ev.Actor.Attributes.exitCode);
    if (ev.Actor.ID === id && Number.isInteger(n)) code = n;
  }
  return code;
}

/**
 * Removes a container: -f kills it first. Its cgroups, writable layer and runtime files go.
 * Under the container's lock: a concurrent rm, start or `run --rm` finishing either went
 * first (then this one finds no such container) or waits.
 */
export async function remove(paths: StorePaths, ref: string, force = false, volumes = false): Promise<ContainerRecord> {
  const locked = await lockRecord<ContainerRecord>(paths, lockTarget(paths, ref));
  if (!locked) throw new NoSuchContainerError(`No such container: ${ref}`);
  try {
    return await removeLocked(paths, reconcile(paths, locked.rec), force, volumes);
  } finally {
    locked.release();
  }
}

async function removeLocked(paths: StorePaths, rec: ContainerRecord, force: boolean, volumes = false): Promise<ContainerRecord> {
  if (rec.State.Status === 'created' && monitorAlive(readPid(path.join(paths.runContainer(rec.Id), 'monitor.pid')))) {
    // A created container's process waits to be released: killed, its monitor records that
    // and goes, then it is removed as any other (as docker rm, without -f).
    signalContainer(paths, rec, 'SIGKILL', `could not remove created container ${rec.Id}`);
    if (!(await waitExit(paths, rec, 10_000))) throw new GockerError(`could not remove created container ${rec.Id}: no exit seen`, { exitCode: 1 });
  }
  if (rec.State.Restarting) {
    if (!force) throw new ConflictError(`cannot remove container "${rec.Name}": container is restarting: stop the container before removing or force remove`, { exitCode: 1 });
    // No process between runs: the exit command finds no record once its back-off is over.
  } else if (rec.State.Running) {
    if (!force && rec.State.Paused) {
      throw new ConflictError(`cannot remove container "${rec.Name}": container is paused and must be unpaused first`, { exitCode: 1 });
    }
    if (!force) {
      throw new ConflictError(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`, { exitCode: 1 });
    }
    // As docker's kill: no restart of this run (its exit would show it restarting, which
    // is no exit to waitExit).
    markStopped(paths, rec, true);
    signalContainer(paths, rec, 'SIGKILL', `could not kill running container ${rec.Id}, cannot remove`);
    containerEvent(paths, 'kill', rec, { signal: String(os.constants.signals.SIGKILL) });
    if (rec.State.Paused) await thawToDeliver(rec);
    if (!(await waitExit(paths, rec, 10_000))) throw new GockerError(`could not kill running container ${rec.Id}, cannot remove: no exit seen`, { exitCode: 1 });
  }
  await removeContainer(paths, rec, cgroupManager().open(rec.CgroupPath), volumes);
  return rec;
}

export interface LogLine { stream: 'stdout' | 'stderr'; log: string; time: string }

export interface LogOptions {
  follow?: boolean;
  /** the last N lines only; undefined or negative: all */
  tail?: number;
  /** ms since the epoch: lines stamped before since, or after until, are left out */
  since?: number;
  until?: number;
  /** ends a follow early (the lines read so far stay emitted) */
  signal?: AbortSignal;
  /**
   * Asked after each chunk of the log (up to 1 MiB) has been emitted: the read goes on once
   * what it returns has resolved. The reader's backpressure: a consumer that does not read
   * holds the read of the file, not the whole log in memory.
   */
  drained?: () => Promise<void> | void;
}

/**
 * Calls each() for the complete lines of a json-file log from byte `from` on, read a chunk at
 * a time (a log may be large), waiting on drained() after each; returns the offset just past
 * the last complete line, so a line the monitor is still writing is read whole next time.
 */
async function scanLogs(fd: number, from: number, each: (l: LogLine) => void, drained?: () => Promise<void> | void): Promise<number> {
  const chunk = Buffer.alloc(1 << 20);
  let carry = Buffer.alloc(0);
  let offset = from;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, offset + carry.length);
    if (n === 0) return offset;
    const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      if (nl > start) each(JSON.parse(buf.toString('utf8', start, nl)) as LogLine);
      start = nl + 1;
    }
    offset += start;
    carry = Buffer.from(buf.subarray(start));
    await drained?.();
  }
}

/**
 * logs: what is there (after --since/--until/--tail), then with follow the lines as they
 * come, read from where the last read ended, until the container stops.
 */
export async function streamLogs(paths: StorePaths, rec: ContainerRecord, o: LogOptions, emit: (l: LogLine) => void): Promise<void> {
  if (rec.HostConfig.LogConfig?.Type === 'none') throw new GockerError('configured logging driver does not support reading', { exitCode: 1 });
  const inRange = (l: LogLine): boolean => {
    if (o.since === undefined && o.until === undefined) return true;
    const t = Date.parse(l.time);
    return (o.since === undefined || t >= o.since) && (o.until === undefined || t <= o.until);
  };
  const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
  const last: LogLine[] = [];
  const first = (l: LogLine): void => {
    if (!inRange(l)) return;
    if (tail === undefined) return emit(l);
    last.push(l);
    if (last.length > 2 * tail + 1024) last.splice(0, last.length - tail);
  };
  // Set before the log is first read: a line written after that read wakes the follow.
  const watch = o.follow ? watchContainer(paths, rec.Id, true) : undefined;
  // --log-opt max-file: the rotated files first, oldest (the highest number) first, then the
  // current one, all opened before any is read: a rotation while they are read (a slow
  // reader, a busy writer) moves names, not the files held.
  const files = openLogFiles(rec.LogPath);
  let fd = files.pop();
  try {
    for (const old of files) await scanLogs(old, 0, first, o.drained);
  } finally {
    for (const old of files) fs.closeSync(old);
  }
  if (fd === undefined) {
    watch?.close();
    if (tail !== undefined) for (const l of last.slice(Math.max(0, last.length - tail))) emit(l);
    return;
  }
  try {
    let offset = await scanLogs(fd, 0, first, o.drained);
    if (tail !== undefined) for (const l of last.slice(Math.max(0, last.length - tail))) emit(l);
    if (!o.follow || !watch) return;
    // The run followed: as docker's, whose log driver is closed at every exit, a follow ends at
    // the exit of the run it began in, even one the restart policy starts again (restarting,
    // or already running again: a later StartedAt).
    let followed: string | undefined;
    for (;;) {
      // Checked before the read: the lines written up to the exit are read once more after it.
      // From the record on disk: an rm -f from elsewhere ends the follow too.
      const now = loadRecord(paths, rec.Id);
      const state = now && reconcile(paths, now).State;
      followed ??= state?.StartedAt;
      const ended = !state || !state.Running || state.Restarting || state.StartedAt !== followed;
      const done = ended || (o.until !== undefined && Date.now() > o.until) || !!o.signal?.aborted;
      // Truncated (max-file 1): from its start again.
      if (fs.fstatSync(fd).size < offset) offset = 0;
      offset = await scanLogs(fd, offset, (l) => inRange(l) && emit(l), o.drained);
      // Rotated: the rest of the old file was just read; on with the one written after it.
      const next = openNextLog(rec.LogPath, fs.fstatSync(fd).ino);
      if (next !== undefined) {
        fs.closeSync(fd);
        fd = next;
        offset = 0;
        continue;
      }
      if (done) return;
      await watch.next(o.until === undefined ? Infinity : o.until - Date.now() + 1, o.signal);
    }
  } finally {
    watch?.close();
    fs.closeSync(fd);
  }
}

/**
 * How many rotated files the log has (.1 to .N), or undefined while a rotation is moving them
 * (the monitor renames .k to .k+1 from the oldest down, so a gap shows one under way).
 */
function rotatedFiles(logPath: string): number | undefined {
  const base = `${path.basename(logPath)}.`;
  const nums = fs.readdirSync(path.dirname(logPath)).filter((n) => n.startsWith(base) && /^\d+$/.test(n.slice(base.length)))
    .map((n) => Number(n.slice(base.length))).sort((a, b) => a - b);
  return nums.every((n, i) => n === i + 1) ? nums.length : undefined;
}

/** Whether each name still names the file opened from it (fd undefined: still nothing there). */
function stillNamed(names: string[], fds: Array<number | undefined>): boolean {
  return names.every((name, i) => {
    const st = fs.statSync(name, { throwIfNoEntry: false });
    const fd = fds[i];
    return fd === undefined ? !st : st?.ino === fs.fstatSync(fd).ino;
  });
}

/**
 * The log's files, oldest first and the current one last (left out when there is none),
 * opened as one set: retried until no rotation moved a name while they were opened.
 */
function openLogFiles(logPath: string): number[] {
  for (;;) {
    const n = rotatedFiles(logPath);
    if (n === undefined) continue;
    const names = [...Array.from({ length: n }, (_, i) => `${logPath}.${n - i}`), logPath];
    const fds = names.map(openLog);
    if (rotatedFiles(logPath) === n && stillNamed(names, fds)) return fds.filter((fd): fd is number => fd !== undefined);
    for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The file written after the one with inode ino, once that one is rotated: the one rotated
 * in just after it (.k-1 where it is .k now), or the current one; undefined while ino is
 * still the current file. One rotated past max-file is gone: then the oldest still kept.
 */
function openNextLog(logPath: string, ino: number): number | undefined {
  for (;;) {
    const current = fs.statSync(logPath, { throwIfNoEntry: false });
    if (!current || current.ino === ino) return undefined;
    const n = rotatedFiles(logPath);
    if (n === undefined) continue;
    let k = 1;
    while (k <= n && fs.statSync(`${logPath}.${k}`, { throwIfNoEntry: false })?.ino !== ino) k++;
    const name = k > n ? (n ? `${logPath}.${n}` : logPath) : k === 1 ? logPath : `${logPath}.${k - 1}`;
    const fd = openLog(name);
    // Nothing moved between finding it and opening it.
    if (fd !== undefined && rotatedFiles(logPath) === n && stillNamed([name], [fd])
      && (k > n || fs.statSync(`${logPath}.${k}`, { throwIfNoEntry: false })?.ino === ino)) return fd;
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function openLog(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
    return undefined;
  }
}
