// Published ports: docker's -p and -P as its nat package reads them, the host ports held
// while a container runs, and how ps, inspect and `port` show them.
import * as fs from 'node:fs';
import { GockerError, isErrno } from '../errors';
import { native } from '../native';
import { parseAddress } from './ipv4';

export type Proto = 'tcp' | 'udp' | 'sctp';

/** docker's HostConfig.PortBindings: "80/tcp" -> [{ HostIp, HostPort }], HostPort '' (any) or 'N' or 'N-M'. */
export type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

const engineError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw engineError(`invalid ${what}: ${s}`);
  return [lo, hi];
}

/**
 * One -p value, `[ip:][hostPort:]containerPort[/proto]` with ranges, into the port map and
 * the container ports it exposes.
 */
export function parsePublish(spec: string, into: PortMap): string[] {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  const rest = slash < 0 ? spec : spec.slice(0, slash);
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw engineError(`invalid proto: ${proto}`);
  if (rest.startsWith('[')) throw engineError(`invalid IP address ${rest.slice(0, rest.indexOf(']') + 1)}: gocker publishes ports on IPv4 addresses only`);
  const parts = rest.split(':');
  if (parts.length > 3) throw engineError(`invalid port format: ${spec}`);
  const [ip, hostPort, containerPort] = parts.length === 3 ? parts : parts.length === 2 ? ['', parts[0], parts[1]] : ['', '', parts[0]];
  if (!containerPort) throw engineError(`no port specified: ${spec}<empty>`);
  if (ip && parseAddress(ip) === undefined) throw engineError(`invalid IP address: ${ip}`);
  const [clo, chi] = parseRange(containerPort, 'containerPort');
  // A host port of 0 is any, as an empty one.
  const host = hostPort && hostPort !== '0' ? parseRange(hostPort, 'hostPort') : undefined;
  if (host && chi - clo !== host[1] - host[0] && chi !== clo) {
    throw engineError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const exposed: string[] = [];
  for (let p = clo; p <= chi; p++) {
    const key = `${p}/${proto}`;
    // A host range for one container port: any free port of the range, as docker.
    const hp = !host ? '' : chi === clo ? (host[0] === host[1] ? String(host[0]) : `${host[0]}-${host[1]}`) : String(host[0] + p - clo);
    (into[key] ??= []).push({ HostIp: ip, HostPort: hp });
    exposed.push(key);
  }
  return exposed;
}

/** An exposed port as an image or --expose gives it ("80", "80/udp", "8000-8002/tcp"). */
export function exposedKeys(spec: string): string[] {
  const [port, proto = 'tcp'] = spec.split('/');
  const [lo, hi] = parseRange(port, 'port');
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto.toLowerCase()}`);
}

export interface HeldPort {
  key: string;
  hostIp: string;
  hostPort: number;
  fd: number | null;
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
