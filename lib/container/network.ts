// A container's networks (lib/network has the networks themselves): none and host (the monitor alone), a bridge network (the default
// `bridge`, or one made by `network create`), or another container's (container:NAME).
//
// For a bridge network the container gets its own network namespace from the monitor, as
// for none; gocker sets it up from outside, in the window between the monitor reporting the
// container's pid (its namespaces made) and the CLI releasing it to run its command:
//   plan (run's prepare)   the flags checked against the networks; nothing made
//   connect (each start)   an address from the network's IPAM (kept until rm), the host
//                          ports bound and held (by the monitor, while it runs)
//   attach (before "go")   the bridge made if missing, a veth pair into the namespace with
//                          the address and default route, the DNAT rules of the ports, the
//                          /etc/hosts of the container and its neighbours
//   stopped (its exit)     the DNAT rules go; the veth pair goes with the namespace
//   disconnect/connect     of the network that carries the published ports (the first): the
//                          rules go and the monitor lets go of the host ports at once; they
//                          are published again on the next network connected, as dockerd
//                          does, the monitor given the new sockets to hold
//   release (rm)           the addresses go back; the neighbours' /etc/hosts forget it
// Names on a user network resolve through /etc/hosts, which gocker rewrites in place in
// every member (a bind mount of a file in the container's directory) as members come and
// go: no resolver to keep running beside daemonless containers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GockerError, InvalidOptionError, isErrno } from '../errors';
import { log } from '../log';
import { native } from '../native';
import { acquireLock } from '../store/atomic';
import type { StorePaths } from '../store/paths';
import type { ContainerRecord, EndpointSettings } from './record';
import { ensureBridge, randomMac } from '../network/bridge';
import { addPortRules, removePortRules, type PortRule } from '../network/firewall';
import { hostGateway } from '../network';
import { addressing, allocateAddress, findNetwork, isDefaultBridge, listNetworks, networkLock, releaseAddresses, type NetworkRecord } from '../network/store';
import { extraHostsLines } from './runflags';
import { checkPortBindings, exposedKeys, exposedPortKeys, holdPorts, portsShown, publishedBindings, releaseHeld, type HeldPort, type PortMap, type Proto } from '../network/ports';
import { networkEvent } from '../events';
import type { MemberList } from '../network/manage';
import { ATTACH_SOCKET, markExitRelease } from './state';

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** run/create's network options, as docker's flags give them. */
export interface NetworkOptions {
  /** none, host, bridge (the default), a network's name, or container:NAME */
  network?: string;
  /** --network-alias: more names on a user network */
  networkAlias?: string[];
  /** --ip: the address on a user network */
  ip?: string;
  /** HostConfig.PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } (the CLI reads -p into it) */
  portBindings?: PortMap;
  /** -P: every exposed port on a random host port */
  publishAll?: boolean;
  /** Config.ExposedPorts: { '80/tcp': {} } ('8000-8002/udp' for a range), over the image's */
  exposedPorts?: Record<string, object>;
}

export interface NetworkPlan {
  /** HostConfig.NetworkMode */
  mode: string;
  /** container:NAME: the container whose network (and hosts, resolv.conf, hostname) is shared */
  joined?: ContainerRecord;
  /** the networks joined, by name (empty for none, host and container:) */
  networks: Record<string, EndpointSettings>;
  portBindings: PortMap;
  exposed: string[];
}

export const BASE_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

function endpoint(n: NetworkRecord, aliases: string[] | null, ip: string | undefined): EndpointSettings {
  return {
    IPAMConfig: ip ? { IPv4Address: ip } : null, Links: null, Aliases: aliases, MacAddress: '', DriverOpts: null, NetworkID: n.Id, EndpointID: '',
    Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

/** The flags against the store's networks, as dockerd checks them; nothing is made. */
export async function planNetworking(paths: StorePaths, o: NetworkOptions, imageExposed: string[]): Promise<NetworkPlan> {
  const mode = o.network ?? 'bridge';
  const exposed = new Set<string>();
  for (const e of imageExposed) for (const k of exposedKeys(e)) exposed.add(k);
  for (const e of Object.keys(o.exposedPorts ?? {})) for (const k of exposedPortKeys(e)) exposed.add(k);
  const { portBindings, exposed: published } = checkPortBindings(o.portBindings ?? {});
  for (const k of published) exposed.add(k);
  // Only publishAll publishes a port that has no binding (null or [], as given or exposed
  // alone), at each start (publishedBindings): the record keeps the bindings as given.
  const plan: NetworkPlan = { mode, networks: {}, portBindings, exposed: [...exposed] };
  if (mode.startsWith('container:')) {
    const { find } = await import('./lifecycle');
    let other: ContainerRecord;
    try {
      other = find(paths, mode.slice('container:'.length));
    } catch (e) {
      throw engineError((e as Error).message);
    }
    if (!other.State.Running) throw engineError(`cannot join network namespace of a non running container: ${other.Id}`);
    plan.mode = `container:${other.Id}`;
    plan.joined = other;
  }
  if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) {
    if (o.networkAlias?.length) throw engineError('network-scoped alias is supported only for containers in user defined networks');
    if (o.ip) throw engineError('user specified IP address is supported on user defined networks only');
    if (mode === 'host' && Object.keys(portBindings).length) log.warn('Published ports are discarded when using host network mode');
    if (mode.startsWith('container:') && (Object.keys(portBindings).length || o.publishAll)) throw engineError('conflicting options: port publishing and the container type network mode');
    plan.portBindings = mode === 'none' ? portBindings : {};
    return plan;
  }
  let n: NetworkRecord;
  try {
    n = await findNetwork(paths, mode);
  } catch (e) {
    // The option names what the store lacks: the library's InvalidOptionError, the CLI's line as before.
    if ((e as GockerError).code === 'ENONETWORK') throw new InvalidOptionError('network', `network ${mode} not found`, { exitCode: 125, cause: e });
    throw e;
  }
  if (n.Driver !== 'bridge') {
    // `--network <id of host>` and the like: the predefined ones by their names.
    return planNetworking(paths, { ...o, network: n.Driver === 'null' ? 'none' : 'host' }, imageExposed);
  }
  const userDefined = !isDefaultBridge(n);
  if (o.networkAlias?.length && !userDefined) throw engineError('network-scoped alias is supported only for containers in user defined networks');
  if (o.ip && !userDefined) throw engineError('user specified IP address is supported on user defined networks only');
  plan.mode = userDefined ? n.Name : 'bridge';
  plan.networks[n.Name] = endpoint(n, o.networkAlias?.length ? o.networkAlias : null, o.ip);
  return plan;
}

/** Whether the container has networks of its own for gocker to set up (bridge ones). */
export function hasBridgeNetworks(rec: ContainerRecord): boolean {
  return Object.values(rec.NetworkSettings?.Networks ?? {}).some((e) => typeof (e as EndpointSettings).NetworkID === 'string' && (e as EndpointSettings).NetworkID !== '');
}

const endpoints = (rec: ContainerRecord): Array<[string, EndpointSettings]> =>
  Object.entries(rec.NetworkSettings.Networks).filter((e): e is [string, EndpointSettings] => typeof (e[1] as EndpointSettings).NetworkID === 'string' && (e[1] as EndpointSettings).NetworkID !== '');

/** What launch needs of the networking of one start. */
export interface NetworkHook {
  /** fds for the monitor to hold while the container runs (the published ports' sockets) */
  hold: number[];
  /** container:NAME: that container's network namespace, open, for the monitor to join */
  netns?: number;
  /** sets up the network namespace of the container process pid, before it is released */
  attach?(pid: number): Promise<void>;
  /** closes this process's copies of what the monitor holds */
  close(): void;
}

/**
 * The hook of one start: a bridge network's (connectContainer), or the open network
 * namespace of the container that container:NAME joins, from its verified process (checked
 * again once open, so the namespace is that container's, not a recycled pid's).
 */
export async function networkHook(paths: StorePaths, rec: ContainerRecord, durable: boolean): Promise<NetworkHook | undefined> {
  const mode = rec.HostConfig.NetworkMode;
  if (!mode.startsWith('container:')) return connectContainer(paths, rec, durable);
  const { find, startedProcess } = await import('./lifecycle');
  const ref = mode.slice('container:'.length);
  const what = 'cannot join network namespace';
  let other: ContainerRecord;
  try {
    other = find(paths, ref);
  } catch {
    throw engineError(`${what}: no such container: ${ref}`);
  }
  if (!other.State.Running) throw engineError(`${what} of a non running container: ${other.Id}`);
  const { pid } = startedProcess(paths, other, what);
  const fd = fs.openSync(`/proc/${pid}/ns/net`, 'r');
  if (startedProcess(paths, find(paths, ref), what).pid !== pid) {
    fs.closeSync(fd);
    throw engineError(`${what}: container ${other.Id} is not running`);
  }
  return { hold: [], netns: fd, close: () => fs.closeSync(fd) };
}

/**
 * A start's addresses and host ports, into the record (which the caller saves); undefined for
 * a container without bridge networks. durable: the IPAM change is fsync'd (not for --rm).
 */
export async function connectContainer(paths: StorePaths, rec: ContainerRecord, durable: boolean): Promise<NetworkHook | undefined> {
  if (!hasBridgeNetworks(rec)) return undefined;
  const all = await listNetworks(paths);
  const nets = new Map<string, NetworkRecord>();
  const release = await acquireLock(networkLock(paths));
  try {
    for (const [name, ep] of endpoints(rec)) {
      const n = all.find((x) => x.Id === ep.NetworkID);
      if (!n) throw engineError(`network ${name} not found`);
      const { subnet, gateway } = addressing(n);
      ep.IPAddress = allocateAddress(paths, n, rec.Id, ep.IPAMConfig?.IPv4Address, durable);
      ep.IPPrefixLen = subnet.prefix;
      ep.Gateway = n.Internal ? '' : formatGateway(gateway);
      ep.MacAddress ||= randomMac();
      ep.EndpointID ||= native().randomHex(32);
      ep.DNSNames = isDefaultBridge(n) ? null : [...new Set([rec.Name.slice(1), rec.Id.slice(0, 12), ...(ep.Aliases ?? [])])];
      nets.set(name, n);
      if (isDefaultBridge(n)) {
        Object.assign(rec.NetworkSettings, { IPAddress: ep.IPAddress, Gateway: ep.Gateway, IPPrefixLen: ep.IPPrefixLen, MacAddress: ep.MacAddress, EndpointID: ep.EndpointID });
      }
    }
  } finally {
    release();
  }
  const [firstName, first] = endpoints(rec)[0];
  const held = holdPorts(published(rec), rec.NetworkSettings.Ports ?? {}, `${rec.Name.slice(1)} (${first.EndpointID})`);
  rec.NetworkSettings.Ports = portsShown(Object.keys(rec.Config.ExposedPorts ?? {}), held);
  rec.NetworkSettings.SandboxID = '';
  return {
    hold: held.map((h) => h.fd).filter((fd): fd is number => fd !== null),
    attach: async (pid: number) => {
      const rules: PortRule[] = held.map((h) => ({
        hostIp: h.hostIp, hostPort: h.hostPort, proto: h.key.split('/')[1] as Proto, containerIp: first.IPAddress, containerPort: Number(h.key.split('/')[0]),
      }));
      try {
        for (const n of nets.values()) ensureBridge(n);
        let ns: number;
        try {
          ns = fs.openSync(`/proc/${pid}/ns/net`, 'r');
        } catch (e) {
          // The container's process failed in its own set-up meanwhile (a zombie has no
          // namespaces): the monitor reports why once released; there is nothing to attach.
          if (isErrno(e, 'ENOENT') || isErrno(e, 'ESRCH')) return;
          throw e;
        }
        try {
          let i = 0;
          // One default route: through the first network that has a gateway (a container
          // connected to more networks reaches the others' subnets directly).
          let routed = false;
          for (const [name, ep] of endpoints(rec)) {
            const n = nets.get(name)!;
            native().netAttachVeth({
              netns: ns, host: `gkv${native().randomHex(6)}`, peer: `eth${i++}`, bridge: n.Options['com.docker.network.bridge.name'],
              mac: ep.MacAddress, address: ep.IPAddress, prefixLength: ep.IPPrefixLen, gateway: routed ? '' : ep.Gateway,
            });
            routed ||= ep.Gateway !== '';
          }
        } finally {
          fs.closeSync(ns);
        }
        if (rules.length) markExitRelease(paths, rec.Id);
        addPortRules(rec.Id, rules);
        await writeHosts(paths, rec, [...nets.values()].filter((n) => !isDefaultBridge(n)));
        log.debug('network attached', { id: rec.Id.slice(0, 12), network: firstName, address: first.IPAddress });
      } catch (e) {
        if (rules.length) removePortRules(rec.Id);
        throw e;
      }
    },
    close: () => releaseHeld(held),
  };
}

// ---- network connect / disconnect ----

// dockerd's words (runconfig's errors, libnetwork's), exit 1 as every `network` command's.
const refused = (msg: string): GockerError => new GockerError(msg, { exitCode: 1 });
const SHARED = 'container sharing network namespace with another container or host cannot be connected to any other network';
const HOST = 'container cannot be disconnected from host network or connected to host network';
const NONE = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';

/**
 * The network namespace of a container whose process is there (running, or created and
 * waiting for its start), open; undefined when it has none (stopped: its networks are made at
 * its next start). The pid is the monitor's verified child, checked again once the namespace
 * is open, so the namespace is that container's, not a recycled pid's.
 */
async function liveNamespace(paths: StorePaths, rec: ContainerRecord, what: string): Promise<{ fd: number; pid: number } | undefined> {
  const { containerPid } = await import('./lifecycle');
  let pid: number;
  try {
    pid = containerPid(paths, rec, what);
  } catch (e) {
    if (rec.State.Running) throw e;
    return undefined;
  }
  const fd = fs.openSync(`/proc/${pid}/ns/net`, 'r');
  let same = false;
  try {
    same = containerPid(paths, rec, what) === pid;
  } catch {
    /* gone meanwhile */
  }
  if (!same) {
    fs.closeSync(fd);
    if (rec.State.Running) throw refused(`${what}: container ${rec.Id} is not running`);
    return undefined;
  }
  return { fd, pid };
}

/** How `network connect` places the container on the network. */
export interface ConnectOptions {
  /** --alias */
  aliases?: string[];
  /** --ip */
  ip?: string;
}

/**
 * `network connect`: the network joins the container's record; a container whose process is
 * there (running, or created) gets its address from the network's IPAM and a veth pair into
 * its namespace at once, and its neighbours' /etc/hosts learn its names. A stopped one gets
 * them at its next start. Checked as dockerd checks it, under the container's lock.
 */
export async function connectNetwork(paths: StorePaths, netRef: string, ctrRef: string, o: ConnectOptions = {}): Promise<void> {
  const n = await findNetwork(paths, netRef);
  const { withContainer } = await import('./lifecycle');
  const { saveRecord } = await import('./state');
  await withContainer(paths, ctrRef, async (rec) => {
    const mode = rec.HostConfig.NetworkMode;
    const what = `cannot connect container ${rec.Id} to network ${n.Name}`;
    if (rec.State.Status === 'removing' || rec.State.Status === 'dead') {
      throw refused(`Container ${rec.Id} is marked for removal and cannot be connected or disconnected to the network`);
    }
    if (mode.startsWith('container:')) throw refused(SHARED);
    if (n.Driver === 'host' && mode !== 'host') throw refused(HOST);
    const userDefined = n.Driver === 'bridge' && !isDefaultBridge(n);
    if (!userDefined && o.ip) throw refused('user specified IP address is supported on user defined networks only');
    if (!userDefined && o.aliases?.length) throw refused('network-scoped alias is supported only for containers in user defined networks');
    const all = await listNetworks(paths);
    for (const [name, ep] of Object.entries(rec.NetworkSettings.Networks)) {
      const id = (ep as EndpointSettings).NetworkID;
      const sn = all.find((x) => (id ? x.Id === id : x.Name === name));
      if (!sn) continue;
      if (sn.Id === n.Id) {
        // A stopped container's record already has it: nothing to do, as dockerd does nothing.
        if (!rec.State.Running) return;
        throw refused(`endpoint with name ${rec.Name.slice(1)} already exists in network ${n.Name}`);
      }
      if (sn.Driver === 'host' || n.Driver === 'host') throw refused(SHARED);
      if (sn.Name === 'none' || n.Name === 'none') throw refused(NONE);
    }
    if (n.Driver !== 'bridge') {
      rec.NetworkSettings.Networks[n.Name] = {};
      saveRecord(paths, rec);
      return;
    }
    const ep = endpoint(n, o.aliases?.length ? o.aliases : null, o.ip);
    rec.NetworkSettings.Networks[n.Name] = ep;
    const live = await liveNamespace(paths, rec, what);
    if (live === undefined) {
      saveRecord(paths, rec);
      return;
    }
    let leased = false;
    let attached = false;
    let given = false;
    let held: HeldPort[] = [];
    const portsBefore = rec.NetworkSettings.Ports;
    const networksBefore = rec.NetworkSettings.Networks;
    try {
      const release = await acquireLock(networkLock(paths));
      try {
        const { subnet, gateway } = addressing(n);
        ep.IPAddress = allocateAddress(paths, n, rec.Id, ep.IPAMConfig?.IPv4Address, true);
        leased = true;
        ep.IPPrefixLen = subnet.prefix;
        ep.Gateway = n.Internal ? '' : formatGateway(gateway);
        ep.MacAddress = randomMac();
        ep.EndpointID = native().randomHex(32);
        ep.DNSNames = isDefaultBridge(n) ? null : [...new Set([rec.Name.slice(1), rec.Id.slice(0, 12), ...(ep.Aliases ?? [])])];
      } finally {
        release();
      }
      // No network carries the published ports (the one that did was disconnected): this one
      // does, unless internal, as dockerd publishes them on the first endpoint of a sandbox
      // without port mappings. Bound first: a port taken now fails the connect, as dockerd's.
      if (!publishes(rec) && !n.Internal && Object.values(published(rec)).some((l) => l?.length)) {
        try {
          held = holdPorts(published(rec), {}, `${rec.Name.slice(1)} (${ep.EndpointID})`);
        } catch (e) {
          if (e instanceof GockerError) throw refused(e.message);
          throw e;
        }
      }
      ensureBridge(n);
      // The default route stays where it is; a container without one gets this network's.
      const routed = endpoints(rec).some(([name, e]) => name !== n.Name && e.IPAddress !== '' && e.Gateway !== '');
      native().netAttachVeth({
        netns: live.fd, host: `gkv${native().randomHex(6)}`, peer: freeEthName(live.pid), bridge: n.Options['com.docker.network.bridge.name'],
        mac: ep.MacAddress, address: ep.IPAddress, prefixLength: ep.IPPrefixLen, gateway: routed ? '' : ep.Gateway,
      });
      attached = true;
      if (isDefaultBridge(n)) {
        Object.assign(rec.NetworkSettings, { IPAddress: ep.IPAddress, Gateway: ep.Gateway, IPPrefixLen: ep.IPPrefixLen, MacAddress: ep.MacAddress, EndpointID: ep.EndpointID });
      }
      const fds = held.map((h) => h.fd).filter((fd): fd is number => fd !== null);
      // A container that ended meanwhile publishes nothing (its stop took its rules down).
      if (held.length && (!fds.length || (given = monitorPorts(paths, rec, fds)))) {
        markExitRelease(paths, rec.Id);
        addPortRules(rec.Id, held.map((h) => ({
          hostIp: h.hostIp, hostPort: h.hostPort, proto: h.key.split('/')[1] as Proto, containerIp: ep.IPAddress, containerPort: Number(h.key.split('/')[0]),
        })));
        rec.NetworkSettings.Ports = portsShown(Object.keys(rec.Config.ExposedPorts ?? {}), held);
        // The carrier of the ports is the first network (attach at each start, disconnect).
        const { [n.Name]: self, ...rest } = rec.NetworkSettings.Networks;
        rec.NetworkSettings.Networks = { [n.Name]: self, ...rest };
      }
      saveRecord(paths, rec);
    } catch (e) {
      if (held.length) removePortRules(rec.Id);
      try {
        if (given) monitorPorts(paths, rec, null);
      } catch {
        /* its ports go with it when it exits */
      }
      if (attached) {
        try {
          native().netDeleteLinkIn(live.fd, ep.MacAddress);
        } catch {
          /* the namespace went with the container meanwhile */
        }
      }
      rec.NetworkSettings.Ports = portsBefore;
      rec.NetworkSettings.Networks = networksBefore;
      delete rec.NetworkSettings.Networks[n.Name];
      if (leased) {
        const release = await acquireLock(networkLock(paths));
        try {
          releaseAddresses(paths, n, rec.Id);
        } finally {
          release();
        }
      }
      throw e;
    } finally {
      // The monitor has its own copies (or the connect failed): the ports are its to hold.
      releaseHeld(held);
      fs.closeSync(live.fd);
    }
    await writeHosts(paths, rec, userNetworksOf(rec, all));
    networkEvent(paths, 'connect', n, rec.Id);
    log.debug('network connected', { id: rec.Id.slice(0, 12), network: n.Name, address: ep.IPAddress });
  });
}

/** The user networks among the container's. */
function userNetworksOf(rec: ContainerRecord, all: NetworkRecord[]): NetworkRecord[] {
  const ids = new Set(endpoints(rec).map(([, e]) => e.NetworkID));
  return all.filter((x) => ids.has(x.Id) && !isDefaultBridge(x));
}

/** The first of eth0, eth1, ... the network namespace of the container's process pid has no link of. */
function freeEthName(pid: number): string {
  // /proc/PID/net/dev: the kernel's list of the links of that process's namespace.
  const names = new Set(fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()));
  for (let i = 0; ; i++) if (!names.has(`eth${i}`)) return `eth${i}`;
}

/**
 * `network disconnect`: the container's link on the network goes (its address and routes
 * with it), its address goes back to the IPAM, its port rules go when they forwarded to that
 * address, and the /etc/hosts of the network's members forget it. -f: a network that is gone
 * is taken out of the record all the same.
 */
export async function disconnectNetwork(paths: StorePaths, netRef: string, ctrRef: string, force = false): Promise<void> {
  let n: NetworkRecord | undefined;
  try {
    n = await findNetwork(paths, netRef);
  } catch (e) {
    if (!force || (e as GockerError).code !== 'ENONETWORK') throw e;
  }
  const { withContainer } = await import('./lifecycle');
  const { saveRecord } = await import('./state');
  await withContainer(paths, ctrRef, async (rec) => {
    if (rec.State.Status === 'removing' || rec.State.Status === 'dead') {
      throw refused(`Container ${rec.Id} is marked for removal and cannot be connected or disconnected to the network`);
    }
    const name = n?.Name ?? netRef;
    if (rec.State.Running && n && rec.HostConfig.NetworkMode === 'host' && n.Driver === 'host') throw refused(HOST);
    const ep = rec.NetworkSettings.Networks[name] as EndpointSettings | Record<string, never> | undefined;
    if (!ep) throw refused(`container ${rec.Id} is not connected to ${rec.State.Running ? '' : 'the '}network ${name}`);
    const bridgeEp = typeof (ep as EndpointSettings).NetworkID === 'string' && (ep as EndpointSettings).NetworkID !== '' ? ep as EndpointSettings : undefined;
    if (bridgeEp && n) {
      const first = endpoints(rec)[0]?.[1] === bridgeEp;
      // The default route goes through the first network with a gateway (attach, connect):
      // when that one goes, the next such network takes it over, as docker's sandbox does.
      const gateways = endpoints(rec).filter(([, e]) => e.IPAddress !== '' && e.Gateway !== '');
      const heir = gateways[0]?.[1] === bridgeEp ? gateways[1]?.[1] : undefined;
      const live = await liveNamespace(paths, rec, `cannot disconnect container ${rec.Id} from network ${name}`);
      if (live !== undefined) {
        try {
          if (bridgeEp.MacAddress) native().netDeleteLinkIn(live.fd, bridgeEp.MacAddress);
          if (heir) native().netRouteVia(live.fd, heir.MacAddress, heir.Gateway);
        } finally {
          fs.closeSync(live.fd);
        }
      }
      // Published ports forward to the first network's address: their rules go with it, and
      // the host ports are let go at once (another container may publish them), as dockerd
      // frees them. Nothing carries them until a network is connected again.
      if (first && publishes(rec)) {
        removePortRules(rec.Id);
        if (live !== undefined) monitorPorts(paths, rec, null);
        rec.NetworkSettings.Ports = {};
      }
      const release = await acquireLock(networkLock(paths));
      try {
        releaseAddresses(paths, n, rec.Id);
      } finally {
        release();
      }
      if (isDefaultBridge(n)) Object.assign(rec.NetworkSettings, { IPAddress: '', Gateway: '', IPPrefixLen: 0, MacAddress: '', EndpointID: '' });
    }
    delete rec.NetworkSettings.Networks[name];
    saveRecord(paths, rec);
    // Its own /etc/hosts and the network's members'.
    if (bridgeEp && n) await writeHosts(paths, rec, [...(isDefaultBridge(n) ? [] : [n]), ...userNetworksOf(rec, await listNetworks(paths))]);
    if (n) networkEvent(paths, 'disconnect', n, rec.Id);
    log.debug('network disconnected', { id: rec.Id.slice(0, 12), network: name });
  });
}


const formatGateway = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/**
 * The container's monitor lets go of the host ports it holds (fds null), or holds these too,
 * through its attach socket; done when this returns. False when the container has ended
 * meanwhile: a monitor that is gone, or going, holds nothing.
 */
function monitorPorts(paths: StorePaths, rec: ContainerRecord, fds: number[] | null): boolean {
  let dir: number;
  try {
    dir = fs.openSync(paths.runContainer(rec.Id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return false;
    throw e;
  }
  try {
    // Through the directory's fd: the socket's path may be longer than sun_path's 108 bytes.
    return native().monitorPorts(path.join('/proc/self/fd', String(dir), ATTACH_SOCKET), fds, 10_000) === 'done';
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ECONNREFUSED')) return false;
    const what = fds === null ? 'release' : 'hold';
    throw new GockerError(`the monitor of container ${rec.Id} did not ${what} its published ports: ${(e as Error).message}`, { exitCode: 1 });
  } finally {
    fs.closeSync(dir);
  }
}

/** The bindings a start of rec publishes: its own and, with -P, its exposed ports'. */
function published(rec: ContainerRecord): PortMap {
  return publishedBindings(rec.HostConfig, Object.keys(rec.Config.ExposedPorts ?? {}));
}

/** Whether the container had ports published on its last start (rules to take down). */
function publishes(rec: ContainerRecord): boolean {
  return Object.values(rec.NetworkSettings?.Ports ?? {}).some((l) => l && l.length);
}

/**
 * The container has exited: its published ports' rules go (its veth pair went with its
 * namespace). Nothing to do when it has none, or they are gone already.
 */
export function removePublishedPorts(rec: ContainerRecord): void {
  if (hasBridgeNetworks(rec) && publishes(rec)) removePortRules(rec.Id);
}

/** rm: the addresses go back to their networks, and the neighbours' /etc/hosts forget the container. */
export async function releaseNetworking(paths: StorePaths, rec: ContainerRecord): Promise<void> {
  if (!hasBridgeNetworks(rec)) return;
  const all = await listNetworks(paths);
  const nets = endpoints(rec).map(([, ep]) => all.find((n) => n.Id === ep.NetworkID)).filter((n): n is NetworkRecord => n !== undefined);
  const release = await acquireLock(networkLock(paths));
  try {
    for (const n of nets) releaseAddresses(paths, n, rec.Id);
  } finally {
    release();
  }
  const user = nets.filter((n) => !isDefaultBridge(n));
  if (user.length) await writeHosts(paths, undefined, user, rec.Id);
}

/**
 * /etc/hosts: docker's lines, the container's own address and hostname, and on user
 * networks every member by its DNS names.
 */
export function hostsFile(rec: ContainerRecord, members: ContainerRecord[]): string {
  // --add-host's entries after docker's lines, before the container's own, as libnetwork's.
  let text = BASE_HOSTS + extraHostsLines(rec.HostConfig.ExtraHosts, hostGateway);
  const eps = endpoints(rec);
  if (eps.length && eps[0][1].IPAddress) text += `${eps[0][1].IPAddress}\t${rec.Config.Hostname}\n`;
  const lines = new Set<string>();
  for (const [, ep] of eps) {
    if (ep.DNSNames === null) continue;
    for (const m of members) {
      const theirs = endpoints(m).find(([, e]) => e.NetworkID === ep.NetworkID)?.[1];
      if (theirs?.IPAddress && theirs.DNSNames?.length) lines.add(`${theirs.IPAddress}\t${theirs.DNSNames.join(' ')}`);
    }
  }
  return lines.size ? `${text}${[...lines].join('\n')}\n` : text;
}

/**
 * Rewrites, under the network lock, the /etc/hosts of rec (when given) and of every member
 * of the user networks nets (but gone, when given: a container being removed). In place: the
 * file is bind-mounted into running containers, so it keeps its inode. Paths are the store's
 * own, never the record's.
 */
async function writeHosts(paths: StorePaths, rec: ContainerRecord | undefined, nets: NetworkRecord[], gone?: string): Promise<void> {
  const { listRecords } = await import('./state');
  const release = nets.length ? await acquireLock(networkLock(paths)) : () => undefined;
  try {
    const ids = new Set(nets.map((n) => n.Id));
    // On the default bridge alone, only rec's own file: no neighbours to read or write.
    const all = (nets.length ? listRecords(paths) : []).filter((r) => r.Id !== gone).map((r) => (rec && r.Id === rec.Id ? rec : r));
    if (rec && !all.some((r) => r.Id === rec.Id)) all.push(rec);
    const members = all.filter((r) => endpoints(r).some(([, e]) => ids.has(e.NetworkID)));
    const targets = rec ? [rec, ...members.filter((m) => m.Id !== rec.Id)] : members;
    for (const t of targets) {
      const file = path.join(paths.container(t.Id), 'hosts');
      const text = Buffer.from(hostsFile(t, all));
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
      } catch {
        continue; // not made yet, or removed meanwhile
      }
      try {
        fs.writeSync(fd, text, 0, text.length, 0);
        fs.ftruncateSync(fd, text.length);
      } finally {
        fs.closeSync(fd);
      }
    }
  } finally {
    release();
  }
}

/** The containers the `network` commands weigh (inspect, rm, prune), their state up to date. */
export async function networkMembers(paths: StorePaths): Promise<MemberList> {
  const { containers } = await import('./lifecycle');
  return () => containers(paths, true);
}
