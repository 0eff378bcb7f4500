// NAT and filtering with iptables (iptables-save to read, one iptables-restore --noflush per
// change, applied as one transaction): what docker and podman's CNI plugins use, so rules
// read the way their users know, and a docker host's FORWARD policy DROP is passed by a
// jump of gocker's own ahead of it. gocker's rules live in chains of its own:
//   filter FORWARD -> GOCKER-FORWARD: -j GOCKER-INBOUND first, then per bridge what may
//          leave it (everything, or nothing for --internal)
//          GOCKER-INBOUND: per bridge what may enter it: replies, published ports (DNAT),
//          its own members; nothing else (other networks, the outside)
//   filter INPUT -> GOCKER-INPUT: no new connection from a bridge to the host's 127.0.0.0/8,
//          which route_localnet on the bridge would otherwise let a container reach
//   nat PREROUTING, OUTPUT -> GOCKER: published ports (DNAT), for the host's own addresses;
//          127.0.0.0/8 only from OUTPUT, so only this host reaches a port published there
//   nat POSTROUTING -> GOCKER-POSTROUTING: masquerade out of a bridge's subnet, and of
//          loopback-sourced traffic into a bridge (a published port reached on 127.0.0.1)
// Each rule is tagged (comment gocker-bridge:NAME or gocker-ctr:ID) and removed by its tag.
// The chains are the host's, shared by every gocker store, so changes are made under one
// host-wide lock; the chains go when the last bridge's rules do.
import type { ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import * as fs from 'node:fs';
import { GockerError } from '../errors';
import { log } from '../log';
import { LOCK, native } from '../native';
import { formatSubnet, type Subnet } from './ipv4';

const HOST_LOCK = '/run/gocker-network.lock';

/**
 * node:child_process at the first iptables call, not when the engine loads: ps, images and
 * inspect load this module (through lib/info) and never change a rule.
 */
function execFileSync(file: string, args: string[], opts: ExecFileSyncOptionsWithStringEncoding): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:child_process') as typeof import('node:child_process')).execFileSync(file, args, opts);
}

const CHAINS = { filter: ['GOCKER-FORWARD', 'GOCKER-INBOUND', 'GOCKER-INPUT'], nat: ['GOCKER', 'GOCKER-POSTROUTING'] } as const;
type Table = keyof typeof CHAINS;

// Where each chain is jumped to from, and how; the jumps go first in the built-in chains
// (but nat's, where order does not matter for DNAT of local addresses).
const JUMPS: Record<Table, string[]> = {
  filter: ['-I FORWARD 1 -j GOCKER-FORWARD', '-I INPUT 1 -j GOCKER-INPUT'],
  nat: ['-A PREROUTING ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j GOCKER', '-A OUTPUT -m addrtype --dst-type LOCAL -j GOCKER',
    '-I POSTROUTING 1 -j GOCKER-POSTROUTING'],
};

let binDir: string | undefined;

function tool(name: 'iptables-save' | 'iptables-restore'): string {
  if (binDir === undefined) {
    const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
    binDir = dirs.find((d) => fs.existsSync(`${d}/iptables-restore`));
    if (binDir === undefined) {
      throw new GockerError('bridge networking needs iptables (apt-get install iptables); --network none or host work without it');
    }
  }
  return `${binDir}/${name}`;
}

function save(table: Table): string[] {
  return execFileSync(tool('iptables-save'), ['-t', table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n');
}

function restore(batches: Partial<Record<Table, string[]>>): void {
  let text = '';
  for (const [table, lines] of Object.entries(batches)) if (lines?.length) text += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  if (!text) return;
  log.debug('iptables-restore', { rules: text.split('\n').length - 1 });
  try {
    execFileSync(tool('iptables-restore'), ['--noflush', '--wait'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new GockerError(`iptables-restore failed: ${err}`);
  }
}

/** `iptables -V`, e.g. "iptables v1.8.9 (nf_tables)"; undefined when it is not installed. */
export function iptablesVersion(): string | undefined {
  try {
    return execFileSync(`${tool('iptables-restore').replace(/-restore$/, '')}`, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Runs fn holding the host-wide lock on gocker's iptables chains and bridges. */
export function withHostLock<T>(fn: () => T): T {
  const fd = fs.openSync(HOST_LOCK, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    native().flock(fd, LOCK.EX);
    return fn();
  } finally {
    fs.closeSync(fd); // releases the lock
  }
}

const tagged = (tag: string): RegExp => new RegExp(`--comment "?${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?( |$)`);
const comment = (tag: string): string => `-m comment --comment ${tag}`;

/** The rules of a saved table carrying tag, turned into their deletions. */
function deletions(lines: string[], tag: string): string[] {
  const re = tagged(tag);
  return lines.filter((l) => l.startsWith('-A ') && re.test(l)).map((l) => `-D ${l.slice(3)}`);
}

/** What makes the chains exist, and jump-to, in a saved table: only what is missing. */
function chainsAndJumps(table: Table, lines: string[]): string[] {
  const out: string[] = [];
  for (const c of CHAINS[table]) if (!lines.some((l) => l.startsWith(`:${c} `))) out.push(`:${c} - [0:0]`);
  if (table === 'filter' && !lines.some((l) => l.startsWith(':GOCKER-FORWARD '))) out.push('-A GOCKER-FORWARD -j GOCKER-INBOUND');
  for (const j of JUMPS[table]) {
    const rule = j.replace(/^-[AI] (\S+)( 1)? /, '-A $1 ');
    if (!lines.includes(rule)) out.push(j);
  }
  return out;
}

export interface BridgeRules {
  bridge: string;
  subnet: Subnet;
  internal: boolean;
}

/**
 * A bridge's rules, made afresh (what an earlier, interrupted attempt left of them goes
 * first), with the chains and jumps they need. The caller holds the host lock.
 */
export function setBridgeRules(b: BridgeRules): void {
  const filter = save('filter');
  const nat = save('nat');
  const tag = `gocker-bridge:${b.bridge}`;
  const c = comment(tag);
  const br = b.bridge;
  const net = formatSubnet(b.subnet);
  const f = [...chainsAndJumps('filter', filter), ...deletions(filter, tag)];
  const n = [...chainsAndJumps('nat', nat), ...deletions(nat, tag)];
  if (!b.internal) {
    f.push(`-A GOCKER-INBOUND -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED ${c} -j ACCEPT`,
      `-A GOCKER-INBOUND -o ${br} -m conntrack --ctstate DNAT ${c} -j ACCEPT`);
  }
  f.push(`-A GOCKER-INBOUND -i ${br} -o ${br} ${c} -j ACCEPT`, `-A GOCKER-INBOUND -o ${br} ${c} -j DROP`,
    `-A GOCKER-FORWARD -i ${br} ${c} -j ${b.internal ? 'DROP' : 'ACCEPT'}`,
    `-A GOCKER-INPUT -i ${br} -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED ${c} -j DROP`);
  if (!b.internal) n.push(`-A GOCKER-POSTROUTING -s ${net} ! -o ${br} ${c} -j MASQUERADE`);
  n.push(`-A GOCKER-POSTROUTING -s 127.0.0.0/8 -o ${br} ${c} -j MASQUERADE`,
    `-A GOCKER-POSTROUTING -s ${net} -o ${br} -m conntrack --ctstate DNAT ${c} -j MASQUERADE`);
  restore({ filter: f, nat: n });
}

/** Removes a bridge's rules; the chains and jumps too once no bridge has any. The caller holds the host lock. */
export function removeBridgeRules(bridge: string): void {
  const filter = save('filter');
  const nat = save('nat');
  const tag = `gocker-bridge:${bridge}`;
  restore({ filter: deletions(filter, tag), nat: deletions(nat, tag) });
  removeChainsIfUnused();
}

/** The chains and their jumps, when nothing but gocker's own fixed rule is left in them. */
function removeChainsIfUnused(): void {
  const filter = save('filter');
  const nat = save('nat');
  const used = (lines: string[], table: Table): boolean => lines.some((l) =>
    CHAINS[table].some((c) => l.startsWith(`-A ${c} `)) && l !== '-A GOCKER-FORWARD -j GOCKER-INBOUND');
  if (used(filter, 'filter') || used(nat, 'nat')) return;
  const undo = (lines: string[], table: Table): string[] => {
    const chains = CHAINS[table] as readonly string[];
    const jumps = lines.filter((l) => l.startsWith('-A ') && chains.some((c) => l.endsWith(` -j ${c}`))).map((l) => `-D ${l.slice(3)}`);
    return [...jumps, ...chains.filter((c) => lines.some((l) => l.startsWith(`:${c} `))).flatMap((c) => [`-F ${c}`, `-X ${c}`])];
  };
  restore({ filter: undo(filter, 'filter'), nat: undo(nat, 'nat') });
}

export interface PortRule {
  /** '' or 0.0.0.0: every host address */
  hostIp: string;
  hostPort: number;
  proto: 'tcp' | 'udp' | 'sctp';
  containerIp: string;
  containerPort: number;
}

/**
 * A container's published ports, forwarded to it. A rule left for the same host port by a
 * container that has gone (its socket no longer holds the port, or this one could not have
 * bound it) is replaced, as are this container's own from an earlier start.
 */
export function addPortRules(id: string, rules: PortRule[]): void {
  if (!rules.length) return;
  // Each field is written into iptables-restore's input as text: whatever a caller or an
  // image got past the checks before, nothing but an address, a port and a protocol goes in.
  const ip = /^(\d{1,3}\.){3}\d{1,3}$/;
  const port = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;
  for (const r of rules) {
    if (!['tcp', 'udp', 'sctp'].includes(r.proto) || !(r.hostIp === '' || ip.test(r.hostIp)) || !ip.test(r.containerIp) || !port(r.hostPort) || !port(r.containerPort)) {
      throw new GockerError(`refusing a port rule that is not an address, a port and a protocol: ${JSON.stringify(r)}`);
    }
  }
  withHostLock(() => {
    const nat = save('nat');
    const tag = `gocker-ctr:${id}`;
    const lines = deletions(nat, tag);
    const any = (ip: string): boolean => ip === '' || ip === '0.0.0.0';
    for (const r of rules) {
      const stale = nat.filter((l) => {
        const m = /^-A GOCKER (?:-d (\S+)\/32 )?-p (\w+) .*--dport (\d+) /.exec(l);
        return m && m[2] === r.proto && Number(m[3]) === r.hostPort && (any(r.hostIp) || !m[1] || m[1] === r.hostIp);
      });
      for (const l of stale) if (!lines.includes(`-D ${l.slice(3)}`)) lines.push(`-D ${l.slice(3)}`);
    }
    for (const r of rules) {
      lines.push(`-A GOCKER ${any(r.hostIp) ? '' : `-d ${r.hostIp}/32 `}-p ${r.proto} -m ${r.proto} --dport ${r.hostPort} ${comment(tag)} ` +
        `-j DNAT --to-destination ${r.containerIp}:${r.containerPort}`);
    }
    restore({ nat: lines });
  });
}

/** Removes a container's published ports' rules (none: nothing run). */
export function removePortRules(id: string): void {
  withHostLock(() => {
    const nat = save('nat');
    restore({ nat: deletions(nat, `gocker-ctr:${id}`) });
  });
}

/**
 * The kernel settings a bridge needs: forwarding (unless internal), and 127.0.0.0/8 routable
 * onto it. Forwarding is the whole host's: turned on for the bridges, it would route between
 * the host's other networks too, so gocker, as dockerd, first sets FORWARD's policy to DROP
 * when it is the one turning forwarding on (its own chain's jump lets its bridges' traffic by).
 */
export function bridgeSysctls(bridge: string, internal: boolean): void {
  if (!internal && fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') {
    restore({ filter: [':FORWARD DROP [0:0]'] });
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  }
  fs.writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
}
