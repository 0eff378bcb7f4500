// The container lifecycle after run: state from what the monitor left, and ps, rm, stop,
// kill, wait, logs. No daemon: every command reads the records and the monitor's files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cgroupManager } from '../cgroups';
import { GockerError } from '../errors';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';
import { acquireLock } from '../store/atomic';
import { containerLock, listRecords, loadRecord, readExit, resolveContainer, saveRecord } from './state';

function readPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Is pid alive and still a gocker-monitor (not a recycled pid)? */
function monitorAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('gocker-monitor');
  } catch {
    return false;
  }
}

/**
 * Brings a record up to date with the monitor's files: exited once exit.json is written;
 * exited (255, as podman reports a lost conmon) when the monitor died without writing it or
 * the runroot is gone (a reboot); running while the monitor lives.
 */
export function reconcile(paths: StorePaths, rec: ContainerRecord): ContainerRecord {
  if (rec.State.Status === 'exited' || rec.State.Status === 'dead') return rec;
  const run = paths.runContainer(rec.Id);
  const exit = readExit(paths, rec.Id);
  const monitorPid = readPid(path.join(run, 'monitor.pid'));
  if (exit) {
    const oom = exit.signal === 9 && cgroupManager().open(rec.CgroupPath).oomKilled();
    rec.State = { ...rec.State, Status: 'exited', Running: false, Pid: 0, ExitCode: oom ? 137 : exit.exitCode, OOMKilled: oom,
      StartedAt: exit.startedAt || rec.State.StartedAt, FinishedAt: exit.finishedAt, Error: exit.error };
    saveRecord(paths, rec);
  } else if (monitorAlive(monitorPid)) {
    const pid = readPid(path.join(run, 'pid'));
    if (rec.State.Status !== 'running' || rec.State.Pid !== pid) {
      rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid };
      if (rec.State.StartedAt.startsWith('0001')) rec.State.StartedAt = new Date().toISOString();
    }
  } else if (rec.State.Status === 'running' || monitorPid) {
    rec.State = { ...rec.State, Status: 'exited', Running: false, Pid: 0, ExitCode: 255, FinishedAt: new Date().toISOString(), Error: 'container monitor exited unexpectedly' };
    saveRecord(paths, rec);
  }
  return rec;
}

export function containers(paths: StorePaths, all: boolean): ContainerRecord[] {
  return listRecords(paths).map((r) => reconcile(paths, r)).filter((r) => all || r.State.Running)
    .sort((a, b) => b.Created.localeCompare(a.Created));
}

export function find(paths: StorePaths, ref: string): ContainerRecord {
  return reconcile(paths, resolveContainer(paths, ref));
}

export function signalNumber(sig: string): NodeJS.Signals {
  const s = sig.toUpperCase();
  if (/^\d+$/.test(s)) {
    const name = Object.entries(require('node:os').constants.signals as Record<string, number>).find(([, n]) => n === Number(s))?.[0];
    if (!name) throw new GockerError(`invalid signal: ${sig}`);
    return name as NodeJS.Signals;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (!(name in require('node:os').constants.signals)) throw new GockerError(`invalid signal: ${sig}`);
  return name as NodeJS.Signals;
}

export function kill(paths: StorePaths, ref: string, sig = 'SIGKILL'): ContainerRecord {
  const rec = find(paths, ref);
  if (!rec.State.Running) throw new GockerError(`cannot kill container: ${ref}: container ${rec.Id} is not running`, { exitCode: 1 });
  process.kill(rec.State.Pid, signalNumber(sig));
  return rec;
}

async function waitExit(paths: StorePaths, rec: ContainerRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (reconcile(paths, rec).State.Status === 'exited') return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The image's StopSignal (or SIGTERM), then SIGKILL after the grace period. */
export async function stop(paths: StorePaths, ref: string, graceSeconds = 10): Promise<ContainerRecord> {
  const rec = find(paths, ref);
  if (!rec.State.Running) return rec;
  try {
    process.kill(rec.State.Pid, signalNumber(rec.Config.StopSignal || 'SIGTERM'));
  } catch {
    /* exited meanwhile */
  }
  if (!(await waitExit(paths, rec, graceSeconds * 1000))) {
    try {
      process.kill(rec.State.Pid, 'SIGKILL');
    } catch {
      /* exited meanwhile */
    }
    await waitExit(paths, rec, 10_000);
  }
  return rec;
}

export async function wait(paths: StorePaths, ref: string): Promise<number> {
  const rec = find(paths, ref);
  while (!(await waitExit(paths, rec, 60_000))) {
    /* keep waiting */
  }
  return rec.State.ExitCode;
}

/**
 * Removes a container: -f kills it first. Its cgroups, writable layer and runtime files go.
 * Under the container's lock: a concurrent rm, start or `run --rm` finishing either went
 * first (then this one finds no such container) or waits.
 */
export async function remove(paths: StorePaths, ref: string, force = false): Promise<ContainerRecord> {
  const id = find(paths, ref).Id;
  const release = await acquireLock(containerLock(paths, id));
  try {
    if (!loadRecord(paths, id)) throw new GockerError(`No such container: ${ref}`, { code: 'ENOCONTAINER', exitCode: 1 });
    return await removeLocked(paths, reconcile(paths, loadRecord(paths, id)!), force);
  } finally {
    release();
  }
}

async function removeLocked(paths: StorePaths, rec: ContainerRecord, force: boolean): Promise<ContainerRecord> {
  if (rec.State.Running) {
    if (!force) {
      throw new GockerError(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`, { exitCode: 1 });
    }
    try {
      process.kill(rec.State.Pid, 'SIGKILL');
    } catch {
      /* exited meanwhile */
    }
    await waitExit(paths, rec, 10_000);
  }
  await cgroupManager().open(rec.CgroupPath).destroy();
  fs.rmSync(paths.runContainer(rec.Id), { recursive: true, force: true });
  fs.rmSync(paths.container(rec.Id), { recursive: true, force: true });
  fs.rmSync(containerLock(paths, rec.Id), { force: true });
  return rec;
}

export interface LogLine { stream: 'stdout' | 'stderr'; log: string; time: string }

export function readLogs(rec: ContainerRecord, tail?: number): LogLine[] {
  let text = '';
  try {
    text = fs.readFileSync(rec.LogPath, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
  return tail !== undefined && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
}

/** -f: prints new lines as they come until the container exits. */
export async function followLogs(paths: StorePaths, rec: ContainerRecord, from: number, emit: (l: LogLine) => void): Promise<void> {
  let seen = from;
  for (;;) {
    const done = reconcile(paths, rec).State.Status === 'exited';
    const lines = readLogs(rec);
    for (const l of lines.slice(seen)) emit(l);
    seen = lines.length;
    if (done) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
