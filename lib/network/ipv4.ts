// IPv4 addresses and subnets as numbers: what IPAM counts through and what overlap checks
// compare. Anything that is not a dotted quad or a CIDR of one is refused here, where it
// enters (a flag, the config, a record read back).

export interface Subnet {
  /** the network address, as an unsigned 32-bit number */
  base: number;
  prefix: number;
}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseAddress(s: string): number | undefined {
  if (!QUAD.test(s)) return undefined;
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function formatAddress(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** 'a.b.c.d/n' -> the address and the subnet it is in (host bits kept apart: the bip form). */
export function parseCidr(s: string): { address: number; subnet: Subnet } | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const address = parseAddress(m[1]);
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 32) return undefined;
  return { address, subnet: { base: (address & mask(prefix)) >>> 0, prefix } };
}

export function formatSubnet(s: Subnet): string {
  return `${formatAddress(s.base)}/${s.prefix}`;
}

export function contains(s: Subnet, address: number): boolean {
  return ((address & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The last address of the subnet (its broadcast address). */
export function lastAddress(s: Subnet): number {
  return (s.base | (~mask(s.prefix) >>> 0)) >>> 0;
}

/** The subnets the host routes to (its own interfaces' and more): a new network must not overlap one. */
export function hostRoutes(routeTable: string): Subnet[] {
  // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ..., in host byte order (little-endian hex).
  const le = (hex: string): number => {
    const n = parseInt(hex, 16);
    return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
  };
  const out: Subnet[] = [];
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dst = le(f[1]);
    const m = le(f[7]);
    if (m === 0) continue; // the default route overlaps everything, and means nothing here
    let prefix = 0;
    while (prefix < 32 && ((m << prefix) >>> 0) & 0x80000000) prefix++;
    out.push({ base: (dst & mask(prefix)) >>> 0, prefix });
  }
  return out;
}
