// One cgroup manager interface over cgroup v1 (and hybrid hosts, whose controllers are on
// v1) and pure cgroup v2. Files are written with plain fs calls: all of this is policy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, isErrno } from '../errors';
import { native } from '../native';
import { hostCgroups, type CgroupLayout, type CgroupMode } from './detect';
import { v1Line } from './devices';
import { sharesToWeight, type Resources } from './resources';

export { DEFAULT_SHM_SIZE, parseInt64Flag, parseMemorySwap, parseResources, parseShmSize, parseSize, type Resources, type ResourceFlags } from './resources';
export { ALLOW_ALL, DEFAULT_DEVICE_RULES, program as deviceProgram, type DeviceRule } from './devices';

export interface CgroupStats {
  memoryUsage: number;
  memoryLimit: number;
  cpuUsageNs: number;
  pids: number;
}

export interface ContainerCgroup {
  /** 'gocker/<id>', relative under every hierarchy */
  readonly name: string;
  /**
   * How the container's first process joins: `self` files it writes "0" to itself, first
   * thing after the fork; `byPid` files the monitor writes its pid to before releasing it.
   * v1 uses `tasks` files by self: a single-threaded task moving itself skips the global
   * threadgroup lock and the RCU grace period that taking it for write costs (5 to 18 ms
   * a container start on this machine's hybrid hierarchy). v2 has no such path for a
   * domain cgroup: cgroup.procs, by pid.
   */
  attachFiles(): { self: string[]; byPid: string[] };
  dirs(): string[];
  /**
   * The file whose `oom_kill` line counts OOM kills in this cgroup (v1 memory.oom_control,
   * v2 memory.events); the monitor reads it as the container starts and as it ends, so a
   * kill from an earlier run of the same container does not count.
   */
  oomEventsFile(): string | undefined;
  /**
   * v2: the directory a BPF device program is attached to (by the monitor, before the
   * container runs); v1 writes its device rules itself.
   */
  deviceProgramTarget(): string | undefined;
  stats(): CgroupStats;
  pids(): number[];
  /**
   * New limits on a live cgroup (docker update): only the fields given are written; memory
   * comes with memorySwap, the total of memory and swap it must stay within (-1: unlimited),
   * and a pidsLimit of 0 or -1 lifts the limit.
   */
  update(r: Resources): void;
  /** Can memory+swap be limited here (v1 memory.memsw.*, v2 memory.swap.max)? docker's SwapLimit. */
  swapLimited(): boolean;
  /** Is the freezer holding the container's processes (docker pause)? */
  frozen(): boolean;
  /**
   * Stops every process of the container where it stands (the v1 freezer, or v2's
   * cgroup.freeze), returning once the kernel reports them all frozen; one that cannot be
   * frozen within timeoutMs has the cgroup thawed again, and the call throws.
   */
  freeze(timeoutMs?: number): Promise<void>;
  /** Lets them run on; returns once the kernel reports the cgroup thawed. */
  thaw(timeoutMs?: number): Promise<void>;
  /** kills leftovers and removes every directory; idempotent */
  destroy(): Promise<void>;
  /**
   * At the container's exit: its directories removed where they are empty, as runc's delete
   * does, so a container that has stopped holds no cgroup (its next start makes them again);
   * one a task is still leaving stays for destroy(). Never kills, never waits.
   */
  release(): void;
}

export interface CgroupManager {
  readonly mode: CgroupMode;
  /** the host's hierarchies, as detected */
  readonly layout: CgroupLayout;
  create(name: string, r: Resources): Promise<ContainerCgroup>;
  open(name: string): ContainerCgroup;
}

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'devices', 'freezer', 'blkio'] as const;

function write(file: string, value: string | number): void {
  fs.writeFileSync(file, String(value));
}

/**
 * A thaw's write: false when the cgroup is gone (its directory, by gone()), which leaves
 * nothing frozen. The container ended meanwhile, and its monitor released the cgroup at the
 * exit: a kill of a paused container (cgroup v2 lets SIGKILL through a freeze) or the thaw's
 * own first write (v1) lets it end before the thaw is done with the cgroup.
 */
function writeUnlessGone(file: string, value: string | number, gone: () => boolean): boolean {
  try {
    write(file, value);
    return true;
  } catch (e) {
    if (isErrno(e, 'ENOENT') && gone()) return false;
    throw e;
  }
}

function readInt(file: string): number {
  try {
    const n = parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

function readKeyed(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k) out[k] = Number(v);
    }
  } catch {
    /* missing: zeros */
  }
  return out;
}

function procs(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILL to a process read from the cgroup's list, through a pidfd taken before the list is
 * read again: a pid is only a number, and the process may have exited and its pid gone to a
 * host process in between. The pidfd stays the process it was opened on, so once the pid is
 * seen in the list again after it, the signal reaches a process of this cgroup.
 */
function killIfStillIn(dir: string, pid: number): void {
  const n = native();
  let fd: number;
  try {
    fd = n.pidfdOpen(pid);
  } catch {
    return; // already gone
  }
  try {
    if (procs(dir).includes(pid)) n.pidfdSignal(fd, 9);
  } finally {
    fs.closeSync(fd);
  }
}

/** rmdir, retrying while the kernel finishes tearing down exited tasks. */
async function removeDir(dir: string): Promise<void> {
  // A task killed a moment ago stays in the cgroup until it has finished exiting, which
  // under load takes more than the 2 s this used to allow.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return;
      if (!isErrno(e, 'EBUSY') || Date.now() > deadline) throw e;
      for (const pid of procs(dir)) killIfStillIn(dir, pid);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/**
 * Runs a step that creates directories under the shared 'gocker' parent again if that
 * parent vanished meanwhile (the last other container's removal takes it: see below), or
 * was made again and not filled yet.
 */
function retryVanished(step: () => void): void {
  for (let i = 0; ; i++) {
    try {
      step();
      return;
    } catch (e) {
      // ENODEV: a file of a directory removed while it was being read or written.
      if (!(isErrno(e, 'ENOENT') || isErrno(e, 'ENODEV')) || i >= 5) throw e;
    }
  }
}

/** release(): each directory that is empty (the kernel refuses one with tasks), then its parent. */
function releaseDirs(dirs: string[]): void {
  for (const d of dirs) {
    try {
      fs.rmdirSync(d);
    } catch {
      continue; // a task still exiting (EBUSY), or gone already
    }
    removeParentIfEmpty(d);
  }
}

/** The shared 'gocker' parent goes with its last container, so nothing of ours lingers. */
function removeParentIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(path.dirname(dir));
  } catch {
    /* other containers still there (EBUSY), or already gone */
  }
}

/** Reads a file, trimmed; undefined when it is not there. */
function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Polls until done() holds, writing again (the kernel retries a freeze on each write) every
 * 5 ms; false once timeoutMs has passed without it.
 */
async function settle(done: () => boolean, again: () => void, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 5));
    again();
  }
}

/** The freezer's default patience: runc gives up on a cgroup that does not freeze after about as long. */
const FREEZE_TIMEOUT_MS = 5000;

function noFreezer(name: string): GockerError {
  return new GockerError(`cannot pause container ${path.basename(name)}: this host has no cgroup freezer (neither a v1 freezer hierarchy nor cgroup v2)`, { exitCode: 1 });
}

class V1Cgroup implements ContainerCgroup {
  // Made once (the mount points are absolute and clean, the name is gocker/<id>): a start
  // asks for them many times, and path.join's loop over every character, made hot, had V8
  // optimize it on a thread that a container's start then waited behind.
  private readonly byController = new Map<string, string>();
  private readonly all: string[];

  constructor(readonly name: string, private readonly mounts: Map<string, string>) {
    for (const [controller, m] of mounts) this.byController.set(controller, `${m}/${name}`);
    this.all = [...new Set(this.byController.values())];
  }

  private dir(controller: string): string | undefined {
    return this.byController.get(controller);
  }

  dirs(): string[] {
    return this.all;
  }

  attachFiles(): { self: string[]; byPid: string[] } {
    return { self: this.all.map((d) => `${d}/tasks`), byPid: [] };
  }

  create(r: Resources): void {
    for (const d of this.dirs()) {
      // cpuset: a new cgroup starts with empty cpus and mems and refuses tasks; inherit
      // the parent's at every level (the v1 cpuset quirk). A level at a time, not made with
      // its parents: the shared parent, filled here and then taken by another container's
      // last exit, was made again empty by the child's recursive mkdir, the child copied
      // its emptiness and the container's join failed (ENOSPC). A parent gone or not yet
      // filled (made by another start a moment ago) is ENOENT: all again, from the top.
      if (d === this.byController.get('cpuset')) retryVanished(() => {
        let cur = this.mounts.get('cpuset')!;
        for (const part of this.name.split('/')) {
          const next = `${cur}/${part}`;
          try {
            fs.mkdirSync(next);
          } catch (e) {
            if (!isErrno(e, 'EEXIST')) throw e;
          }
          for (const f of ['cpuset.cpus', 'cpuset.mems']) {
            if (fs.readFileSync(`${next}/${f}`, 'utf8').trim() !== '') continue;
            const inherited = fs.readFileSync(`${cur}/${f}`, 'utf8').trim();
            if (inherited === '') throw Object.assign(new Error(`ENOENT: ${cur}/${f} not filled yet`), { code: 'ENOENT' });
            write(`${next}/${f}`, inherited);
          }
          cur = next;
        }
      });
      else retryVanished(() => fs.mkdirSync(d, { recursive: true }));
    }
    this.update(r);
    const devices = this.dir('devices');
    if (devices && r.devices) {
      // One rule per write(2), as the controller parses them; 'a' to deny first empties
      // the list inherited from the parent.
      fs.appendFileSync(path.join(devices, 'devices.deny'), 'a');
      const fd = fs.openSync(path.join(devices, 'devices.allow'), 'w');
      try {
        for (const rule of r.devices) fs.writeSync(fd, v1Line(rule));
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  update(r: Resources): void {
    const mem = this.dir('memory');
    if (mem && r.memory) {
      const limit = path.join(mem, 'memory.limit_in_bytes');
      const memsw = path.join(mem, 'memory.memsw.limit_in_bytes');
      // docker's default: swap as large as memory (memory-swap = 2 x memory).
      const swap = fs.existsSync(memsw) ? (r.memorySwap === undefined ? r.memory * 2 : r.memorySwap) : undefined;
      // The kernel keeps the memory limit within memory+swap at every write: when the new
      // total is above the memory limit now in force, it goes first (runc's order).
      if (swap !== undefined && (swap === -1 || readInt(limit) < swap)) {
        write(memsw, swap);
        write(limit, r.memory);
      } else {
        write(limit, r.memory);
        if (swap !== undefined) write(memsw, swap);
      }
    }
    const cpu = this.dir('cpu');
    if (cpu && r.nanoCpus) {
      write(path.join(cpu, 'cpu.cfs_period_us'), 100000);
      write(path.join(cpu, 'cpu.cfs_quota_us'), Math.round(r.nanoCpus / 1e4));
    }
    if (cpu && r.cpuShares) write(path.join(cpu, 'cpu.shares'), r.cpuShares);
    const cpuset = this.dir('cpuset');
    if (cpuset && r.cpusetCpus) write(path.join(cpuset, 'cpuset.cpus'), r.cpusetCpus);
    const pids = this.dir('pids');
    if (pids && r.pidsLimit !== undefined) write(path.join(pids, 'pids.max'), r.pidsLimit > 0 ? r.pidsLimit : 'max');
  }

  swapLimited(): boolean {
    const mem = this.mounts.get('memory');
    return !!mem && fs.existsSync(path.join(mem, 'memory.memsw.limit_in_bytes'));
  }

  private freezerState(): string | undefined {
    const d = this.dir('freezer');
    return d && readTrimmed(path.join(d, 'freezer.state'));
  }

  frozen(): boolean {
    return this.freezerState() === 'FROZEN';
  }

  async freeze(timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
    const d = this.dir('freezer');
    if (!d) throw noFreezer(this.name);
    const state = path.join(d, 'freezer.state');
    write(state, 'FROZEN');
    // FREEZING until every task has stopped; a task the kernel cannot stop yet (in an
    // uninterruptible sleep) keeps it there.
    if (await settle(() => this.freezerState() === 'FROZEN', () => write(state, 'FROZEN'), timeoutMs)) return;
    write(state, 'THAWED');
    throw new GockerError(`cannot pause container ${path.basename(this.name)}: its processes did not freeze within ${timeoutMs / 1000}s`, { exitCode: 1 });
  }

  async thaw(timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
    const d = this.dir('freezer');
    if (!d) throw noFreezer(this.name);
    const state = path.join(d, 'freezer.state');
    const gone = (): boolean => !fs.existsSync(d);
    if (!writeUnlessGone(state, 'THAWED', gone)) return;
    if (!(await settle(() => gone() || this.freezerState() === 'THAWED', () => void writeUnlessGone(state, 'THAWED', gone), timeoutMs))) {
      throw new GockerError(`cannot unpause container ${path.basename(this.name)}: its cgroup did not thaw within ${timeoutMs / 1000}s`, { exitCode: 1 });
    }
  }

  oomEventsFile(): string | undefined {
    const mem = this.dir('memory');
    return mem && path.join(mem, 'memory.oom_control');
  }

  deviceProgramTarget(): string | undefined {
    return undefined;
  }

  stats(): CgroupStats {
    const mem = this.dir('memory');
    const acct = this.dir('cpuacct');
    const pids = this.dir('pids');
    return {
      memoryUsage: mem ? readInt(path.join(mem, 'memory.usage_in_bytes')) : 0,
      memoryLimit: mem ? readInt(path.join(mem, 'memory.limit_in_bytes')) : 0,
      cpuUsageNs: acct ? readInt(path.join(acct, 'cpuacct.usage')) : 0,
      pids: pids ? readInt(path.join(pids, 'pids.current')) : 0,
    };
  }

  pids(): number[] {
    const d = this.dir('pids') ?? this.dirs()[0];
    return d ? procs(d) : [];
  }

  async destroy(): Promise<void> {
    // A frozen task cannot even die: a paused container is thawed first (the kill below,
    // or the one before the removal, is then delivered).
    const freezer = this.dir('freezer');
    if (freezer && this.frozen()) {
      try {
        write(path.join(freezer, 'freezer.state'), 'THAWED');
      } catch {
        /* gone meanwhile */
      }
    }
    // Every hierarchy is tried even when one refuses: a first failure used to leave all
    // of them behind.
    let first: unknown;
    for (const d of this.dirs()) {
      try {
        await removeDir(d);
        removeParentIfEmpty(d);
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }
  release(): void {
    releaseDirs(this.dirs());
  }
}

class V2Cgroup implements ContainerCgroup {
  readonly dir: string;
  constructor(readonly name: string, private readonly mount: string) {
    this.dir = path.join(mount, name);
  }

  dirs(): string[] {
    return [this.dir];
  }

  attachFiles(): { self: string[]; byPid: string[] } {
    return { self: [], byPid: [path.join(this.dir, 'cgroup.procs')] };
  }

  create(r: Resources): void {
    // Controllers must be enabled in every ancestor's subtree_control.
    const available = new Set(fs.readFileSync(path.join(this.mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
    const want = ['cpu', 'cpuset', 'memory', 'pids', 'io'].filter((c) => available.has(c));
    let cur = this.mount;
    for (const part of this.name.split('/')) {
      if (want.length) {
        try {
          write(path.join(cur, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
        } catch (e) {
          // The root of a delegated tree may refuse (processes in it): limits then fail loudly below.
          if (!isErrno(e, 'EBUSY') && !isErrno(e, 'ENOTSUP')) throw e;
        }
      }
      cur = path.join(cur, part);
      const dir = cur;
      retryVanished(() => fs.mkdirSync(dir, { recursive: true }));
    }
    this.update(r);
  }

  update(r: Resources): void {
    // A limit whose controller is not enabled here is refused, not dropped: the user asked
    // for it. (The interface files of a controller exist only once it is enabled.)
    const enabled = new Set(fs.readFileSync(path.join(this.dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/));
    const needs: Array<[boolean, string, string]> = [
      [!!r.memory, 'memory', '--memory'], [!!(r.nanoCpus || r.cpuShares), 'cpu', '--cpus/--cpu-shares'],
      [!!r.cpusetCpus, 'cpuset', '--cpuset-cpus'], [r.pidsLimit !== undefined, 'pids', '--pids-limit'],
    ];
    for (const [asked, controller, flag] of needs) {
      if (asked && !enabled.has(controller)) {
        throw new GockerError(`cannot apply ${flag}: the cgroup v2 controller "${controller}" is not enabled for ${this.dir} (available: ${[...enabled].filter(Boolean).join(' ') || 'none'})`);
      }
    }
    if (r.memory) {
      write(path.join(this.dir, 'memory.max'), r.memory);
      const swapFile = path.join(this.dir, 'memory.swap.max');
      if (fs.existsSync(swapFile)) {
        const swap = r.memorySwap === undefined ? r.memory : r.memorySwap === -1 ? 'max' : r.memorySwap - r.memory;
        write(swapFile, swap);
      }
    }
    if (r.nanoCpus) write(path.join(this.dir, 'cpu.max'), `${Math.round(r.nanoCpus / 1e4)} 100000`);
    if (r.cpuShares) write(path.join(this.dir, 'cpu.weight'), sharesToWeight(r.cpuShares));
    if (r.cpusetCpus) write(path.join(this.dir, 'cpuset.cpus'), r.cpusetCpus);
    if (r.pidsLimit !== undefined) write(path.join(this.dir, 'pids.max'), r.pidsLimit > 0 ? r.pidsLimit : 'max');
  }

  swapLimited(): boolean {
    // The root has no memory files: the container's own cgroup, or the parent of all of
    // them while it has none (a stopped container).
    return [this.dir, path.dirname(this.dir)].some((d) => fs.existsSync(path.join(d, 'memory.swap.max')));
  }

  frozen(): boolean {
    return readTrimmed(path.join(this.dir, 'cgroup.freeze')) === '1';
  }

  /** cgroup.events' `frozen` line: 1 once every task of the cgroup has stopped. */
  private reportsFrozen(): boolean | undefined {
    const events = readTrimmed(path.join(this.dir, 'cgroup.events'));
    const line = events?.split('\n').find((l) => l.startsWith('frozen '));
    return line === undefined ? undefined : line === 'frozen 1';
  }

  async freeze(timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
    const file = path.join(this.dir, 'cgroup.freeze');
    // cgroup.freeze came with Linux 5.2: before it, v2 has no freezer.
    if (!fs.existsSync(file)) throw noFreezer(this.name);
    write(file, 1);
    if (await settle(() => this.reportsFrozen() === true, () => undefined, timeoutMs)) return;
    write(file, 0);
    throw new GockerError(`cannot pause container ${path.basename(this.name)}: its processes did not freeze within ${timeoutMs / 1000}s`, { exitCode: 1 });
  }

  async thaw(timeoutMs = FREEZE_TIMEOUT_MS): Promise<void> {
    const file = path.join(this.dir, 'cgroup.freeze');
    const gone = (): boolean => !fs.existsSync(this.dir);
    if (gone()) return; // see writeUnlessGone
    if (!fs.existsSync(file)) throw noFreezer(this.name);
    if (!writeUnlessGone(file, 0, gone)) return;
    if (!(await settle(() => gone() || this.reportsFrozen() === false, () => undefined, timeoutMs))) {
      throw new GockerError(`cannot unpause container ${path.basename(this.name)}: its cgroup did not thaw within ${timeoutMs / 1000}s`, { exitCode: 1 });
    }
  }

  oomEventsFile(): string | undefined {
    return path.join(this.dir, 'memory.events');
  }

  deviceProgramTarget(): string | undefined {
    return this.dir;
  }

  stats(): CgroupStats {
    const max = (() => {
      try {
        const v = fs.readFileSync(path.join(this.dir, 'memory.max'), 'utf8').trim();
        return v === 'max' ? 0 : Number(v);
      } catch {
        return 0;
      }
    })();
    return {
      memoryUsage: readInt(path.join(this.dir, 'memory.current')),
      memoryLimit: max,
      cpuUsageNs: (readKeyed(path.join(this.dir, 'cpu.stat')).usage_usec ?? 0) * 1000,
      pids: readInt(path.join(this.dir, 'pids.current')),
    };
  }

  pids(): number[] {
    return procs(this.dir);
  }

  async destroy(): Promise<void> {
    // cgroup.kill (5.14+) kills the whole subtree at once; older kernels fall back to kill(2).
    try {
      write(path.join(this.dir, 'cgroup.kill'), 1);
    } catch {
      /* missing file or already gone */
    }
    await removeDir(this.dir);
    removeParentIfEmpty(this.dir);
  }
  release(): void {
    releaseDirs([this.dir]);
  }
}

class Manager implements CgroupManager {
  readonly mode: CgroupMode;
  private readonly v1 = new Map<string, string>();
  private readonly unified?: string;

  constructor(readonly layout: CgroupLayout) {
    this.mode = layout.mode;
    if (layout.mode === 'v2') {
      this.unified = layout.unifiedMount;
    } else {
      for (const h of layout.hierarchies) {
        if (h.version !== 1) continue;
        for (const c of h.controllers) if ((V1_CONTROLLERS as readonly string[]).includes(c)) this.v1.set(c, h.mountpoint);
      }
    }
  }

  open(name: string): ContainerCgroup {
    if (this.unified) return new V2Cgroup(name, this.unified);
    return new V1Cgroup(name, this.v1);
  }

  async create(name: string, r: Resources): Promise<ContainerCgroup> {
    const cg = this.open(name);
    try {
      (cg as V1Cgroup | V2Cgroup).create(r);
    } catch (e) {
      // Awaited: the CLI exits right after the error, and an unawaited removal left
      // directories behind.
      await cg.destroy().catch(() => undefined);
      throw e;
    }
    return cg;
  }
}

let hostManager: { forced: string | undefined; manager: Manager } | undefined;

/**
 * The host's manager (detected once a process: a run asks more than once, and the layout of
 * the hierarchies does not change under it); `layout` lets tests point it at a fake tree.
 */
export function cgroupManager(opts: { layout?: CgroupLayout } = {}): CgroupManager {
  if (opts.layout) return new Manager(opts.layout);
  const forced = process.env.GOCKER_CGROUP_MANAGER;
  if (hostManager && hostManager.forced === forced) return hostManager.manager;
  const host = hostCgroups(native());
  // GOCKER_CGROUP_MANAGER=v2 on a hybrid host: containers in the unified hierarchy alone
  // (the controllers the host enabled there, often none), as on a pure v2 machine.
  const manager = forced === 'v2' && host.mode === 'hybrid' && host.unifiedMount ? new Manager({ ...host, mode: 'v2' }) : new Manager(host);
  hostManager = { forced, manager };
  return manager;
}
