// `gocker run`: image config + flags -> a container record and a spec for the monitor
// (run-prepare.ts, from run-options.ts' typed options), then the monitor runs it: launched,
// released, waited on, its exit recorded; `start` of a created or stopped one. Everything
// decided here; the monitor only carries it out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALLOW_ALL, cgroupManager, parseResources, type DeviceRule, type ContainerCgroup } from '../cgroups';
import { ConflictError, GockerError, NoSuchContainerError, NoSuchImageError, isErrno } from '../errors';
import { log, sinceStart } from '../log';
import type { ImageRecord } from '../store/types';
import { native } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { launchSpec, type OciSpec } from '../spec';
import { ZERO_TIME, type ContainerRecord } from './record';
import { acquireLock } from '../store/atomic';
import { lockContainer, lockRecord } from '../store/records';
import { PRIVATE_DIR } from '../store/perms';
import { ATTACH_SOCKET, EXIT_RELEASE_MARKER, SPEC_FILE, containerLock, loadRecord, readExit, readSpec, saveRecord, writeSpec, type ExitInfo } from './state';
import { abandonContainer, containerExited, removeContainer } from './teardown';
import { HeldSignals, startMonitor, startedOrOver, type Monitor, type SignalTarget } from './monitor';
import type { AttachEnd, AttachOptions, Attachment } from './attach';
import { networkHook, type NetworkHook } from './network';
import { joinedNamespaces, type AttachStreams } from './runflags';
import { containerActor, containerEvent, eventsDir, EVENTS_FILE, mountedVolumes, startEvents } from '../events';
import { exitCommandFor, exitCommandMarker, handOffExit, hasPolicy, markPolicy, resetRestart } from './restart';
import type { RunOptions } from './run-options';
import { prepareContainer, readOr, type Prepared } from './run-prepare';

export type { LogConfig, RunOptions, Ulimit } from './run-options';

/**
 * A caller's stdio for an attachment made by run or start: connected to the container's
 * attach socket before it is released. onAttached: called then, before it runs (the place to
 * send its terminal's size, which it then starts with).
 */
export interface AttachIo extends Omit<AttachOptions, 'detachKeys'> {
  onAttached?: (a: Attachment) => void;
}

/** A created container's namespaces, as files another process can open (setns, ip netns). */
export interface NamespacePaths {
  net: string;
  ipc: string;
  uts: string;
  mnt: string;
  pid: string;
  cgroup: string;
}

/** What a caller does between a container's creation and its release. */
export interface LaunchHooks {
  /**
   * Called once the container is created (its namespaces made, its pid known, nothing of it
   * run yet) and before it is released: the place to configure it from outside, its
   * network namespace say. A throw stops the start: the container is killed and the error
   * comes back.
   */
  beforeRelease?: (pid: number, ns: NamespacePaths) => Promise<void> | void;
  /**
   * Called with the container's id once its record is saved, before it is released: where
   * docker's CLI writes --cidfile. A throw stops the start and removes the container.
   */
  onCreate?: (id: string) => Promise<void> | void;
  /**
   * A foreground run's: called once its monitor has started, with where the signals the
   * caller passes on go (held until the container is released). docker's sig-proxy is the
   * caller's to install (the CLI's): the engine handles no signal of its process.
   */
  onSignals?: (target: SignalTarget) => void;
}

export interface StartOptions {
  /** -a: attach io (through the container's attach socket) until it exits */
  attach?: boolean;
  /** -i: io's stdin too */
  interactive?: boolean;
  io?: AttachIo;
  /** docker's --detach-keys */
  detachKeys?: string;
}

export const namespacePaths = (pid: number): NamespacePaths => {
  const ns = (n: string): string => `/proc/${pid}/ns/${n}`;
  return { net: ns('net'), ipc: ns('ipc'), uts: ns('uts'), mnt: ns('mnt'), pid: ns('pid'), cgroup: ns('cgroup') };
};

/** The FIFO a created container's monitor waits on, in its runroot directory. */
const RELEASE_FIFO = 'release';

export interface RunResult {
  id: string;
  exitCode: number;
  /** an engine or exec error, one line, when the command never ran */
  error?: string;
  oomKilled: boolean;
  /** the attachment ended with the detach keys: the container runs on */
  detached?: boolean;
}

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

export { processEnv } from '../spec';

export class Runner {
  /** hooks: for every start this runner makes (run, create, start of a stopped container), unless a call gives its own */
  constructor(private readonly paths: StorePaths, private readonly store: Store, private readonly hooks: LaunchHooks = {}) {}

  /** Creates and runs a container. Foreground: resolves when it exits. Detached: once it started. */
  /**
   * io: the caller's stdio for -t in the foreground, through the container's attach socket
   * (detachable with o.detachKeys); without it the output is only logged.
   */
  async run(o: RunOptions, onStart?: (id: string, monitorPid: number) => void, hooks: LaunchHooks = {}, io?: AttachIo): Promise<RunResult> {
    return this.runOrCreate(o, onStart, hooks, false, io);
  }

  /**
   * `create`: the container made and left waiting to be released by `start` (from any
   * process, any time later); its monitor runs on. Resolves with its id once it is created.
   */
  async create(o: RunOptions, hooks: LaunchHooks = {}): Promise<RunResult> {
    return this.runOrCreate({ ...o, detach: true }, undefined, hooks, true);
  }

  private async runOrCreate(o: RunOptions, onStart: ((id: string, monitorPid: number) => void) | undefined, hooks: LaunchHooks, create: boolean, io?: AttachIo): Promise<RunResult> {
    if (io) (await import('./attach')).checkAttachStreams(io);
    // Refused before anything is made (docker refuses them at the attach, after the create).
    if (o.detachKeys !== undefined) (await import('./attach')).parseDetachKeys(o.detachKeys, 125);
    const image = this.store.resolveImage(o.image);
    if (!image) throw new NoSuchImageError(`Unable to find image '${o.image}' locally`, { exitCode: 125 });
    if (o.platform) await checkPlatform(image, o.image, o.platform);
    const resources = parseResources(o);
    let prepared: Prepared | undefined;
    try {
      // A created container is not a detached run: `start` attaches to it or not later, and
      // its record says what a start attaches as docker's create does (stdout and stderr, or
      // -a's streams), not -d's nothing; -a is no conflict there.
      prepared = await prepareContainer(this.paths, create ? { ...o, detach: false } : o, image, resources);
      log.debug('container prepared', { id: prepared.rec.Id.slice(0, 12), image: image.id.slice(7, 19), ms: sinceStart() });
      if (this.paths.driver === 'vfs') {
        const rootfs = prepared.rec.GraphDriver.Data.UpperDir;
        const top = image.layers[image.layers.length - 1];
        if (top) await native().copyTree('/', top.dir, '/', rootfs, -1, -1);
        else fs.mkdirSync(rootfs, { mode: 0o755 });
      }
      // --rm: removal once it exits, by the monitor, when no CLI is there to do it: always
      // with -d, and in the foreground if this process is killed. Otherwise the exit command
      // of restart policies (restart.ts): the container's, or one `update` gives it meanwhile.
      const exitCommand = exitCommandFor(this.paths, prepared.rec);
      const release = await acquireLock(containerLock(this.paths, prepared.rec.Id));
      const { rec, spec, limits, files } = prepared;
      let net: JoinHook | undefined;
      try {
        // Under the container's lock: IPAM takes an address back only from a container that
        // has no record and no lock (store.ts holderGone).
        net = await withJoined(this.paths, rec, await networkHook(this.paths, rec, !o.rm));
      } catch (e) {
        release();
        throw e;
      }
      // Only -t goes through the socket: without it the monitor writes to this process's own stdio.
      const attachTo = io && o.tty && !o.detach && !create ? { ...io, detachKeys: o.detachKeys, stdinOnce: true } : undefined;
      return await this.launch(rec, spec, prepared.cgroup, { ...o, streams: o.attach, attach: attachTo, fresh: true }, onStart, release, exitCommand, net, { ...this.hooks, ...hooks, create }, async () => {
        // The record first: a CLI killed from here on leaves a container that `rm` (the
        // monitor's exit command, with --rm) finds and removes, cgroup and all.
        saveRecord(this.paths, rec);
        // A create's event comes once its monitor has made the container (launch), as dockerd
        // logs it only once the container is registered: a create that fails records none.
        if (!create) containerEvent(this.paths, 'create', rec);
        for (const [file, text] of files) fs.writeFileSync(file, text);
        // Kept with the record: `start` runs it again.
        writeSpec(path.join(this.paths.container(rec.Id), SPEC_FILE), spec);
        await (hooks.onCreate ?? this.hooks.onCreate)?.(rec.Id);
        await cgroupManager().create(rec.CgroupPath, limits);
      });
    } catch (e) {
      if (prepared) await abandonContainer(this.paths, { id: prepared.rec.Id, rec: prepared.rec, cgroup: prepared.cgroup });
      throw e;
    }
  }

  /**
   * Starts the monitor on a spec; foreground: waits for the exit, detached: for the start.
   * beforeStart (making the cgroup, saving the record) runs while the monitor makes the
   * container's namespaces and mounts, which wait for it at the cgroups (the spec's go_fd).
   * The caller holds the container's lock; it is released once the container is under way
   * (so rm, stop and start from elsewhere see a consistent state) and taken again to finish.
   * o.fresh: a container run or create has just made, which the monitor never creating is
   * an error for (thrown: the caller removes the container).
   */
  private async launch(rec: ContainerRecord, spec: OciSpec, cgroup: ContainerCgroup,
    o: { detach?: boolean; interactive?: boolean; tty?: boolean; rm?: boolean; streams?: AttachStreams; attach?: AttachIo & { detachKeys?: string }; fresh?: boolean }, onStart: ((id: string, monitorPid: number) => void) | undefined,
    release: () => void, exitCommand: string[] | undefined, net: JoinHook | undefined, hooks: LaunchHooks & { create?: boolean },
    beforeStart: () => Promise<void>): Promise<RunResult> {
    const run = this.paths.runContainer(rec.Id);
    const runSpec = path.join(run, SPEC_FILE);
    // fds 3 (go) and 4 (created), then on a bridge network the published ports' sockets for
    // the monitor to hold while the container runs, and with container:NAME that
    // container's network namespace, open, to join.
    const hold = net?.hold ?? [];
    const passed = [...hold];
    // Each namespace to join on the next fd after the held ones.
    const nsFd = (fd: number | undefined): number | undefined => (fd === undefined ? undefined : 5 + passed.push(fd) - 1);
    // A library's launch: the exit offered to this process before the exit command runs
    // (exit-handoff.ts), on the fd after all of those.
    const handoff = exitCommand && this.paths.exitHandoff ? new (await import('./exit-handoff')).ExitHandoff(this.paths, this.store, rec.Id, !!rec.HostConfig.AutoRemove) : undefined;
    try {
      markPolicy(this.paths, rec);
      writeSpec(runSpec, launchSpec(spec, {
        detach: !!o.detach, stdin: !!o.interactive, goFd: 3, reportFd: 4, exitCommand,
        exitCommandIf: exitCommand ? exitCommandMarker(this.paths, rec) : undefined,
        exitCommandRelease: exitCommand && !rec.HostConfig.AutoRemove ? path.join(run, EXIT_RELEASE_MARKER) : undefined,
        releaseCgroup: true,
        releaseFifo: hooks.create ? path.join(run, RELEASE_FIFO) : undefined,
        attachSocket: path.join(run, ATTACH_SOCKET),
        // The monitor records the die (and oom) itself: no CLI may be there when it comes.
        events: { file: path.join(eventsDir(this.paths), EVENTS_FILE), actor: containerActor(rec), volumes: mountedVolumes(rec) },
        holdFds: hold.map((_, i) => 5 + i),
        netnsFd: nsFd(net?.netns), pidnsFd: nsFd(net?.pidns), ipcnsFd: nsFd(net?.ipcns), exitHandoffFd: nsFd(handoff?.monitorEnd),
      }));
    } catch (e) {
      handoff?.close();
      throw e;
    }
    // -a: only the streams named reach this process; the others still go to the log.
    const streams = o.streams;
    const attached = (stream: 'stdin' | 'stdout' | 'stderr'): 'inherit' | 'ignore' => (!streams || streams[stream] ? 'inherit' : 'ignore');
    let signals: HeldSignals | undefined;
    let attachment: Attachment | undefined;
    const [goRead, goWrite] = native().pipe();
    const [reportRead, reportWrite] = native().pipe();
    let go: number | undefined = goWrite;
    const closeGo = (): void => {
      if (go !== undefined) fs.closeSync(go);
      go = undefined;
    };
    // On the go pipe: 'g' (the cgroups are made; then: release it), 'w' (created: wait for a
    // start), or nothing when the monitor has gone already (it refused the spec, say): its
    // exit file says why. The end of the pipe before any of them is "do not start"; 'x' before
    // it (abandon) says this process removes the container itself: the monitor runs no exit
    // command (--rm's rm), which would wait for the lock held here while this waits for it.
    const say = (c: 'g' | 'w' | 'x'): void => {
      try {
        fs.writeSync(go!, c);
      } catch (e) {
        if (!isErrno(e, 'EPIPE')) throw e;
      }
    };
    const abandon = (): void => {
      if (go !== undefined) say('x');
      closeGo();
    };
    try {
      let child: Monitor;
      try {
        child = startMonitor([runSpec], {
          // Without -t in the foreground, the monitor writes to this process's stdio (and reads
          // its stdin with -i), only the streams -a names; with -t it serves the terminal on
          // the attach socket.
          stdio: o.detach || o.tty ? ['ignore', 'ignore', 'ignore'] : [o.interactive ? attached('stdin') : 'ignore', attached('stdout'), attached('stderr')],
          // Its own session: a terminal's ^C signals the CLI's process group, and the CLI
          // forwards it; a monitor in that group got it a second time. With -t the CLI is a
          // client of the attach socket as any other: the monitor never has the terminal,
          // and outlives a detach.
          detached: true,
          extraFds: [goRead, reportWrite, ...passed],
        });
      } catch (e) {
        handoff?.close();
        throw e;
      } finally {
        fs.closeSync(goRead);
        fs.closeSync(reportWrite);
        net?.close();
      }
      handoff?.passed(child.pid);
      // While the monitor sets up, and before the container is let go: a signal from then on
      // reaches it. (One before makes this process end, and the monitor give up at the pipe.)
      if (!o.detach) {
        signals = new HeldSignals();
        hooks.onSignals?.(signals);
      }
      fs.writeFileSync(path.join(run, 'monitor.pid'), `${child.pid}\n`);
      log.debug('monitor started', { id: rec.Id.slice(0, 12), pid: child.pid, ms: sinceStart() });
      try {
        await beforeStart();
      } catch (e) {
        // The monitor reads 'x' as "do not start": it kills what it made.
        abandon();
        fs.closeSync(reportRead);
        await child.exited;
        throw e;
      }
      say('g');
      // Created (a "c" once the pid file is written), or the end of the pipe: the monitor or
      // the child failed, and the exit file says why. A blocking read: the monitor answers
      // within the time the child takes to make its namespaces and mounts, and this process
      // has nothing else to do meanwhile.
      let created: boolean;
      try {
        const b = Buffer.alloc(1);
        created = fs.readSync(reportRead, b, 0, 1, null) === 1 && b[0] === 0x63;
      } finally {
        fs.closeSync(reportRead);
      }
      if (!created && o.fresh) {
        // A new container that never came to be: the monitor refused its spec (the last
        // defence behind the engine's checks), or with create the child failed to make it.
        // The caller (runOrCreate) removes everything of it, as dockerd's create leaves no
        // container behind a refusal. A run's runtime failure (a mount, say) leaves it, as
        // docker's start does: the record says why.
        await child.exited;
        const exit = readExit(this.paths, rec.Id);
        if (exit?.error.startsWith('invalid spec: ')) throw engineError(exit.error);
        if (hooks.create) throw new GockerError(exit?.error || `container ${rec.Id.slice(0, 12)} could not be created`, { exitCode: exit?.exitCode || 125 });
      }
      if (created) {
        log.debug('container created', { id: rec.Id.slice(0, 12), ms: sinceStart() });
        if (net?.attach || hooks.beforeRelease) {
          const pid = Number(readOr(path.join(run, 'pid'), '').trim());
          try {
            // Networking first, the hook point it was made for: the container's network
            // namespace exists and its process waits to be released before it runs anything
            // of the image's. (A created container is networked now, ready for its start.)
            if (net?.attach) await net.attach(pid);
            if (hooks.beforeRelease) await hooks.beforeRelease(pid, namespacePaths(pid));
          } catch (e) {
            abandon();
            await child.exited;
            throw e;
          }
        }
        if (hooks.create) {
          containerEvent(this.paths, 'create', rec);
          say('w');
          closeGo();
          child.unref();
          return { id: rec.Id, exitCode: 0, oomKilled: false };
        }
        if (o.attach) {
          // Before the release: it sees all the container prints, and starts at its size.
          try {
            attachment = await (await import('./attach')).connectAttach(this.paths, rec.Id, !!o.tty, o.attach);
            o.attach.onAttached?.(attachment);
          } catch (e) {
            abandon();
            await child.exited;
            throw e;
          }
        }
        say('g');
        startEvents(this.paths, rec);
      }
      closeGo();
      onStart?.(rec.Id, child.pid);
      if (o.detach) {
        let started: RunResult;
        try {
          started = await this.waitStarted(rec, cgroup, !!o.rm);
        } finally {
          child.unref();
        }
        if (!attachment || started.error) {
          attachment?.detach();
          return started;
        }
        // start -a: its output until it exits (or the detach keys); the exit is the
        // monitor's to record, as for any detached start.
        release();
        return this.attached(rec.Id, await attachment.done);
      }
      // Saved, under the lock still: ps and inspect from elsewhere read it (they showed "Up
      // Less than a second" and a new StartedAt each time). The pid comes from the monitor's
      // file, which reconcile reads.
      rec.State = { ...rec.State, Status: 'running', Running: true, StartedAt: new Date().toISOString() };
      saveRecord(this.paths, rec);
      release();
      if (attachment) {
        const end = await attachment.done;
        if (end.detached) {
          // The container runs on without this process; with --rm its monitor removes it.
          child.unref();
          return { id: rec.Id, exitCode: 0, oomKilled: false, detached: true };
        }
      }
      const status = await signals!.forwardUntilExit(child);
      // Read before waiting for the lock: an rm -f that killed the container may hold it
      // and delete exit.json. The monitor's own exit status is the container's code too.
      const exit = readExit(this.paths, rec.Id) ?? (status.code !== null
        ? { exitCode: status.code, signal: status.code > 128 ? status.code - 128 : 0, startedAt: rec.State.StartedAt, finishedAt: new Date().toISOString(), error: '' }
        : undefined);
      log.debug('container exited', { id: rec.Id.slice(0, 12), exit: exit?.exitCode, ms: sinceStart() });
      // Removed meanwhile (rm -f from elsewhere): nothing to record, and no lock file made
      // again for it (acquireLock's left one behind for each such removal).
      const again = await lockContainer(this.paths, rec.Id);
      if (!again) return this.finish(rec, cgroup, !!o.rm, exit, true, true);
      try {
        return await this.finish(rec, cgroup, !!o.rm, exit, true);
      } finally {
        again();
      }
    } finally {
      closeGo();
      release();
    }
  }

  /**
   * `start`: a stopped container again, on its own writable layer. -a with io attaches (-i:
   * io's stdin too) through its attach socket before it is released, until it exits or the
   * detach keys are typed.
   */
  async start(ref: string, o: StartOptions = {}): Promise<RunResult> {
    // Refused before anything starts (a bad key would otherwise stop it half way).
    if (o.attach && o.detachKeys !== undefined) (await import('./attach')).parseDetachKeys(o.detachKeys);
    if (o.attach && o.io) (await import('./attach')).checkAttachStreams(o.io);
    const { lockTarget, reconcile } = await import('./lifecycle');
    // An id (the callers' handles have one) is locked without reading its record first: the
    // record is read once, under the lock. Two starts at once: the second waits, then finds
    // it running and does nothing.
    const locked = await lockRecord<ContainerRecord>(this.paths, lockTarget(this.paths, ref));
    if (!locked) throw new NoSuchContainerError(`No such container: ${ref}`);
    try {
      return await this.startLocked(reconcile(this.paths, locked.rec), o, locked.release);
    } finally {
      locked.release();
    }
  }

  /**
   * The exit command's restart (restart.ts): the container started as `start` starts it, if
   * it still waits for that (a stop, kill or rm during the back-off ended the wait). A start
   * that fails leaves it exited, with the error, as docker's restart manager does.
   */
  async autoRestart(id: string): Promise<void> {
    const locked = await lockRecord<ContainerRecord>(this.paths, id);
    if (!locked) return;
    const { release, rec: now } = locked;
    try {
      if (!now.State.Restarting) return;
      let r: RunResult;
      try {
        r = await this.startLocked((await import('./lifecycle')).reconcile(this.paths, now), {}, release, true);
      } catch (e) {
        r = { id, exitCode: 125, error: (e as Error).message, oomKilled: false };
      }
      const after = loadRecord(this.paths, id);
      if (r.error && after && after.State.Status !== 'exited') {
        after.State = { ...after.State, Status: 'exited', Running: false, Restarting: false, Pid: 0, ExitCode: r.exitCode || 125, Error: r.error };
        saveRecord(this.paths, after);
      }
    } finally {
      release();
    }
  }

  /** rec: the container's record, read under its lock (held) and reconciled. */
  private async startLocked(rec: ContainerRecord, o: StartOptions, release: () => void, auto = false): Promise<RunResult> {
    // Paused before running, as dockerd checks: a paused container runs too, and was taken
    // for one, started already. With -a, dockerd's attach refuses it first (docker's CLI
    // attaches before it starts, and names it by its id).
    if (rec.State.Paused) {
      throw new ConflictError(o.attach ? `container ${rec.Id} is paused, unpause the container before attach` : 'cannot start a paused container, try unpause instead', { exitCode: 1 });
    }
    // Restarting is running to everyone but the exit command that waits to start it.
    if (rec.State.Running && !(auto && rec.State.Restarting)) return { id: rec.Id, exitCode: 0, oomKilled: false };
    // Its removal failed half way (teardown.ts): what it had is gone, `rm` is what it waits for.
    if (rec.State.Status === 'dead') throw new ConflictError('container is marked for removal and cannot be started', { exitCode: 1 });
    // The user's start: the restart policy counts from 0 again, and applies again.
    if (!auto) resetRestart(this.paths, rec);
    if (rec.State.Status === 'created' && fs.existsSync(path.join(this.paths.runContainer(rec.Id), RELEASE_FIFO))) return this.release(rec, o, release);
    const spec = readSpec(this.paths, rec.Id);
    const h = rec.HostConfig;
    const cgroup = await cgroupManager().create(rec.CgroupPath, {
      memory: h.Memory || undefined, memorySwap: h.MemorySwap || undefined, nanoCpus: h.NanoCpus || undefined,
      cpuShares: h.CpuShares || undefined, cpusetCpus: h.CpusetCpus || undefined, pidsLimit: h.PidsLimit ?? undefined,
      // The allow-list its spec has (--device and --device-cgroup-rule's rules with the defaults).
      devices: h.Privileged ? ALLOW_ALL : allowedDevices(spec),
    });
    const run = this.paths.runContainer(rec.Id);
    for (const f of ['exit.json', 'pid', 'started', 'monitor.pid', EXIT_RELEASE_MARKER]) fs.rmSync(path.join(run, f), { force: true });
    fs.mkdirSync(path.join(run, 'merged'), { recursive: true, mode: PRIVATE_DIR });
    // Its address again, and its host ports (the same ones: a restart keeps its mapping).
    const net = await withJoined(this.paths, rec, await networkHook(this.paths, rec, true));
    rec.State = { ...rec.State, Status: 'created', Running: false, Restarting: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', FinishedAt: ZERO_TIME };
    try {
      saveRecord(this.paths, rec);
    } catch (e) {
      net?.close();
      throw e;
    }
    // The cgroup is made before the record says "created" again: nothing to do meanwhile.
    // Detached, as far as the monitor goes: -a is a client of its socket. Its stdin is open
    // (for this attachment and any later) when it was created with -i.
    return this.launch(rec, spec, cgroup, { detach: true, interactive: rec.Config.OpenStdin, tty: rec.Config.Tty, rm: false, attach: this.attachFor(rec, o) },
      undefined, release, exitCommandFor(this.paths, rec), net, this.hooks, async () => undefined);
  }

  /** start -a's attachment: stdin with -i, and only from a container created with -i. */
  private attachFor(rec: ContainerRecord, o: StartOptions): (AttachIo & { detachKeys?: string }) | undefined {
    if (!o.attach || !o.io) return undefined;
    return { ...o.io, stdin: o.interactive && rec.Config.OpenStdin ? o.io.stdin : undefined, stdinOnce: true, detachKeys: o.detachKeys };
  }

  private attached(id: string, end: AttachEnd): RunResult {
    if (end.detached) return { id, exitCode: 0, oomKilled: false, detached: true };
    const exit = readExit(this.paths, id);
    return { id, exitCode: end.exitCode, error: exit?.error || undefined, oomKilled: exit?.oomKilled === true };
  }

  /**
   * `start` of a created container: a byte on the FIFO its monitor waits on releases it.
   * -a attaches to its socket first, so nothing it prints is missed.
   */
  private async release(rec: ContainerRecord, o: StartOptions, unlock: () => void): Promise<RunResult> {
    const io = this.attachFor(rec, o);
    let attachment: Attachment | undefined;
    if (io) {
      attachment = await (await import('./attach')).connectAttach(this.paths, rec.Id, rec.Config.Tty, io);
      io.onAttached?.(attachment);
    }
    try {
      return await this.releaseAttached(rec, attachment, unlock);
    } finally {
      attachment?.detach();
    }
  }

  private async releaseAttached(rec: ContainerRecord, attachment: Attachment | undefined, unlock: () => void): Promise<RunResult> {
    let fifo: number;
    try {
      // Non-blocking: with no reader (the monitor gone) this fails at once, ENXIO.
      fifo = fs.openSync(path.join(this.paths.runContainer(rec.Id), RELEASE_FIFO), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if (isErrno(e, 'ENXIO') || isErrno(e, 'ENOENT')) throw engineError(`container ${rec.Id.slice(0, 12)} cannot be started: its monitor is gone`);
      throw e;
    }
    try {
      fs.writeSync(fifo, 'g');
    } finally {
      fs.closeSync(fifo);
    }
    const cgroup = cgroupManager().open(rec.CgroupPath);
    const r = await this.waitStarted(rec, cgroup, false);
    if (!r.error) startEvents(this.paths, rec);
    if (!attachment || r.error) return r;
    unlock();
    return this.attached(rec.Id, await attachment.done);
  }

  /** -d: wait until the monitor has the process running (or it failed to start). */
  private async waitStarted(rec: ContainerRecord, cgroup: ContainerCgroup, rm: boolean): Promise<RunResult> {
    const run = this.paths.runContainer(rec.Id);
    // The monitor writes `started` once execve has succeeded, exit.json once it is over (or
    // could not start): one of the two comes, and says which.
    const started = await startedOrOver(path.join(run, 'started'), () => readExit(this.paths, rec.Id) !== undefined);
    const exit = readExit(this.paths, rec.Id);
    if (exit?.error) return this.finish(rec, cgroup, rm);
    if (started || exit) {
      const pid = Number(readOr(path.join(run, 'pid'), '0'));
      rec.State = { ...rec.State, Status: 'running', Running: true, Pid: pid, StartedAt: new Date().toISOString() };
      saveRecord(this.paths, rec);
      return { id: rec.Id, exitCode: 0, oomKilled: false };
    }
    throw engineError(`container ${rec.Id.slice(0, 12)} did not start`);
  }

  /**
   * Records the exit (or removes the container with --rm). The caller holds the container's
   * lock. attached: this CLI saw the exit (the monitor then runs no exit command), and hands
   * it to the restart policy's.
   */
  private async finish(rec: ContainerRecord, cgroup: ContainerCgroup, rm: boolean, known?: ExitInfo, attached = false, removed = false): Promise<RunResult> {
    const exit: ExitInfo = known ?? readExit(this.paths, rec.Id) ?? { exitCode: 255, signal: 0, startedAt: rec.State.StartedAt, finishedAt: new Date().toISOString(), error: 'the monitor exited without recording an exit status' };
    // The monitor compared the cgroup's OOM-kill count at the start and at the end of this
    // run: a kill left over from an earlier run of the same container does not count.
    const oomKilled = exit.oomKilled === true;
    const exitCode = exit.exitCode;
    rec.State = {
      Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exitCode, OOMKilled: oomKilled,
      StartedAt: exit.startedAt || rec.State.StartedAt, FinishedAt: exit.finishedAt, Error: exit.error,
    };
    // Removed meanwhile (rm -f from elsewhere, or the monitor's exit command): nothing to record.
    if (removed || !fs.existsSync(this.paths.container(rec.Id))) return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
    containerExited(this.paths, rec);
    // The exit goes into the record as it is now: a rename or an update while it ran stays.
    const now = { ...(loadRecord(this.paths, rec.Id) ?? rec), State: rec.State };
    // Its policy applied before the exit is saved: restarting from the first, never exited
    // for the time the exit command takes to start.
    if (attached && !rm && hasPolicy(now)) handOffExit(this.paths, now, exit);
    // --rm: its anonymous volumes go with it, as docker's AutoRemove.
    if (rm) await removeContainer(this.paths, now, cgroup, true);
    else saveRecord(this.paths, now);
    log.debug(rm ? 'container removed' : 'exit recorded', { id: rec.Id.slice(0, 12), ms: sinceStart() });
    return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
  }

}

/** A start's networking hook, with the pid and IPC namespaces it joins (--pid/--ipc container:NAME). */
type JoinHook = NetworkHook & { pidns?: number; ipcns?: number };

async function withJoined(paths: StorePaths, rec: ContainerRecord, net: NetworkHook | undefined): Promise<JoinHook | undefined> {
  let joined: Awaited<ReturnType<typeof joinedNamespaces>>;
  try {
    joined = await joinedNamespaces(paths, rec);
  } catch (e) {
    net?.close();
    throw e;
  }
  if (joined.pid === undefined && joined.ipc === undefined) return net;
  return {
    hold: net?.hold ?? [], netns: net?.netns, attach: net?.attach, pidns: joined.pid, ipcns: joined.ipc,
    close: () => {
      net?.close();
      joined.close();
    },
  };
}

/** The device cgroup's allow rules of a stored spec (after its deny-all), for a start that makes the cgroup again. */
function allowedDevices(spec: OciSpec): DeviceRule[] {
  return spec.linux.resources.devices.filter((r) => r.allow).map((r) => ({ type: r.type ?? 'a', major: r.major ?? -1, minor: r.minor ?? -1, access: r.access }));
}

/**
 * --platform against the image at hand: os and architecture (and a variant, where both say
 * one) must be the image's, else dockerd's not-found error, which a run pulls on (that
 * platform's image, under the same name) unless --pull never.
 */
async function checkPlatform(image: ImageRecord, ref: string, platform: string): Promise<void> {
  const { parsePlatform } = await import('../remote');
  let want: ReturnType<typeof parsePlatform>;
  try {
    want = parsePlatform(platform.toLowerCase());
  } catch (e) {
    throw engineError((e as Error).message);
  }
  const c = image.config;
  const have = { os: c.os ?? 'linux', architecture: c.architecture ?? '', variant: c.variant };
  const show = (p: { os: string; architecture: string; variant?: string }): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  if (want.os === have.os && want.architecture === have.architecture && (!want.variant || !have.variant || want.variant === have.variant)) return;
  throw new GockerError(`image with reference ${ref} was found but does not match the specified platform: wanted ${show(want)}, actual: ${show(have)}`, { code: 'EPLATFORM', exitCode: 125 });
}
