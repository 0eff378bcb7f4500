// `gocker run`: image config + flags -> a container record and a spec for the monitor, then
// the monitor runs it. Everything decided here; the monitor only carries it out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALLOW_ALL, DEFAULT_DEVICE_RULES, cgroupManager, deviceProgram, parseResources, type ContainerCgroup, type ResourceFlags, type Resources } from '../cgroups';
import { GockerError, isErrno } from '../errors';
import { log, sinceStart } from '../log';
import type { ImageRecord } from '../image/types';
import { native, packageRoot } from '../native';
import type { Store } from '../store';
import type { StorePaths } from '../store/paths';
import { CAPS, effectiveCaps } from './caps';
import { ZERO_TIME, type ContainerRecord } from './record';
import { checkWorkdir, planMounts, resolveMounts, undoMounts, type ResolvedMounts } from './mounts';
import { acquireLock } from '../store/atomic';
import { PRIVATE_DIR, PRIVATE_FILE } from '../store/perms';
import { releaseName, reserveName } from './names';
import { containerLock, loadRecord, newContainerId, readExit, removeContainer, saveRecord, type ExitInfo } from './state';
import { resolveUser } from './user';
import { normaliseSecurityOpts, seccompProgram } from './seccomp';
import { SignalProxy, helperPath, startMonitor, startedOrOver, type Monitor } from './monitor';
import { BASE_HOSTS, networkHook, networkStopped, planNetworking, type NetworkHook, type NetworkPlan } from '../network';

export interface RunOptions extends ResourceFlags {
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
  /** none, host, bridge (the default), a network's name, or container:NAME */
  network?: string;
  /** --network-alias: more names on a user network */
  networkAlias?: string[];
  /** --ip: the address on a user network */
  ip?: string;
  /** -p [hostIP:][hostPort:]containerPort[/proto] */
  publish?: string[];
  /** -P: every exposed port on a random host port */
  publishAll?: boolean;
  expose?: string[];
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
}

export interface RunResult {
  id: string;
  exitCode: number;
  /** an engine or exec error, one line, when the command never ran */
  error?: string;
  oomKilled: boolean;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DEVICES: Array<[string, 'c', number, number, string]> = [
  ['/dev/null', 'c', 1, 3, '666'], ['/dev/zero', 'c', 1, 5, '666'], ['/dev/full', 'c', 1, 7, '666'],
  ['/dev/random', 'c', 1, 8, '666'], ['/dev/urandom', 'c', 1, 9, '666'], ['/dev/tty', 'c', 5, 0, '666'],
];
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const US = '\x1f';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

// json-file's options, as dockerd's driver knows them; gocker implements the rotation ones.
const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

/** A size as docker's units.FromHumanSize reads one: decimal multiples ("10m" is 10,000,000). */
function humanSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw engineError(`invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * 1000 ** ' kmgtp'.indexOf(m[2].toLowerCase() || ' '));
}

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

/** -e VAR (no '=') takes the value from the caller's environment, or is dropped, as docker. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of base) out.set(e.split('=')[0], e);
  for (const e of extra) {
    const i = e.indexOf('=');
    if (i < 0) {
      if (process.env[e] !== undefined) out.set(e, `${e}=${process.env[e]}`);
      continue;
    }
    out.set(e.slice(0, i), e);
  }
  return [...out.values()];
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
export function parseTmpfs(spec: string): { dest: string; flags: string; data: string } {
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
  return { dest: path.posix.normalize(dest), flags: [...flags].join(','), data: data.join(',') };
}

// What --privileged leaves out of the host's /dev: mounted or made per container, or
// meaningless inside one.
const HOST_DEV_SKIP = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/console', '/dev/ptmx', '/dev/tty']);

/** --privileged: the host's device nodes, as docker gives them (same numbers, modes, owners). */
function hostDevices(dir = '/dev', out: Array<[string, 'c' | 'b', number, number, string, number, number]> = []): typeof out {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (HOST_DEV_SKIP.has(p) || DEVICES.some(([d]) => d === p)) continue;
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
      out.push([p, e.isBlockDevice() ? 'b' : 'c', major, minor, (st.mode & 0o7777).toString(8), st.uid, st.gid]);
    }
  }
  return out;
}

interface PrepareVars {
  id: string; name: string; cfg: NonNullable<ImageRecord['config']['config']>; argv: string[]; entrypoint: string[]; cmd: string[];
  user: string; u: ReturnType<typeof resolveUser>; hostname: string; env: string[]; network: NetworkPlan; mounts: ResolvedMounts;
  ulimits: Array<[string, number, number]>; caps: string[]; noNewPrivs: boolean; shmSize: number;
  securityOpt: string[]; seccomp: ReturnType<typeof seccompProgram>; logConfig: ReturnType<typeof parseLogConfig>;
  tmpfs: Array<ReturnType<typeof parseTmpfs>>; dir: string; run: string; vfs: boolean;
}

interface Prepared {
  rec: ContainerRecord;
  spec: Map<string, string[]>;
  /** where the container's cgroup goes: made by launch(), while the monitor sets up */
  cgroup: ContainerCgroup;
  limits: Resources;
  /** files the container bind-mounts (after its cgroups): written while the monitor sets up */
  files: Array<[string, string]>;
}

export function addSpec(spec: Map<string, string[]>, key: string, value: string | number): void {
  const list = spec.get(key) ?? [];
  list.push(String(value));
  spec.set(key, list);
}

export function serialise(spec: Map<string, string[]>): Buffer {
  const parts: string[] = [];
  for (const [k, vs] of spec) {
    for (const v of vs) {
      if (v.includes('\0')) throw engineError(`${k} may not contain a NUL byte`);
      parts.push(`${k}=${v}\0`);
    }
  }
  return Buffer.from(parts.join(''));
}

export class Runner {
  constructor(private readonly paths: StorePaths, private readonly store: Store) {}

  /** Validates; makes the dirs and the spec, and the record to save. Nothing is left behind on error. */
  private async prepare(o: RunOptions, image: ImageRecord, resources: Resources): Promise<Prepared> {
    const cfg = image.config.config ?? {};
    const id = newContainerId();
    if (o.name !== undefined && !NAME_RE.test(o.name)) throw engineError(`Invalid container name (${o.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (o.cidfile !== undefined && fs.existsSync(o.cidfile)) {
      throw engineError(`Container ID file found, make sure the other container isn't running or delete ${o.cidfile}`);
    }
    let entrypoint: string[] = cfg.Entrypoint ?? [];
    let cmd: string[] = cfg.Cmd ?? [];
    if (o.entrypoint !== undefined) {
      entrypoint = o.entrypoint === '' ? [] : [o.entrypoint];
      cmd = [];
    }
    if (o.command && o.command.length) cmd = o.command;
    const command = [...entrypoint, ...cmd];
    if (command.length === 0) throw engineError('No command specified');
    const argv = o.init ? ['/sbin/docker-init', '--', ...command] : command;

    const layerDirs = image.layers.map((l) => l.dir);
    const user = o.user ?? cfg.User ?? '';
    const u = user ? resolveUser(user, layerDirs) : resolveUser('0', layerDirs);
    const network = await planNetworking(this.paths, o, Object.keys(cfg.ExposedPorts ?? {}));
    if (network.joined && o.hostname !== undefined) throw engineError('conflicting options: hostname and the network mode');
    // container:NAME shares that container's hostname too, as docker.
    const hostname = network.joined?.Config.Hostname ?? o.hostname ?? id.slice(0, 12);
    const extraEnv = [...(o.envFile ?? []).flatMap(parseEnvFile), ...(o.env ?? [])];
    // Config.Env: the image's and the flags' alone (what commit keeps); the process gets
    // processEnv()'s defaults around it.
    const env = mergeEnv(cfg.Env ?? [], extraEnv);
    checkWorkdir(o.workdir);
    const ulimits = parseUlimits(o.ulimit ?? []);
    const caps = effectiveCaps({ add: o.capAdd, drop: o.capDrop, privileged: o.privileged });
    // seccomp=FILE becomes the profile itself, as docker's CLI sends it: the record holds it.
    const securityOpt = normaliseSecurityOpts(o.securityOpt ?? []);
    const noNewPrivs = securityOpt.some((s) => /^no-new-privileges(=true|:true)?$/.test(s));
    // Compiled now, before anything of the container exists: a bad profile leaves nothing.
    const seccomp = seccompProgram(securityOpt, !!o.privileged, caps, path.join(this.paths.runroot, 'seccomp'));
    const shmSize = o.shmSize ? parseResources({ memory: o.shmSize }).memory! : 64 * 1024 * 1024;
    const tmpfs = (o.tmpfs ?? []).map(parseTmpfs);
    const mountPlan = planMounts(o, cfg.Volumes, tmpfs.map((t) => t.dest));
    const logConfig = parseLogConfig(o.logDriver, o.logOpt);

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
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    let mounts: ResolvedMounts | undefined;
    try {
      // Once the container's directory exists: it is what keeps its volumes in use.
      mounts = await resolveMounts(this.paths, id, mountPlan, image);
      return this.prepareDirs(o, image, resources, { id, name, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, caps, noNewPrivs, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(run, { recursive: true, force: true });
      releaseName(this.paths, name, id);
      if (mounts) await undoMounts(this.paths, id, mounts);
      throw e;
    }
  }

  private prepareDirs(o: RunOptions, image: ImageRecord, resources: Resources, v: PrepareVars): Prepared {
    const { id, name, cfg, argv, entrypoint, cmd, user, u, hostname, env, network, mounts, ulimits, caps, noNewPrivs, securityOpt, seccomp, logConfig, shmSize, tmpfs, dir, run, vfs } = v;
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
      [hostsPath, hostNet ? readOr('/etc/hosts', '127.0.0.1\tlocalhost\n') : BASE_HOSTS],
      [resolvPath, hostNet ? readOr('/etc/resolv.conf', '') : resolvForContainer()],
    ];

    const cgroupName = `gocker/${id}`;
    const cgroup = cgroupManager().open(cgroupName);

    const lower = image.layers.slice().reverse().map((l) => `l/${l.link}`).join(':');
    const spec = new Map<string, string[]>();
    addSpec(spec, 'store_root', this.paths.root);
    if (vfs) addSpec(spec, 'rootfs_bind', path.join(dir, 'rootfs'));
    else addSpec(spec, 'overlay_options', `lowerdir=${lower},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`);
    addSpec(spec, 'merged', path.join(run, 'merged'));
    addSpec(spec, 'hostname', hostname);
    addSpec(spec, 'network', network.mode);
    const m = (type: string, source: string, dest: string, flags: string, data = ''): void => {
      // The fields go to the monitor split at US: one holding it (an image's VOLUME can) would
      // choose the fields after it, such as a propagation that shares the mount with the host.
      const bad = [source, dest, data].find((f) => f.includes(US));
      if (bad !== undefined) throw engineError(`invalid mount ${JSON.stringify(bad)}: a path or option may not contain the character \\x1f`);
      addSpec(spec, 'mount', [type, source, dest, flags, data].join(US));
    };
    m('proc', 'proc', '/proc', 'nosuid,noexec,nodev');
    m('tmpfs', 'tmpfs', '/dev', 'nosuid,strictatime', 'mode=755,size=65536k');
    m('devpts', 'devpts', '/dev/pts', 'nosuid,noexec', 'newinstance,ptmxmode=0666,mode=0620,gid=5');
    m('tmpfs', 'shm', '/dev/shm', 'nosuid,noexec,nodev', `mode=1777,size=${shmSize}`);
    m('mqueue', 'mqueue', '/dev/mqueue', 'nosuid,noexec,nodev');
    // A sysfs of its own with --network host too (as runc): a bind of the host's /sys would
    // bring its submounts (cgroup hierarchies, bpffs, tracefs, debugfs) along, writable.
    m('sysfs', 'sysfs', '/sys', `nosuid,noexec,nodev${o.privileged ? '' : ',ro'}`);
    // v1: a tmpfs holding one mount per hierarchy; made read-only with the other paths below.
    if (this.cgroupMounts(m, o.privileged === true) && !o.privileged) addSpec(spec, 'readonly', '/sys/fs/cgroup');
    for (const x of mounts.monitor) m(x.type, x.source, x.dest, x.flags, x.data);
    for (const t of tmpfs) m('tmpfs', 'tmpfs', t.dest, t.flags, t.data);
    m('', resolvPath, '/etc/resolv.conf', 'bind');
    m('', hostnamePath, '/etc/hostname', 'bind');
    m('', hostsPath, '/etc/hosts', 'bind');
    if (o.init) m('', helperPath('gocker-init'), '/sbin/docker-init', 'bind,ro');
    for (const [p, t, maj, min, mode] of DEVICES) addSpec(spec, 'device', [p, t, maj, min, mode].join(US));
    if (o.privileged) for (const d of hostDevices()) addSpec(spec, 'device', d.join(US));
    for (const [target, link] of [['/proc/self/fd', '/dev/fd'], ['/proc/self/fd/0', '/dev/stdin'], ['/proc/self/fd/1', '/dev/stdout'],
      ['/proc/self/fd/2', '/dev/stderr'], ['pts/ptmx', '/dev/ptmx'], ['/proc/kcore', '/dev/core']]) {
      addSpec(spec, 'symlink', `${target}${US}${link}`);
    }
    if (!o.privileged) {
      for (const p of MASKED) addSpec(spec, 'masked', p);
      for (const p of READONLY) addSpec(spec, 'readonly', p);
    }
    if (o.readOnly) addSpec(spec, 'readonly_rootfs', '1');
    // -1: RLIM_INFINITY once the monitor has read it as an unsigned 64-bit number.
    const lim = (n: number): number => (n === Infinity ? -1 : n);
    for (const [n, s, h] of ulimits) addSpec(spec, 'rlimit', [n, lim(s), lim(h)].join(US));
    addSpec(spec, 'caps', caps.map((c) => CAPS[c]).join(','));
    if (noNewPrivs) addSpec(spec, 'no_new_privileges', '1');
    // Kept with the spec (start and exec reuse it, as runc applies the container's profile to exec).
    if (seccomp) {
      addSpec(spec, 'seccomp_bpf', seccomp.bpf.toString('hex'));
      if (seccomp.flags) addSpec(spec, 'seccomp_flags', seccomp.flags);
    }
    addSpec(spec, 'uid', u.uid);
    addSpec(spec, 'gid', u.gid);
    addSpec(spec, 'groups', u.groups.join(','));
    addSpec(spec, 'cwd', o.workdir ?? (cfg.WorkingDir || '/'));
    for (const a of argv) addSpec(spec, 'arg', a);
    for (const e of processEnv(env, hostname, !!o.tty, u.home)) addSpec(spec, 'env', e);
    const join = cgroup.attachFiles();
    for (const f of join.self) addSpec(spec, 'cgroup_self', f);
    for (const f of join.byPid) addSpec(spec, 'cgroup_procs', f);
    const oom = cgroup.oomEventsFile();
    if (oom) addSpec(spec, 'oom_events', oom);
    const bpfTarget = cgroup.deviceProgramTarget();
    if (bpfTarget && !o.privileged) {
      addSpec(spec, 'device_bpf', deviceProgram(DEFAULT_DEVICE_RULES).toString('hex'));
      addSpec(spec, 'device_cgroup', bpfTarget);
    }
    addSpec(spec, 'pid_file', path.join(run, 'pid'));
    addSpec(spec, 'exit_file', path.join(run, 'exit.json'));
    const logPath = path.join(dir, `${id}-json.log`);
    if (logConfig.Type === 'json-file') {
      addSpec(spec, 'log_file', logPath);
      // The monitor rotates: LOG, LOG.1 ... LOG.(max-file - 1), as dockerd's json-file.
      if (logConfig.Config['max-size'] !== undefined) {
        addSpec(spec, 'log_max_size', humanSize(logConfig.Config['max-size']));
        addSpec(spec, 'log_max_file', logConfig.Config['max-file'] ?? '1');
      }
    }
    if (o.detach) addSpec(spec, 'detach', '1');
    if (o.interactive) addSpec(spec, 'stdin', '1');
    if (o.tty) addSpec(spec, 'tty', '1');

    const now = new Date().toISOString();
    const rec: ContainerRecord = {
      Id: id,
      Name: `/${name}`,
      Created: now,
      Path: argv[0],
      Args: argv.slice(1),
      Image: image.id,
      State: { Status: 'created', Running: false, Paused: false, Pid: 0, ExitCode: 0, OOMKilled: false, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, Error: '' },
      Config: {
        Hostname: hostname, User: user, Env: env, Cmd: cmd.length ? cmd : null, Entrypoint: entrypoint.length ? entrypoint : null,
        Image: o.image, WorkingDir: o.workdir ?? cfg.WorkingDir ?? '', Labels: cfg.Labels ?? {}, StopSignal: cfg.StopSignal,
        ExposedPorts: network.exposed.length ? Object.fromEntries(network.exposed.map((p) => [p, {}])) : undefined,
        Tty: !!o.tty, OpenStdin: !!o.interactive, AttachStdin: !!o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach,
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
    return { rec, spec, cgroup, limits: { ...resources, devices: o.privileged ? ALLOW_ALL : DEFAULT_DEVICE_RULES }, files };
  }

  /** A read-only /sys/fs/cgroup showing the container's own cgroup namespace. */
  /** Returns true when the mount is a tmpfs that still has to be made read-only. */
  private cgroupMounts(m: (type: string, source: string, dest: string, flags: string, data?: string) => void, privileged: boolean): boolean {
    const ro = privileged ? '' : ',ro';
    const mgr = cgroupManager();
    if (mgr.mode === 'v2') {
      m('cgroup2', 'cgroup', '/sys/fs/cgroup', `nosuid,noexec,nodev${ro}`);
      return false;
    }
    m('tmpfs', 'tmpfs', '/sys/fs/cgroup', 'nosuid,noexec,nodev', 'mode=755');
    for (const h of mgr.layout.hierarchies) {
      if (h.version !== 1) continue;
      m('cgroup', 'cgroup', `/sys/fs/cgroup/${path.basename(h.mountpoint)}`, `nosuid,noexec,nodev${ro}`, (h.options ?? h.controllers).join(','));
    }
    return true;
  }

  /** Creates and runs a container. Foreground: resolves when it exits. Detached: once it started. */
  async run(o: RunOptions, onStart?: (id: string, monitorPid: number) => void): Promise<RunResult> {
    const image = this.store.resolveImage(o.image);
    if (!image) throw new GockerError(`Unable to find image '${o.image}' locally`, { code: 'ENOIMAGE', exitCode: 125 });
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
      // Kept with the record (`start` runs it again): as it is now, before launch adds to it.
      const stored = new Map(prepared.spec);
      if (o.rm) {
        // Removal once it exits, by the monitor, when no CLI is there to do it: always with
        // -d, and in the foreground if this process is killed.
        const cli = path.join(packageRoot(), 'dist', 'cli', 'gocker.js');
        prepared.spec.set('exit_command', [process.execPath, cli, '--root', this.paths.root, '--runroot', this.paths.runroot, 'rm', '-v', prepared.rec.Id]);
      }
      const release = await acquireLock(containerLock(this.paths, prepared.rec.Id));
      const { rec, limits, files } = prepared;
      let net: NetworkHook | undefined;
      try {
        // Under the container's lock: IPAM takes an address back only from a container that
        // has no record and no lock (store.ts holderGone).
        net = await networkHook(this.paths, rec, !o.rm);
      } catch (e) {
        release();
        throw e;
      }
      return await this.launch(rec, prepared.spec, prepared.cgroup, o, onStart, release, net, async () => {
        // The record first: a CLI killed from here on leaves a container that `rm` (the
        // monitor's exit command, with --rm) finds and removes, cgroup and all.
        saveRecord(this.paths, rec);
        for (const [file, text] of files) fs.writeFileSync(file, text);
        fs.writeFileSync(path.join(this.paths.container(rec.Id), 'spec'), serialise(stored), { mode: PRIVATE_FILE }); // holds the env
        if (o.cidfile !== undefined) fs.writeFileSync(o.cidfile, rec.Id, { flag: 'wx' });
        await cgroupManager().create(rec.CgroupPath, limits);
      });
    } catch (e) {
      if (prepared) await removeContainer(this.paths, prepared.rec, prepared.cgroup, true);
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
  private async launch(rec: ContainerRecord, spec: Map<string, string[]>, cgroup: ContainerCgroup,
    o: { detach?: boolean; interactive?: boolean; tty?: boolean; rm?: boolean }, onStart: ((id: string, monitorPid: number) => void) | undefined,
    release: () => void, net: NetworkHook | undefined, beforeStart: () => Promise<void>): Promise<RunResult> {
    const run = this.paths.runContainer(rec.Id);
    spec.set('detach', o.detach ? ['1'] : []);
    spec.set('stdin', o.interactive ? ['1'] : []);
    // Set here, not in prepare(): a spec kept from an older gocker may lack them.
    spec.set('started_file', [path.join(run, 'started')]);
    spec.set('go_fd', ['3']);
    // A bridge network: the monitor reports the container's pid once its namespaces exist
    // (fd 4), and holds the published ports' sockets (fd 5 on) while it runs.
    // container:NAME: the namespace to join, open, after them.
    const attach = net?.attach;
    const [pidRead, pidWrite] = attach ? native().pipe() : [-1, -1];
    const passed = attach ? [pidWrite, ...net!.hold] : [];
    if (net?.netns !== undefined) passed.push(net.netns);
    spec.set('pid_report_fd', attach ? ['4'] : []);
    spec.set('hold_fd', attach ? net!.hold.map((_, i) => String(5 + i)) : []);
    spec.set('netns_fd', net?.netns !== undefined ? [String(3 + passed.length)] : []);
    fs.writeFileSync(path.join(run, 'spec'), serialise(spec), { mode: PRIVATE_FILE }); // holds the env
    let proxy: SignalProxy | undefined;
    const [goRead, goWrite] = native().pipe();
    let go: number | undefined = goWrite;
    const closeGo = (): void => {
      if (go !== undefined) fs.closeSync(go);
      go = undefined;
    };
    try {
      let child: Monitor;
      try {
        child = startMonitor([path.join(run, 'spec')], {
          // With -t the monitor needs the terminal itself, to put it in raw mode and read its size.
          stdio: o.detach ? ['ignore', 'ignore', 'ignore'] : [o.interactive || o.tty ? 'inherit' : 'ignore', 'inherit', 'inherit'],
          // Its own session unless -t: a terminal's ^C signals the CLI's process group, and
          // the CLI forwards it; a monitor in that group got it a second time. (With -t the
          // terminal is raw and ^C reaches the container through its pty; the monitor stays
          // in the terminal's foreground group for SIGWINCH and to set the terminal's mode.)
          detached: !!o.detach || !o.tty,
          extraFds: [goRead, ...passed],
        });
      } finally {
        fs.closeSync(goRead);
        if (attach) fs.closeSync(pidWrite);
        net?.close();
      }
      // While the monitor sets up, and before the container is let go: a signal from then on
      // reaches it. (One before makes this process end, and the monitor give up at the pipe.)
      if (!o.detach) proxy = new SignalProxy();
      fs.writeFileSync(path.join(run, 'monitor.pid'), `${child.pid}\n`);
      log.debug('monitor started', { id: rec.Id.slice(0, 12), pid: child.pid, ms: sinceStart() });
      try {
        await beforeStart();
        if (attach) {
          // The hook point of networking: the container's network namespace exists, and
          // its process waits for "go" before it runs anything of the image's.
          const pid = readReportedPid(pidRead);
          if (pid) await attach(pid);
        }
      } catch (e) {
        // The monitor reads the end of the pipe as "do not start": it kills what it made.
        closeGo();
        await child.exited;
        throw e;
      }
      fs.writeSync(go!, 'g');
      closeGo();
      onStart?.(rec.Id, child.pid);
      if (o.detach) {
        try {
          return await this.waitStarted(rec, cgroup, !!o.rm);
        } finally {
          child.unref();
        }
      }
      // Saved, under the lock still: ps and inspect from elsewhere read it (they showed "Up
      // Less than a second" and a new StartedAt each time). The pid comes from the monitor's
      // file, which reconcile reads.
      rec.State = { ...rec.State, Status: 'running', Running: true, StartedAt: new Date().toISOString() };
      saveRecord(this.paths, rec);
      release();
      const status = await proxy!.forwardUntilExit(child);
      // Read before waiting for the lock: an rm -f that killed the container may hold it
      // and delete exit.json. The monitor's own exit status is the container's code too.
      const exit = readExit(this.paths, rec.Id) ?? (status.code !== null
        ? { exitCode: status.code, signal: status.code > 128 ? status.code - 128 : 0, startedAt: rec.State.StartedAt, finishedAt: new Date().toISOString(), error: '' }
        : undefined);
      log.debug('container exited', { id: rec.Id.slice(0, 12), exit: exit?.exitCode, ms: sinceStart() });
      const again = await acquireLock(containerLock(this.paths, rec.Id));
      try {
        return await this.finish(rec, cgroup, !!o.rm, exit);
      } finally {
        again();
      }
    } finally {
      closeGo();
      if (attach) fs.closeSync(pidRead);
      proxy?.stop();
      release();
    }
  }

  /** `start`: a stopped container again, on its own writable layer; -a attaches. */
  async start(ref: string, o: { attach?: boolean; interactive?: boolean } = {}): Promise<RunResult> {
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

  private async startLocked(ref: string, o: { attach?: boolean; interactive?: boolean }, release: () => void): Promise<RunResult> {
    const { find } = await import('./lifecycle');
    const rec = find(this.paths, ref);
    if (rec.State.Running) return { id: rec.Id, exitCode: 0, oomKilled: false };
    const specFile = path.join(this.paths.container(rec.Id), 'spec');
    const spec = new Map<string, string[]>();
    for (const entry of readOr(specFile, '').split('\0')) {
      const i = entry.indexOf('=');
      if (i > 0) addSpec(spec, entry.slice(0, i), entry.slice(i + 1));
    }
    if (!spec.size) throw engineError(`container ${rec.Id.slice(0, 12)} cannot be started again: its spec is missing`);
    const h = rec.HostConfig;
    const cgroup = await cgroupManager().create(rec.CgroupPath, {
      memory: h.Memory || undefined, memorySwap: h.MemorySwap || undefined, nanoCpus: h.NanoCpus || undefined,
      cpuShares: h.CpuShares || undefined, cpusetCpus: h.CpusetCpus || undefined, pidsLimit: h.PidsLimit ?? undefined,
      devices: h.Privileged ? ALLOW_ALL : DEFAULT_DEVICE_RULES,
    });
    const run = this.paths.runContainer(rec.Id);
    for (const f of ['exit.json', 'pid', 'started', 'monitor.pid']) fs.rmSync(path.join(run, f), { force: true });
    fs.mkdirSync(path.join(run, 'merged'), { recursive: true, mode: PRIVATE_DIR });
    // Its address again, and its host ports (the same ones: a restart keeps its mapping).
    const net = await networkHook(this.paths, rec, true);
    rec.State = { ...rec.State, Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', FinishedAt: ZERO_TIME };
    try {
      saveRecord(this.paths, rec);
    } catch (e) {
      net?.close();
      throw e;
    }
    // The cgroup is made before the record says "created" again: nothing to do meanwhile.
    return this.launch(rec, spec, cgroup, { detach: !o.attach, interactive: o.interactive, tty: rec.Config.Tty, rm: false }, undefined, release, net, async () => undefined);
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

  /** Records the exit (or removes the container with --rm). The caller holds the container's lock. */
  private async finish(rec: ContainerRecord, cgroup: ContainerCgroup, rm: boolean, known?: ExitInfo): Promise<RunResult> {
    const exit: ExitInfo = known ?? readExit(this.paths, rec.Id) ?? { exitCode: 255, signal: 0, startedAt: rec.State.StartedAt, finishedAt: new Date().toISOString(), error: 'the monitor exited without recording an exit status' };
    // The monitor compared the cgroup's OOM-kill count at the start and at the end of this
    // run: a kill left over from an earlier run of the same container does not count.
    const oomKilled = exit.oomKilled === true;
    const exitCode = exit.exitCode;
    rec.State = {
      Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: exitCode, OOMKilled: oomKilled,
      StartedAt: exit.startedAt || rec.State.StartedAt, FinishedAt: exit.finishedAt, Error: exit.error,
    };
    // Removed meanwhile (rm -f from elsewhere, or the monitor's exit command): nothing to record.
    if (!fs.existsSync(this.paths.container(rec.Id))) return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
    networkStopped(rec);
    // The exit goes into the record as it is now: a rename or an update while it ran stays.
    const now = { ...(loadRecord(this.paths, rec.Id) ?? rec), State: rec.State };
    // --rm: its anonymous volumes go with it, as docker's AutoRemove.
    if (rm) await removeContainer(this.paths, now, cgroup, true);
    else saveRecord(this.paths, now);
    log.debug(rm ? 'container removed' : 'exit recorded', { id: rec.Id.slice(0, 12), ms: sinceStart() });
    return { id: rec.Id, exitCode, error: exit.error || undefined, oomKilled };
  }

}

/** The pid the monitor reports on fd (pid_report_fd); 0 when the container died first. */
function readReportedPid(fd: number): number {
  const buf = Buffer.alloc(16);
  let n = 0;
  for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
  const pid = Number(buf.toString('utf8', 0, n).trim());
  return Number.isInteger(pid) && pid > 1 ? pid : 0;
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
