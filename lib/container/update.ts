// docker update: new resource limits for a container, running or created (its live cgroup,
// then its record) or not (its record, which the next start applies).
import * as fs from 'node:fs';
import { cgroupManager, parseInt64Flag, parseMemorySwap, parseResources, type ResourceFlags, type Resources } from '../cgroups';
import { GockerError, InvalidOptionError } from '../errors';
import type { StorePaths } from '../store/paths';
import { withContainer } from './lifecycle';
import type { ContainerRecord, HostConfigRecord } from './record';
import { saveRecord } from './state';
import { markPolicy, validateRestartPolicy, type RestartPolicy } from './restart';

/**
 * What an update asks for: the limits of a container's Resources it names, a field left out
 * keeps its value, as docker's zero values do.
 */
export type UpdateRequest = Pick<Resources, 'memory' | 'memorySwap' | 'nanoCpus' | 'cpuShares' | 'cpusetCpus' | 'pidsLimit'> & {
  /** --restart: the policy applied from the container's next exit, that of the run under way included */
  restartPolicy?: RestartPolicy;
};

const invalid = (option: keyof ResourceFlags, msg: string): GockerError => new InvalidOptionError(option, msg, { exitCode: 125 });

/**
 * The flags of `docker update`, checked as docker's CLI and daemon check them: a value that
 * does not parse is refused in the flag's words ('invalid argument "x" for ...', an
 * OptionSyntaxError), a limit out of range in the daemon's. Zero is "not given", as in
 * docker's flags.
 */
export function parseUpdate(f: ResourceFlags, hostInfo?: { cpus: number; onlineCpus: string }): UpdateRequest {
  const r = parseResources({ memory: f.memory, cpus: f.cpus, cpuShares: f.cpuShares, cpusetCpus: f.cpusetCpus }, hostInfo);
  const req: UpdateRequest = { memory: r.memory || undefined, nanoCpus: r.nanoCpus, cpuShares: r.cpuShares, cpusetCpus: r.cpusetCpus };
  if (f.memorySwap !== undefined && f.memorySwap !== '') {
    const swap = parseMemorySwap(String(f.memorySwap));
    if (swap) req.memorySwap = swap;
  }
  if (req.memory && req.memorySwap && req.memorySwap > 0 && req.memorySwap < req.memory) {
    throw invalid('memorySwap', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (f.pidsLimit !== undefined && f.pidsLimit !== '') {
    const v = parseInt64Flag(f.pidsLimit, '--pids-limit', 'pidsLimit');
    if (v !== 0) req.pidsLimit = v > 0 ? v : -1;
  }
  return req;
}

/** docker's warning when a memory limit cannot take swap with it. */
const NO_SWAP_LIMIT = 'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.';

/**
 * Applies req to the container ref. The live cgroup first (running or paused): a limit the
 * kernel refuses leaves the record as it was. Returns the updated record and docker's warnings.
 */
export async function updateContainer(paths: StorePaths, ref: string, request: UpdateRequest): Promise<{ rec: ContainerRecord; warnings: string[] }> {
  return withContainer(paths, ref, (rec) => {
    const cannot = (msg: string, cause?: unknown): GockerError => new GockerError(`Cannot update container ${rec.Id}: ${msg}`, { exitCode: 1, cause });
    const cg = cgroupManager().open(rec.CgroupPath);
    const req = { ...request };
    const warnings: string[] = [];
    if (req.memory && req.memorySwap !== -1 && !cg.swapLimited()) {
      warnings.push(NO_SWAP_LIMIT);
      req.memorySwap = -1;
    }
    const h = rec.HostConfig;
    // What docker keeps for a memory limit given without swap: twice the memory (older
    // gocker records say 0 there).
    const swapNow = h.MemorySwap || (h.Memory ? h.Memory * 2 : 0);
    const next: HostConfigRecord = { ...h };
    if (req.memory) {
      if (req.memory > swapNow && req.memorySwap === undefined) {
        throw cannot('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
      }
      next.Memory = req.memory;
      next.MemorySwap = req.memorySwap ?? swapNow;
    } else if (req.memorySwap !== undefined) {
      next.MemorySwap = req.memorySwap;
    }
    if (req.nanoCpus) next.NanoCpus = req.nanoCpus;
    if (req.cpuShares) next.CpuShares = req.cpuShares;
    if (req.cpusetCpus) next.CpusetCpus = req.cpusetCpus;
    if (req.pidsLimit !== undefined) next.PidsLimit = req.pidsLimit > 0 ? req.pidsLimit : null;
    if (req.restartPolicy) {
      const p = validateRestartPolicy(req.restartPolicy);
      // docker's words: a container removed at its exit has no exit to restart from.
      if (h.AutoRemove && p.Name !== 'no') throw cannot('Restart policy cannot be updated because AutoRemove is enabled for the container');
      next.RestartPolicy = p;
    }
    // Running, or created and made ready to start (`create` makes the cgroup and the process
    // that waits for `start`; start only lets it go): the cgroup in force takes the limits.
    // Before, a created container's were written to its record alone, and its start ran
    // with those of its create.
    // Not one waiting out its restart policy's back-off: it holds no cgroup then (its exit
    // took it), and its next start makes one with the record's limits, as dockerd applies them.
    if ((rec.State.Running && !rec.State.Restarting) || (rec.State.Status === 'created' && cg.dirs().some((d) => fs.existsSync(d)))) {
      // Swap is a total over memory: the kernel takes it only with a memory limit in force.
      const live: Resources = { nanoCpus: req.nanoCpus, cpuShares: req.cpuShares, cpusetCpus: req.cpusetCpus, pidsLimit: req.pidsLimit };
      if ((req.memory || req.memorySwap !== undefined) && next.Memory) {
        live.memory = next.Memory;
        live.memorySwap = next.MemorySwap;
      }
      try {
        cg.update(live);
      } catch (e) {
        throw cannot((e as Error).message, e);
      }
    }
    rec.HostConfig = next;
    saveRecord(paths, rec);
    // A policy given to a running (or created) container: its monitor runs the exit command.
    if (req.restartPolicy) markPolicy(paths, rec);
    return { rec, warnings };
  });
}
