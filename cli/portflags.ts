// -p and --expose as docker's CLI reads them (its nat package's ParsePortSpec) into the
// HostConfig.PortBindings and Config.ExposedPorts it sends: `[ip:][hostPort:]containerPort[/proto]`
// with ranges, one binding per container port. A refusal here is docker's CLI's, in its
// words, exit 125; the engine checks the typed map again (lib/network/ports.ts).
import { GockerError } from '../lib/errors';
import { portRange, type PortBindings } from '../lib/format/ports';

const flagError = (msg: string): GockerError => new GockerError(msg, { exitCode: 125 });

/** A dotted-quad IPv4 address, no part with a leading zero (what a -p address may be here). */
const isIPv4 = (s: string): boolean => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);

/**
 * One -p value, `[ip:][hostPort:]containerPort[/proto]` with ranges, into the port map; the
 * container ports it exposes.
 */
export function parsePublish(spec: string, into: PortBindings): string[] {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  const rest = slash < 0 ? spec : spec.slice(0, slash);
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw flagError(`invalid proto: ${proto}`);
  if (rest.startsWith('[')) throw flagError(`invalid IP address ${rest.slice(0, rest.indexOf(']') + 1)}: gocker publishes ports on IPv4 addresses only`);
  const parts = rest.split(':');
  if (parts.length > 3) throw flagError(`invalid port format: ${spec}`);
  const [ip, hostPort, containerPort] = parts.length === 3 ? parts : parts.length === 2 ? ['', parts[0], parts[1]] : ['', '', parts[0]];
  if (!containerPort) throw flagError(`no port specified: ${spec}<empty>`);
  if (ip && !isIPv4(ip)) throw flagError(`invalid IP address: ${ip}`);
  const [clo, chi] = portRange(containerPort, 'containerPort');
  // A host port of 0 is any, as an empty one.
  const host = hostPort && hostPort !== '0' ? portRange(hostPort, 'hostPort') : undefined;
  if (host && chi - clo !== host[1] - host[0] && chi !== clo) {
    throw flagError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
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

/** --expose's port or range ("80", "80/udp", "8000-8002/tcp"): Config.ExposedPorts' keys. */
export function exposedKeys(spec: string): string[] {
  const [port, proto = 'tcp'] = spec.split('/');
  const [lo, hi] = portRange(port, 'port');
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto.toLowerCase()}`);
}

/** -p and --expose: HostConfig.PortBindings and Config.ExposedPorts, as docker's CLI sends them. */
export function portsFromFlags(publish: string[] = [], expose: string[] = []): { portBindings?: PortBindings; exposedPorts?: Record<string, object> } {
  const portBindings: PortBindings = {};
  const exposed = new Set<string>();
  for (const e of expose) for (const k of exposedKeys(e)) exposed.add(k);
  for (const p of publish) for (const k of parsePublish(p, portBindings)) exposed.add(k);
  return {
    portBindings: Object.keys(portBindings).length ? portBindings : undefined,
    exposedPorts: exposed.size ? Object.fromEntries([...exposed].map((k) => [k, {}])) : undefined,
  };
}
