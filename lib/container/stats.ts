// `gocker stats`: what docker's stats shows, from the container's cgroups and network namespace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupManager } from '../cgroups';
import type { ContainerRecord } from './record';

/** One sample of a container's use of the machine: a row of `docker stats`. */
export interface ContainerStats {
  /** the container's id (64 hex chars) */
  id: string;
  /** its name, without docker's leading '/' */
  name: string;
  /** CPU time over the sample's interval, in percent of one CPU (so up to 100 x the CPUs); 0 when not running */
  cpuPercent: number;
  /** bytes of memory its cgroup uses now */
  memoryUsage: number;
  /** its memory limit in bytes, or the machine's memory when it has none (as docker) */
  memoryLimit: number;
  /** memoryUsage in percent of memoryLimit */
  memoryPercent: number;
  /** bytes received on its interfaces but lo (0 with --network host, as docker) */
  netRx: number;
  /** bytes sent on its interfaces but lo (0 with --network host) */
  netTx: number;
  /** bytes its cgroup read from block devices */
  blockRead: number;
  /** bytes its cgroup wrote to block devices */
  blockWrite: number;
  /** processes and threads in its cgroup */
  pids: number;
}

/** Bytes through the container's own interfaces (none with --network host, as docker shows). */
function netIo(rec: ContainerRecord): [number, number] {
  if (!rec.State.Running || rec.HostConfig.NetworkMode === 'host') return [0, 0];
  let rx = 0;
  let tx = 0;
  // The recorded pid is only a number: it is the container's while it is in the container's
  // cgroup, checked before and after the read (a recycled pid would show a host process's
  // interfaces).
  const ours = (): boolean => fs.readFileSync(`/proc/${rec.State.Pid}/cgroup`, 'utf8').split('\n').some((l) => l.endsWith(`/${rec.CgroupPath}`));
  try {
    if (!ours()) return [0, 0];
    for (const line of fs.readFileSync(`/proc/${rec.State.Pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!rest || name.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      rx += f[0];
      tx += f[8];
    }
    if (!ours()) return [0, 0];
  } catch {
    /* exited meanwhile */
  }
  return [rx, tx];
}

/** v1 blkio.throttle.io_service_bytes_recursive or v2 io.stat, summed over devices. */
function blockIo(dirs: string[]): [number, number] {
  let read = 0;
  let write = 0;
  for (const d of dirs) {
    const v1 = path.join(d, 'blkio.throttle.io_service_bytes_recursive');
    const v2 = path.join(d, 'io.stat');
    try {
      if (fs.existsSync(v1)) {
        for (const [, op, n] of fs.readFileSync(v1, 'utf8').matchAll(/^\S+ (Read|Write) (\d+)$/gm)) {
          if (op === 'Read') read += Number(n);
          else write += Number(n);
        }
      } else if (fs.existsSync(v2)) {
        for (const [, op, n] of fs.readFileSync(v2, 'utf8').matchAll(/\b(rbytes|wbytes)=(\d+)/g)) {
          if (op === 'rbytes') read += Number(n);
          else write += Number(n);
        }
      }
    } catch {
      /* removed meanwhile */
    }
  }
  return [read, write];
}

/** One sample: CPU % over intervalMs, of the whole machine's capacity per CPU, as docker's. */
export async function sampleStats(recs: ContainerRecord[], intervalMs = 100): Promise<ContainerStats[]> {
  const mgr = cgroupManager();
  const totalMem = os.totalmem();
  const first = recs.map((r) => ({ r, cg: mgr.open(r.CgroupPath), cpu: mgr.open(r.CgroupPath).stats().cpuUsageNs, t: process.hrtime.bigint() }));
  await new Promise((res) => setTimeout(res, intervalMs));
  return first.map(({ r, cg, cpu, t }) => {
    const s = cg.stats();
    const limit = s.memoryLimit && s.memoryLimit < totalMem ? s.memoryLimit : totalMem;
    const [netRx, netTx] = netIo(r);
    const [blockRead, blockWrite] = blockIo(cg.dirs());
    return {
      id: r.Id,
      name: r.Name.slice(1),
      cpuPercent: r.State.Running ? ((s.cpuUsageNs - cpu) / Number(process.hrtime.bigint() - t)) * 100 : 0,
      memoryUsage: s.memoryUsage,
      memoryLimit: limit,
      memoryPercent: limit ? (s.memoryUsage / limit) * 100 : 0,
      netRx,
      netTx,
      blockRead,
      blockWrite,
      pids: s.pids,
    };
  });
}
