// ps's PORTS column (and docker's {{.Ports}}): a container's published and exposed ports as
// docker's formatter prints them. Pure, so a command that only lists containers need not
// load the network package to show them.

import { GockerError } from '../errors';

/**
 * docker's port map (HostConfig.PortBindings, NetworkSettings.Ports): "80/tcp" -> its host
 * bindings, HostPort '' (any), 'N' or 'N-M'; null for a port only exposed.
 */
export type PortBindings = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

/** "N" or "N-M" within 1..65535, as -p, --expose and the engine's check of the typed map read a port or range. */
export function portRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new GockerError(`invalid ${what}: ${s}`, { exitCode: 125 });
  return [lo, hi];
}

const portNum = (k: string): number => Number(k.split('/')[0]);

/** ps's PORTS column: "0.0.0.0:8080->80/tcp, 443/tcp", consecutive ports merged into ranges as docker does. */
export function formatPorts(ports: PortBindings | undefined): string {
  if (!ports) return '';
  type Row = { ip: string; hp: number; cp: number; proto: string };
  const rows: Row[] = [];
  for (const [k, list] of Object.entries(ports)) {
    const [cp, proto] = [portNum(k), k.split('/')[1]];
    if (!list || !list.length) rows.push({ ip: '', hp: 0, cp, proto });
    else for (const b of list) rows.push({ ip: b.HostIp, hp: Number(b.HostPort), cp, proto });
  }
  rows.sort((a, b) => a.proto.localeCompare(b.proto) || a.ip.localeCompare(b.ip) || a.cp - b.cp || a.hp - b.hp);
  const out: string[] = [];
  for (let i = 0; i < rows.length;) {
    let j = i;
    const r = rows[i];
    while (j + 1 < rows.length && rows[j + 1].proto === r.proto && rows[j + 1].ip === r.ip && rows[j + 1].cp === rows[j].cp + 1 &&
      (r.hp === 0 ? rows[j + 1].hp === 0 : rows[j + 1].hp === rows[j].hp + 1)) j++;
    const span = (a: number, b: number): string => (a === b ? String(a) : `${a}-${b}`);
    out.push(r.hp === 0 ? `${span(r.cp, rows[j].cp)}/${r.proto}` : `${r.ip}:${span(r.hp, rows[j].hp)}->${span(r.cp, rows[j].cp)}/${r.proto}`);
    i = j + 1;
  }
  return out.join(', ');
}
