// run and create's options, typed (docker's ContainerCreate body in the CLI's flags' names),
// and the engine's checks of the ones that are docker's API forms: the log driver and its
// options, ulimits, tmpfs mounts. Docker's flag syntax (--mount's csv, -p, a seccomp=FILE to
// read, a --cidfile to write) is the CLI's (cli/runflags.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResourceFlags } from '../cgroups';
import { GockerError, InvalidOptionError } from '../errors';
import { humanSize } from '../spec';
import type { Mount } from './mounts';
import type { NetworkOptions } from './network';
import type { AttachStreams, DeviceMapping } from './runflags';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/**
 * docker's run/create options, typed: docker's ContainerCreate body in the names of the CLI's
 * flags (the network ones are container/network's NetworkOptions). Docker's flag syntax
 * (`-e VAR`, --env-file, --ulimit, --tmpfs, --log-opt, -l and --label-file, --mount, -p and
 * --expose, --security-opt seccomp=FILE) is the caller's to read (cli/runflags.ts): nothing
 * here reads or writes the caller's environment, files or directory.
 * Where docker's API itself takes a string (HostConfig.Binds' `a:b:ro`, a memory of '64m'),
 * so does this.
 */
export interface RunOptions extends ResourceFlags, NetworkOptions {
  image: string;
  command?: string[];
  entrypoint?: string;
  /** Config.Env over the image's: KEY=VALUE entries (the CLI resolves a bare -e VAR and reads --env-file) */
  env?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  name?: string;
  readOnly?: boolean;
  rm?: boolean;
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  /** HostConfig.Binds as docker's -v: /host:/ctr[:mode], NAME:/ctr[:mode], or /ctr (an anonymous volume); a host path absolute */
  volume?: string[];
  /** HostConfig.Mounts: bind, volume and tmpfs mounts as docker's API has them (a bind's source absolute) */
  mounts?: Mount[];
  /** HostConfig.Tmpfs: a mount point and its options, { '/run': 'size=64m,mode=1777' } ('' for none) */
  tmpfs?: Record<string, string>;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** HostConfig.SecurityOpt: no-new-privileges, seccomp=unconfined|builtin|<a profile's JSON> */
  securityOpt?: string[];
  /** HostConfig.Ulimits: soft and hard limits, -1 for unlimited */
  ulimits?: Ulimit[];
  shmSize?: string;
  /** run gocker-init as PID 1 (reaps zombies, forwards signals), as docker's --init */
  init?: boolean;
  /** json-file (the default) or none */
  logDriver?: string;
  /** HostConfig.LogConfig.Config: the driver's options, json-file's max-size and max-file */
  logOpts?: Record<string, string>;
  /** Config.Labels, over the image's */
  labels?: Record<string, string>;
  /** --add-host host:ip (ip may be host-gateway) */
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  /** HostConfig.Devices: host nodes (or directories of them) made in the container */
  devices?: DeviceMapping[];
  /** --device-cgroup-rule 'c 1:3 rwm' */
  deviceCgroupRule?: string[];
  /** --pid host|container:NAME, --ipc private|shareable|host|none|container:NAME, --uts host */
  pid?: string;
  ipc?: string;
  uts?: string;
  /** HostConfig.Sysctls: namespaced ones only, { 'net.ipv4.ip_forward': '1' } */
  sysctls?: Record<string, string>;
  stopSignal?: string;
  /** Config.StopTimeout: whole seconds; -1 waits for ever */
  stopTimeout?: number;
  /** os/arch[/variant] the image must be */
  platform?: string;
  /** -a: the streams a foreground run attaches (default: stdout and stderr, and stdin with interactive) */
  attach?: AttachStreams;
  /** docker's --detach-keys for the attachment (run -it) */
  detachKeys?: string;
  /** docker's --restart: no (the default), on-failure[:N], always, unless-stopped */
  restart?: string;
}

/** One of HostConfig.Ulimits: a resource by docker's name (nofile, nproc, core, ...), -1 for unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** Config.Env's entries, KEY=VALUE each (a bare KEY is the CLI's to resolve, never the engine's), as option. */
export function checkEnv(env: unknown[] | undefined, option = 'env'): void {
  for (const e of env ?? []) {
    if (typeof e !== 'string' || !e.includes('=') || e.startsWith('=')) throw new InvalidOptionError(option, `invalid environment variable: ${String(e)}: must be KEY=VALUE`, { exitCode: 125 });
  }
}

// json-file's options, as dockerd's driver knows them; gocker implements the rotation ones.
const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

/** HostConfig.LogConfig: the driver, and its options as docker's API has them. */
export interface LogConfig {
  Type: 'json-file' | 'none';
  Config: Record<string, string>;
}

/**
 * HostConfig.LogConfig as dockerd checks it: json-file (rotated at max-size, keeping
 * max-file files) or none. The options that only label what --details shows, and compress,
 * are refused rather than taken and ignored.
 */
export function checkLogConfig(driver = 'json-file', opts: Record<string, string> = {}): LogConfig {
  if (driver !== 'json-file' && driver !== 'none') throw engineError(`logger: no log driver named '${driver}' is registered`);
  const config: Record<string, string> = { ...opts };
  for (const k of Object.keys(config)) {
    if (!k) throw engineError(`invalid log opt '=${config[k]}': must be of the form key=value`);
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

// docker's ulimit names (go-units), with the /proc/self/limits label of each.
const ULIMITS: Record<string, string> = {
  core: 'Max core file size', cpu: 'Max cpu time', data: 'Max data size', fsize: 'Max file size', locks: 'Max file locks',
  memlock: 'Max locked memory', msgqueue: 'Max msgqueue size', nice: 'Max nice priority', nofile: 'Max open files',
  nproc: 'Max processes', rss: 'Max resident set', rtprio: 'Max realtime priority', rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals', stack: 'Max stack size',
};

/** The resources a ulimit may name (go-units' ulimitNameMapping). */
export const ULIMIT_NAMES: readonly string[] = Object.keys(ULIMITS);

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

/**
 * HostConfig.Ulimits checked, as [name, soft, hard] with Infinity for unlimited (another
 * negative as it is, the uint64 it stands for checked): a known
 * resource, soft at most hard, and never above the current hard limit.
 */
export function checkUlimits(list: Ulimit[], hardLimitsNow?: Map<string, number>): Array<[string, number, number]> {
  if (list.length === 0) return [];
  const hard = hardLimitsNow ?? hardLimits();
  // Another negative is the uint64 dockerd makes of it (Go's uint64(int64)): -2 is 2^64-2,
  // RLIM_INFINITY less one.
  const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
  // Kept as given for HostConfig.Ulimits (docker's inspect shows -2), -1 as Infinity.
  const inf = (n: number): number => (n === -1 ? Infinity : n);
  const show = (n: number): string => (n === -1 ? 'unlimited' : String(u64(n)));
  return list.map((u) => {
    if (!Object.hasOwn(ULIMITS, u.name)) throw engineError(`invalid ulimit type: ${u.name}`);
    if (!Number.isSafeInteger(u.soft) || !Number.isSafeInteger(u.hard)) throw engineError(`invalid ulimit argument: ${u.name}=${u.soft}:${u.hard}`);
    const soft = inf(u.soft);
    const h = inf(u.hard);
    if (u64(u.soft) > u64(u.hard)) throw engineError(`ulimit soft limit must be less than or equal to hard limit: ${show(u.soft)} > ${show(u.hard)}`);
    const cur = hard.get(u.name);
    // Raising a hard limit needs CAP_SYS_RESOURCE in the host's namespace and surprises users.
    if (cur !== undefined && cur !== Infinity && u64(u.hard) > BigInt(cur)) {
      throw engineError(`ulimit ${u.name}: hard limit ${show(u.hard)} exceeds the current hard limit ${cur}`);
    }
    return [u.name, soft, h];
  });
}

// mount(8) words that are flags, not tmpfs data; the value says whether the flag is set.
const FLAG_WORDS: Record<string, [string, boolean]> = {
  ro: ['ro', true], rw: ['ro', false], noexec: ['noexec', true], exec: ['noexec', false], nosuid: ['nosuid', true],
  suid: ['nosuid', false], nodev: ['nodev', true], dev: ['nodev', false], sync: ['sync', true], async: ['sync', false],
  dirsync: ['dirsync', true], noatime: ['noatime', true], atime: ['noatime', false], nodiratime: ['nodiratime', true],
  diratime: ['nodiratime', false], relatime: ['relatime', true], norelatime: ['relatime', false], strictatime: ['strictatime', true],
};

/**
 * One of HostConfig.Tmpfs as dockerd mounts it: docker's defaults nosuid,nodev,noexec, flag
 * words as flags, the rest (size=, mode=) as data.
 */
export function tmpfsMount(target: string, opts = ''): { dest: string; options: string[] } {
  if (!target.startsWith('/')) throw engineError(`invalid mount config for type "tmpfs": invalid mount path '${target}': mount path must be absolute`);
  const flags = new Set(['nosuid', 'nodev', 'noexec']);
  const data: string[] = [];
  for (const o of opts.split(',').map((x) => x.trim()).filter(Boolean)) {
    const f = FLAG_WORDS[o];
    if (!f) data.push(o);
    else if (f[1]) flags.add(f[0]);
    else flags.delete(f[0]);
  }
  return { dest: path.posix.normalize(target), options: [...flags, ...data] };
}
