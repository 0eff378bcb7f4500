// Published ports: HostConfig.PortBindings checked as dockerd takes them (docker's -p syntax
// is the CLI's), the host ports held while a container runs, and how ps, inspect and `port`
// show them.
import * as fs from 'node:fs';
import { GockerError, InvalidOptionError, isErrno } from '../errors';
import { native } from '../native';
import { portRange, type PortBindings } from '../format/ports';
import { parseAddress } from './ipv4';

export type Proto = 'tcp' | 'udp' | 'sctp';

/** docker's HostConfig.PortBindings (lib/format/ports.ts). */
export type PortMap = PortBindings;

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** An IPv4 address as dotted quads, or undefined (what HostIp may be). */
const ipv4 = (s: string): boolean => parseAddress(s) !== undefined;

/**
 * HostConfig.PortBindings as dockerd takes them, each key "PORT[/PROTO]" (tcp by default)
 * and each binding's HostIp an IPv4 address or '' (any), HostPort 'N', 'N-M' (any free port
 * of the range) or ''/'0' (any): the map normalised (every key with its protocol, every
 * binding with both fields), and the container ports it exposes. A key with no bindings
 * (null or []) is exposed, not published, as dockerd's: only publishAll gives it a port (a
 * binding with HostPort '' is one on any free port, what `-p 80` makes). Docker's `-p`
 * syntax is the CLI's (cli/portflags.ts).
 */
export function checkPortBindings(bindings: unknown, option = 'portBindings'): { portBindings: PortMap; exposed: string[] } {
  const bad = (why: string): GockerError => new InvalidOptionError(option, why, { exitCode: 125 });
  if (typeof bindings !== 'object' || bindings === null || Array.isArray(bindings)) throw bad(`invalid ${option}: a map of "PORT/PROTO" to bindings`);
  const out: PortMap = {};
  for (const [key, list] of Object.entries(bindings)) {
    const m = /^(\d+)(?:\/([a-z]+))?$/i.exec(key);
    const proto = (m?.[2] ?? 'tcp').toLowerCase();
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw bad(`invalid containerPort: ${key}`);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw bad(`invalid proto: ${proto}`);
    const port = `${Number(m[1])}/${proto}`;
    if (list !== null && !Array.isArray(list)) throw bad(`invalid bindings for ${key}: an array of { HostIp, HostPort }`);
    // Kept as given: the key is exposed and matched by ps's publish=, as docker's.
    out[port] ??= list === null ? null : [];
    for (const b of (list ?? []) as unknown[]) {
      if (typeof b !== 'object' || b === null) throw bad(`invalid binding for ${key}: { HostIp, HostPort }`);
      const { HostIp: ip = '', HostPort: hp = '' } = b as { HostIp?: unknown; HostPort?: unknown };
      if (typeof ip !== 'string' || typeof hp !== 'string') throw bad(`invalid binding for ${key}: HostIp and HostPort are strings`);
      if (ip.startsWith('[') || ip.includes(':')) throw bad(`invalid IP address ${ip}: gocker publishes ports on IPv4 addresses only`);
      if (ip && !ipv4(ip)) throw bad(`invalid IP address: ${ip}`);
      // A host port of 0 is any, as an empty one.
      if (hp && hp !== '0') {
        const r = /^(\d+)(?:-(\d+))?$/.exec(hp);
        const lo = r ? Number(r[1]) : NaN;
        const hi = r ? Number(r[2] ?? r[1]) : NaN;
        if (!r || lo < 1 || hi > 65535 || hi < lo) throw bad(`invalid hostPort: ${hp}`);
      }
      (out[port] ??= []).push({ HostIp: ip, HostPort: hp === '0' ? '' : hp });
    }
  }
  return { portBindings: out, exposed: Object.keys(out) };
}

/** An exposed port as an image's config or a caller's ExposedPorts give it ("80", "80/udp", "8000-8002/tcp"). */
export function exposedKeys(spec: string): string[] {
  const [port, proto = 'tcp', ...rest] = spec.split('/');
  // The protocol ends up in iptables-restore's input (firewall.ts): only the three docker
  // knows, as its nat.ParsePortSpec checks, never text from an image or a caller as such.
  if (rest.length || !/^(tcp|udp|sctp)$/i.test(proto)) throw new GockerError(`invalid proto: ${JSON.stringify(spec.slice(port.length + 1)).slice(1, -1)}`); // escaped: one line
  const [lo, hi] = portRange(port, 'port');
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto.toLowerCase()}`);
}

/** One of Config.ExposedPorts' keys a caller gives, as exposedKeys reads it; refused as the option exposedPorts. */
export function exposedPortKeys(spec: string): string[] {
  try {
    return exposedKeys(spec);
  } catch (e) {
    throw new InvalidOptionError('exposedPorts', (e as Error).message, { exitCode: 125 });
  }
}

export interface HeldPort {
  key: string;
  hostIp: string;
  hostPort: number;
  fd: number | null;
}

/**
 * What a start publishes, as dockerd works it out at each start
 * (buildPortsRelatedCreateEndpointOptions): HostConfig.PortBindings and, with PublishAllPorts,
 * every exposed port that has no binding, on any free port. HostConfig itself keeps the
 * bindings as they were given; the ports chosen are NetworkSettings.Ports' alone.
 */
export function publishedBindings(host: { PortBindings?: PortMap | null; PublishAllPorts?: boolean }, exposed: string[]): PortMap {
  const out: PortMap = { ...host.PortBindings };
  if (host.PublishAllPorts) for (const k of exposed) if (!out[k]?.length) out[k] = [{ HostIp: '', HostPort: '' }];
  return out;
}

/**
 * Binds the host side of each binding (0.0.0.0 unless an address is given), keeping the
 * sockets: they hold the ports while the container runs. `previous` (NetworkSettings.Ports
 * of an earlier start) pins a port that was chosen at random then: a restart keeps its
 * mapping. A port taken is an error before anything starts, in docker's words.
 */
export function holdPorts(bindings: PortMap, previous: PortMap, endpoint: string): HeldPort[] {
  const held: HeldPort[] = [];
  try {
    for (const [key, list] of Object.entries(bindings)) {
      const proto = key.split('/')[1] as Proto;
      for (const [i, b] of (list ?? []).entries()) {
        const hostIp = b.HostIp || '0.0.0.0';
        const before = previous[key]?.[i];
        const candidates = before?.HostPort ? [Number(before.HostPort)]
          : b.HostPort.includes('-') ? rangeOf(b.HostPort) : [Number(b.HostPort || 0)];
        let got: { fd: number; port: number } | null | undefined;
        for (const [k, port] of candidates.entries()) {
          try {
            got = native().bindPort(proto, hostIp, port);
            if (got === null) got = { fd: -1, port };
            break;
          } catch (e) {
            if (!isErrno(e, 'EADDRINUSE') && !isErrno(e, 'EADDRNOTAVAIL')) throw e;
            if (k < candidates.length - 1) continue;
            const why = isErrno(e, 'EADDRINUSE') ? 'port is already allocated' : `cannot assign requested address ${hostIp}`;
            const shown = b.HostPort.includes('-') && !before?.HostPort ? b.HostPort : String(port);
            throw engineError(`driver failed programming external connectivity on endpoint ${endpoint}: Bind for ${hostIp}:${shown} failed: ${why}`);
          }
        }
        held.push({ key, hostIp, hostPort: got!.port, fd: got!.fd >= 0 ? got!.fd : null });
      }
    }
  } catch (e) {
    releaseHeld(held);
    throw e;
  }
  return held;
}

function rangeOf(r: string): number[] {
  const [lo, hi] = r.split('-').map(Number);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export function releaseHeld(held: HeldPort[]): void {
  for (const h of held) {
    if (h.fd !== null) {
      try {
        fs.closeSync(h.fd);
      } catch {
        /* already closed */
      }
      h.fd = null;
    }
  }
}

/** NetworkSettings.Ports: every exposed port, with the host ports it is published on (null: none). */
export function portsShown(exposed: string[], held: HeldPort[]): PortMap {
  const out: PortMap = {};
  for (const k of exposed) out[k] = null;
  for (const h of held) (out[h.key] ??= []).push({ HostIp: h.hostIp, HostPort: String(h.hostPort) });
  return out;
}
