// `network create|ls|inspect|rm|prune`: user-defined bridge networks, as dockerd manages them.
import * as fs from 'node:fs';
import { loadConfig } from '../config';
import { GockerError } from '../errors';
import { acquireLock } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import { ensureBridge, removeBridge } from './bridge';
import { contains, formatAddress, formatSubnet, hostRoutes, lastAddress, overlaps, parseAddress, parseCidr, type Subnet } from './ipv4';
import {
  BRIDGE_NAME_OPTION, PREDEFINED, addressing, findNetwork, freeSubnet, listNetworks, networkLock, newNetwork, removeNetworkRecord, saveNetwork,
  type NetworkRecord,
} from './store';
import { networkEvent } from '../events';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** What `network create` takes besides the name. */
export interface CreateOptions {
  /** 'bridge' (the default) is the only one that can be made */
  driver?: string;
  /** its IPv4 subnet in CIDR form (default: the next free one of the address pools) */
  subnet?: string;
  /** the bridge's address in the subnet (default: its first) */
  gateway?: string;
  /** no route out: its containers reach only each other */
  internal?: boolean;
  /** KEY=VALUE labels */
  labels?: string[];
}

function routesOfHost(): Subnet[] {
  try {
    return hostRoutes(fs.readFileSync('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}

/** A new bridge network, its bridge made at once (as dockerd does); returns it. */
export async function createNetwork(paths: StorePaths, name: string, o: CreateOptions): Promise<NetworkRecord> {
  if (!NAME.test(name)) throw new GockerError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { exitCode: 1 });
  if ((o.driver ?? 'bridge') !== 'bridge') throw new GockerError(`plugin "${o.driver}" not found: gocker has the bridge driver only`, { exitCode: 1 });
  const labels: Record<string, string> = {};
  for (const l of o.labels ?? []) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  await listNetworks(paths); // the predefined ones first
  const release = await acquireLock(networkLock(paths));
  let n: NetworkRecord;
  try {
    const all = await listNetworks(paths);
    if (all.some((x) => x.Name === name)) throw new GockerError(`network with name ${name} already exists`, { exitCode: 1 });
    const taken = all.filter((x) => x.Driver === 'bridge').map((x) => addressing(x).subnet);
    let subnet: Subnet;
    if (o.subnet !== undefined) {
      const c = parseCidr(o.subnet);
      if (!c || c.subnet.prefix > 30) throw new GockerError(`invalid subnet ${o.subnet}: an IPv4 network and prefix (such as 10.90.0.0/24) of /30 or larger`, { exitCode: 1 });
      if (c.address !== c.subnet.base) throw new GockerError(`invalid subnet ${o.subnet}: it should be ${formatSubnet(c.subnet)}`, { exitCode: 1 });
      if (taken.some((t) => overlaps(t, c.subnet))) throw new GockerError('Pool overlaps with other one on this address space', { exitCode: 1 });
      subnet = c.subnet;
    } else {
      if (o.gateway !== undefined) throw new GockerError('--gateway needs --subnet', { exitCode: 1 });
      subnet = freeSubnet(taken, loadConfig().defaultAddressPools, routesOfHost());
    }
    let gateway = subnet.base + 1;
    if (o.gateway !== undefined) {
      const gw = parseAddress(o.gateway);
      if (gw === undefined || !contains(subnet, gw) || gw === subnet.base || gw === lastAddress(subnet)) {
        throw new GockerError(`no matching subnet for gateway ${o.gateway}`, { exitCode: 1 });
      }
      gateway = gw;
    }
    n = newNetwork(name, 'bridge', {
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: formatSubnet(subnet), Gateway: formatAddress(gateway) }] },
      Internal: !!o.internal, Labels: labels,
    });
    // docker's br-<id> form, as gocker's own: gk-<the network id's first 12 digits>.
    n.Options = { [BRIDGE_NAME_OPTION]: `gk-${n.Id.slice(0, 12)}` };
    saveNetwork(paths, n);
  } finally {
    release();
  }
  try {
    ensureBridge(n);
  } catch (e) {
    removeBridge(n);
    removeNetworkRecord(paths, n);
    throw e;
  }
  networkEvent(paths, 'create', n);
  return n;
}

/** A container as the network commands see it: the networks it is on, and whether it runs. */
export interface NetworkMember {
  Id: string;
  Name: string;
  State: { Running: boolean };
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string; EndpointID?: string; MacAddress?: string; IPAddress?: string; IPPrefixLen?: number }> };
}

/**
 * The store's containers, their state up to date: given by the container package
 * (container/network.ts networkMembers), which is built on this one.
 */
export type MemberList = () => NetworkMember[];

function containersOn(members: MemberList, n: NetworkRecord): NetworkMember[] {
  return members().filter((r) => Object.values(r.NetworkSettings?.Networks ?? {}).some((e) => e.NetworkID === n.Id));
}

/** docker's `network inspect` object: the record, with the running containers on it. */
export async function inspectNetwork(paths: StorePaths, ref: string, members: MemberList): Promise<NetworkRecord & { Containers: Record<string, unknown> }> {
  const n = await findNetwork(paths, ref);
  const Containers: Record<string, unknown> = {};
  for (const r of containersOn(members, n).filter((c) => c.State.Running)) {
    const ep = Object.values(r.NetworkSettings?.Networks ?? {}).find((e) => e.NetworkID === n.Id)!;
    Containers[r.Id] = { Name: r.Name.slice(1), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '', IPv6Address: '' };
  }
  const { Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Options, Labels } = n;
  return { Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Containers, Options, Labels };
}

/** `network rm`: not a predefined one, nor one a running container is on (docker's "active endpoints"). */
export async function removeNetwork(paths: StorePaths, ref: string, members: MemberList): Promise<NetworkRecord> {
  const n = await findNetwork(paths, ref);
  if (PREDEFINED.includes(n.Name)) throw new GockerError(`${n.Name} is a pre-defined network and cannot be removed`, { exitCode: 1 });
  if (containersOn(members, n).some((r) => r.State.Running)) {
    throw new GockerError(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, { exitCode: 1 });
  }
  const release = await acquireLock(networkLock(paths));
  try {
    removeBridge(n);
    removeNetworkRecord(paths, n);
  } finally {
    release();
  }
  networkEvent(paths, 'destroy', n);
  return n;
}

/** `network prune`: the user networks no container (running or not) is on; returns their names. */
export async function pruneNetworks(paths: StorePaths, members: MemberList): Promise<string[]> {
  const removed: string[] = [];
  for (const n of await listNetworks(paths)) {
    if (PREDEFINED.includes(n.Name) || containersOn(members, n).length) continue;
    await removeNetwork(paths, n.Id, members);
    removed.push(n.Name);
  }
  return removed.sort();
}
