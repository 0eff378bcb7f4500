// Linux capabilities: docker's default set and the --cap-add / --cap-drop / --privileged rules.
import * as fs from 'node:fs';
import { InvalidOptionError } from '../errors';

export const CAPS: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13,
  IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20,
  SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27,
  LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31, MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34,
  WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

export const DEFAULT_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

function norm(c: string, option: 'capAdd' | 'capDrop'): string {
  const u = c.trim().toUpperCase();
  const name = u.startsWith('CAP_') ? u.slice(4) : u;
  if (name !== 'ALL' && !(name in CAPS)) throw new InvalidOptionError(option, `invalid capability: ${c}`);
  return name;
}

/**
 * The capabilities this process may hand on: its bounding set (a host, or an engine in a
 * container, can lack some: this machine's root has no CAP_SYS_RESOURCE), which is what
 * "all" means for --privileged and --cap-add ALL. Asking for more fails in capset(2).
 */
export function boundingCaps(status = readStatus()): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return Object.keys(CAPS);
  const bits = BigInt(`0x${m[1]}`);
  return Object.keys(CAPS).filter((c) => (bits >> BigInt(CAPS[c])) & 1n);
}

function readStatus(): string {
  try {
    return fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** The capability names the container gets, docker's order of rules: drop, then add. */
export function effectiveCaps(opts: { add?: string[]; drop?: string[]; privileged?: boolean; available?: string[] }): string[] {
  const all = opts.available ?? boundingCaps();
  if (opts.privileged) return all;
  const add = (opts.add ?? []).map((c) => norm(c, 'capAdd'));
  const drop = (opts.drop ?? []).map((c) => norm(c, 'capDrop'));
  let caps = new Set(DEFAULT_CAPS);
  if (drop.includes('ALL')) caps = new Set();
  for (const d of drop) caps.delete(d);
  if (add.includes('ALL')) caps = new Set(all);
  for (const a of add) if (a !== 'ALL') caps.add(a);
  return [...caps];
}
