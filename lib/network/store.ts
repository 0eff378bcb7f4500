// Networks and their address allocations, under the store root (they outlive a reboot, as
// the containers holding the addresses do):
//   ROOT/networks/<id>/network.json   the network, in docker's `network inspect` shape
//   ROOT/networks/<id>/ipam.json      address -> container id, and the last one given
// Both change under the store's network lock (networkLock). The predefined networks
// (bridge, host, none) are made the first time any network is looked up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config';
import { GockerError, isErrno } from '../errors';
import { native } from '../native';
import { acquireLock, writeFileAtomic } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { PRIVATE_DIR, PRIVATE_FILE } from '../store/perms';
import { recordFile, tryLockContainer } from '../store/records';
import { contains, formatAddress, formatSubnet, lastAddress, overlaps, parseAddress, parseCidr, type Subnet } from './ipv4';

/** A network as `network inspect` shows it (docker's NetworkResource, the fields gocker has), and as it is stored. */
export interface NetworkRecord {
  /** its name: bridge, host, none, or a user network's */
  Name: string;
  /** 64 hex chars */
  Id: string;
  /** RFC 3339 with nanoseconds */
  Created: string;
  /** 'local': this host's */
  Scope: 'local';
  /** bridge for the default bridge and user networks; host and null for the predefined others */
  Driver: 'bridge' | 'host' | 'null';
  /** gocker's networks are IPv4 */
  EnableIPv6: false;
  /** its subnet and gateway */
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway: string }> };
  /** --internal: no route out */
  Internal: boolean;
  /** swarm's: never */
  Attachable: false;
  /** swarm's: never */
  Ingress: false;
  /** swarm's config networks: never used */
  ConfigFrom: { Network: string };
  /** swarm's config networks: never */
  ConfigOnly: false;
  /** the driver's options (com.docker.network.bridge.name: the bridge's interface) */
  Options: Record<string, string>;
  /** --label */
  Labels: Record<string, string>;
}

export const PREDEFINED = ['bridge', 'host', 'none'];
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const DEFAULT_BRIDGE_OPTION = 'com.docker.network.bridge.default_bridge';

export const networkLock = (paths: StorePaths): string => paths.lock('networks');
const networksDir = (paths: StorePaths): string => path.join(paths.root, 'networks');
const networkDir = (paths: StorePaths, id: string): string => {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new GockerError(`refusing network id ${JSON.stringify(id)}: not 64 hex digits`);
  return path.join(networksDir(paths), id);
};

/** The network's bridge interface (docker's option name), for a bridge network. */
export function bridgeOf(n: NetworkRecord): string {
  return n.Options[BRIDGE_NAME_OPTION];
}

export function isDefaultBridge(n: NetworkRecord): boolean {
  return n.Options[DEFAULT_BRIDGE_OPTION] === 'true';
}

/** The subnet and gateway of a bridge network, checked as they are read back. */
export function addressing(n: NetworkRecord): { subnet: Subnet; gateway: number } {
  const c = n.IPAM.Config[0];
  const cidr = c && parseCidr(c.Subnet);
  const gateway = c && parseAddress(c.Gateway);
  if (!cidr || gateway === undefined || !contains(cidr.subnet, gateway)) throw new GockerError(`network ${n.Name} has no usable subnet recorded`);
  return { subnet: cidr.subnet, gateway };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if (isErrno(e, 'ENOENT') || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

function listStored(paths: StorePaths): NetworkRecord[] {
  let ids: string[];
  try {
    ids = fs.readdirSync(networksDir(paths));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return [];
    throw e;
  }
  return ids.filter((id) => /^[0-9a-f]{64}$/.test(id))
    .map((id) => readJson<NetworkRecord>(path.join(networkDir(paths, id), 'network.json')))
    .filter((n): n is NetworkRecord => n !== undefined);
}

export function saveNetwork(paths: StorePaths, n: NetworkRecord): void {
  const dir = networkDir(paths, n.Id);
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  writeFileAtomic(path.join(dir, 'network.json'), `${JSON.stringify(n, null, 2)}\n`, PRIVATE_FILE);
}

export function removeNetworkRecord(paths: StorePaths, n: NetworkRecord): void {
  fs.rmSync(networkDir(paths, n.Id), { recursive: true, force: true });
}

export function newNetwork(name: string, driver: NetworkRecord['Driver'], o: Partial<NetworkRecord> = {}): NetworkRecord {
  return {
    Name: name, Id: native().randomHex(32), Created: new Date().toISOString(), Scope: 'local', Driver: driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {}, ...o,
  };
}

/** The default bridge network as the config describes it (docker's options, with gocker's bridge). */
function defaultBridge(): NetworkRecord {
  const cfg = loadConfig();
  const bip = parseCidr(cfg.bip);
  if (!bip || bip.address === bip.subnet.base || bip.address === lastAddress(bip.subnet) || bip.subnet.prefix > 30) {
    throw new GockerError(`invalid "bip" in gocker's config: ${JSON.stringify(cfg.bip)} (an address and prefix, such as 10.77.0.1/16)`);
  }
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(cfg.bridge)) throw new GockerError(`invalid "bridge" in gocker's config: ${JSON.stringify(cfg.bridge)} (an interface name of at most 15 characters)`);
  return newNetwork('bridge', 'bridge', {
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: formatSubnet(bip.subnet), Gateway: formatAddress(bip.address) }] },
    Options: {
      [DEFAULT_BRIDGE_OPTION]: 'true', 'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0', [BRIDGE_NAME_OPTION]: cfg.bridge, 'com.docker.network.driver.mtu': '1500',
    },
  });
}

/**
 * Every network of the store, the predefined ones made first if missing. The default
 * bridge follows the config while no container holds an address on it.
 */
export async function listNetworks(paths: StorePaths): Promise<NetworkRecord[]> {
  const stored = listStored(paths);
  const bridge = stored.find((n) => n.Name === 'bridge');
  if (bridge && stored.some((n) => n.Name === 'host') && stored.some((n) => n.Name === 'none') && !configChanged(paths, bridge)) return stored;
  const release = await acquireLock(networkLock(paths));
  try {
    return predefinedLocked(paths);
  } finally {
    release();
  }
}

function configChanged(paths: StorePaths, bridge: NetworkRecord): boolean {
  const want = defaultBridge();
  if (bridgeOf(want) === bridgeOf(bridge) && want.IPAM.Config[0].Subnet === bridge.IPAM.Config[0].Subnet && want.IPAM.Config[0].Gateway === bridge.IPAM.Config[0].Gateway) return false;
  return Object.keys(readIpam(paths, bridge.Id).addresses).length === 0;
}

function predefinedLocked(paths: StorePaths): NetworkRecord[] {
  fs.mkdirSync(networksDir(paths), { recursive: true, mode: PRIVATE_DIR });
  const stored = listStored(paths);
  const bridge = stored.find((n) => n.Name === 'bridge');
  if (!bridge) {
    const n = defaultBridge();
    saveNetwork(paths, n);
    stored.push(n);
  } else if (configChanged(paths, bridge)) {
    const want = defaultBridge();
    Object.assign(bridge, { IPAM: want.IPAM, Options: want.Options });
    saveNetwork(paths, bridge);
  }
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    if (stored.some((n) => n.Name === name)) continue;
    const n = newNetwork(name, driver);
    saveNetwork(paths, n);
    stored.push(n);
  }
  return stored;
}

/** A network by name, full id or unique id prefix, as docker finds one. */
export async function findNetwork(paths: StorePaths, ref: string): Promise<NetworkRecord> {
  const all = await listNetworks(paths);
  const found = all.find((n) => n.Name === ref) ?? all.find((n) => n.Id === ref);
  if (found) return found;
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.Id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw new GockerError(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`, { exitCode: 1 });
  throw new GockerError(`network ${ref} not found`, { code: 'ENONETWORK', exitCode: 1 });
}

// ---- addresses ----

interface Ipam {
  addresses: Record<string, string>;
  /** the last address given: the next search starts after it, as docker's allocator does */
  last?: string;
}

function readIpam(paths: StorePaths, id: string): Ipam {
  const j = readJson<Ipam>(path.join(networkDir(paths, id), 'ipam.json'));
  return { addresses: j?.addresses && typeof j.addresses === 'object' ? j.addresses : {}, last: j?.last };
}

function writeIpam(paths: StorePaths, id: string, ipam: Ipam, durable: boolean): void {
  writeFileAtomic(path.join(networkDir(paths, id), 'ipam.json'), `${JSON.stringify(ipam)}\n`, PRIVATE_FILE, durable);
}

/**
 * Whether the container holding an address is gone: no record, and nobody holding its lock
 * (a run takes the container's lock before it asks for an address and keeps it until the
 * record is saved). A CLI killed in between left the address; this takes it back.
 */
function holderGone(paths: StorePaths, id: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(id)) return true;
  const record = recordFile(paths, id);
  if (fs.existsSync(record)) return false;
  const release = tryLockContainer(paths, id);
  if (release === 'busy') return false;
  if (release === 'gone') return true;
  release();
  return false;
}

/**
 * An address on network n for container id: `wanted` (--ip) or the next free one after the
 * last given. Under the network lock, which the caller holds. Addresses whose container is
 * gone are taken back first. durable: fsync'd (not for a --rm container, which a crash
 * removes anyway).
 */
export function allocateAddress(paths: StorePaths, n: NetworkRecord, id: string, wanted: string | undefined, durable: boolean): string {
  const { subnet, gateway } = addressing(n);
  const ipam = readIpam(paths, n.Id);
  for (const [addr, holder] of Object.entries(ipam.addresses)) {
    if (holder === id) return addr;
    if (holderGone(paths, holder)) delete ipam.addresses[addr];
  }
  const first = subnet.base + 1;
  const last = lastAddress(subnet) - 1;
  let chosen: number | undefined;
  if (wanted !== undefined) {
    const w = parseAddress(wanted);
    if (w === undefined || !contains(subnet, w) || w < first || w > last) {
      throw new GockerError(`invalid address ${wanted}: it does not belong to any of this network's subnets (${formatSubnet(subnet)})`);
    }
    if (w === gateway || ipam.addresses[wanted]) throw new GockerError(`Address already in use`);
    chosen = w;
  } else {
    const from = parseAddress(ipam.last ?? '') ?? gateway;
    const size = last - first + 1;
    for (let i = 1; i <= size; i++) {
      const a = first + ((from - first + i) % size + size) % size;
      if (a !== gateway && !ipam.addresses[formatAddress(a)]) {
        chosen = a;
        break;
      }
    }
    if (chosen === undefined) throw new GockerError(`no available IPv4 addresses on this network's address pools: ${n.Name} (${n.Id.slice(0, 12)})`);
    ipam.last = formatAddress(chosen);
  }
  ipam.addresses[formatAddress(chosen)] = id;
  writeIpam(paths, n.Id, ipam, durable);
  return formatAddress(chosen);
}

/** Gives back every address container id holds on network n. Under the network lock. */
export function releaseAddresses(paths: StorePaths, n: NetworkRecord, id: string): void {
  const ipam = readIpam(paths, n.Id);
  const before = Object.keys(ipam.addresses).length;
  for (const [addr, holder] of Object.entries(ipam.addresses)) if (holder === id) delete ipam.addresses[addr];
  if (Object.keys(ipam.addresses).length !== before) writeIpam(paths, n.Id, ipam, true);
}

/** The containers holding addresses on network n (stale ones included). */
export function addressHolders(paths: StorePaths, n: NetworkRecord): Map<string, string> {
  return new Map(Object.entries(readIpam(paths, n.Id).addresses).map(([a, id]) => [id, a]));
}

/**
 * A subnet for a new network: the first of the pools' blocks that overlaps no network of the
 * store and no route of the host's (docker's rule, so a container's neighbours stay reachable).
 */
export function freeSubnet(taken: Subnet[], pools: Array<{ base: string; size: number }>, routes: Subnet[]): Subnet {
  for (const pool of pools) {
    const p = parseCidr(pool.base);
    if (!p || !(pool.size >= p.subnet.prefix && pool.size <= 30)) throw new GockerError(`invalid default-address-pools entry in gocker's config: ${JSON.stringify(pool)}`);
    const step = 2 ** (32 - pool.size);
    for (let base = p.subnet.base; base <= lastAddress(p.subnet); base += step) {
      const s = { base, prefix: pool.size };
      if (!taken.some((t) => overlaps(t, s)) && !routes.some((r) => overlaps(r, s))) return s;
    }
  }
  throw new GockerError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}
