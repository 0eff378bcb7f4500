// `gocker top`: as docker, the host's ps, cut down to the processes in the container's cgroup.
import { execFileSync } from 'node:child_process';
import { cgroupManager } from '../cgroups';
import { GockerError, NotRunningError } from '../errors';
import type { StorePaths } from '../store/paths';
import { find } from './lifecycle';

/** `docker top`'s answer: ps's header, and its rows for the container's processes. */
export interface TopResult {
  /** ps's column names */
  Titles: string[];
  /** a row per process, a string per column (the last, the command, may hold spaces) */
  Processes: string[][];
}

/**
 * Runs ps with the caller's options (docker's default: -ef) and keeps the rows whose PID
 * column names a process of the container. The last column may hold spaces (the command).
 */
export function top(paths: StorePaths, ref: string, psArgs: string[] = ['-ef']): TopResult {
  const rec = find(paths, ref);
  if (!rec.State.Running) throw new NotRunningError(`container ${rec.Id} is not running`);
  const pids = new Set(cgroupManager().open(rec.CgroupPath).pids());
  let out: string;
  try {
    out = execFileSync('ps', psArgs, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0];
    throw new GockerError(`ps: ${err || (e as Error).message}`, { exitCode: 1 });
  }
  const lines = out.split('\n').filter((l) => l.trim());
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new GockerError(`Couldn't find PID field in ps output`, { exitCode: 1 });
  const processes = lines.slice(1).map((l) => {
    const fields = l.trim().split(/\s+/);
    return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
  }).filter((f) => pids.has(Number(f[pidCol])));
  return { Titles: titles, Processes: processes };
}
