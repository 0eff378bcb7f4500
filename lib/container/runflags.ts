// The run/create flags that become plain fields of docker's Config and HostConfig, read and
// checked as docker's CLI and daemon read them: labels, extra hosts and DNS, devices and
// device cgroup rules, sysctls, the pid/ipc/uts modes, the stop signal and timeout, -a.
// Each check throws docker's message (exit 125); nothing here touches the host but the
// stat of a --device's node. (The syntax of -l and --label-file, --device, --sysctl, -a and
// --stop-timeout is the CLI's: cli/runflags.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError } from '../errors';
import type { DeviceRule } from '../cgroups/devices';
import type { ImageRuntimeConfig } from '../store/types';
import { parseCgroupRule, type OciDevice } from '../spec';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord } from './record';

/**
 * node:net's isIP, node:net loaded at the first --add-host or --dns read: ps and inspect load
 * this module (through the container modules) and read neither.
 */
function isIP(s: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:net') as typeof import('node:net')).isIP(s);
}

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });
const badFlag = (value: string, flag: string, why: string): GockerError => engineError(`invalid argument "${value}" for "${flag}" flag: ${why}`);

export const HOST_GATEWAY = 'host-gateway';

/** --add-host host:ip (or host=ip, [v6]): HostConfig.ExtraHosts as docker's CLI sends them, host:ip. */
export function parseExtraHosts(list: string[] = []): string[] {
  return list.map((val) => {
    let sep = val.indexOf('=');
    if (sep < 0) sep = val.indexOf(':');
    const k = sep < 0 ? '' : val.slice(0, sep);
    let v = sep < 0 ? '' : val.slice(sep + 1);
    if (sep < 0 || !k || k.includes(':')) throw badFlag(val, '--add-host', `bad format for add-host: ${JSON.stringify(val)}`);
    if (v !== HOST_GATEWAY) {
      if (v.length > 2 && v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
      if (!isIP(v.trim())) throw badFlag(val, '--add-host', `invalid IP address in add-host: ${JSON.stringify(v)}`);
    }
    return `${k}:${v}`;
  });
}

/**
 * /etc/hosts lines for HostConfig.ExtraHosts, host-gateway as the default bridge's gateway
 * (asked of gateway() only when an entry names it).
 */
export function extraHostsLines(extra: string[] | null | undefined, gateway: () => string): string {
  return (extra ?? []).map((e) => {
    const i = e.indexOf(':');
    const ip = e.slice(i + 1);
    return `${ip === HOST_GATEWAY ? gateway() : ip}\t${e.slice(0, i)}\n`;
  }).join('');
}

/** --dns: addresses, as docker's ValidateIPAddress (its canonical form). */
export function parseDns(list: string[] = []): string[] {
  return list.map((v) => {
    const a = v.trim();
    if (!isIP(a)) throw badFlag(v, '--dns', `IP address is not correctly formatted: ${v}`);
    return a;
  });
}

// docker's validateDomain: labels of letters, digits and inner hyphens, dot-separated.
const DOMAIN = /^(:?(?:[a-zA-Z0-9]|(?:[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*[a-zA-Z0-9]))(:?\.(?:[a-zA-Z0-9]|(?:[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*[a-zA-Z0-9])))*)\.?\s*$/;

/** --dns-search: domains (without a trailing dot, as docker's validateDomain gives them back), or '.' for none. */
export function parseDnsSearch(list: string[] = []): string[] {
  return list.map((v) => {
    if (v === '.') return v;
    const m = /[a-zA-Z]/.test(v) ? DOMAIN.exec(v) : null;
    if (!m || m[1].length >= 255) throw badFlag(v, '--dns-search', `${v} is not a valid domain`);
    return m[1];
  });
}

/**
 * A container's resolv.conf from the host's (already without loopback nameservers): what
 * --dns, --dns-search and --dns-option give replaces the host's nameservers, search and
 * options, as libnetwork's resolvconf.Build writes them; none given, the host's file as it is.
 */
export function resolvConf(host: string, dns: string[], search: string[], options: string[]): string {
  if (!dns.length && !search.length && !options.length) return host;
  const lines = host.split('\n');
  const words = (key: string): string[] => lines.filter((l) => new RegExp(`^\\s*${key}\\s`).test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  const ns = dns.length ? dns : words('nameserver');
  const se = search.length ? search : words('search');
  const op = options.length ? options : words('options');
  let out = '';
  if (se.length && se.join(' ').trim() !== '.') out += `search ${se.join(' ')}\n`;
  for (const n of ns) out += `nameserver ${n}\n`;
  if (op.join(' ').trim()) out += `options ${op.join(' ')}\n`;
  return out;
}

/** HostConfig.Devices' entries, as docker's API has them. */
export interface DeviceMapping {
  /** the host's node, or a directory of nodes */
  PathOnHost: string;
  /** where it goes in the container: an absolute path */
  PathInContainer: string;
  /** the device cgroup's access: some of r, w and m */
  CgroupPermissions: string;
}

/** Some of r, w and m, each at most once (docker's validDeviceMode). */
export const validDeviceMode = (m: string): boolean => m.length > 0 && m.length <= 3 && /^[rwm]+$/.test(m) && new Set(m).size === m.length;

/** HostConfig.Devices as dockerd takes them: a host path, an absolute destination (normalised), docker's modes. */
export function checkDevices(list: DeviceMapping[] = []): DeviceMapping[] {
  return list.map((d) => {
    const show = `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`;
    if (!d.PathOnHost) throw engineError(`invalid device mapping ${show}: no host path`);
    if (!d.PathInContainer.startsWith('/')) throw engineError(`invalid device mapping ${show}: ${d.PathInContainer} is not an absolute path`);
    if (!validDeviceMode(d.CgroupPermissions)) throw engineError(`invalid device mapping ${show}: bad mode specified: ${d.CgroupPermissions}`);
    return { PathOnHost: d.PathOnHost, PathInContainer: path.posix.normalize(d.PathInContainer), CgroupPermissions: d.CgroupPermissions };
  });
}

/** A device node as the host has it: type, numbers, mode and owner (glibc's major/minor split of dev_t). */
function nodeOf(st: fs.Stats, dest: string): OciDevice {
  const rdev = BigInt(st.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { path: dest, type: st.isBlockDevice() ? 'b' : 'c', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/**
 * The nodes one --device stands for: its node, or, for a directory, every node under it (not
 * through symlinks) at the same place under the destination, as dockerd's devicesFromPath.
 */
function deviceNodes(file: string, dest: string): OciDevice[] {
  const what = `error gathering device information while adding custom device ${JSON.stringify(file)}`;
  let st: fs.Stats;
  try {
    // stat, not lstat: docker follows a link such as /dev/disk/by-id/... to its node.
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw engineError(`${what}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) return [nodeOf(st, dest)];
  if (!st.isDirectory()) throw engineError(`${what}: not a device node`);
  const out: OciDevice[] = [];
  const walk = (dir: string, to: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, path.posix.join(to, e.name));
      else if (e.isCharacterDevice() || e.isBlockDevice()) out.push(nodeOf(fs.lstatSync(p), path.posix.join(to, e.name)));
    }
  };
  walk(file, dest);
  return out;
}

/**
 * The nodes --device makes in the container, with the cgroup rule each needs: under /dev (the
 * container's own tmpfs) or anywhere else in its root filesystem, where the monitor makes
 * them as runc does (resolved inside the root, never through a link onto the host).
 */
export function resolveDevices(mappings: DeviceMapping[]): Array<{ node: OciDevice; access: string }> {
  return mappings.flatMap((m) => {
    const dest = m.PathInContainer;
    // The host's node first: a missing one is docker's error whatever the destination.
    const nodes = deviceNodes(m.PathOnHost, dest);
    // runc's refusal of a node in place of the root itself.
    if (nodes.some((n) => n.path === '/')) throw engineError(`--device ${m.PathOnHost}: cannot make a device node over the container's root`);
    return nodes.map((node) => ({ node, access: m.CgroupPermissions }));
  });
}

/** --device-cgroup-rule 'c 1:3 rwm': HostConfig.DeviceCgroupRules, as docker's CLI validates them. */
export function parseDeviceCgroupRules(list: string[] = []): string[] {
  for (const val of list) {
    let r: DeviceRule;
    try {
      r = parseCgroupRule(val);
    } catch {
      throw badFlag(val, '--device-cgroup-rule', `invalid device cgroup format '${val}'`);
    }
    // What the kernel's dev_t holds: 12 bits of major, 20 of minor.
    if (r.major > 0xfff || r.minor > 0xfffff) throw badFlag(val, '--device-cgroup-rule', `invalid device cgroup format '${val}'`);
  }
  return list;
}

// docker's CLI: these names and prefixes alone are namespaced, everything else is refused.
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const isIpcSysctl = (k: string): boolean => IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.');

/**
 * HostConfig.Sysctls: docker's CLI refuses a name it does not know to be namespaced (said
 * in its words, as the name=value it was given); runc then refuses net.* without the
 * container's own network namespace and the IPC ones without its own IPC namespace (said
 * here, before anything is made).
 */
export function checkSysctls(sysctls: Record<string, string> = {}, ns: { ownNetwork: boolean; ownIpc: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(sysctls)) {
    const val = `${key}=${value}`;
    // Each name becomes a path under /proc/sys: dotted words only.
    const ok = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i.test(key) && (isIpcSysctl(key) || key.startsWith('net.'));
    if (!ok || typeof value !== 'string' || value.includes('\0') || value.includes('\n')) throw badFlag(val, '--sysctl', `sysctl '${val}' is not allowed`);
    if (key.startsWith('net.') && !ns.ownNetwork) throw engineError(`sysctl ${JSON.stringify(key)} not allowed in host network namespace`);
    if (isIpcSysctl(key) && !ns.ownIpc) throw engineError(`sysctl ${JSON.stringify(key)} is not allowed in the hosts ipc namespace`);
    out[key] = value;
  }
  return out;
}

/** --ipc: HostConfig.IpcMode, dockerd's default "private" when not given. */
export function parseIpcMode(v: string | undefined): string {
  const mode = v ?? 'private';
  if (['private', 'shareable', 'host', 'none'].includes(mode) || (mode.startsWith('container:') && mode.length > 10)) return mode;
  throw engineError('--ipc: invalid IPC mode');
}

/** --pid: '' (its own), host or container:NAME. */
export function parsePidMode(v: string | undefined): string {
  const mode = v ?? '';
  if (mode === '' || mode === 'host' || (mode.startsWith('container:') && mode.length > 10)) return mode;
  throw engineError('--pid: invalid PID mode');
}

/** --uts: '' (its own) or host. */
export function parseUtsMode(v: string | undefined): string {
  const mode = v ?? '';
  if (mode === '' || mode === 'host') return mode;
  throw engineError('--uts: invalid UTS mode');
}

/** Config.StopTimeout: whole seconds (-1: wait for ever). */
export function checkStopTimeout(v: number | undefined): number | undefined {
  if (v !== undefined && !Number.isInteger(v)) throw engineError(`invalid stop timeout: ${v}: must be a whole number of seconds`);
  return v;
}

/** Config.AttachStdin, AttachStdout and AttachStderr as -a names them: the streams a foreground run attaches. */
export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The streams -a named, which a detached container has none of (docker's refusal). */
export function checkAttach(streams: AttachStreams | undefined, detach: boolean): AttachStreams | undefined {
  if (streams && detach) throw engineError('conflicting options: cannot specify both --attach and --detach');
  return streams;
}

/** Every flag above, read for one container. */
export interface RunFlags {
  labels: Record<string, string>;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  deviceMappings: DeviceMapping[];
  devices: Array<{ node: OciDevice; access: string }>;
  deviceCgroupRules: string[];
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  sysctls: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  attach?: AttachStreams;
}

/** What parseRunFlags reads of run-options.ts' RunOptions: typed, docker's API forms. */
export interface RunFlagOptions {
  labels?: Record<string, string>; addHost?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOption?: string[];
  devices?: DeviceMapping[]; deviceCgroupRule?: string[]; pid?: string; ipc?: string; uts?: string; sysctls?: Record<string, string>;
  stopSignal?: string; stopTimeout?: number; attach?: AttachStreams; detach?: boolean; hostname?: string;
}

/**
 * The flags as docker's CLI parses them and dockerd checks them against each other and the
 * network plan; container:NAME modes name a running container, recorded by its id.
 */
export async function parseRunFlags(paths: StorePaths, o: RunFlagOptions, image: ImageRuntimeConfig, network: { mode: string; joined?: unknown }): Promise<RunFlags> {
  const attach = checkAttach(o.attach, !!o.detach);
  // As dockerd merges them: the image's labels under the container's.
  const labels = { ...(image.Labels ?? {}), ...(o.labels ?? {}) };
  const extraHosts = parseExtraHosts(o.addHost);
  const dns = parseDns(o.dns);
  const dnsSearch = parseDnsSearch(o.dnsSearch);
  const dnsOptions = o.dnsOption ?? [];
  const deviceMappings = checkDevices(o.devices);
  const deviceCgroupRules = parseDeviceCgroupRules(o.deviceCgroupRule);
  let pidMode = parsePidMode(o.pid);
  let ipcMode = parseIpcMode(o.ipc);
  const utsMode = parseUtsMode(o.uts);
  const stopTimeout = checkStopTimeout(o.stopTimeout);
  const joinedNet = network.mode.startsWith('container:');
  if (joinedNet && extraHosts.length) throw engineError('conflicting options: custom host-to-IP mapping and the network mode');
  if (joinedNet && (dns.length || dnsSearch.length || dnsOptions.length)) throw engineError('conflicting options: dns and the network mode');
  if (utsMode === 'host' && o.hostname !== undefined) throw engineError('conflicting options: hostname and the UTS mode');
  const { find, signalNumber } = await import('./lifecycle');
  const donor = (ref: string, kind: string): ContainerRecord => {
    let rec: ContainerRecord;
    try {
      rec = find(paths, ref);
    } catch (e) {
      throw engineError((e as Error).message);
    }
    if (!rec.State.Running) throw engineError(`cannot join ${kind} of a non running container: ${rec.Id}`);
    return rec;
  };
  if (pidMode.startsWith('container:')) pidMode = `container:${donor(pidMode.slice(10), 'PID').Id}`;
  if (ipcMode.startsWith('container:')) {
    const d = donor(ipcMode.slice(10), 'IPC');
    // As dockerd: only a donor made to share its IPC namespace (and its /dev/shm) is joined.
    if (d.HostConfig.IpcMode !== 'shareable') throw engineError(`container ${d.Id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    ipcMode = `container:${d.Id}`;
  }
  const sysctls = checkSysctls(o.sysctls, { ownNetwork: network.mode !== 'host', ownIpc: ipcMode !== 'host' });
  const stopSignal = o.stopSignal ?? image.StopSignal;
  if (o.stopSignal !== undefined) {
    try {
      signalNumber(o.stopSignal);
    } catch {
      throw engineError(`Invalid signal: ${o.stopSignal}`);
    }
  }
  return {
    labels, extraHosts, dns, dnsSearch, dnsOptions, deviceMappings, devices: resolveDevices(deviceMappings), deviceCgroupRules,
    pidMode, ipcMode, utsMode, sysctls, stopSignal, stopTimeout, attach,
  };
}

/**
 * --pid and --ipc container:NAME: that container's namespaces, open, from its verified
 * process (checked again once open: the namespaces are that container's, not a recycled
 * pid's), for the monitor to join at each start.
 */
export async function joinedNamespaces(paths: StorePaths, rec: ContainerRecord): Promise<{ pid?: number; ipc?: number; close(): void }> {
  const out: { pid?: number; ipc?: number; close(): void } = { close: () => undefined };
  const fds: number[] = [];
  out.close = () => {
    for (const fd of fds.splice(0)) fs.closeSync(fd);
  };
  const { find, startedProcess } = await import('./lifecycle');
  try {
    for (const [kind, mode, file] of [['PID', rec.HostConfig.PidMode, 'pid'], ['IPC', rec.HostConfig.IpcMode, 'ipc']] as const) {
      if (!mode?.startsWith('container:')) continue;
      const ref = mode.slice(10);
      const what = `cannot join ${kind} of container ${ref}`;
      let other: ContainerRecord;
      try {
        other = find(paths, ref);
      } catch {
        throw engineError(`${what}: no such container`);
      }
      if (!other.State.Running) throw engineError(`cannot join ${kind} of a non running container: ${other.Id}`);
      const { pid } = startedProcess(paths, other, what);
      const fd = fs.openSync(`/proc/${pid}/ns/${file}`, 'r');
      fds.push(fd);
      if (startedProcess(paths, find(paths, ref), what).pid !== pid) throw engineError(`${what}: container ${other.Id} is not running`);
      out[file] = fd;
    }
  } catch (e) {
    out.close();
    throw e;
  }
  return out;
}
