// Docker's flag syntax for run, create and exec, read as docker's CLI reads it before it
// sends the ContainerCreate body: what the caller's environment gives a bare `-e VAR`, the
// files --env-file and --label-file name, --ulimit's name=soft[:hard], --tmpfs's /dst:opts,
// --log-opt's and --sysctl's key=value, -a's stream names, --device's /dev/x[:/dev/y][:rwm],
// --stop-timeout's integer, --mount's csv (mountflag.ts), -p and --expose (portflags.ts), the
// profile --security-opt seccomp=FILE names, --cidfile's file, a relative -v or --mount source
// made the caller's directory's. The engine takes the values as the library's ContainerOptions
// and checks them as dockerd does; a refusal here is docker's CLI's, in its words, exit 125.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../lib/errors';
import { mountFromFlag } from './mountflag';
import { portsFromFlags } from './portflags';
import { isUlimitName, validDeviceMode, type ContainerOptions } from '../lib/index';

/** --ulimit's value: ContainerOptions.ulimits' entry, the hard limit settled. */
type Ulimit = { name: string; soft: number; hard: number };
/** --device's value, in docker's HostConfig.Devices names (as docker's CLI checks it). */
type DeviceMapping = { PathOnHost: string; PathInContainer: string; CgroupPermissions: string };
/** -a's streams. */
type AttachStreams = { stdin: boolean; stdout: boolean; stderr: boolean };

const flagError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });
const badFlag = (value: string, flag: string, why: string): GockerError => flagError(`invalid argument "${value}" for "${flag}" flag: ${why}`);

/** A KEY=VALUE file as docker's CLI reads --env-file and --label-file: '#' comments and blank lines skipped. */
function kvFile(file: string, trim: (l: string) => string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw flagError(`open ${file}: no such file or directory`);
  }
  return text.split('\n').map(trim).filter((l) => l.trim() && !l.trim().startsWith('#'));
}

/** -e VAR without '=': VAR=<the caller's value>, or nothing when the caller has none, as docker's CLI. */
export function resolveEnv(list: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  return list.flatMap((e) => (e.includes('=') ? [e] : env[e] !== undefined ? [`${e}=${env[e]}`] : []));
}

/** Config.Env from --env-file's lines, then -e's, each bare name resolved from env. */
export function envFromFlags(files: string[] = [], list: string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  return resolveEnv([...files.flatMap((f) => kvFile(f, (l) => l.trim())), ...list], env);
}

/**
 * Config.Labels from --label-file's lines, then -l's, later ones winning. A label without '='
 * is empty. As docker's CLI, only -l's names are checked (not empty, no whitespace), and no
 * name is trimmed (a file's line loses its leading blanks only).
 */
export function labelsFromFlags(labels: string[] = [], files: string[] = []): Record<string, string> {
  for (const l of labels) {
    const eq = l.indexOf('=');
    const key = (eq < 0 ? l : l.slice(0, eq)).trim();
    if (!key) throw badFlag(l, '-l, --label', `invalid label '${l}': empty name`);
    if (/\s/.test(key)) throw badFlag(l, '-l, --label', `label '${key}' contains whitespaces`);
  }
  const out: Record<string, string> = {};
  for (const l of [...files.flatMap((f) => kvFile(f, (x) => x.replace(/^\s+/, ''))), ...labels]) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/**
 * --ulimit name=soft[:hard] (go-units' ParseUlimit): -1 is unlimited, hard defaults to soft.
 * Any other negative is taken, as go-units takes it (dockerd passes it on as uint64(n), and
 * runc sets that or fails): the engine says what the kernel does with it.
 */
export function ulimitsFromFlags(specs: string[] = []): Ulimit[] {
  return specs.map((s) => {
    const bad = (why: string): GockerError => badFlag(s, '--ulimit', why);
    const m = /^([^=]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
    if (!m) throw bad(`invalid ulimit argument: ${s}`);
    if (!isUlimitName(m[1])) throw bad(`invalid ulimit type: ${m[1]}`);
    // strconv.ParseInt(v, 10, 64), the hard limit read first as go-units reads them.
    for (const v of [m[3], m[2]]) {
      if (v !== undefined && (BigInt(v) >= 2n ** 63n || BigInt(v) < -(2n ** 63n))) throw bad(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
    }
    const soft = Number(m[2]);
    const hard = m[3] === undefined ? soft : Number(m[3]);
    // go-units' words, which compare the two as int64s.
    if (hard !== -1 && soft === -1) throw bad(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (hard !== -1 && soft > hard) throw bad(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
    return { name: m[1], soft, hard };
  });
}

/** --tmpfs /dst[:opts]: HostConfig.Tmpfs, as docker's CLI splits it (at the first ':'). */
export function tmpfsFromFlags(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list) {
    const i = t.indexOf(':');
    out[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  return out;
}

/** --log-opt key=value: HostConfig.LogConfig.Config. */
export function logOptsFromFlags(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw flagError(`invalid log opt '${o}': must be of the form key=value`);
    out[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return out;
}

/** --stop-timeout: whole seconds (-1: wait for ever), as the flag's int. */
export function stopTimeoutFromFlag(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw badFlag(s, '--stop-timeout', `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

/** -v SRC:DST[:MODE]: a host path starting with '.' made absolute against cwd, as docker's CLI does. */
export function absoluteVolume(raw: string, cwd = process.cwd()): string {
  const i = raw.indexOf(':');
  // A single field is the container's path (an anonymous volume): nothing of the host's.
  if (i < 0 || !raw.startsWith('.')) return raw;
  return `${path.resolve(cwd, raw.slice(0, i))}${raw.slice(i)}`;
}

// docker's default profile is about 20 KiB; a profile is data the user names, but /dev/zero
// or a FIFO named by mistake must not hold the CLI for ever or fill its memory.
const MAX_PROFILE = 4 << 20;

/** A profile file: a regular file (not a FIFO, a device), read whole up to MAX_PROFILE. */
function readProfile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_PROFILE) throw new Error(`larger than ${MAX_PROFILE >> 20} MiB`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, n)) > 0;) n += r;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Go's json.Compact: whitespace outside strings removed, nothing else changed (numbers keep
 * their digits). docker's CLI keeps a profile named by path in SecurityOpt this way.
 */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/**
 * --security-opt as docker's CLI sends it: seccomp=FILE (or seccomp:FILE) becomes
 * seccomp=<the file's JSON, compacted>, so that the engine reads no file of the caller's and
 * the record holds the profile itself. An unreadable file or one that is not JSON is refused
 * with docker's message; the rest (which options are known) is the engine's to check.
 */
export function securityOptsFromFlags(opts: string[] = [], readFile: (f: string) => string = readProfile): string[] {
  return opts.map((opt) => {
    const m = /^seccomp[=:](.+)$/s.exec(opt);
    if (!m) return opt;
    const v = m[1];
    if (v === 'unconfined' || v === 'builtin' || v.startsWith('{')) return opt;
    let text: string;
    try {
      text = readFile(v);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      throw flagError(`opening seccomp profile (${v}) failed: open ${v}: ${why}`);
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw flagError(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`);
    }
    return `seccomp=${compactJson(text)}`;
  });
}

/** Whether anything is at file, a symlink counted as itself (a dangling one too): never followed. */
function present(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

// Go's text for the errnos opening a --cidfile meets (os.PathError's), else Node's code.
const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', EISDIR: 'is a directory',
  EROFS: 'read-only file system', ENOSPC: 'no space left on device', ELOOP: 'too many levels of symbolic links', ENAMETOOLONG: 'file name too long',
};

/** --cidfile's file, open from before the container is made until the command is done. */
export interface CidFile {
  /** writes the new container's id (run and create's onCreate) */
  write?: (id: string) => void;
  /** the command is done; failed, the file goes if nothing was written in it, or always (keepWritten false) */
  done(failed: boolean, keepWritten: boolean): void;
}

/**
 * --cidfile, as docker's CLI has it: a file already there refused, then the file made before
 * the container is (a path where none can be made refused with nothing made), the new
 * container's id written into it once it is created, and the file removed when the command
 * fails with nothing written (docker's cidFile.Close). A failed create goes with its file even
 * when the id was written (keepWritten false): gocker's create records the container before
 * its monitor makes it, and removes it when that fails, where dockerd's create fails before
 * there is an id to write. A failed run keeps it, as docker's: a start that failed. A symlink
 * there is such a file, dangling or not: never followed.
 */
export function openCidfile(file: string | undefined): CidFile {
  if (file === undefined) return { done: () => undefined };
  if (present(file)) throw flagError(`Container ID file found, make sure the other container isn't running or delete ${file}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw flagError(`failed to create the container ID file: open ${file}: ${GO_ERRNO[code] ?? code.toLowerCase()}`);
  }
  let written: string | undefined;
  const close = (): void => {
    if (fd !== undefined) fs.closeSync(fd);
    fd = undefined;
  };
  return {
    write: (id) => {
      fs.writeSync(fd!, id);
      written = id;
      // Closed now: a foreground run holds no descriptor of it while the container runs.
      close();
    },
    done: (failed, keepWritten) => {
      close();
      if (failed && (written === undefined || !keepWritten)) fs.rmSync(file, { force: true });
    },
  };
}

/** --device /dev/x[:/dev/y][:rwm]: HostConfig.Devices, as docker's CLI validates and splits it. */
export function devicesFromFlags(list: string[] = []): DeviceMapping[] {
  return list.map((val) => {
    const bad = (why: string): GockerError => badFlag(val, '--device', why);
    const parts = val.split(':');
    if (parts.length > 3 || !parts[0]) throw bad(`bad format for path: ${val}`);
    let dst = parts[0];
    let perms = 'rwm';
    if (parts.length === 2) {
      if (validDeviceMode(parts[1])) perms = parts[1];
      else dst = parts[1];
    } else if (parts.length === 3) {
      dst = parts[1];
      perms = parts[2];
      if (!validDeviceMode(perms)) throw bad(`bad mode specified: ${perms}`);
    }
    if (!dst.startsWith('/')) throw bad(`${dst} is not an absolute path`);
    return { PathOnHost: parts[0], PathInContainer: path.posix.normalize(dst), CgroupPermissions: perms };
  });
}

/** --sysctl k=v: HostConfig.Sysctls (which names are allowed is the engine's check, in docker's CLI's words). */
export function sysctlsFromFlags(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const val of list) {
    const eq = val.indexOf('=');
    if (eq <= 0) throw badFlag(val, '--sysctl', `sysctl '${val}' is not allowed`);
    out[val.slice(0, eq)] = val.slice(eq + 1);
  }
  return out;
}

/** -a: the streams named (any case), checked against -d. */
export function attachFromFlags(list: string[] | undefined, detach: boolean): AttachStreams | undefined {
  if (!list?.length) return undefined;
  const named = list.map((v) => {
    const s = v.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') throw badFlag(v, '-a, --attach', 'valid streams are STDIN, STDOUT and STDERR');
    return s;
  });
  // A detached container has no streams to attach (docker's CLI's refusal).
  if (detach) throw flagError('conflicting options: cannot specify both --attach and --detach');
  return { stdin: named.includes('stdin'), stdout: named.includes('stdout'), stderr: named.includes('stderr') };
}

/**
 * What run and create read of their flags into ContainerOptions, as yargs gives them: the base
 * of run.ts's RunArgs, which adds what is not the container's (the image, --pull, -q, --detach-keys).
 */
export interface ContainerFlagArgs {
  env?: string[]; envFile?: string[]; label?: string[]; labelFile?: string[]; ulimit?: string[]; tmpfs?: string[];
  logOpt?: string[]; stopTimeout?: string | number; volume?: string[]; mount?: string[]; device?: string[]; sysctl?: string[];
  attach?: string[]; detach?: boolean; publish?: string[]; expose?: string[]; securityOpt?: string[]; cidfile?: string;
  interactive?: boolean; tty?: boolean; init?: boolean; rm?: boolean; name?: string; entrypoint?: string; workdir?: string; user?: string;
  hostname?: string; readOnly?: boolean; network?: string; networkAlias?: string[]; ip?: string; publishAll?: boolean; capAdd?: string[];
  capDrop?: string[]; privileged?: boolean; shmSize?: string; memory?: string; memorySwap?: string; cpus?: string; cpuShares?: string;
  cpusetCpus?: string; pidsLimit?: string; logDriver?: string; restart?: string; addHost?: string[]; dns?: string[]; dnsSearch?: string[];
  dnsOption?: string[]; deviceCgroupRule?: string[]; pid?: string; ipc?: string; uts?: string; stopSignal?: string; platform?: string;
}

/**
 * run's and create's flags as the library's ContainerOptions (docker's API names): docker's
 * syntax read here, in the order docker's CLI reads it, each value under its API name; the
 * engine checks the values as it checks a library caller's. --cidfile is the caller's to
 * write (openCidfile), -d and --detach-keys the caller's to act on.
 */
export function containerOptionsFromFlags(argv: ContainerFlagArgs): ContainerOptions {
  const streams = attachFromFlags(argv.attach, !!argv.detach);
  const env = envFromFlags(argv.envFile, argv.env);
  const labels = labelsFromFlags(argv.label, argv.labelFile);
  const ulimits = ulimitsFromFlags(argv.ulimit);
  const tmpfs = tmpfsFromFlags(argv.tmpfs);
  const logOpts = logOptsFromFlags(argv.logOpt);
  const stopTimeout = stopTimeoutFromFlag(argv.stopTimeout);
  const volumes = argv.volume?.map((v) => absoluteVolume(v));
  const mounts = argv.mount?.map((m) => mountFromFlag(m));
  const devices = devicesFromFlags(argv.device).map((d) => ({ pathOnHost: d.PathOnHost, pathInContainer: d.PathInContainer, cgroupPermissions: d.CgroupPermissions }));
  const sysctls = sysctlsFromFlags(argv.sysctl);
  const ports = argv.publish?.length || argv.expose?.length ? portsFromFlags(argv.publish, argv.expose) : {};
  const securityOpt = argv.securityOpt && securityOptsFromFlags(argv.securityOpt);
  const o: ContainerOptions = {
    // An empty --name is no name, as docker's daemon takes it: one is made up.
    name: argv.name || undefined, env, entrypoint: argv.entrypoint, workingDir: argv.workdir, user: argv.user, hostname: argv.hostname, labels,
    tty: argv.tty, openStdin: argv.interactive, rm: argv.rm, init: argv.init, readOnly: argv.readOnly, privileged: argv.privileged,
    capAdd: argv.capAdd, capDrop: argv.capDrop, securityOpt, shmSize: argv.shmSize, ulimits, network: argv.network,
    networkAliases: argv.networkAlias, ip: argv.ip, portBindings: ports.portBindings, publishAll: argv.publishAll, exposedPorts: ports.exposedPorts,
    volumes, mounts, tmpfs, extraHosts: argv.addHost, dns: argv.dns, dnsSearch: argv.dnsSearch, dnsOptions: argv.dnsOption, devices,
    deviceCgroupRules: argv.deviceCgroupRule, pid: argv.pid, ipc: argv.ipc, uts: argv.uts, sysctls, stopSignal: argv.stopSignal, stopTimeout,
    logDriver: argv.logDriver, logOpts, restart: argv.restart, platform: argv.platform,
    memory: argv.memory, memorySwap: argv.memorySwap, cpus: argv.cpus, cpuShares: argv.cpuShares, cpusetCpus: argv.cpusetCpus, pidsLimit: argv.pidsLimit,
    ...(streams ? { attachStdin: streams.stdin, attachStdout: streams.stdout, attachStderr: streams.stderr } : {}),
  };
  // Only what was given: an option left undefined is one the caller did not set.
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ContainerOptions;
}
