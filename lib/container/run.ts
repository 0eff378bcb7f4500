// `gocker run`: image config + flags -> a container record and a spec for the monitor, then
// the monitor runs it. Everything decided here; the monitor only carries it out.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALLOW_ALL, cgroupManager, parseResources, type DeviceRule, type ContainerCgroup, type ResourceFlags, type Resources } from '../cgroups';
import { ConflictError, GockerError, NoSuchImageError, isErrno } from '../errors';
import { log, sinceStart } from '../log';
import type { ImageRecord } from '../store/types';
import { native } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { boundingCaps, effectiveCaps } from '../spec/caps';
import {
  DEFAULT_DEVICES, buildSpec, commandOf, deviceRules, envOf, humanSize, launchSpec, mergeEnv as mergeEnvs,
  type CreateConfig, type OciDevice, type OciMount, type OciSpec, type SpecMount,
} from '../spec';
import { ZERO_TIME, type ContainerRecord } from './record';
import { checkWorkdir, planMounts, resolveMounts, type ResolvedMounts } from './mounts';
import { acquireLock } from '../store/atomic';
import { PRIVATE_DIR, PRIVATE_FILE } from '../store/perms';
import { invalidName, reserveName } from './names';
import { ATTACH_SOCKET, SPEC_FILE, containerLock, loadRecord, newContainerId, readExit, readSpec, saveRecord, writeSpec, type ExitInfo } from './state';
import { abandonContainer, containerExited, removeContainer } from './teardown';
import { resolveUser } from './user';
import { normaliseSecurityOpts, seccompProgram } from '../spec/seccomp';
import { SignalProxy, helperPath, startMonitor, startedOrOver, type Monitor } from './monitor';
import type { AttachEnd, AttachOptions, Attachment } from './attach';
import { hostGateway } from '../network';
import { BASE_HOSTS, networkHook, planNetworking, type NetworkHook, type NetworkOptions, type NetworkPlan } from './network';
import { extraHostsLines, joinedNamespaces, parseAttach, parseRunFlags, resolvConf, type RunFlags } from './runflags';
import { containerActor, containerEvent, eventsDir, EVENTS_FILE, mountedVolumes, startEvents } from '../events';
import { exitCommandFor, exitCommandMarker, handOffExit, hasPolicy, markPolicy, resetRestart, restartPolicyOf } from './restart';

/** docker's run/create options (the network ones are container/network's NetworkOptions). */
export interface RunOptions extends ResourceFlags, NetworkOptions {
  image: string;
  command?: string[];
  entrypoint?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  name?: string;
  readOnly?: boolean;
  rm?: boolean;
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  volume?: string[];
  /** docker's --mount csv: type=bind|volume|tmpfs,source=,target=,... */
  mount?: string[];
  tmpfs?: string[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  ulimit?: string[];
  shmSize?: string;
  /** run gocker-init as PID 1 (reaps zombies, forwards signals), as docker's --init */
  init?: boolean;
  /** write the container's id to this file (which must not exist), as docker's --cidfile */
  cidfile?: string;
  /** json-file (the default) or none */
  logDriver?: string;
  /** the driver's options, KEY=VALUE: json-file's max-size and max-file */
  logOpt?: string[];
  /** -l KEY=VALUE, and files of them: Config.Labels over the image's */
  label?: string[];
  labelFile?: string[];
  /** --add-host host:ip (ip may be host-gateway) */
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  /** --device /dev/x[:/dev/y][:rwm] */
  device?: string[];
  /** --device-cgroup-rule 'c 1:3 rwm' */
  deviceCgroupRule?: string[];
  /** --pid host|container:NAME, --ipc private|shareable|host|none|container:NAME, --uts host */
  pid?: string;
  ipc?: string;
  uts?: string;
  /** --sysctl k=v (namespaced ones only) */
  sysctl?: string[];
  stopSignal?: string;
  /** seconds; -1 waits for ever */
  stopTimeout?: string | number;
  /** os/arch[/variant] the image must be */
  platform?: string;
  /** -a: the streams a foreground run attaches (STDIN, STDOUT, STDERR) */
  attach?: string[];
  /** docker's --detach-keys for the attachment (run -it) */
  detachKeys?: string;
  /** docker's --restart: no (the default), on-failure[:N], always, unless-stopped */
  restart?: string;
}

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

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

// json-file's options, as dockerd's driver knows them; gocker implements the rotation ones.
const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

/**
 * --log-driver and --log-opt as dockerd checks them: json-file (rotated at max-size, keeping
 * max-file files) or none. The options that only label what --details shows, and compress,
 * are refused rather than taken and ignored.
 */
export function parseLogConfig(driver = 'json-file', opts: string[] = []): { Type: 'json-file' | 'none'; Config: Record<string, string> } {
  if (driver !== 'json-file' && driver !== 'none') throw engineError(`logger: no log driver named '${driver}' is registered`);
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw engineError(`invalid log opt '${o}': must be of the form key=value`);
    config[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (driver === 'none') return { Type: 'none', Config: config };
  for (const k of Object.keys(config)) {
    if (!JSON_FILE_OPTS.has(k)) throw engineError(`unknown log opt '${k}' for json-file log driver`);
    if (k !== 'max-size' && k !== 'max-file' && !(k === 'compress' && config[k] === 'false')) throw engineError(`log opt '${k}' is not supported by gocker's json-file log driver`);
  }
  if (config['max-size'] !== undefined && humanSize(config['max-size']) <= 0) throw engineError('max-size must be a positive number');
  if (config['max-file'] !== undefined) {
    if (!/^-?\d+$/.test(config['max-file'])) throw engineError(`strconv.Atoi: parsing "${config['max-file']}": invalid syntax`);
    if (Number(config['max-file']) < 1) throw engineError('max-file cannot be less than 1');
  }
  return { Type: 'json-file', Config: config };
}

function parseEnvFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw engineError(`open ${file}: no such file or directory`);
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/**
 * base, then extra merged over it by name; a bare -e VAR (no '=') takes the value from the
 * caller's environment, or is dropped, as docker's CLI does before it sends the body.
 */
export function mergeEnv(base: string[], extra: string[]): string[] {
  return mergeEnvs(base, resolveEnv(extra));
}

/** -e VAR without '=': VAR=<the caller's value>, or nothing when the caller has none. */
export function resolveEnv(list: string[]): string[] {
  return list.flatMap((e) => (e.includes('=') ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : []));
}

export { processEnv } from '../spec';

// docker's ulimit names (go-units), with the /proc/self/limits label of each.
const ULIMITS: Record<string, string> = {
  core: 'Max core file size', cpu: 'Max cpu time', data: 'Max data size', fsize: 'Max file size', locks: 'Max file locks',
  memlock: 'Max locked memory', msgqueue: 'Max msgqueue size', nice: 'Max nice priority', nofile: 'Max open files',
  nproc: 'Max processes', rss: 'Max resident set', rtprio: 'Max realtime priority', rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals', stack: 'Max stack size',
};

/**
 * The hard limits the container would inherit: this process's. (Node raises its soft
 * RLIMIT_NOFILE to the hard limit at start-up, so a container's nofile is soft = hard, as
 * under docker and podman, which give containers their own raised limits; the other soft
 * limits are the caller's.)
 */
function hardLimits(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const line of fs.readFileSync('/proc/self/limits', 'utf8').split('\n')) {
      for (const [key, label] of Object.entries(ULIMITS)) {
        if (line.startsWith(`${label} `)) {
          const hard = line.slice(26).trim().split(/\s+/)[1];
          out.set(key, hard === 'unlimited' ? Infinity : Number(hard));
        }
      }
    }
  } catch {
    /* no /proc: nothing to check against */
  }
  return out;
}

/** name=soft[:hard]; -1 is unlimited. Never above the current hard limit. */
export function parseUlimits(specs: string[], hardLimitsNow?: Map<string, number>): Array<[string, number, number]> {
  if (specs.length === 0) return [];
  const hard = hardLimitsNow ?? hardLimits();
  const inf = (n: number): number => (n === -1 ? Infinity : n);
  const show = (n: number): string => (n === Infinity ? 'unlimited' : String(n));
  return specs.map((s) => {
    const bad = (why: string): GockerError => engineError(`invalid argument "${s}" for "--ulimit" flag: ${why}`);
    const m = /^([^=]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
    if (!m) throw bad(`invalid ulimit argument: ${s}`);
    if (!(m[1] in ULIMITS)) throw bad(`invalid ulimit type: ${m[1]}`);
    const soft = inf(Number(m[2]));
    const h = m[3] === undefined ? soft : inf(Number(m[3]));
    if (soft < 0 || h < 0) throw bad(`invalid ulimit argument: ${s}`);
    if (soft > h) throw bad(`ulimit soft limit must be less than or equal to hard limit: ${show(soft)} > ${show(h)}`);
    const cur = hard.get(m[1]);
    // Raising a hard limit needs CAP_SYS_RESOURCE in the host's namespace and surprises users.
    if (cur !== undefined && h > cur) throw engineError(`ulimit ${m[1]}: hard limit ${show(h)} exceeds the current hard limit ${show(cur)}`);
    return [m[1], soft, h];
  });
}

// mount(8) words that are flags, not tmpfs data; the value says whether the flag is set.
const FLAG_WORDS: Record<string, [string, boolean]> = {
  ro: ['ro', true], rw: ['ro', false], noexec: ['noexec', true], exec: ['noexec', false], nosuid: ['nosuid', true],
  suid: ['nosuid', false], nodev: ['nodev', true], dev: ['nodev', false], sync: ['sync', true], async: ['sync', false],
  dirsync: ['dirsync', true], noatime: ['noatime', true], atime: ['noatime', false], nodiratime: ['nodiratime', true],
  diratime: ['nodiratime', false], relatime: ['relatime', true], norelatime: ['relatime', false], strictatime: ['strictatime', true],
};

/** --tmpfs /dst[:opts]: docker's defaults nosuid,nodev,noexec, flag words as flags, the rest (size=, mode=) as data. */
export function parseTmpfs(spec: string): { dest: string; options: string[] } {
  const i = spec.indexOf(':');
  const dest = i < 0 ? spec : spec.slice(0, i);
  const opts = i < 0 ? '' : spec.slice(i + 1);
  if (!dest.startsWith('/')) throw engineError(`invalid mount config for type "tmpfs": invalid mount path '${dest}': mount path must be absolute`);
  const flags = new Set(['nosuid', 'nodev', 'noexec']);
  const data: string[] = [];
  for (const o of opts.split(',').map((x) => x.trim()).filter(Boolean)) {
    const f = FLAG_WORDS[o];
    if (!f) data.push(o);
    else if (f[1]) flags.add(f[0]);
    else flags.delete(f[0]);
  }
  return { dest: path.posix.normalize(dest), options: [...flags, ...data] };
}

// What --privileged leaves out of the host's /dev: mounted or made per container, or
// meaningless inside one.
const HOST_DEV_SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx', '/dev/tty']);

/** --privileged: the host's device nodes, as docker gives them (same numbers, modes, owners). */
function hostDevices(dir = '/dev', out: OciDevice[] = []): OciDevice[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (HOST_DEV_SKIP.has(p) || DEFAULT_DEVICES.some((d) => d.path === p)) continue;
    if (e.isDirectory()) {
      hostDevices(p, out);
    } else if (e.isCharacterDevice() || e.isBlockDevice()) {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      // glibc's gnu_dev_major/minor: the 64-bit dev_t's two split fields.
      const rdev = BigInt(st.rdev);
      const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
      const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
      out.push({ path: p, type: e.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  }
  return out;
}

interface PrepareVars {
  id: string; name: string; body: CreateConfig; cfg: NonNullable<ImageRecord['config']['config']>; argv: string[]; entrypoint: string[]; cmd: string[];
  user: string; u: ReturnType<typeof resolveUser>; hostname: string; env: string[]; network: NetworkPlan; mounts: ResolvedMounts;
  ulimits: Array<[string, number, number]>; available: string[]; shmSize: number;
  securityOpt: string[]; seccomp: ReturnType<typeof seccompProgram>; logConfig: ReturnType<typeof parseLogConfig>;
  tmpfs: Array<ReturnType<typeof parseTmpfs>>; dir: string; run: string; vfs: boolean; flags: RunFlags;
}

interface Prepared {
  rec: ContainerRecord;
  spec: OciSpec;
  /** where the container's cgroup goes: made by launch(), while the monitor sets up */
  cgroup: ContainerCgroup;
  limits: Resources;
  /** files the container bind-mounts (after its cgroups): written while the monitor sets up */
  files: Array<[string, string]>;
}

export class Runner {
  /** hooks: for every start this runner makes (run, create, start of a stopped container), unless a call gives its own */
  constructor(private readonly paths: StorePaths, private readonly store: Store, private readonly hooks: LaunchHooks = {}) {}

  /** Validates; makes the dirs and the spec, and the record to save. Nothing is left behind on error. */
  private async prepare(o: RunOptions, image: ImageRecord, resources: Resources): Promise<Prepared> {
    const cfg = image.config.config ?? {};
    const id = newContainerId();
    if (o.name !== undefined && !NAME_RE.test(o.name)) throw invalidName(o.name);
    if (o.cidfile !== undefined && fs.existsSync(o.cidfile)) {
      throw engineError(`Container ID file found, make sure the other container isn't running or delete ${o.cidfile}`);
    }
    // docker's ContainerCreate Config, as docker's CLI would send it.
    const body: CreateConfig = {
      Hostname: o.hostname, User: o.user, Cmd: o.command?.length ? o.command : null, WorkingDir: o.workdir, Tty: !!o.tty,
      Entrypoint: o.entrypoint === undefined ? null : o.entrypoint === '' ? [] : [o.entrypoint],
      Env: resolveEnv([...(o.envFile ?? []).flatMap(parseEnvFile), ...(o.env ?? [])]),
    };
    const { entrypoint, cmd, command } = commandOf(body, cfg);
    const argv = o.init ? ['/sbin/docker-init', '--', ...command] : command;

    const layerDirs = image.layers.map((l) => l.dir);
    const user = o.user ?? cfg.User ?? '';
    const u = user ? resolveUser(user, layerDirs) : resolveUser('0', layerDirs);
    const network = await planNetworking(this.paths, o, Object.keys(cfg.ExposedPorts ?? {}));
    if (network.joined && o.hostname !== undefined) throw engineError('conflicting options: hostname and the network mode');
    const flags = await parseRunFlags(this.paths, o, cfg, network);
    if (flags.utsMode === 'host') body.Hostname = os.hostname();
    // container:NAME shares that container's hostname too, as docker.
    if (network.joined) body.Hostname = network.joined.Config.Hostname;
    const hostname = body.Hostname || id.slice(0, 12);
    // Config.Env: the image's and the flags' alone (what commit keeps); the process gets
    // processEnv()'s defaults around it (buildSpec).
    const env = envOf(body, cfg);
    checkWorkdir(o.workdir);
    const ulimits = parseUlimits(o.ulimit ?? []);
    const available = boundingCaps();
    const caps = effectiveCaps({ add: o.capAdd, drop: o.capDrop, privileged: o.privileged, available });
    // seccomp=FILE becomes the profile itself, as docker's CLI sends it: the record holds it.
    const securityOpt = normaliseSecurityOpts(o.securityOpt ?? []);
    // Compiled now, before anything of the container exists: a bad profile leaves nothing.
    const seccomp = seccompProgram(securityOpt, !!o.privileged, caps, path.join(this.paths.runroot, 'seccomp'));
    const shmSize = o.shmSize ? parseResources({ memory: o.shmSize }).memory! : 64 * 1024 * 1024;
    const tmpfs = (o.tmpfs ?? []).map(parseTmpfs);
    const mountPlan = planMounts(o, cfg.Volumes, tmpfs.map((t) => t.dest));
    const logConfig = parseLogConfig(o.logDriver, o.logOpt);
    // Checked with the other flags, before anything of the container exists.
    restartPolicyOf(o.restart, !!o.rm);

    const dir = this.paths.container(id);
    const run = this.paths.runContainer(id);
    const vfs = this.paths.driver === 'vfs';
    // The directory first: it is what makes the name's claim live (see names.ts). 0700, as
    // what is made under runroot: the container's state is root's alone (store/perms.ts).
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    let name: string;
    try {
      name = await reserveName(this.paths, o.name, id);
    } catch (e) {
      await abandonContainer(this.paths, { id });
      throw e;
    }
    let mounts: ResolvedMounts | undefined;
    try {
      // Once the container's directory exists: it is what keeps its volumes in use.
      mounts = await resolveMounts(this.paths, id, mountPlan, image);
      return this.prepareDirs(o, image, resources, { id, name, body, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, available, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs, flags });
    } catch (e) {
      await abandonContainer(this.paths, { id, name, mounts });
      throw e;
    }
  }

  private prepareDirs(o: RunOptions, image: ImageRecord, resources: Resources, v: PrepareVars): Prepared {
    const { id, name, body, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, available, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs, flags } = v;
    // overlay2: an upper and a work dir over the image's layers. vfs: rootfs/, filled with a
    // copy of the image's top layer (a full tree) by run() before the monitor starts.
    if (!vfs) {
      fs.mkdirSync(path.join(dir, 'upper'), { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
    }
    fs.mkdirSync(path.join(run, 'merged'), { recursive: true, mode: PRIVATE_DIR });
    // container:NAME: that container's files, as docker shares them (and never writes them here).
    const joined = network.joined;
    const hostnamePath = joined?.HostnamePath ?? path.join(dir, 'hostname');
    const hostsPath = joined?.HostsPath ?? path.join(dir, 'hosts');
    const resolvPath = joined?.ResolvConfPath ?? path.join(dir, 'resolv.conf');
    // On a bridge network the container's own address line is added when it has one (attach).
    const hostNet = network.mode === 'host';
    const files: Array<[string, string]> = joined ? [] : [
      [hostnamePath, `${hostname}\n`],
      [hostsPath, (hostNet ? readOr('/etc/hosts', '127.0.0.1\tlocalhost\n') : BASE_HOSTS) + extraHostsLines(flags.extraHosts, hostGateway)],
      [resolvPath, resolvConf(hostNet ? readOr('/etc/resolv.conf', '') : resolvForContainer(), flags.dns, flags.dnsSearch, flags.dnsOptions)],
    ];

    const cgroupName = `gocker/${id}`;
    const mgr = cgroupManager();
    const cgroup = mgr.open(cgroupName);
    const join = cgroup.attachFiles();
    const logPath = path.join(dir, `${id}-json.log`);
    // Kept with the container, as its spec is: the monitor reads it as it starts.
    const seccompFile = path.join(dir, 'seccomp.bpf');
    if (seccomp) fs.writeFileSync(seccompFile, seccomp.bpf, { mode: PRIVATE_FILE });
    const lim = (n: number): number => (n === Infinity ? -1 : n);
    const spec = buildSpec({
      id,
      config: body,
      image: cfg,
      hostConfig: {
        NetworkMode: network.mode, Privileged: !!o.privileged, ReadonlyRootfs: !!o.readOnly, CapAdd: o.capAdd ?? null, CapDrop: o.capDrop ?? null,
        SecurityOpt: securityOpt, Init: !!o.init, ShmSize: shmSize, Memory: resources.memory ?? 0, MemorySwap: resources.memorySwap ?? 0,
        NanoCpus: resources.nanoCpus ?? 0, CpuShares: resources.cpuShares ?? 0, CpusetCpus: resources.cpusetCpus ?? '', PidsLimit: resources.pidsLimit ?? null,
        Ulimits: ulimits.map(([Name, Soft, Hard]) => ({ Name, Soft: lim(Soft), Hard: lim(Hard) })),
        Mounts: tmpfs.map((t): SpecMount => ({ Type: 'tmpfs', Target: t.dest, Options: t.options })),
        LogConfig: logConfig,
        PidMode: flags.pidMode, IpcMode: flags.ipcMode, UTSMode: flags.utsMode, Sysctls: flags.sysctls, DeviceCgroupRules: flags.deviceCgroupRules,
      },
      facts: {
        user: { uid: u.uid, gid: u.gid, additionalGids: u.groups, home: u.home },
        availableCaps: available,
        seccomp: seccomp && { profile: seccomp.profile, program: seccompFile },
        cgroup: {
          path: cgroupName,
          mounts: mgr.mode === 'v2' ? 'v2'
            : mgr.layout.hierarchies.filter((h) => h.version === 1).map((h) => ({ name: path.basename(h.mountpoint), options: h.options ?? h.controllers })),
          joinSelf: join.self,
          joinByPid: join.byPid,
          oomEvents: cgroup.oomEventsFile(),
          deviceProgramTarget: cgroup.deviceProgramTarget(),
        },
        mounts: mounts.monitor.map((x): OciMount => {
          // Refused as before config.json, when the monitor's spec split its fields at US: no
          // path docker takes holds it, and an image's VOLUME with one meant to choose flags.
          const bad = [x.source, x.dest, x.data].find((f) => f.includes('\x1f'));
          if (bad !== undefined) throw engineError(`invalid mount ${JSON.stringify(bad)}: a path or option may not contain the character \\x1f`);
          return { destination: x.dest, type: x.type || 'bind', source: x.source, options: [...x.flags.split(','), ...x.data.split(',')].filter(Boolean) };
        }),
        hostDevices: o.privileged ? hostDevices() : [],
        devices: flags.devices,
        rootfs: vfs ? { bind: path.join(dir, 'rootfs') }
          : { overlay: { root: this.paths.root, lower: image.layers.slice().reverse().map((l) => `l/${l.link}`), upper: path.join(dir, 'upper'), work: path.join(dir, 'work') } },
        paths: {
          merged: path.join(run, 'merged'), pidFile: path.join(run, 'pid'), exitFile: path.join(run, 'exit.json'), startedFile: path.join(run, 'started'),
          log: logPath, hostname: hostnamePath, hosts: hostsPath, resolvConf: resolvPath, init: o.init ? helperPath('gocker-init') : undefined,
          shm: flags.ipcMode === 'shareable' ? path.join(run, 'shm')
            : flags.ipcMode.startsWith('container:') ? path.join(this.paths.runContainer(flags.ipcMode.slice(10)), 'shm') : undefined,
        },
      },
    });

    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      Id: id,
      Name: `/${name}`,
      Created: now,
      Path: argv[0],
      Args: argv.slice(1),
      Image: image.id,
      RestartCount: 0,
      State: { Status: 'created', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: 0, OOMKilled: false, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, Error: '' },
      Config: {
        Hostname: hostname, User: user, Env: env, Cmd: cmd.length ? cmd : null, Entrypoint: entrypoint.length ? entrypoint : null,
        Image: o.image, WorkingDir: o.workdir ?? cfg.WorkingDir ?? '', Labels: flags.labels, StopSignal: flags.stopSignal, StopTimeout: flags.stopTimeout,
        ExposedPorts: network.exposed.length ? Object.fromEntries(network.exposed.map((p) => [p, {}])) : undefined,
        Tty: !!o.tty, OpenStdin: !!o.interactive,
        // -a names the streams; without it a foreground run attaches stdout, stderr and with -i stdin.
        AttachStdin: flags.attach ? flags.attach.stdin : !!o.interactive && !o.detach,
        AttachStdout: flags.attach ? flags.attach.stdout : !o.detach, AttachStderr: flags.attach ? flags.attach.stderr : !o.detach,
      },
      HostConfig: {
        // -v /path is no bind: docker keeps it with the container's (anonymous) volumes.
        Binds: (o.volume ?? []).some((v) => v.includes(':')) ? o.volume!.filter((v) => v.includes(':')) : null, NetworkMode: network.mode,
        PortBindings: Object.keys(network.portBindings).length ? network.portBindings : null, PublishAllPorts: !!o.publishAll, AutoRemove: !!o.rm, Privileged: !!o.privileged,
        ReadonlyRootfs: !!o.readOnly, CapAdd: o.capAdd ?? null, CapDrop: o.capDrop ?? null, SecurityOpt: securityOpt.length ? securityOpt : null, Init: !!o.init,
        Memory: resources.memory ?? 0, MemorySwap: resources.memorySwap ?? (resources.memory ? 2 * resources.memory : 0), NanoCpus: resources.nanoCpus ?? 0, CpuShares: resources.cpuShares ?? 0,
        CpusetCpus: resources.cpusetCpus ?? '', PidsLimit: resources.pidsLimit ?? null, ShmSize: shmSize,
        Mounts: mounts.specs.length ? mounts.specs : null,
        Tmpfs: o.tmpfs?.length ? Object.fromEntries(o.tmpfs.map((t) => [t.split(':')[0], t.split(':').slice(1).join(':')])) : null,
        Ulimits: ulimits.length ? ulimits.map(([Name, Soft, Hard]) => ({ Name, Soft: Soft === Infinity ? -1 : Soft, Hard: Hard === Infinity ? -1 : Hard })) : null,
        LogConfig: logConfig,
        ExtraHosts: flags.extraHosts.length ? flags.extraHosts : null, Dns: flags.dns, DnsSearch: flags.dnsSearch, DnsOptions: flags.dnsOptions,
        Devices: flags.deviceMappings, DeviceCgroupRules: flags.deviceCgroupRules.length ? flags.deviceCgroupRules : null,
        IpcMode: flags.ipcMode, PidMode: flags.pidMode, UTSMode: flags.utsMode,
        ...(Object.keys(flags.sysctls).length ? { Sysctls: flags.sysctls } : {}),
        RestartPolicy: restartPolicyOf(o.restart, !!o.rm),
      },
      Mounts: mounts.records,
      NetworkSettings: { IPAddress: '', Ports: {}, Networks: Object.keys(network.networks).length ? network.networks : { [network.mode]: {} } },
      // vfs has no layers under the container: its whole tree is the "upper" dir.
      GraphDriver: vfs
        ? { Name: 'vfs', Data: { LowerDir: '', UpperDir: path.join(dir, 'rootfs'), MergedDir: path.join(run, 'merged'), WorkDir: '' } }
        : {
          Name: 'overlay2',
          Data: { LowerDir: image.layers.slice().reverse().map((l) => l.dir).join(':'), UpperDir: path.join(dir, 'upper'), MergedDir: path.join(run, 'merged'), WorkDir: path.join(dir, 'work') },
        },
      LogPath: logPath,
      HostnamePath: hostnamePath,
      HostsPath: hostsPath,
      ResolvConfPath: resolvPath,
      CgroupPath: cgroupName,
    };
    return { rec, spec, cgroup, limits: { ...resources, devices: deviceRules({ Privileged: !!o.privileged, DeviceCgroupRules: flags.deviceCgroupRules }, flags.devices) }, files };
  }

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
    // Refused before anything is made (docker refuses them at the attach, after the create).
    if (o.detachKeys !== undefined) (await import('./attach')).parseDetachKeys(o.detachKeys, 125);
    const image = this.store.resolveImage(o.image);
    if (!image) throw new NoSuchImageError(`Unable to find image '${o.image}' locally`, { exitCode: 125 });
    if (o.platform) await checkPlatform(image, o.image, o.platform);
    const resources = parseResources(o);
    let prepared: Prepared | undefined;
    try {
      prepared = await this.prepare(o, image, resources);
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
      return await this.launch(rec, spec, prepared.cgroup, { ...o, streams: o.attach, attach: attachTo }, onStart, release, exitCommand, net, { ...this.hooks, ...hooks, create }, async () => {
        // The record first: a CLI killed from here on leaves a container that `rm` (the
        // monitor's exit command, with --rm) finds and removes, cgroup and all.
        saveRecord(this.paths, rec);
        containerEvent(this.paths, 'create', rec);
        for (const [file, text] of files) fs.writeFileSync(file, text);
        // Kept with the record: `start` runs it again.
        writeSpec(path.join(this.paths.container(rec.Id), SPEC_FILE), spec);
        if (o.cidfile !== undefined) fs.writeFileSync(o.cidfile, rec.Id, { flag: 'wx' });
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
   */
  private async launch(rec: ContainerRecord, spec: OciSpec, cgroup: ContainerCgroup,
    o: { detach?: boolean; interactive?: boolean; tty?: boolean; rm?: boolean; streams?: string[]; attach?: AttachIo & { detachKeys?: string } }, onStart: ((id: string, monitorPid: number) => void) | undefined,
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
    markPolicy(this.paths, rec);
    writeSpec(runSpec, launchSpec(spec, {
      detach: !!o.detach, stdin: !!o.interactive, goFd: 3, reportFd: 4, exitCommand,
      exitCommandIf: exitCommand ? exitCommandMarker(this.paths, rec) : undefined,
      releaseFifo: hooks.create ? path.join(run, RELEASE_FIFO) : undefined,
      attachSocket: path.join(run, ATTACH_SOCKET),
      // The monitor records the die (and oom) itself: no CLI may be there when it comes.
      events: { file: path.join(eventsDir(this.paths), EVENTS_FILE), actor: containerActor(rec), volumes: mountedVolumes(rec) },
      holdFds: hold.map((_, i) => 5 + i),
      netnsFd: nsFd(net?.netns), pidnsFd: nsFd(net?.pidns), ipcnsFd: nsFd(net?.ipcns),
    }));
    // -a: only the streams named reach this process; the others still go to the log.
    const streams = parseAttach(o.streams, false);
    const attached = (stream: 'stdin' | 'stdout' | 'stderr'): 'inherit' | 'ignore' => (!streams || streams[stream] ? 'inherit' : 'ignore');
    let proxy: SignalProxy | undefined;
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
      } finally {
        fs.closeSync(goRead);
        fs.closeSync(reportWrite);
        net?.close();
      }
      // While the monitor sets up, and before the container is let go: a signal from then on
      // reaches it. (One before makes this process end, and the monitor give up at the pipe.)
      if (!o.detach) proxy = new SignalProxy();
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
      const status = await proxy!.forwardUntilExit(child);
      // Read before waiting for the lock: an rm -f that killed the container may hold it
      // and delete exit.json. The monitor's own exit status is the container's code too.
      const exit = readExit(this.paths, rec.Id) ?? (status.code !== null
        ? { exitCode: status.code, signal: status.code > 128 ? status.code - 128 : 0, startedAt: rec.State.StartedAt, finishedAt: new Date().toISOString(), error: '' }
        : undefined);
      log.debug('container exited', { id: rec.Id.slice(0, 12), exit: exit?.exitCode, ms: sinceStart() });
      const again = await acquireLock(containerLock(this.paths, rec.Id));
      try {
        return await this.finish(rec, cgroup, !!o.rm, exit, true);
      } finally {
        again();
      }
    } finally {
      closeGo();
      proxy?.stop();
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
    const { find } = await import('./lifecycle');
    const id = find(this.paths, ref).Id;
    // Two starts at once: the second waits, then finds it running and does nothing.
    const release = await acquireLock(containerLock(this.paths, id));
    try {
      return await this.startLocked(ref, o, release);
    } finally {
      release();
    }
  }

  /**
   * The exit command's restart (restart.ts): the container started as `start` starts it, if
   * it still waits for that (a stop, kill or rm during the back-off ended the wait). A start
   * that fails leaves it exited, with the error, as docker's restart manager does.
   */
  async autoRestart(id: string): Promise<void> {
    const release = await acquireLock(containerLock(this.paths, id));
    try {
      const now = loadRecord(this.paths, id);
      if (!now?.State.Restarting) return;
      let r: RunResult;
      try {
        r = await this.startLocked(id, {}, release, true);
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

  private async startLocked(ref: string, o: StartOptions, release: () => void, auto = false): Promise<RunResult> {
    const { find } = await import('./lifecycle');
    const rec = find(this.paths, ref);
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
    for (const f of ['exit.json', 'pid', 'started', 'monitor.pid']) fs.rmSync(path.join(run, f), { force: true });
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
  private async finish(rec: ContainerRecord, cgroup: ContainerCgroup, rm: boolean, known?: ExitInfo, attached = false): Promise<RunResult> {
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
    if (!fs.existsSync(this.paths.container(rec.Id))) return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
    containerExited(this.paths, rec);
    // The exit goes into the record as it is now: a rename or an update while it ran stays.
    const now = { ...(loadRecord(this.paths, rec.Id) ?? rec), State: rec.State };
    // --rm: its anonymous volumes go with it, as docker's AutoRemove.
    if (rm) await removeContainer(this.paths, now, cgroup, true);
    else saveRecord(this.paths, now);
    if (attached && !rm && hasPolicy(now)) handOffExit(this.paths, now);
    log.debug(rm ? 'container removed' : 'exit recorded', { id: rec.Id.slice(0, 12), ms: sinceStart() });
    return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
  }

}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isErrno(e)) return fallback;
    throw e;
  }
}

/** The host's resolv.conf without loopback nameservers (unreachable from a new netns), as docker. */
function resolvForContainer(): string {
  const lines = readOr('/etc/resolv.conf', '').split('\n');
  const kept = lines.filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
  if (!kept.some((l) => /^\s*nameserver/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${kept.filter((l, i) => l || i < kept.length - 1).join('\n')}\n`;
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
