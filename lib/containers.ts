// Containers in the library: `Gocker.run()`, `createContainer()` and `container()` give a
// Container, a handle on the engine functions the CLI's commands call (lib/container/*).
// Options take docker's API names and units, checked by the same checks as the CLI's flags,
// and nothing here touches the calling process's stdio, signals, working directory or
// environment: a container's output goes to its log and to the streams the caller attaches.
import type { Readable, Writable } from 'node:stream';
import { bindLogScope } from './log';
import { GockerError, InvalidOptionError, NoSuchContainerError, NotRunningError, refuseNulBytes } from './errors';
import type { Store } from './store';
import type { StorePaths } from './store/paths';
import type { AttachEnd, AttachOptions, Attachment } from './container/attach';
import type { ContainerRecord } from './container/record';
import type { ContainerStats } from './container/stats';
import type { TopResult } from './container/top';
import type { Mount } from './container/mounts';
import type { SignalTarget } from './container/monitor';
import type { RunOptions } from './container/run-options';
import type { WaitCondition } from './container/lifecycle';

/** A size: bytes, or docker's string with a binary unit ('64m', '1.5g', '512k'). */
export type Size = number | string;

/** A container's resources, at create and in update(): docker's names and units. */
export interface ResourceOptions {
  /** memory limit: bytes or '64m' (at least 6 MiB) */
  memory?: Size;
  /** memory plus swap: bytes or a size, -1 for unlimited swap */
  memorySwap?: Size;
  /** how many CPUs' time (0.5, '1.5') */
  cpus?: number | string;
  /** relative CPU weight (docker's CpuShares), or its flag's string */
  cpuShares?: number | string;
  /** CPUs allowed, as '0-2,4' */
  cpusetCpus?: string;
  /** most processes at once; -1 or 0 for no limit (a number, or its flag's string) */
  pidsLimit?: number | string;
}

/**
 * A container's configuration, as docker's ContainerCreate body names it (Config and
 * HostConfig fields, camelCased) or, where docker's CLI has a simpler form, its flag's name.
 * A value refused throws InvalidOptionError naming the option, in docker's words.
 */
export interface ContainerOptions extends ResourceOptions {
  /** the container's name (docker's `[a-zA-Z0-9][a-zA-Z0-9_.-]+`); default: a generated one */
  name?: string;
  /** KEY=VALUE strings or a record of them, over the image's Env (a bare KEY is refused: no caller's environment is read) */
  env?: string[] | Record<string, string>;
  /** replaces the image's ENTRYPOINT ('' clears it) */
  entrypoint?: string;
  /** the command's working directory in the container (default: the image's, else /) */
  workingDir?: string;
  /** user[:group], by name or number */
  user?: string;
  /** its hostname (default: the first 12 characters of its id) */
  hostname?: string;
  /** Config.Labels, over the image's */
  labels?: Record<string, string>;
  /** a pseudo-terminal for the container's process (its stdout and stderr are then one stream) */
  tty?: boolean;
  /** keep its stdin open for attachments (docker's OpenStdin, the CLI's -i) */
  openStdin?: boolean;
  /**
   * docker's Config.AttachStdin (the CLI's -a stdin): the streams a start attaches, recorded
   * with the container. Given none of the three: stdout and stderr, and stdin with openStdin
   */
  attachStdin?: boolean;
  /** docker's Config.AttachStdout (the CLI's -a stdout); see attachStdin */
  attachStdout?: boolean;
  /** docker's Config.AttachStderr (the CLI's -a stderr); see attachStdin */
  attachStderr?: boolean;
  /** remove the container once it exits (docker's AutoRemove, the CLI's --rm) */
  rm?: boolean;
  /** gocker-init as PID 1: reaps zombies and passes signals on */
  init?: boolean;
  /** the root filesystem read-only (docker's ReadonlyRootfs) */
  readOnly?: boolean;
  /** every capability and device, no seccomp filter, /sys and /proc writable */
  privileged?: boolean;
  /** capabilities over docker's default set, with or without CAP_ ('ALL' for every one) */
  capAdd?: string[];
  /** capabilities taken from docker's default set ('ALL' for every one) */
  capDrop?: string[];
  /** docker's SecurityOpt: no-new-privileges, seccomp=unconfined|builtin|<a profile's JSON> (a file's name is refused: read it and give its JSON) */
  securityOpt?: string[];
  /** /dev/shm's size (default 64m) */
  shmSize?: Size;
  /** resource limits (docker's Ulimits): name as ulimit's ('nofile', 'nproc', ...), soft and hard (default: soft) */
  ulimits?: Array<{ name: string; soft: number; hard?: number }>;
  /** none, host, bridge (the default), a network's name, or container:NAME */
  network?: string;
  /** more names on a user network */
  networkAliases?: string[];
  /** its IPv4 address on a user network */
  ip?: string;
  /**
   * docker's HostConfig.PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] };
   * HostPort '' (or left out) for any free port, 'N-M' for one of a range; no bindings ([] or
   * null) exposes the port without publishing it, unless publishAll
   */
  portBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  /** every exposed port on a random host port (the CLI's -P) */
  publishAll?: boolean;
  /** docker's Config.ExposedPorts: { '80/tcp': {} } ('8000-8010/udp' for a range), over the image's */
  exposedPorts?: Record<string, object>;
  /** docker's -v: /host:/ctr[:ro], NAME:/ctr[:ro], or /ctr for an anonymous volume; host paths absolute */
  volumes?: string[];
  /** docker's HostConfig.Binds: the same forms as volumes */
  binds?: string[];
  /** docker's HostConfig.Mounts: { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true }, volumes and tmpfs too */
  mounts?: Mount[];
  /** tmpfs mounts: { '/run': 'size=64m' } */
  tmpfs?: Record<string, string>;
  /** host:ip lines for /etc/hosts (ip may be host-gateway) */
  extraHosts?: string[];
  /** the nameservers its resolv.conf names (default: the host's, or the network's DNS) */
  dns?: string[];
  /** its resolv.conf's search domains */
  dnsSearch?: string[];
  /** its resolv.conf's options ('ndots:2', ...) */
  dnsOptions?: string[];
  /** host devices (docker's HostConfig.Devices): a node, or a directory of nodes, at pathInContainer (default: the same path) with cgroupPermissions (default 'rwm') */
  devices?: DeviceOption[];
  /** device cgroup rules, as 'c 1:3 rwm' */
  deviceCgroupRules?: string[];
  /** host or container:NAME */
  pid?: string;
  /** private, shareable, host, none or container:NAME */
  ipc?: string;
  /** host */
  uts?: string;
  /** namespaced sysctls: { 'net.ipv4.ip_forward': '1' } */
  sysctls?: Record<string, string>;
  /** the signal stop sends first (default: the image's, else SIGTERM) */
  stopSignal?: string;
  /** seconds stop waits before SIGKILL (default 10; -1: for ever) */
  stopTimeout?: number;
  /** json-file (the default) or none */
  logDriver?: string;
  /** the log driver's options: json-file's max-size and max-file */
  logOpts?: Record<string, string>;
  /** no (the default), always, unless-stopped, on-failure[:N], or docker's RestartPolicy object */
  restart?: string | { name: string; maximumRetryCount?: number };
  /** os/arch[/variant] the image must be */
  platform?: string;
}

/** One host device in a container (docker's DeviceMapping, camelCased). */
export interface DeviceOption {
  /** the host's node, or a directory of nodes (each then at the same place under pathInContainer) */
  pathOnHost: string;
  /** an absolute path in the container; default: pathOnHost */
  pathInContainer?: string;
  /** the device cgroup's access, some of r, w and m; default 'rwm' */
  cgroupPermissions?: string;
}

/** What `run` takes: the container's options, and the streams to attach before it starts. */
export interface RunContainerOptions extends ContainerOptions {
  /**
   * The container's stdio, connected before it is released so nothing it prints is missed
   * (stdin: only with openStdin; detachKeys: looked for on stdin with a tty). The
   * attachment is Container.attachment.
   */
  attach?: AttachOptions;
}

/**
 * A foreground run's or exec's terminal (with tty): the streams connected to it through the
 * socket its monitor serves, before it runs.
 */
export interface TerminalStreams {
  /** what it reads (only with openStdin, or exec's interactive); its end ends the container's stdin */
  stdin?: NodeJS.ReadableStream;
  /** where all it prints goes */
  stdout: NodeJS.WritableStream;
  /**
   * called once the streams are connected, before its command runs: the place to make the
   * caller's terminal raw (Attachment.useTerminal) and send its size, which it then starts with
   */
  onAttached?: (a: Attachment) => void;
}

/**
 * Gocker.runAttached(): docker run without -d, as a CLI runs it. Without tty the container's
 * stdio is this process's own: its monitor is given fds 0, 1 and 2 (stdin only with
 * openStdin; of the three, only those attachStdin, attachStdout and attachStderr name when
 * any is given), and what the container prints is written there directly, without passing
 * through this process.
 */
export interface RunAttachedOptions extends ContainerOptions {
  /** with tty: the streams its terminal is connected to; none: what it prints is only in its log */
  terminal?: TerminalStreams;
  /** docker's --detach-keys (default ctrl-p,ctrl-q), looked for on terminal.stdin; a bad one is InvalidOptionError */
  detachKeys?: string;
}

/** What Gocker.runAttached() calls while the container is made and runs. */
export interface RunAttachedHooks extends CreateHooks {
  /**
   * Called once its monitor has started, with where signals for the container go: docker's
   * sig-proxy, the caller's to install (the engine handles no signal of its process). Signals
   * sent before the container is released are held until then.
   */
  onSignals?: (target: SignalTarget) => void;
}

/** How a foreground run or exec ended (Gocker.runAttached(), Container.execAttached()). */
export interface AttachedEnd {
  /** its exit code (128 + the signal when a signal ended it); 126 or 127 when its command could not be run; 0 when detached */
  exitCode: number;
  /** why its command could not be run (or the engine lost it), in docker's words */
  error?: string;
  /** left with the detach keys: it runs on */
  detached: boolean;
}

/** Gocker.runAttached()'s answer: the container, and how its run ended. */
export interface RunAttachedResult extends AttachedEnd {
  /** the container's id (with rm it is gone by now, unless detached) */
  id: string;
}

/** Container.execAttached() and execDetached(): docker's ExecConfig, as its CLI's flags give it. */
export interface ExecCommandOptions {
  /** keep its stdin open (docker's -i): this process's stdin, or terminal.stdin with tty */
  interactive?: boolean;
  /** a pseudo-terminal: its output all on stdout */
  tty?: boolean;
  /** KEY=VALUE strings or a record of them, over the container's */
  env?: string[] | Record<string, string>;
  /** its working directory (default: the container's) */
  workingDir?: string;
  /** user[:group], by name or number (default: the container's) */
  user?: string;
  /** every capability, as exec --privileged (the seccomp filter stays, as under docker) */
  privileged?: boolean;
}

/**
 * Container.execAttached(): as Gocker.runAttached's, the command's stdio is this process's
 * own without tty (stdin only with interactive); with tty its terminal is served on a socket
 * and connected to terminal's streams, so that the detach keys leave it running.
 */
export interface ExecAttachedOptions extends ExecCommandOptions {
  /** with tty: the streams its terminal is connected to */
  terminal?: TerminalStreams;
  /** docker's --detach-keys, looked for on terminal.stdin; a bad one is InvalidOptionError */
  detachKeys?: string;
  /** without tty: called as its monitor starts, with where signals for the command go (docker's sig-proxy) */
  onSignals?: (target: SignalTarget) => void;
  /** aborting sends the command SIGTERM; the exit code then still says how it ended */
  signal?: AbortSignal;
}

/** What Container.wait() waits for: its end (default), its next end, or its removal. */
export interface WaitOptions {
  /** 'not-running' (default), 'next-exit' or 'removed', as docker's wait --condition */
  condition?: WaitCondition;
  /** stops the wait (the promise rejects with its reason); the container is not touched */
  signal?: AbortSignal;
}

/** How a container's run ended. */
export interface WaitResult {
  /** its command's exit code; 128 + the signal when a signal ended it */
  exitCode: number;
  /** the signal that ended it, by name, when one did */
  signal?: NodeJS.Signals;
  /** the kernel's OOM killer ended it (its memory limit) */
  oomKilled: boolean;
}

/** Container.logs(): docker's ContainerLogs query. */
export interface LogsOptions {
  /** go on with what it prints, until it stops (or signal aborts) */
  follow?: boolean;
  /** lines from then on: a Date, Unix seconds, or docker's string (RFC 3339, or a duration such as '10m' meaning that long ago) */
  since?: Date | number | string;
  /** lines up to then, in the same forms */
  until?: Date | number | string;
  /** the last N lines only ('all' or undefined: every line) */
  tail?: number | 'all';
  /** each line after its time (RFC 3339 with nanoseconds) and a space, as docker's */
  timestamps?: boolean;
  /** its stdout lines (default true) */
  stdout?: boolean;
  /** its stderr lines (default true) */
  stderr?: boolean;
  /** ends the stream (and a follow) */
  signal?: AbortSignal;
}

/** Container.exec()'s options: docker's ExecConfig. */
export interface ContainerExecOptions {
  /** a Writable stdin for the command (exec.stdin); its end is the command's */
  stdin?: boolean;
  /** stdout as a Readable (default true; false: discarded) */
  stdout?: boolean;
  /** stderr as a Readable (default true; false: discarded; with tty there is none) */
  stderr?: boolean;
  /** a pseudo-terminal: its output all on stdout */
  tty?: boolean;
  /** KEY=VALUE strings or a record of them, over the container's */
  env?: string[] | Record<string, string>;
  /** its working directory (default: the container's) */
  workingDir?: string;
  /** user[:group], by name or number (default: the container's) */
  user?: string;
  /** every capability, as exec --privileged (the seccomp filter stays, as under docker) */
  privileged?: boolean;
  /** aborting sends the command SIGTERM; exitCode then still says how it ended */
  signal?: AbortSignal;
}

/** A command running in a container, from Container.exec(). */
export interface ExecProcess {
  /** what it prints; ends when it exits (an empty stream when not asked for) */
  readonly stdout: Readable;
  /** what it prints on stderr, likewise (empty with a tty, whose output is all on stdout) */
  readonly stderr: Readable;
  /** its stdin, when asked for */
  readonly stdin?: Writable;
  /**
   * its exit code once it has exited (126/127 when it could not be run, the reason then at
   * the end of stderr, as docker's); what it printed stays in the streams to be read. Rejects
   * when the exec was refused (NotRunningError, NoSuchContainerError, ...).
   */
  readonly exitCode: Promise<number>;
}

/** Container.stop() and restart(). */
export interface StopOptions {
  /** seconds before SIGKILL (default: the container's stopTimeout, else 10; -1: for ever) */
  timeout?: number;
  /** the first signal (default: the container's stopSignal, else SIGTERM) */
  stopSignal?: string;
  /**
   * ends the wait for its exit at once, rejecting with the signal's reason: the stop signal
   * (or SIGKILL) already sent stays sent, nothing more is (no SIGKILL after the timeout)
   */
  signal?: AbortSignal;
}

/** One line of a container's log (Container.logEntries()), as its json-file log holds it. */
export interface LogEntry {
  /** which of its outputs printed it */
  stream: 'stdout' | 'stderr';
  /** the line, with its newline (the last of a partial line has none) */
  log: string;
  /** when the monitor read it: RFC 3339 with nanoseconds */
  time: string;
}

/** One change of a container's files (Container.changes()), its path as the bytes on disk. */
export interface RawContainerChange {
  /** A: added, C: changed, D: deleted */
  kind: ContainerChange['kind'];
  /** the path's bytes; the walk's own buffer, good until the next step of the iteration: copy it to keep it */
  path: Buffer;
}

/** Container.remove(). */
export interface RemoveOptions {
  /** kill it first if it runs (SIGKILL) */
  force?: boolean;
  /** its anonymous volumes too */
  volumes?: boolean;
}

/** Container.commit(): docker commit's. */
export interface ContainerCommitOptions {
  /** repository[:tag] for the new image; none: dangling */
  repo?: string;
  /** the commit message (the history's comment) */
  comment?: string;
  /** the image's author (docker commit -a) */
  author?: string;
  /** Dockerfile instructions applied to the config (CMD, ENV, LABEL, ...) */
  changes?: string[];
  /** freeze it while its files are read (default true, as docker's) */
  pause?: boolean;
}

/** One change of a container's files against its image (Container.diff()). */
export interface ContainerChange {
  /** A: added, C: changed, D: deleted, as docker diff says */
  kind: 'A' | 'C' | 'D';
  /** the path in the container */
  path: string;
}

/** What Gocker.createContainer() calls while it makes the container. */
export interface CreateHooks {
  /**
   * Called with the new container's id once its record is saved, before create resolves
   * (where docker's CLI writes --cidfile). A throw fails the create, and the container is
   * removed: none is left that the caller was not told of.
   */
  onCreate?: (id: string) => Promise<void> | void;
}

/** Container.startAttached(): the streams, as attach() takes them, and when they are connected. */
export interface StartAttachedOptions extends AttachOptions {
  /**
   * Called once the streams are connected, before the container's command runs: the place
   * to make the caller's terminal raw and send its size, which the command then starts with.
   */
  onAttached?: (a: Attachment) => void;
}

/** Container.update(): new limits, and a new restart policy. */
export interface UpdateOptions extends ResourceOptions {
  /** the new restart policy; applies to the run under way too, as docker's */
  restart?: ContainerOptions['restart'];
}

/** Container.archive options. */
export interface ArchiveOptions {
  /** the path's owners and modes as they are (docker cp -a) */
  archive?: boolean;
  /** a symlink at the path: its target (docker cp -L) */
  followLink?: boolean;
  /** ends the tar stream */
  signal?: AbortSignal;
}

/** Gocker.containers(): docker ps. */
export interface ListContainersOptions {
  /** the ones not running too */
  all?: boolean;
  /** docker's filters: { status: ['exited'], label: ['a=b'], name: [...], ancestor: [...], ... } */
  filters?: Record<string, string[]>;
}

/** What Container.wait() takes as its condition, in docker's words. */
export const WAIT_CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

/**
 * A signal as docker takes it (a number, a name with or without SIG, RTMIN+n, RTMAX-n) as
 * its number; GockerError `Invalid signal: ...` for anything else.
 */
export function signalNumber(signal: string): number {
  return lifecycle().signalNumber(signal);
}

// Loaded on use: a CLI command that only formats output must not load the engine.
/* eslint-disable @typescript-eslint/no-require-imports */
const lifecycle = (): typeof import('./container/lifecycle') => require('./container/lifecycle') as typeof import('./container/lifecycle');
const streams = (): typeof import('node:stream') => require('node:stream') as typeof import('node:stream');

/** p, or signal's reason as soon as it aborts. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}

/** Refusals of option's value, from the CLI's own parsers, as InvalidOptionError naming it (exit code: the refusal's, unless given). */
/** Docker's --detach-keys as an option's value (none given: nothing to check), refused as InvalidOptionError naming it. */
async function checkDetachKeys(option: string, keys: string | undefined, exitCode?: number): Promise<void> {
  if (keys === undefined) return;
  const { parseDetachKeys } = await import('./container/attach');
  checked(option, () => parseDetachKeys(keys, exitCode));
}

function checked<T>(option: string, f: () => T, exitCode?: number): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvalidOptionError && e.option === option) throw e;
    if (e instanceof GockerError) throw new InvalidOptionError(option, e.message, { exitCode: exitCode ?? e.exitCode, cause: e });
    throw e;
  }
}

const keyValues = (r: Record<string, string> | undefined): string[] | undefined => r && Object.entries(r).map(([k, v]) => `${k}=${v}`);

/** KEY=VALUE strings: a bare KEY would take the caller's environment (the CLI's -e VAR), which the library never reads. */
function envList(env: string[] | Record<string, string> | undefined, option = 'env'): string[] | undefined {
  if (env === undefined) return undefined;
  const list = Array.isArray(env) ? env : keyValues(env)!;
  (require('./container/run-options') as typeof import('./container/run-options')).checkEnv(list, option);
  return list;
}

const sizeString = (v: Size | undefined): string | undefined => (v === undefined ? undefined : String(v));

function restartString(r: ContainerOptions['restart']): string | undefined {
  if (r === undefined || typeof r === 'string') return r;
  return r.maximumRetryCount ? `${r.name}:${r.maximumRetryCount}` : r.name;
}

/**
 * The library's options as lib's RunOptions (typed, in the CLI's flags' names), each checked
 * by the engine's check for it, so that a refusal names the option. What can only be checked against
 * the store (a network, a container to join, a user in the image) is checked by the create.
 */
export async function runOptionsOf(image: string, cmd: string[] | undefined, o: ContainerOptions): Promise<RunOptions> {
  const { parseResources, parseShmSize } = await import('./cgroups/resources');
  const { checkLogConfig, checkUlimits, tmpfsMount } = await import('./container/run-options');
  const rf = await import('./container/runflags');
  const { checkMount, checkWorkdir, parseVolumeFlag } = await import('./container/mounts');
  const { restartPolicyOf } = await import('./container/restart');
  const { invalidName, NAME_PATTERN } = await import('./container/names');
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(RUN_OPTION_KEYS, k)) throw new InvalidOptionError(k, `unknown option: ${k}`, { exitCode: 125 });
  }
  if (cmd !== undefined && (!Array.isArray(cmd) || cmd.some((a) => typeof a !== 'string'))) throw new InvalidOptionError('cmd', 'cmd must be an array of strings', { exitCode: 125 });
  // Before any other check: what they pass a string with a NUL to (Node's fs, a parser) is no judge of it.
  // Here only: every create and run, the CLI's included, enters the engine through this function.
  refuseNulBytes({ image, cmd, ...o }, 125);
  if (o.name !== undefined && !NAME_PATTERN.test(o.name)) throw invalidName(o.name);
  const env = envList(o.env);
  const resources = { memory: sizeString(o.memory), memorySwap: sizeString(o.memorySwap), cpus: o.cpus === undefined ? undefined : String(o.cpus), cpuShares: o.cpuShares, cpusetCpus: o.cpusetCpus, pidsLimit: o.pidsLimit };
  parseResources(resources);
  const shmSize = sizeString(o.shmSize);
  if (shmSize !== undefined) checked('shmSize', () => parseShmSize(shmSize));
  // A hard limit left out is the soft one, as docker's --ulimit name=soft.
  const ulimits = o.ulimits?.map((u) => ({ name: u.name, soft: u.soft, hard: u.hard ?? u.soft }));
  if (ulimits) checked('ulimits', () => checkUlimits(ulimits));
  for (const [target, opts] of Object.entries(o.tmpfs ?? {})) checked('tmpfs', () => tmpfsMount(target, opts));
  const volume = [...(o.volumes ?? []), ...(o.binds ?? [])];
  for (const [option, list] of [['volumes', o.volumes], ['binds', o.binds]] as const) {
    // A relative host path is refused: the CLI makes ./x its caller's directory, the library has none to offer.
    for (const v of list ?? []) checked(option, () => parseVolumeFlag(v));
  }
  if (o.mounts !== undefined && !Array.isArray(o.mounts)) throw new InvalidOptionError('mounts', 'mounts must be an array of HostConfig.Mounts entries', { exitCode: 125 });
  for (const m of o.mounts ?? []) checked('mounts', () => checkMount(m));
  if (o.workingDir !== undefined) checked('workingDir', () => checkWorkdir(o.workingDir));
  if (o.logDriver !== undefined) checked('logDriver', () => checkLogConfig(o.logDriver));
  if (o.logOpts) checked('logOpts', () => checkLogConfig(o.logDriver, o.logOpts));
  const restart = restartString(o.restart);
  checked('restart', () => restartPolicyOf(restart, !!o.rm));
  checked('extraHosts', () => rf.parseExtraHosts(o.extraHosts));
  checked('dns', () => rf.parseDns(o.dns));
  checked('dnsSearch', () => rf.parseDnsSearch(o.dnsSearch));
  const devices = o.devices?.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer ?? d.pathOnHost, CgroupPermissions: d.cgroupPermissions ?? 'rwm' }));
  checked('devices', () => rf.checkDevices(devices));
  checked('deviceCgroupRules', () => rf.parseDeviceCgroupRules(o.deviceCgroupRules));
  checked('pid', () => rf.parsePidMode(o.pid));
  const ipc = checked('ipc', () => rf.parseIpcMode(o.ipc));
  checked('uts', () => rf.parseUtsMode(o.uts));
  checked('stopTimeout', () => rf.checkStopTimeout(o.stopTimeout));
  const ownNetwork = o.network !== 'host' && !o.network?.startsWith('container:');
  checked('sysctls', () => rf.checkSysctls(o.sysctls, { ownNetwork, ownIpc: ipc !== 'host' && !ipc.startsWith('container:') }));
  // A create's refusal, exit 125 as the others here (kill's own of a signal is 1).
  if (o.stopSignal !== undefined) checked('stopSignal', () => lifecycle().signalNumber(o.stopSignal!), 125);
  if (o.securityOpt) {
    const { checkSecurityOpts } = await import('./spec/seccomp');
    checked('securityOpt', () => checkSecurityOpts(o.securityOpt!));
  }
  if (o.platform !== undefined) {
    const { parsePlatform } = await import('./remote');
    checked('platform', () => parsePlatform(o.platform!.toLowerCase()));
  }
  let portBindings: RunOptions['portBindings'];
  if (o.portBindings !== undefined || o.exposedPorts !== undefined) {
    const { checkPortBindings, exposedPortKeys } = await import('./network/ports');
    if (o.portBindings !== undefined) portBindings = checkPortBindings(o.portBindings).portBindings;
    if (o.exposedPorts !== undefined) {
      if (typeof o.exposedPorts !== 'object' || o.exposedPorts === null) throw new InvalidOptionError('exposedPorts', 'exposedPorts must be a map of "PORT/PROTO" to {}', { exitCode: 125 });
      for (const k of Object.keys(o.exposedPorts)) exposedPortKeys(k);
    }
  }
  const given = [o.attachStdin, o.attachStdout, o.attachStderr].some((a) => a !== undefined);
  const attach = given ? { stdin: !!o.attachStdin, stdout: !!o.attachStdout, stderr: !!o.attachStderr } : undefined;
  return {
    image, command: cmd, attach, entrypoint: o.entrypoint, env, workdir: o.workingDir, user: o.user, hostname: o.hostname, name: o.name,
    readOnly: o.readOnly, rm: o.rm, interactive: o.openStdin, tty: o.tty, volume: volume.length ? volume : undefined, mounts: o.mounts, tmpfs: o.tmpfs,
    capAdd: o.capAdd, capDrop: o.capDrop, privileged: o.privileged, securityOpt: o.securityOpt, ulimits, shmSize, init: o.init,
    logDriver: o.logDriver, logOpts: o.logOpts, labels: o.labels, addHost: o.extraHosts, dns: o.dns, dnsSearch: o.dnsSearch, dnsOption: o.dnsOptions,
    devices, deviceCgroupRule: o.deviceCgroupRules, pid: o.pid, ipc: o.ipc, uts: o.uts, sysctls: o.sysctls, stopSignal: o.stopSignal,
    stopTimeout: o.stopTimeout, platform: o.platform, restart, ...resources,
    network: o.network, networkAlias: o.networkAliases, ip: o.ip, portBindings, publishAll: o.publishAll, exposedPorts: o.exposedPorts,
  };
}

// Every option run takes, so that a misspelt one is refused rather than left out unseen.
const RUN_OPTION_KEYS: Record<keyof RunContainerOptions, true> = {
  name: true, env: true, entrypoint: true, workingDir: true, user: true, hostname: true, labels: true,
  tty: true, openStdin: true, rm: true, init: true, readOnly: true, privileged: true, capAdd: true,
  capDrop: true, securityOpt: true, memory: true, memorySwap: true, cpus: true, cpuShares: true,
  cpusetCpus: true, pidsLimit: true, shmSize: true, ulimits: true, network: true, networkAliases: true,
  ip: true, portBindings: true, publishAll: true, exposedPorts: true, volumes: true, binds: true,
  mounts: true, tmpfs: true, extraHosts: true, dns: true, dnsSearch: true, dnsOptions: true, devices: true,
  deviceCgroupRules: true, pid: true, ipc: true, uts: true, sysctls: true, stopSignal: true,
  stopTimeout: true, logDriver: true, logOpts: true, restart: true, platform: true, attach: true,
  attachStdin: true, attachStdout: true, attachStderr: true,
};

/** A time as docker's logs take it, in ms since the epoch. */
function logTime(v: Date | number | string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v * 1000;
  return checked(option, () => (require('./time') as typeof import('./time')).parseTime(v, option));
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>();

function signalName(n: number): NodeJS.Signals | undefined {
  if (!SIGNAL_NAMES.size) {
    const { constants } = require('node:os') as typeof import('node:os');
    for (const [name, num] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(num)) SIGNAL_NAMES.set(num, name as NodeJS.Signals);
  }
  return SIGNAL_NAMES.get(n);
}

/**
 * A container: created by Gocker.createContainer() or run(), or found by Gocker.container().
 * Every method acts on the container as it is on disk now (another process, the CLI say,
 * may have changed it meanwhile); a container removed meanwhile throws NoSuchContainerError.
 */
export class Container {
  /** the container's stdio, when run() was asked to attach it */
  attachment?: Attachment;

  /**
   * @internal handles are made by Gocker. said: the container as the caller named it, which
   * errors name it by, as docker's do (default: its id).
   */
  constructor(private readonly paths: StorePaths, private readonly store: Store,
    /** the container's id (64 hex chars) */
    readonly id: string, private currentName: string, private readonly said = id, found?: ContainerRecord) {
    // Made by an engine's method: it logs at that engine's level, to its sink, later too.
    bindLogScope(this);
    // The record the lookup that made this handle has just read: its first use in the same
    // turn (the CLI's exec, stop and kill, which call it at once) takes it rather
    // than reading it again; nothing of this process ran between. Later uses read it afresh,
    // as a held handle's must. It is brought up to date with the monitor's files only then,
    // by the use that takes it: start, rm and the others that lock the container read the
    // record again under the lock and bring that one up to date instead.
    if (found) {
      this.justFound = found;
      queueMicrotask(() => {
        this.justFound = undefined;
      });
    }
  }

  private justFound?: ContainerRecord;

  /** The record just found, once, brought up to date (undefined: the caller reads it). */
  private takeFound(): ContainerRecord | undefined {
    const rec = this.justFound;
    this.justFound = undefined;
    return rec && lifecycle().reconcile(this.paths, rec);
  }

  /** The record, up to date: the one just found, once, or read now. */
  private current(): ContainerRecord {
    return this.takeFound() ?? lifecycle().find(this.paths, this.id);
  }

  /** its name, without docker's leading '/' */
  get name(): string {
    return this.currentName;
  }

  private runner(): import('./container/run').Runner {
    const { Runner } = require('./container/run') as typeof import('./container/run');
    return new Runner(this.paths, this.store);
  }

  /** docker inspect: the container's record, brought up to date with its monitor's files. */
  inspect(): ContainerRecord {
    const rec = this.current();
    this.currentName = rec.Name.replace(/^\//, '');
    return rec;
  }

  /**
   * Starts a created or stopped container; resolves once its command runs (a command that
   * cannot be run rejects, with docker's reason; a paused container is dockerd's
   * ConflictError). attach: a created container's stdio, connected before it is released
   * (this.attachment).
   */
  async start(opts: { attach?: AttachOptions } = {}): Promise<void> {
    if (opts.attach) {
      const rec = this.inspect();
      if (rec.State.Status !== 'created') throw new InvalidOptionError('attach', 'only a created container can be attached to as it starts: attach to a running one with attach()', { exitCode: 1 });
      const { connectAttach } = await import('./container/attach');
      this.attachment = await connectAttach(this.paths, this.id, rec.Config.Tty, { ...opts.attach, stdin: rec.Config.OpenStdin ? opts.attach.stdin : undefined, stdinOnce: true });
    }
    let r: import('./container/run').RunResult;
    try {
      r = await this.runner().start(this.id);
    } catch (e) {
      this.attachment?.detach();
      throw e;
    }
    if (r.error) {
      this.attachment?.detach();
      throw new GockerError(r.error, { exitCode: r.exitCode || 125 });
    }
  }

  /**
   * docker start -a: starts it (created or stopped) with its stdio connected before its
   * command runs, and resolves once the attachment ends: the container's exit with its code,
   * or the detach (opts.detachKeys on stdin with a tty, or opts.signal). stdin goes in only
   * when given and the container was created with openStdin; its end ends the container's. A
   * command that cannot be run rejects with docker's reason. A running container is not
   * started again but attached to, as attach() does, and followed until it exits or is
   * detached from. A paused one is ConflictError (dockerd's attach refuses it).
   */
  async startAttached(opts: StartAttachedOptions = {}): Promise<AttachEnd> {
    const { onAttached, detachKeys, ...streams } = opts;
    // docker's CLI attaches before it asks for the start, which a running container takes as
    // done (dockerd's 304): the attachment is what start -a of one gives, its output until it
    // exits and its exit code. One that exits meanwhile is started, as the start after
    // docker's attach would start it.
    const now = this.inspect();
    if (now.State.Running && !now.State.Paused && !now.State.Restarting) {
      let a: Attachment | undefined;
      try {
        a = await this.attach({ ...streams, detachKeys });
      } catch (e) {
        if (!(e instanceof NotRunningError)) throw e;
      }
      if (a) {
        onAttached?.(a);
        return a.done;
      }
    }
    const r = await this.runner().start(this.id, { attach: true, interactive: !!streams.stdin, io: { ...streams, onAttached }, detachKeys });
    if (r.error) throw new GockerError(r.error, { exitCode: r.exitCode || 125 });
    return r.detached ? { detached: true } : { detached: false, exitCode: r.exitCode };
  }

  /** docker attach (Gocker.attach): a running container's stdio. */
  async attach(opts: AttachOptions = {}): Promise<Attachment> {
    const { attach } = await import('./container/attach');
    return attach(this.paths, lifecycle().find(this.paths, this.id), opts);
  }

  /**
   * Resolves once the condition holds: not-running (at once if it is not running),
   * next-exit, or removed. A container with rm may be gone by then: its exit is then the
   * one its monitor recorded in the event log. signal's abort rejects at once with its
   * reason, leaving nothing running.
   */
  async wait(opts: WaitOptions = {}): Promise<WaitResult> {
    const { wait } = lifecycle();
    if (opts.condition !== undefined) {
      const { WAIT_CONDITIONS } = lifecycle();
      if (!WAIT_CONDITIONS.includes(opts.condition)) throw new InvalidOptionError('condition', `invalid condition: ${JSON.stringify(opts.condition)}`, { exitCode: 1 });
    }
    const condition = opts.condition ?? 'not-running';
    let code: number | undefined;
    try {
      // Asleep until its monitor says something (inotify, its pidfd); an abort ends it at once.
      code = await wait(this.paths, this.id, condition, opts.signal);
    } catch (e) {
      if (!(e instanceof NoSuchContainerError)) throw e;
    }
    // Exited: the exit handed over to this process is handled before a program that ends
    // now goes (or it would be a Node started to do it).
    if (code !== undefined && this.paths.exitHandoff) (await import('./container/exit-handoff')).holdExitHandoff(this.paths, this.id);
    const { loadRecord, readExit } = await import('./container/state');
    const rec = loadRecord(this.paths, this.id);
    if (!rec) {
      const last = await this.lastExit();
      if (last) return last;
      if (code === undefined) throw new NoSuchContainerError(`No such container: ${this.id}`);
      return { exitCode: code, oomKilled: false };
    }
    const exit = readExit(this.paths, this.id);
    const sig = exit?.signal ? signalName(exit.signal) : undefined;
    return { exitCode: code ?? rec.State.ExitCode, oomKilled: rec.State.OOMKilled, ...(sig ? { signal: sig } : {}) };
  }

  /** Its last exit as its monitor recorded it in the event log (die, and oom before it). */
  private async lastExit(): Promise<WaitResult | undefined> {
    const { readEvents } = await import('./events');
    let last: WaitResult | undefined;
    let oom = false;
    for await (const ev of readEvents(this.paths, { since: 0, until: Date.now(), follow: false, filters: { container: [this.id], event: ['start', 'oom', 'die'] } })) {
      if (ev.Action === 'start') oom = false;
      else if (ev.Action === 'oom') oom = true;
      else if (ev.Action === 'die') {
        const exitCode = Number(ev.Actor.Attributes.exitCode);
        const sig = exitCode > 128 ? signalName(exitCode - 128) : undefined;
        last = { exitCode, oomKilled: oom, ...(sig ? { signal: sig } : {}) };
      }
    }
    return last;
  }

  /** docker kill: a signal (default SIGKILL) to its process; NotRunningError if it is not running. */
  async kill(signal: string | number = 'SIGKILL'): Promise<void> {
    await lifecycle().kill(this.paths, this.id, String(signal), this.said, this.takeFound());
  }

  /**
   * docker stop: its stop signal, then SIGKILL after the timeout; resolves once it has
   * stopped. signal's abort rejects at once with its reason (see StopOptions.signal).
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    await lifecycle().stop(this.paths, this.id, opts.timeout, opts.stopSignal, { named: this.said, abort: opts.signal, found: this.takeFound() });
  }

  /** docker restart: stopped as stop() stops it, then started. */
  async restart(opts: StopOptions = {}): Promise<void> {
    await this.stop(opts);
    await this.start();
    const { containerEvent } = await import('./events');
    containerEvent(this.paths, 'restart', lifecycle().find(this.paths, this.id));
  }

  /** docker pause: every process of it frozen where it stands. */
  async pause(): Promise<void> {
    await lifecycle().pause(this.paths, this.id);
  }

  /** docker unpause. */
  async unpause(): Promise<void> {
    await lifecycle().unpause(this.paths, this.id);
  }

  /**
   * docker exec: cmd in the running container, with its output as streams. Read them (or
   * ask for none): a command whose output is not read waits once the pipe is full.
   */
  exec(cmd: string[], opts: ContainerExecOptions = {}): ExecProcess {
    const { native } = require('./native') as typeof import('./native');
    const net = require('node:net') as typeof import('node:net');
    const fs = require('node:fs') as typeof import('node:fs');
    // Pipes: the monitor gets one end as its fd 0, 1 or 2, this process reads or writes the other.
    const theirs: number[] = [];
    const sockets: import('node:net').Socket[] = [];
    const pipe = (reading: boolean): number => {
      const [r, w] = native().pipe();
      theirs.push(reading ? w : r);
      sockets.push(new net.Socket({ fd: reading ? r : w, readable: reading, writable: !reading }));
      return reading ? w : r;
    };
    const closeTheirs = (): void => {
      for (const fd of theirs.splice(0)) fs.closeSync(fd);
    };
    let fds: [number, number, number];
    try {
      fds = [opts.stdin ? pipe(false) : -1, opts.stdout !== false ? pipe(true) : -1, opts.stderr !== false && !opts.tty ? pipe(true) : -1];
    } catch (e) {
      closeTheirs();
      for (const s of sockets) s.destroy();
      throw e;
    }
    const socketOf = (i: number): import('node:net').Socket | undefined => (fds[i] < 0 ? undefined : sockets[fds.slice(0, i).filter((f) => f >= 0).length]);
    const stdin = socketOf(0);
    // Written after the command has stopped reading (or exited): EPIPE, and what is left is
    // dropped, as docker drops it, rather than an 'error' no one listens to.
    stdin?.on('error', () => undefined);
    const stdout: Readable = socketOf(1) ?? streams().Readable.from([]);
    // stderr through a PassThrough: why the command could not be run goes after what it wrote, as docker's.
    const errPipe = socketOf(2);
    const stderr = new (streams().PassThrough)();
    const errRead = errPipe ? new Promise<void>((res) => errPipe.on('end', res).on('close', res)) : Promise.resolve();
    errPipe?.pipe(stderr, { end: false });
    const record = this.takeFound();
    const run = async (): Promise<number> => {
      try {
        const { execInContainer } = await import('./container/exec');
        const r = await execInContainer(this.paths, this.store, {
          container: this.id, named: this.said, record, command: cmd, interactive: !!opts.stdin, tty: !!opts.tty, env: envList(opts.env), workdir: opts.workingDir,
          user: opts.user, privileged: opts.privileged, fds, signal: opts.signal,
        });
        closeTheirs();
        await errRead;
        if (r.error && opts.stderr !== false) stderr.write(`${r.error}\n`);
        stderr.end();
        return r.exitCode;
      } catch (e) {
        closeTheirs();
        for (const s of [stdout, stderr, ...sockets]) s.destroy();
        throw e;
      }
    };
    const exitCode = run();
    // A caller that only reads the streams must not see a refusal as unhandled.
    exitCode.catch(() => undefined);
    return { stdout, stderr, stdin, exitCode };
  }

  /**
   * docker exec without -d, as a CLI runs it: cmd in the running container with this
   * process's stdio (see ExecAttachedOptions); resolves once it ends or is detached from. A
   * command that cannot be run resolves with 126 or 127 and why; the exec's refusals
   * (NotRunningError, a paused container's ConflictError, ...) reject.
   */
  async execAttached(cmd: string[], opts: ExecAttachedOptions = {}): Promise<AttachedEnd> {
    const { terminal, detachKeys, onSignals, signal, ...rest } = opts;
    const record = this.takeFound();
    const viaSocket = !!terminal && !!rest.tty;
    if (viaSocket) await checkDetachKeys('detachKeys', detachKeys);
    const r = await this.execCommand(cmd, rest, {
      record, attach: viaSocket ? { stdin: terminal.stdin, stdout: terminal.stdout, detachKeys, onAttached: terminal.onAttached } : undefined, onSignals, signal,
    });
    return { exitCode: r.exitCode, detached: !!r.detached, ...(r.error ? { error: r.error } : {}) };
  }

  /**
   * docker exec -d: cmd started in the running container with no stdio; resolves once it has
   * started (detached, exit code 0), or with 126 or 127 and why it could not be. The exec's
   * refusals reject.
   */
  async execDetached(cmd: string[], opts: ExecCommandOptions = {}): Promise<AttachedEnd> {
    const r = await this.execCommand(cmd, opts, { record: this.takeFound(), detach: true });
    return { exitCode: r.exitCode, detached: !r.error, ...(r.error ? { error: r.error } : {}) };
  }

  private async execCommand(cmd: string[], o: ExecCommandOptions, more: Partial<import('./container/exec').ExecOptions>): Promise<import('./container/exec').ExecResult> {
    if (!Array.isArray(cmd) || cmd.some((a) => typeof a !== 'string')) throw new InvalidOptionError('cmd', 'cmd must be an array of strings', { exitCode: 125 });
    const { execInContainer } = await import('./container/exec');
    return execInContainer(this.paths, this.store, {
      container: this.id, named: this.said, command: cmd, interactive: !!o.interactive, tty: !!o.tty, env: envList(o.env), workdir: o.workingDir,
      user: o.user, privileged: o.privileged, ...more,
    });
  }

  /**
   * docker logs: what it printed (json-file's log), as a byte stream that is also an async
   * iterator of Buffers; with follow it goes on until the container stops, or until signal
   * aborts (the stream is then destroyed with the signal's reason). The log is read as the
   * stream is: a reader that stops reading stops the read of the file.
   */
  logs(opts: LogsOptions = {}): Readable {
    const want = { stdout: opts.stdout !== false, stderr: opts.stderr !== false };
    let resume: (() => void) | undefined;
    const out = new (streams().Readable)({
      read: () => {
        const r = resume;
        resume = undefined;
        r?.();
      },
    });
    const onAbort = (): void => {
      out.destroy(opts.signal!.reason as Error);
    };
    // Destroyed by its reader: a follow asleep on the container ends too.
    const left = new AbortController();
    const range = this.logRange(opts, left.signal);
    if (opts.signal?.aborted) {
      queueMicrotask(onAbort);
      return out;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // Destroyed (aborted, or its reader gone): the next line or chunk ends the read too.
    const gone = (): Error => new Error('logs: the reader has gone');
    // A chunk of the log read into the stream's buffer past its mark: on once it is read.
    range.drained = () => {
      if (out.destroyed) throw gone();
      if (out.readableLength < out.readableHighWaterMark) return undefined;
      return new Promise<void>((res) => {
        resume = res;
      });
    };
    out.on('close', () => {
      left.abort();
      resume?.();
    });
    void (async () => {
      try {
        await this.streamLog(range, (l) => {
          if (out.destroyed) throw gone();
          if (want[l.stream]) out.push(opts.timestamps ? `${l.time} ${l.log}` : l.log);
        });
        out.push(null);
      } catch (e) {
        if (!out.destroyed) out.destroy(e as Error);
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    })();
    return out;
  }

  /**
   * docker logs, line by line with which stream printed each and when (LogsOptions'
   * timestamps aside: every entry has its time), in batches as the log is read: every line
   * of a chunk of it (up to 1 MiB) at once. The read goes on as the batches are taken; a
   * follow ends as logs()'s does, and signal's abort throws its reason.
   */
  async *logEntries(opts: LogsOptions = {}): AsyncGenerator<LogEntry[]> {
    const want = { stdout: opts.stdout !== false, stderr: opts.stderr !== false };
    // The consumer gone (a break out of the loop) ends a follow asleep on the container.
    const left = new AbortController();
    const range = this.logRange(opts, left.signal);
    const ready: LogEntry[][] = [];
    let batch: LogEntry[] = [];
    let finished = false;
    let failure: { e: unknown } | undefined;
    let stopped = false;
    let wakeReader: (() => void) | undefined;
    let wakeWriter: (() => void) | undefined;
    const wake = (): void => {
      const w = wakeReader;
      wakeReader = undefined;
      w?.();
    };
    const handOver = (): void => {
      if (batch.length) ready.push(batch);
      batch = [];
      wake();
    };
    range.drained = () => {
      if (stopped) throw new Error('logs: the reader has gone');
      handOver();
      if (!ready.length) return undefined;
      return new Promise<void>((res) => {
        wakeWriter = res;
      });
    };
    const reading = this.streamLog(range, (l) => {
      if (stopped) throw new Error('logs: the reader has gone');
      if (want[l.stream]) batch.push(l);
    }).then(() => {
      handOver();
    }, (e: unknown) => {
      failure = { e };
    }).finally(() => {
      finished = true;
      wake();
    });
    try {
      for (;;) {
        if (ready.length) {
          yield ready.shift()!;
          continue;
        }
        const w = wakeWriter;
        wakeWriter = undefined;
        w?.();
        if (finished) break;
        await new Promise<void>((res) => {
          wakeReader = res;
        });
      }
      if (failure) throw failure.e;
      opts.signal?.throwIfAborted();
    } finally {
      stopped = true;
      left.abort();
      wakeWriter?.();
      await reading;
    }
  }

  /** LogsOptions checked, as lifecycle's read takes them. */
  private logRange(opts: LogsOptions, left?: AbortSignal): import('./container/lifecycle').LogOptions {
    const since = logTime(opts.since, 'since');
    const until = logTime(opts.until, 'until');
    const tail = opts.tail === undefined || opts.tail === 'all' ? undefined : opts.tail;
    if (tail !== undefined && !Number.isInteger(tail)) throw new InvalidOptionError('tail', `invalid tail: ${String(opts.tail)}`, { exitCode: 1 });
    // The follow sleeps until a line or the exit comes; an abort wakes and ends it.
    const signal = opts.signal && left ? AbortSignal.any([opts.signal, left]) : opts.signal ?? left;
    return { follow: opts.follow, tail, since, until, signal };
  }

  private async streamLog(range: import('./container/lifecycle').LogOptions, emit: (l: LogEntry) => void): Promise<void> {
    const { find, streamLogs } = lifecycle();
    await streamLogs(this.paths, find(this.paths, this.id), range, emit);
  }

  /** docker top: its processes, as ps -ef shows them (psArgs: other ps options). */
  top(psArgs?: string[]): TopResult {
    const { top } = require('./container/top') as typeof import('./container/top');
    return top(this.paths, this.id, psArgs);
  }

  /**
   * docker stats: one sample (CPU % over 100 ms, memory, network, block I/O, pids), or with
   * stream one a second until signal aborts (the iterator then ends) or it stops running.
   */
  stats(opts: { stream: true; signal?: AbortSignal }): AsyncGenerator<ContainerStats>;
  stats(opts?: { stream?: false }): Promise<ContainerStats>;
  stats(opts: { stream?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<ContainerStats> | Promise<ContainerStats> {
    const sample = async (): Promise<ContainerStats> => {
      const { sampleStats } = await import('./container/stats');
      return (await sampleStats([lifecycle().find(this.paths, this.id)]))[0];
    };
    if (!opts.stream) return sample();
    const signal = opts.signal;
    const self = this;
    return (async function* () {
      while (!signal?.aborted) {
        yield await sample();
        if (!self.inspect().State.Running) return;
        try {
          await abortable(new Promise((r) => setTimeout(r, 900)), signal);
        } catch {
          return;
        }
      }
    })();
  }

  /**
   * diff()'s changes as they are walked, each path as the bytes on disk (not necessarily
   * UTF-8), without a pause between them: a listing may be gigabytes (every path names the
   * directories above it), and a consumer can write them out in chunks as they come.
   */
  *changes(): Generator<RawContainerChange> {
    const { eachChange } = require('./container/changes') as typeof import('./container/changes');
    for (const [kind, p] of eachChange(this.store, this.id)) yield { kind, path: p };
  }

  /** docker diff: what changed in its files against its image, path by path (A added, C changed, D deleted). */
  async *diff(): AsyncGenerator<ContainerChange> {
    const { eachChange } = await import('./container/changes');
    for (const [kind, p] of eachChange(this.store, this.id)) yield { kind, path: p.toString('utf8') };
  }

  /** docker commit: its files and config as a new image; resolves with the image's id. */
  async commit(opts: ContainerCommitOptions = {}): Promise<string> {
    const { commitContainer } = await import('./container/changes');
    return commitContainer(this.store, this.id, opts.repo, { message: opts.comment, author: opts.author, changes: opts.changes, pause: opts.pause });
  }

  /** docker export: its whole filesystem as a tar stream; signal (or destroying it) stops the read. */
  export(opts: { signal?: AbortSignal } = {}): Readable {
    return streamFrom(opts.signal, async (out) => {
      const { exportContainer } = await import('./container/changes');
      await exportContainer(this.store, this.id, out);
    });
  }

  /** docker cp CONTAINER:PATH -: the file or directory at path as a tar stream. */
  getArchive(path: string, opts: ArchiveOptions = {}): Readable {
    return streamFrom(opts.signal, async (out) => {
      const { copyArchiveOut } = await import('./container/cp');
      await copyArchiveOut(this.paths, `${this.id}:${path}`, out, { archive: !!opts.archive, followLink: !!opts.followLink });
    });
  }

  /** docker cp - CONTAINER:PATH: a tar stream unpacked into the directory at path; resolves with the bytes copied. */
  async putArchive(path: string, tar: NodeJS.ReadableStream): Promise<number> {
    const { copyArchiveIn } = await import('./container/cp');
    return copyArchiveIn(this.paths, `${this.id}:${path}`, tar);
  }

  /** docker rename; ConflictError when the name is another's. */
  async rename(newName: string): Promise<void> {
    const rec = await lifecycle().rename(this.paths, this.id, newName);
    this.currentName = rec.Name.replace(/^\//, '');
  }

  /**
   * docker update: new limits, on the running container's cgroup and in its record (a
   * stopped one gets them at its next start); resolves with docker's warnings.
   */
  async update(resources: UpdateOptions): Promise<{ warnings: string[] }> {
    const { updateContainer } = await import('./container/update');
    const { warnings } = await updateContainer(this.paths, this.id, updateRequest(resources));
    return { warnings };
  }

  /**
   * docker rm: its writable layer, cgroups and runtime files; ConflictError when it runs
   * (unless force, which kills it first). volumes: its anonymous volumes too.
   */
  async remove(opts: RemoveOptions = {}): Promise<void> {
    await lifecycle().remove(this.paths, this.id, !!opts.force, !!opts.volumes);
  }
}

/** UpdateOptions checked and read as the engine's request, or InvalidOptionError naming the option. */
function updateRequest(resources: UpdateOptions): import('./container/update').UpdateRequest {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseUpdate } = require('./container/update') as typeof import('./container/update');
  const { parseRestartFlag, RestartFlagError } = require('./container/restart') as typeof import('./container/restart');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const req = parseUpdate({
    memory: sizeString(resources.memory), memorySwap: sizeString(resources.memorySwap), cpus: resources.cpus === undefined ? undefined : String(resources.cpus),
    cpuShares: resources.cpuShares, cpusetCpus: resources.cpusetCpus, pidsLimit: resources.pidsLimit,
  });
  const restart = restartString(resources.restart);
  if (restart !== undefined) {
    try {
      req.restartPolicy = parseRestartFlag(restart);
    } catch (e) {
      if (e instanceof RestartFlagError) throw new InvalidOptionError('restart', e.message, { exitCode: 1, cause: e });
      throw e;
    }
  }
  return req;
}

/**
 * Container.update()'s checks of resources that need no container (a value that does not
 * read, a swap limit below the memory one, a restart policy's format), throwing what update()
 * would: for refusing a request before any container is touched, as docker's CLI refuses a
 * flag's value. A value that does not read is OptionSyntaxError (docker's CLI's refusal).
 */
export function checkUpdateOptions(resources: UpdateOptions): void {
  updateRequest(resources);
}

/**
 * The refusals docker's CLI makes itself of a restart policy, before it asks the daemon: its
 * format (a count that is not a number, nothing before the colon), and any policy but no with
 * rm. Thrown as GockerError with code EUSAGE, exit code 125 (the CLI says them with its usage
 * hint); what is left to the daemon (an unknown policy, a count on a policy but on-failure) is
 * not checked here but by the create, as InvalidOptionError.
 */
export function checkRestartFlag(restart: ContainerOptions['restart'], rm = false): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { restartPolicyOf, RestartFlagError } = require('./container/restart') as typeof import('./container/restart');
  try {
    restartPolicyOf(restartString(restart), rm);
  } catch (e) {
    if (e instanceof RestartFlagError) throw new GockerError(e.message, { code: 'EUSAGE', exitCode: 125, cause: e });
  }
}

/**
 * A Readable that write() fills: what a writer-taking engine function (export, save, cp)
 * writes, ended when it is done or destroyed with its error; destroying the stream, or
 * signal, stops it (its pipe fails, and the function cleans up as on any write error).
 */
export function streamFrom(signal: AbortSignal | undefined, write: (out: NodeJS.WritableStream) => Promise<void>): Readable {
  const out = new (streams().PassThrough)();
  const onAbort = (): void => {
    out.destroy(signal!.reason as Error);
  };
  if (signal?.aborted) {
    queueMicrotask(onAbort);
    return out;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  void write(out).then(() => {
    if (!out.writableEnded) out.end();
  }, (e: unknown) => {
    if (!out.destroyed) out.destroy(e as Error);
  }).finally(() => signal?.removeEventListener('abort', onAbort));
  return out;
}

/** The handle on container ref (a name, an id or a unique id prefix). */
export function containerHandle(paths: StorePaths, store: Store, ref: string): Container {
  const rec = (require('./container/state') as typeof import('./container/state')).resolveContainer(paths, ref);
  return new Container(paths, store, rec.Id, rec.Name.replace(/^\//, ''), ref, rec);
}

/** Creates the container; a name in use is ConflictError, an image not here NoSuchImageError. */
export async function createContainer(paths: StorePaths, store: Store, image: string, cmd: string[] | undefined, o: ContainerOptions, hooks: CreateHooks = {}): Promise<Container> {
  const opts = await runOptionsOf(image, cmd, o);
  const { Runner } = await import('./container/run');
  const r = await new Runner(paths, store).create(opts, { onCreate: hooks.onCreate });
  if (r.error) throw new GockerError(r.error, { exitCode: r.exitCode || 125 });
  return containerHandle(paths, store, r.id);
}

/**
 * docker run -d: resolves once its command runs. With attach, created, its streams connected,
 * then started (a failed start then leaves no container behind with rm, and a created one
 * without, as docker run's); without, made and started in one, as the CLI's run -d. The
 * handle's name is '' when an rm container was gone already when run returned.
 */
export async function runContainer(paths: StorePaths, store: Store, image: string, cmd: string[] | undefined, o: RunContainerOptions, hooks: CreateHooks = {}): Promise<Container> {
  await checkDetachKeys('attach', o.attach?.detachKeys, 125);
  if (!o.attach) {
    const opts = await runOptionsOf(image, cmd, o);
    const { Runner } = await import('./container/run');
    // Detached: the monitor's stdio is not this process's, and no signal of it is passed on.
    const r = await new Runner(paths, store).run({ ...opts, detach: true }, undefined, { onCreate: hooks.onCreate });
    if (r.error) throw new GockerError(r.error, { exitCode: r.exitCode || 125 });
    try {
      return containerHandle(paths, store, r.id);
    } catch (e) {
      if (!(e instanceof NoSuchContainerError) || !o.rm) throw e;
      return new Container(paths, store, r.id, o.name ?? '');
    }
  }
  const c = await createContainer(paths, store, image, cmd, o, hooks);
  try {
    await c.start(o.attach ? { attach: o.attach } : {});
  } catch (e) {
    if (o.rm) await c.remove({ force: true, volumes: true }).catch(() => undefined);
    throw e;
  }
  return c;
}

/**
 * docker run without -d: made, released and waited for in one, as the CLI's run (the same
 * path): resolves once it exits or is detached from. Its stdio: see RunAttachedOptions.
 */
export async function runAttached(paths: StorePaths, store: Store, image: string, cmd: string[] | undefined, o: RunAttachedOptions, hooks: RunAttachedHooks = {}): Promise<RunAttachedResult> {
  const { terminal, detachKeys, ...rest } = o;
  await checkDetachKeys('detachKeys', detachKeys, 125);
  const opts = await runOptionsOf(image, cmd, rest);
  const { Runner } = await import('./container/run');
  // With -t, its terminal through the attach socket; without, the monitor has this process's fds.
  const io = terminal && { stdin: opts.interactive ? terminal.stdin : undefined, stdout: terminal.stdout, onAttached: terminal.onAttached };
  const r = await new Runner(paths, store).run({ ...opts, detachKeys }, undefined, { onCreate: hooks.onCreate, onSignals: hooks.onSignals }, io);
  if (r.detached) return { id: r.id, exitCode: 0, detached: true };
  return { id: r.id, exitCode: r.exitCode, detached: false, ...(r.error ? { error: r.error } : {}) };
}

/** docker ps: the containers, newest first. */
export async function listContainers(paths: StorePaths, store: Store, o: ListContainersOptions): Promise<ContainerRecord[]> {
  const { containerFilter } = await import('./container/filters');
  const values = Object.entries(o.filters ?? {}).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
  const filter = containerFilter(paths, store, values);
  return (await lifecycle().listContainers(paths, !!o.all || filter.all)).filter((r) => filter.test(r));
}

