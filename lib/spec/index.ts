// A container's spec: docker-shaped input (the Config and HostConfig of docker's
// ContainerCreate body, the image's config) and the facts the engine resolved (the user's
// ids, the capabilities it may hand on, the compiled seccomp program, the host's cgroup
// layout, the store's paths) -> an OCI runtime-spec config.json. Pure: no file, no process,
// no addon; what the host has comes in as facts, so the same input gives the same spec.
//
// gocker's own facts, which the runtime spec has no field for, are annotations under
// io.gocker. (the ANNOTATIONS below): the overlay's layers, the log and its rotation, the
// files the monitor reports through, the cgroup files it joins, the compiled seccomp and
// device programs. gocker-monitor reads all of it and refuses what it does not know.
import { GockerError } from '../errors';
import { DEFAULT_DEVICE_RULES, ALLOW_ALL, program as deviceProgram, type DeviceRule } from '../cgroups/devices';
import { effectiveCaps } from './caps';
import type { ImageRuntimeConfig } from '../store/types';
import type { ResolvedSeccomp } from './seccomp';
import { OCI_VERSION, type OciDevice, type OciExecSpec, type OciMount, type OciNamespace, type OciProcess, type OciRlimit, type OciSeccomp, type OciSpec } from './oci';

export * from './oci';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** The annotations gocker-monitor reads. Lists are JSON arrays of strings, numbers decimal. */
export const ANNOTATIONS = {
  /** the directory the overlay's lower dirs are named from (the store root: l/<link>) */
  overlayRoot: 'io.gocker.overlay.root',
  /** the image's layers, top first, as l/<link>, colon-separated */
  overlayLower: 'io.gocker.overlay.lowerdir',
  overlayUpper: 'io.gocker.overlay.upperdir',
  overlayWork: 'io.gocker.overlay.workdir',
  /** vfs: the container's own full tree, bind-mounted at root.path instead of an overlay */
  rootfsBind: 'io.gocker.rootfs.bind',
  logPath: 'io.gocker.log.path',
  logMaxSize: 'io.gocker.log.max-size',
  logMaxFile: 'io.gocker.log.max-file',
  pidFile: 'io.gocker.pid-file',
  exitFile: 'io.gocker.exit-file',
  startedFile: 'io.gocker.started-file',
  /** files the container's first process writes "0" to itself (v1 tasks) */
  cgroupJoinSelf: 'io.gocker.cgroup.join-self',
  /** files the monitor writes the process's pid to before it runs (v2 cgroup.procs) */
  cgroupJoinPid: 'io.gocker.cgroup.join-pid',
  cgroupOomEvents: 'io.gocker.cgroup.oom-events',
  /**
   * the file holding linux.seccomp compiled (struct sock_filter[]): the monitor loads it and
   * never compiles. A file, not hex in here: the monitor would lex twice its size of JSON.
   */
  seccompBpf: 'io.gocker.seccomp.bpf',
  /** v2: linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program (hex), and its cgroup */
  devicesBpf: 'io.gocker.devices.bpf',
  devicesCgroup: 'io.gocker.devices.cgroup',
  /** --ipc shareable: the host directory the monitor mounts the container's /dev/shm on, and its size */
  shmPath: 'io.gocker.shm.path',
  shmSize: 'io.gocker.shm.size',
  // Set per start (the copy in the runroot), never kept with the container.
  detach: 'io.gocker.launch.detach',
  stdin: 'io.gocker.launch.stdin',
  /** the fd the engine says "go" on once the cgroups are made, and again to release (run) */
  goFd: 'io.gocker.launch.go-fd',
  /** the fd the monitor says "created" on: the pid file is written, nothing has run */
  reportFd: 'io.gocker.launch.report-fd',
  /** the fds the monitor holds while the container runs (a bridge network's published ports' sockets), a JSON list */
  holdFds: 'io.gocker.launch.hold-fds',
  /** create: the FIFO the monitor waits on to be released, written by a later start */
  releaseFifo: 'io.gocker.launch.release-fifo',
  /** the unix socket the monitor serves the container's stdio on (lib/container/attach.ts) */
  attachSocket: 'io.gocker.launch.attach-socket',
  /** --rm: what the monitor runs once the container has exited and no CLI is there */
  exitCommand: 'io.gocker.launch.exit-command',
  /** a file that must be there at the exit for the exit command to run (the restart policy's marker) */
  exitCommandIf: 'io.gocker.launch.exit-command-if',
  /** or this one: the container has what the engine takes down at its exit (its published ports' rules) */
  exitCommandRelease: 'io.gocker.launch.exit-command-release',
  /** the launching library's socket, where the exit is offered before the exit command runs (lib/container/exit-handoff.ts) */
  exitHandoffFd: 'io.gocker.launch.exit-handoff-fd',
  /** "true": the monitor removes the container's cgroup at its exit, before it records the exit */
  releaseCgroup: 'io.gocker.launch.release-cgroup',
  /** the engine's event log, where the monitor records the container's oom and die */
  eventsFile: 'io.gocker.events.file',
  /** the container's actor in those events, as JSON: {"ID", "Attributes"} (labels, image, name) */
  eventsActor: 'io.gocker.events.actor',
  /** the volumes the container mounts, as JSON: their unmount events at its exit */
  eventsVolumes: 'io.gocker.events.volumes',
  // exec: the container's process to join, as the engine verified it.
  execTargetPid: 'io.gocker.exec.target-pid',
  execTargetParent: 'io.gocker.exec.target-parent',
  execTargetStarted: 'io.gocker.exec.target-started',
  execTargetExit: 'io.gocker.exec.target-exit',
} as const;

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
/** What every container gets in /dev; --privileged adds the host's (facts.hostDevices). */
export const DEFAULT_DEVICES: readonly OciDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666 },
];

// docker's ulimit names (go-units) and the RLIMIT_ each is.
export const RLIMITS: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/** mount(8)'s flag words, as the monitor takes them in a mount's options. */
export const MOUNT_FLAGS = new Set(['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'dirsync',
  'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime']);
/** tmpfs's own options (mm/shmem.c): anything else is refused, not handed to the kernel. */
export const TMPFS_OPTIONS = new Set(['size', 'nr_blocks', 'nr_inodes', 'mode', 'uid', 'gid', 'huge', 'mpol', 'inode32', 'inode64', 'noswap']);

/** A size as docker's units.FromHumanSize reads one: decimal multiples ("10m" is 10,000,000). */
export function humanSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw engineError(`invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * 1000 ** ' kmgtp'.indexOf(m[2].toLowerCase() || ' '));
}

/** docker's ContainerCreate Config: the fields gocker takes. */
export interface CreateConfig {
  Hostname?: string;
  User?: string;
  /** NAME=VALUE, as docker's CLI sends them (a bare -e NAME already looked up or dropped) */
  Env?: string[];
  /** null or empty: the image's */
  Cmd?: string[] | null;
  /** null: the image's; [] (--entrypoint ''): none. Either way a given one drops the image's CMD. */
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Tty?: boolean;
}

/** A mount, typed: -v and --tmpfs as the CLI parsed them. */
export type SpecMount =
  | { Type: 'bind'; Source: string; Target: string; ReadOnly: boolean }
  /** Options: mount flag words and tmpfs options (size=, mode=), docker's nosuid,nodev,noexec included */
  | { Type: 'tmpfs'; Target: string; Options: string[] };

/** The fields of docker's HostConfig that the spec and the container's record take alike. */
export interface HostConfigBase {
  /** --network: 'bridge', 'none', 'host', a network's name, or container:ID */
  NetworkMode: string;
  /** --privileged: every capability, every device, no seccomp filter, /sys and /proc writable */
  Privileged: boolean;
  /** --read-only: the root filesystem mounted read-only */
  ReadonlyRootfs: boolean;
  /** --cap-add, over docker's default set ('ALL' for every one) */
  CapAdd: string[] | null;
  /** --cap-drop, from docker's default set ('ALL' for every one) */
  CapDrop: string[] | null;
  /** in a spec's input, normalised: seccomp=FILE already replaced by the profile's JSON */
  SecurityOpt: string[] | null;
  /** --init: docker-init (tini) runs as pid 1 and runs the command */
  Init: boolean;
  /** bytes */
  ShmSize: number;
  /** --memory in bytes; 0: no limit */
  Memory: number;
  /** --memory-swap in bytes, memory and swap together; 0: twice Memory (docker's default), -1: unlimited swap */
  MemorySwap: number;
  /** --cpus in billionths of a CPU; 0: no limit */
  NanoCpus: number;
  /** --cpu-shares: the relative weight (1024 is one share's); 0: the default */
  CpuShares: number;
  /** --cpuset-cpus: the CPUs it may run on ('0-1,3'); '': any */
  CpusetCpus: string;
  /** --pids-limit; null: no limit */
  PidsLimit: number | null;
  /** -1: unlimited */
  Ulimits: Array<{ Name: string; Soft: number; Hard: number }> | null;
}

/** docker's HostConfig: the fields gocker takes, with -v and --tmpfs as typed mounts. */
export interface SpecHostConfig extends HostConfigBase {
  Mounts: SpecMount[];
  LogConfig: { Type: 'json-file' | 'none'; Config: Record<string, string> };
  /** --pid: '' (its own namespace), host, or container:ID (joined through launchSpec's fd) */
  PidMode?: string;
  /** --ipc: private or shareable (its own), host, none (its own, no /dev/shm), container:ID */
  IpcMode?: string;
  /** --uts: '' (its own) or host */
  UTSMode?: string;
  /** --sysctl, already checked against the namespaces (container/runflags.ts) */
  Sysctls?: Record<string, string> | null;
  /** --device-cgroup-rule, as given ('c 1:3 rwm') */
  DeviceCgroupRules?: string[] | null;
}

/** What the engine resolved on the host for this container. */
export interface SpecFacts {
  /** the user's ids, from the image's /etc/passwd and /etc/group */
  user: { uid: number; gid: number; additionalGids: number[]; home: string };
  /** the capability names this engine may hand on (its bounding set), without CAP_ */
  availableCaps: string[];
  /** the resolved profile and the file its compiled program is kept in; none: unconfined or privileged */
  seccomp?: { profile: ResolvedSeccomp; program: string };
  cgroup: {
    /** 'gocker/<id>' */
    path: string;
    /** what /sys/fs/cgroup shows inside: the v2 hierarchy, or v1's, each by its mount's name and options */
    mounts: 'v2' | Array<{ name: string; options: string[] }>;
    joinSelf: string[];
    joinByPid: string[];
    oomEvents?: string;
    /** v2: the directory the device program is attached to */
    deviceProgramTarget?: string;
  };
  /**
   * -v, --mount and the image's VOLUMEs as resolved (volumes to their directories, binds with
   * their propagation as OCI's options say it: rshared, rslave, ...), in order
   */
  mounts?: OciMount[];
  /** --privileged: the host's device nodes */
  hostDevices: OciDevice[];
  /** --device: the host's nodes at their paths in the container, each with its cgroup access */
  devices?: Array<{ node: OciDevice; access: string }>;
  rootfs: { overlay: { root: string; lower: string[]; upper: string; work: string } } | { bind: string };
  paths: {
    merged: string; pidFile: string; exitFile: string; startedFile: string;
    log: string; hostname: string; hosts: string; resolvConf: string;
    /** --init: gocker-init on the host */
    init?: string;
    /** --ipc shareable: where the monitor mounts its /dev/shm; container:NAME: that container's */
    shm?: string;
  };
}

export interface SpecInput {
  id: string;
  config: CreateConfig;
  hostConfig: SpecHostConfig;
  image: ImageRuntimeConfig;
  facts: SpecFacts;
}

/** The command docker runs: ENTRYPOINT + CMD, the image's where the body gives none. */
export function commandOf(config: CreateConfig, image: ImageRuntimeConfig): { entrypoint: string[]; cmd: string[]; command: string[] } {
  let entrypoint = image.Entrypoint ?? [];
  let cmd = image.Cmd ?? [];
  if (config.Entrypoint != null) {
    entrypoint = config.Entrypoint;
    cmd = [];
  }
  if (config.Cmd?.length) cmd = config.Cmd;
  const command = [...entrypoint, ...cmd];
  if (command.length === 0) throw engineError('No command specified');
  return { entrypoint, cmd, command };
}

/** NAME=VALUE entries merged by name, later ones winning, in first-seen order. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const i = e.indexOf('=');
    out.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...out.values()];
}

/** Config.Env: the image's, then the body's, and nothing else (what commit keeps). */
export function envOf(config: CreateConfig, image: ImageRuntimeConfig): string[] {
  return mergeEnv(image.Env ?? [], config.Env ?? []);
}

/**
 * A process's environment from a container's Config.Env, as dockerd makes it (PATH, HOSTNAME
 * and with a terminal TERM, each unless Config.Env has it) and runc completes it (HOME, the
 * user's home, unless set). None of these is stored in Config.Env, so `commit` never bakes a
 * container's hostname or the default PATH into an image. Config.Env's own entries are taken
 * as they are: one without '=' (an image's) never reads this process's environment.
 */
export function processEnv(configEnv: string[], hostname: string, tty: boolean, home: string): string[] {
  const out = new Map<string, string>([['PATH', DEFAULT_PATH], ['HOSTNAME', `HOSTNAME=${hostname}`]]);
  if (tty) out.set('TERM', 'TERM=xterm');
  for (const e of configEnv) out.set(e.split('=')[0], e);
  if (!out.has('HOME')) out.set('HOME', `HOME=${home}`);
  return [...out.values()];
}

export const hostnameOf = (id: string, config: CreateConfig): string => config.Hostname || id.slice(0, 12);

/** no-new-privileges, as docker's --security-opt takes it. */
export const noNewPrivileges = (securityOpt: readonly string[] | null): boolean =>
  (securityOpt ?? []).some((s) => /^no-new-privileges(=true|:true)?$/.test(s));

const noNul = (what: string, s: string): string => {
  if (s.includes('\0')) throw engineError(`${what} may not contain a NUL byte`);
  return s;
};

/** A uid or gid: what the kernel takes (uint32 less -1, which means "unchanged"). */
function id32(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xfffffffe) throw engineError(`${what} ${n} is not a valid id`);
  return n;
}

function rlimits(ulimits: SpecHostConfig['Ulimits']): OciRlimit[] {
  // As dockerd's GetRlimit: uint64(n), so that -1 is RLIM_INFINITY and -2 one below it.
  const lim = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
  return (ulimits ?? []).map((u) => {
    if (!(u.Name in RLIMITS)) throw engineError(`invalid ulimit type: ${u.Name}`);
    if (!Number.isSafeInteger(u.Soft) || !Number.isSafeInteger(u.Hard)) throw engineError(`invalid ulimit ${u.Name}: ${u.Soft}:${u.Hard}`);
    return { type: RLIMITS[u.Name], soft: lim(u.Soft), hard: lim(u.Hard) };
  });
}

/** The process's capability sets: root keeps them in effective and permitted, others get none (as docker). */
export function capabilitySets(caps: string[], uid: number): OciProcess['capabilities'] {
  const names = caps.map((c) => `CAP_${c}`);
  return { bounding: names, effective: uid === 0 ? names : [], permitted: uid === 0 ? names : [], inheritable: [], ambient: [] };
}

/** A resolved profile as the runtime spec's linux.seccomp (argument values as uint64). */
export function ociSeccomp(p: ResolvedSeccomp): OciSeccomp {
  return {
    defaultAction: p.defaultAction,
    defaultErrnoRet: p.defaultErrnoRet,
    architectures: p.architectures,
    flags: p.flags.length ? p.flags : undefined,
    syscalls: p.syscalls.map((s) => ({
      names: s.names,
      action: s.action,
      errnoRet: s.errnoRet,
      args: s.args?.map((a) => ({ index: a.index, value: BigInt(a.value), valueTwo: BigInt(a.valueTwo), op: a.op })),
    })),
  };
}

function tmpfsOptions(target: string, options: string[]): string[] {
  for (const o of options) {
    const key = o.split('=')[0];
    // One option per entry: a comma would smuggle more into the mount's data.
    if (o.includes(',') || o.includes('\0') || (!MOUNT_FLAGS.has(o) && !TMPFS_OPTIONS.has(key))) {
      throw engineError(`invalid mount config for type "tmpfs": ${target}: unknown option '${o}'`);
    }
  }
  return options;
}

/** One mount option, alone: a comma would smuggle more into the mount's data. */
function mountOption(target: string, o: string): string {
  if (o.includes(',') || o.includes('\0')) throw engineError(`invalid mount config for ${target}: unknown option '${o}'`);
  return o;
}

const deviceRule = (r: DeviceRule, allow: boolean): OciSpec['linux']['resources']['devices'][number] => ({
  allow, type: r.type, major: r.major < 0 ? undefined : r.major, minor: r.minor < 0 ? undefined : r.minor, access: r.access,
});

/** One --device-cgroup-rule ('c 1:3 rwm', 'a *:* rwm'), as docker's CLI takes it. */
export function parseCgroupRule(r: string): DeviceRule {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(r);
  if (!m) throw engineError(`invalid device cgroup format '${r}'`);
  const n = (x: string): number => (x === '*' ? -1 : Number(x));
  return { type: m[1] as DeviceRule['type'], major: n(m[2]), minor: n(m[3]), access: m[4] };
}

/**
 * The device cgroup's allow-list: docker's defaults, then a rule per --device (its
 * permissions), then --device-cgroup-rule's; --privileged: every device.
 */
export function deviceRules(h: Pick<SpecHostConfig, 'Privileged' | 'DeviceCgroupRules'>, devices: SpecFacts['devices'] = []): readonly DeviceRule[] {
  if (h.Privileged) return ALLOW_ALL;
  const extra = [...devices.map((d): DeviceRule => ({ type: d.node.type, major: d.node.major, minor: d.node.minor, access: d.access })),
    ...(h.DeviceCgroupRules ?? []).map(parseCgroupRule)];
  return extra.length ? [...DEFAULT_DEVICE_RULES, ...extra] : DEFAULT_DEVICE_RULES;
}

/** The namespaces a container gets: each of its own unless its mode shares the host's. */
function namespacesOf(h: SpecHostConfig): OciNamespace[] {
  const out: OciNamespace[] = [];
  if (h.PidMode !== 'host') out.push({ type: 'pid' });
  if (h.NetworkMode !== 'host') out.push({ type: 'network' });
  if (h.IpcMode !== 'host') out.push({ type: 'ipc' });
  if (h.UTSMode !== 'host') out.push({ type: 'uts' });
  out.push({ type: 'mount' }, { type: 'cgroup' });
  return out;
}

/** Builds a container's config.json. Throws (125) on input it cannot make a spec of. */
export function buildSpec(input: SpecInput): OciSpec {
  const { id, config, hostConfig: h, image, facts } = input;
  const { command } = commandOf(config, image);
  const args = h.Init ? ['/sbin/docker-init', '--', ...command] : command;
  const hostname = hostnameOf(id, config);
  const env = processEnv(envOf(config, image), hostname, !!config.Tty, facts.user.home);
  const uid = id32('uid', facts.user.uid);
  const gid = id32('gid', facts.user.gid);
  const additionalGids = facts.user.additionalGids.map((g) => id32('gid', g));
  const caps = effectiveCaps({ add: h.CapAdd ?? undefined, drop: h.CapDrop ?? undefined, privileged: h.Privileged, available: facts.availableCaps });
  if (!h.NetworkMode) throw engineError('no network mode');

  const mounts: OciMount[] = [];
  const m = (type: string, source: string, destination: string, options: string[]): void => {
    mounts.push({ destination: noNul('a mount target', destination), type, source: noNul('a mount source', source), options });
  };
  const ro = h.Privileged ? [] : ['ro'];
  m('proc', 'proc', '/proc', ['nosuid', 'noexec', 'nodev']);
  m('tmpfs', 'tmpfs', '/dev', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  m('devpts', 'devpts', '/dev/pts', ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  // --ipc host: the host's /dev/shm, as docker binds it; none: no /dev/shm at all;
  // shareable: one on the host the monitor mounts (facts.paths.shm), which a container
  // joining its IPC namespace binds too.
  const shareable = h.IpcMode === 'shareable' || h.IpcMode?.startsWith('container:');
  if (shareable && !facts.paths.shm) throw engineError(`--ipc ${h.IpcMode}: no /dev/shm to share`);
  if (h.IpcMode === 'host') m('bind', '/dev/shm', '/dev/shm', ['rbind', 'rprivate']);
  else if (shareable) m('bind', facts.paths.shm!, '/dev/shm', ['rbind', 'rprivate']);
  else if (h.IpcMode !== 'none') m('tmpfs', 'shm', '/dev/shm', ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${h.ShmSize}`]);
  m('mqueue', 'mqueue', '/dev/mqueue', ['nosuid', 'noexec', 'nodev']);
  // A sysfs of its own with --network host too (as runc): a bind of the host's /sys would
  // bring its submounts (cgroup hierarchies, bpffs, tracefs, debugfs) along, writable.
  m('sysfs', 'sysfs', '/sys', ['nosuid', 'noexec', 'nodev', ...ro]);
  const readonlyPaths: string[] = [];
  if (facts.cgroup.mounts === 'v2') {
    m('cgroup2', 'cgroup', '/sys/fs/cgroup', ['nosuid', 'noexec', 'nodev', ...ro]);
  } else {
    // v1: a tmpfs holding one mount per hierarchy, made read-only with the other paths.
    m('tmpfs', 'tmpfs', '/sys/fs/cgroup', ['nosuid', 'noexec', 'nodev', 'mode=755']);
    for (const hier of facts.cgroup.mounts) m('cgroup', 'cgroup', `/sys/fs/cgroup/${hier.name}`, ['nosuid', 'noexec', 'nodev', ...ro, ...hier.options]);
    if (!h.Privileged) readonlyPaths.push('/sys/fs/cgroup');
  }
  for (const v of h.Mounts) if (v.Type === 'bind') m('bind', v.Source, v.Target, ['rbind', ...(v.ReadOnly ? ['ro'] : []), 'rprivate']);
  for (const v of facts.mounts ?? []) m(v.type, v.source, v.destination, v.options.map((o) => mountOption(v.destination, o)));
  for (const v of h.Mounts) if (v.Type === 'tmpfs') m('tmpfs', 'tmpfs', v.Target, tmpfsOptions(v.Target, v.Options));
  m('bind', facts.paths.resolvConf, '/etc/resolv.conf', ['bind']);
  m('bind', facts.paths.hostname, '/etc/hostname', ['bind']);
  m('bind', facts.paths.hosts, '/etc/hosts', ['bind']);
  if (h.Init) {
    if (!facts.paths.init) throw engineError('--init: gocker-init is not built');
    m('bind', facts.paths.init, '/sbin/docker-init', ['bind', 'ro']);
  }
  if (!h.Privileged) readonlyPaths.push(...READONLY);

  const rules = deviceRules(h, facts.devices);
  const added = (facts.devices ?? []).map((d) => d.node);
  const sysctl = h.Sysctls && Object.keys(h.Sysctls).length ? h.Sysctls : undefined;
  const memory = h.Memory || h.MemorySwap ? { limit: h.Memory || undefined, swap: h.MemorySwap || undefined } : undefined;
  const cpu = h.NanoCpus || h.CpuShares || h.CpusetCpus
    ? { shares: h.CpuShares || undefined, quota: h.NanoCpus ? Math.round((h.NanoCpus * 100000) / 1e9) : undefined, period: h.NanoCpus ? 100000 : undefined, cpus: h.CpusetCpus || undefined }
    : undefined;

  const a = ANNOTATIONS;
  const annotations: Record<string, string> = {};
  if ('overlay' in facts.rootfs) {
    const o = facts.rootfs.overlay;
    annotations[a.overlayRoot] = o.root;
    annotations[a.overlayLower] = o.lower.join(':');
    annotations[a.overlayUpper] = o.upper;
    annotations[a.overlayWork] = o.work;
  } else {
    annotations[a.rootfsBind] = facts.rootfs.bind;
  }
  if (h.LogConfig.Type === 'json-file') {
    annotations[a.logPath] = facts.paths.log;
    // The monitor rotates: LOG, LOG.1 ... LOG.(max-file - 1), as dockerd's json-file.
    if (h.LogConfig.Config['max-size'] !== undefined) {
      annotations[a.logMaxSize] = String(humanSize(h.LogConfig.Config['max-size']));
      annotations[a.logMaxFile] = String(Number(h.LogConfig.Config['max-file'] ?? '1'));
    }
  }
  annotations[a.pidFile] = facts.paths.pidFile;
  annotations[a.exitFile] = facts.paths.exitFile;
  annotations[a.startedFile] = facts.paths.startedFile;
  annotations[a.cgroupJoinSelf] = JSON.stringify(facts.cgroup.joinSelf);
  annotations[a.cgroupJoinPid] = JSON.stringify(facts.cgroup.joinByPid);
  if (facts.cgroup.oomEvents) annotations[a.cgroupOomEvents] = facts.cgroup.oomEvents;
  if (facts.seccomp) annotations[a.seccompBpf] = facts.seccomp.program;
  if (h.IpcMode === 'shareable') {
    annotations[a.shmPath] = facts.paths.shm!;
    annotations[a.shmSize] = String(h.ShmSize);
  }
  if (facts.cgroup.deviceProgramTarget && !h.Privileged) {
    annotations[a.devicesBpf] = deviceProgram(rules).toString('hex');
    annotations[a.devicesCgroup] = facts.cgroup.deviceProgramTarget;
  }

  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: !!config.Tty,
      user: { uid, gid, additionalGids },
      args: args.map((x) => noNul('an argument', x)),
      env: env.map((x) => noNul('an environment variable', x)),
      cwd: noNul('the working directory', config.WorkingDir || image.WorkingDir || '/'),
      capabilities: capabilitySets(caps, uid),
      rlimits: rlimits(h.Ulimits),
      noNewPrivileges: noNewPrivileges(h.SecurityOpt),
    },
    root: { path: facts.paths.merged, readonly: h.ReadonlyRootfs },
    // --uts host: the host's name stays; a hostname here would be set on the host.
    hostname: h.UTSMode === 'host' ? undefined : hostname,
    mounts,
    linux: {
      namespaces: namespacesOf(h),
      devices: [...DEFAULT_DEVICES, ...(h.Privileged ? facts.hostDevices : [])].filter((d) => !added.some((a) => a.path === d.path)).concat(added),
      resources: {
        // A deny-all first, then what is allowed (as runc's spec and docker's defaults).
        devices: [{ allow: false, access: 'rwm' }, ...rules.map((r) => deviceRule(r, true))],
        memory,
        cpu,
        pids: h.PidsLimit ? { limit: h.PidsLimit } : undefined,
      },
      cgroupsPath: facts.cgroup.path,
      sysctl,
      seccomp: facts.seccomp ? ociSeccomp(facts.seccomp.profile) : undefined,
      maskedPaths: h.Privileged ? [] : MASKED,
      readonlyPaths,
    },
    annotations,
  };
}

/** What exec runs in a container, resolved. */
export interface ExecInput {
  /** the container's config.json: its rlimits, no-new-privileges and seccomp filter hold for exec too */
  container: OciSpec;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  /** capability names, without CAP_ */
  caps: string[];
  tty: boolean;
  /** the container's process, verified by the engine; the monitor checks it again */
  target: { pid: number; parent: number; startedFile: string; exitFile: string };
  files: { pid: string; exit: string; started: string };
  detach: boolean;
  stdin: boolean;
  /** exec -d (and exec -t through a socket): the event log and the actor of its exec_die, which the monitor records */
  events?: { file: string; actor: { ID: string; Attributes: Record<string, string> } };
  /**
   * exec -t in the foreground: the socket its terminal is served on (as a container's), the
   * fd the monitor says 'l' on once it listens, and the fd it is released on ('g')
   */
  attach?: { socket: string; reportFd: number; goFd: number };
}

/** Builds exec's spec. --ulimit and the seccomp filter hold for exec as for the container (as runc). */
export function buildExecSpec(o: ExecInput): OciExecSpec {
  if (o.args.length === 0) throw engineError('exec: no command specified');
  const c = o.container;
  const a = ANNOTATIONS;
  const annotations: Record<string, string> = {
    [a.execTargetPid]: String(o.target.pid),
    [a.execTargetParent]: String(o.target.parent),
    [a.execTargetStarted]: o.target.startedFile,
    [a.execTargetExit]: o.target.exitFile,
    [a.pidFile]: o.files.pid,
    [a.exitFile]: o.files.exit,
    [a.startedFile]: o.files.started,
  };
  for (const k of [a.cgroupJoinSelf, a.cgroupJoinPid, a.seccompBpf]) if (c.annotations[k] !== undefined) annotations[k] = c.annotations[k];
  if (o.detach) annotations[a.detach] = 'true';
  if (o.stdin) annotations[a.stdin] = 'true';
  if (o.events) {
    annotations[a.eventsFile] = o.events.file;
    annotations[a.eventsActor] = JSON.stringify(o.events.actor);
  }
  if (o.attach) {
    annotations[a.attachSocket] = o.attach.socket;
    annotations[a.reportFd] = String(o.attach.reportFd);
    annotations[a.goFd] = String(o.attach.goFd);
  }
  const uid = id32('uid', o.user.uid);
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: o.tty,
      user: { uid, gid: id32('gid', o.user.gid), additionalGids: o.user.additionalGids.map((g) => id32('gid', g)) },
      args: o.args.map((x) => noNul('an argument', x)),
      env: o.env.map((x) => noNul('an environment variable', x)),
      cwd: noNul('the working directory', o.cwd),
      capabilities: capabilitySets(o.caps, uid),
      rlimits: c.process.rlimits,
      noNewPrivileges: c.process.noNewPrivileges,
    },
    linux: c.linux.seccomp ? { seccomp: c.linux.seccomp } : undefined,
    annotations,
  };
}

/**
 * The runroot copy of a spec, for one start: the stored one with what holds for this start
 * only (detached or not, stdin, the go fd, --rm's exit command).
 */
export function launchSpec(spec: OciSpec, o: {
  detach: boolean; stdin: boolean; goFd: number; reportFd?: number; releaseFifo?: string; exitCommand?: string[]; exitCommandIf?: string; attachSocket?: string;
  /** the exit command's other marker (exitCommandRelease) */
  exitCommandRelease?: string;
  /** the exit offered on this fd first (exitHandoffFd) */
  exitHandoffFd?: number;
  /** the monitor takes the container's cgroup down at its exit */
  releaseCgroup?: boolean;
  /** the event log and the container's actor there, for its die and oom events, and its volumes' unmount */
  events?: { file: string; actor: { ID: string; Attributes: Record<string, string> }; volumes?: string[] };
  /** fds for the monitor to hold while the container runs */
  holdFds?: number[];
  /** container:NAME: that container's network namespace, open on this fd, to join */
  netnsFd?: number;
  /** --pid container:NAME, --ipc container:NAME: that container's namespace, open on this fd */
  pidnsFd?: number;
  ipcnsFd?: number;
}): OciSpec {
  const annotations = { ...spec.annotations };
  let linux = spec.linux;
  if (o.netnsFd !== undefined) {
    // OCI's way to join a namespace is its path; the monitor takes only its own inherited
    // fd's, so the namespace joined is the one the engine opened and verified.
    if (!linux.namespaces.some((n) => n.type === 'network')) throw engineError('a network namespace to join, for a container without one of its own');
    linux = { ...linux, namespaces: linux.namespaces.map((n) => (n.type === 'network' ? { type: n.type, path: `/proc/self/fd/${o.netnsFd}` } : n)) };
  }
  for (const [type, fd] of [['pid', o.pidnsFd], ['ipc', o.ipcnsFd]] as const) {
    if (fd === undefined) continue;
    if (!linux.namespaces.some((n) => n.type === type)) throw engineError(`a ${type} namespace to join, for a container without one of its own`);
    linux = { ...linux, namespaces: linux.namespaces.map((n) => (n.type === type ? { type: n.type, path: `/proc/self/fd/${fd}` } : n)) };
  }
  if (o.holdFds?.length) annotations[ANNOTATIONS.holdFds] = JSON.stringify(o.holdFds.map(String));
  const a = ANNOTATIONS;
  if (o.detach) annotations[a.detach] = 'true';
  if (o.stdin) annotations[a.stdin] = 'true';
  annotations[a.goFd] = String(o.goFd);
  if (o.reportFd !== undefined) annotations[a.reportFd] = String(o.reportFd);
  if (o.releaseFifo !== undefined) annotations[a.releaseFifo] = o.releaseFifo;
  if (o.attachSocket !== undefined) annotations[a.attachSocket] = o.attachSocket;
  if (o.exitCommand) annotations[a.exitCommand] = JSON.stringify(o.exitCommand.map((x) => noNul('the exit command', x)));
  if (o.exitCommand && o.exitCommandIf !== undefined) annotations[a.exitCommandIf] = noNul('the exit command\'s marker', o.exitCommandIf);
  if (o.exitCommand && o.exitCommandRelease !== undefined) annotations[a.exitCommandRelease] = noNul('the exit command\'s marker', o.exitCommandRelease);
  if (o.exitCommand && o.exitHandoffFd !== undefined) annotations[a.exitHandoffFd] = String(o.exitHandoffFd);
  if (o.releaseCgroup) annotations[a.releaseCgroup] = 'true';
  if (o.events) {
    annotations[a.eventsFile] = o.events.file;
    annotations[a.eventsActor] = JSON.stringify(o.events.actor);
    if (o.events.volumes?.length) annotations[a.eventsVolumes] = JSON.stringify(o.events.volumes);
  }
  return { ...spec, linux, annotations };
}
