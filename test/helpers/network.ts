// Networking for the tests: a bridge name and subnets of this test process's own (through
// gocker's config file, $GOCKER_CONFIG), so a test never touches a real gocker0 or another
// test file's bridge; and the check that what a store made on the host is gone, read with
// `ip` and iptables-save, not with gocker's own code.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const slot = process.pid % 640;
/** This process's default bridge and its subnet; user networks come from the /21 beside it. */
export const TEST_BRIDGE = `gt${process.pid.toString(16)}`.slice(0, 15);
const a = 200 + (slot % 40);
const b = Math.floor(slot / 40) * 16;
export const TEST_BIP = `10.${a}.${b}.1/24`;
export const TEST_SUBNET = `10.${a}.${b}.0/24`;
const TEST_POOL = `10.${a}.${b + 8}.0/21`;

const initialForward = readForward();
// gocker sets FORWARD's policy to DROP when it turns forwarding on: put back with it.
const initialForwardPolicy = forwardPolicy();

function forwardPolicy(): string | undefined {
  try {
    return /^:FORWARD (\S+)/m.exec(execFileSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1];
  } catch {
    return undefined; // no iptables (or not root): nothing gocker could have changed
  }
}

function readForward(): string {
  try {
    return fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  } catch {
    return '';
  }
}

let stores = 0;
/** Every bridge this process's configs name: taken down at its exit, whatever a test left. */
const named = new Set<string>([TEST_BRIDGE]);
process.on('exit', () => {
  const present = [...named].filter((b) => fs.existsSync(`/sys/class/net/${b}`));
  if (present.length) teardownBridges(present);
});

/**
 * A network config of its own for one more store of this process (written to file): a bridge
 * and a /24 no other store of the process has, as two dockerds on one host need (gocker
 * refuses a bridge another store made). The process's first store has TEST_BRIDGE; the others
 * take /24s of 10.(160 + slot % 40).0.0/16, one each, up to 256 stores a process.
 */
export function storeNetworkConfig(file: string): void {
  const n = stores++;
  if (n > 255) throw new Error('test/helpers/network: more than 256 stores in one test process');
  const bridge = n === 0 ? TEST_BRIDGE : `${TEST_BRIDGE.slice(0, 11)}s${n}`;
  named.add(bridge);
  fs.writeFileSync(file, JSON.stringify({
    bridge,
    bip: n === 0 ? TEST_BIP : `10.${160 + (slot % 40)}.${n}.1/24`,
    'default-address-pools': [{ base: TEST_POOL, size: 24 }],
  }));
}

/** Writes this process's network config and points $GOCKER_CONFIG at it (once). */
export function useTestNetworkConfig(): string {
  if (process.env.GOCKER_TEST_NETWORK_CONFIG) return process.env.GOCKER_TEST_NETWORK_CONFIG;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-netcfg-')), 'config.json');
  fs.writeFileSync(file, JSON.stringify({ bridge: TEST_BRIDGE, bip: TEST_BIP, 'default-address-pools': [{ base: TEST_POOL, size: 24 }] }));
  process.env.GOCKER_CONFIG = file;
  process.env.GOCKER_TEST_NETWORK_CONFIG = file;
  process.on('exit', () => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  return file;
}

/** The bridges the store under root has networks on (the vfs store's too). */
export function storeBridges(root: string): string[] {
  const out = new Set<string>();
  for (const dir of [path.join(root, 'networks'), path.join(root, 'vfs', 'networks')]) {
    if (!fs.existsSync(dir)) continue;
    for (const id of fs.readdirSync(dir)) {
      try {
        const n = JSON.parse(fs.readFileSync(path.join(dir, id, 'network.json'), 'utf8')) as { Options?: Record<string, string> };
        const br = n.Options?.['com.docker.network.bridge.name'];
        if (br) out.add(br);
      } catch {
        /* not a network */
      }
    }
  }
  return [...out];
}

function iptablesSave(table: string): string[] {
  return execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n');
}

/** The host's links (names, with their master bridge when enslaved). */
export function links(): Array<{ name: string; master?: string }> {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const name = /^\d+: ([^:@]+)/.exec(l)![1];
    const master = / master (\S+)/.exec(l)?.[1];
    return { name, master };
  });
}

/**
 * What of the given bridges is on the host: the links themselves, ports on them, addresses
 * of their subnets' routes, iptables rules naming them, rules of the given containers.
 */
export function leftovers(bridges: string[], containerIds: string[] = []): string[] {
  const found: string[] = [];
  for (const l of links()) {
    if (bridges.includes(l.name)) found.push(`link ${l.name}`);
    if (l.master && bridges.includes(l.master)) found.push(`port ${l.name} on ${l.master}`);
  }
  for (const table of ['filter', 'nat']) {
    for (const line of iptablesSave(table)) {
      if (!line.startsWith('-A ')) continue;
      if (bridges.some((b) => new RegExp(`[ :]${b.replace(/\./g, '\\.')}(["\\s]|$)`).test(line))) found.push(`${table}: ${line}`);
      if (containerIds.some((id) => line.includes(`gocker-ctr:${id}`))) found.push(`${table}: ${line}`);
    }
  }
  return found;
}

/** gocker's chains, when no rule is left in them but the fixed first one. */
function gockerChainsIdle(): boolean {
  return ['filter', 'nat'].every((t) => !iptablesSave(t).some((l) => /^-A GOCKER(-\S+)? /.test(l) && l !== '-A GOCKER-FORWARD -j GOCKER-INBOUND'));
}

/** Whether gocker's own chains, or jumps to them, are on the host. */
export function gockerChains(): string[] {
  return ['filter', 'nat'].flatMap((t) => iptablesSave(t).filter((l) => /^:GOCKER/.test(l) || / -j GOCKER(-\S+)?$/.test(l)));
}

/**
 * Takes down what a test store left of its bridges (the default bridge stays after its last
 * container, as docker0 does): rules tagged with them, the links; gocker's chains when no
 * other bridge uses them; ip_forward as it was. Then waits (network namespaces are torn down
 * by the kernel after their last process: their veths go a moment after) until nothing of
 * them is left, and returns what is.
 */
export function teardownBridges(bridges: string[]): string[] {
  for (const table of ['filter', 'nat']) {
    const dels = iptablesSave(table).filter((l) => l.startsWith('-A ') && bridges.some((b) => l.includes(`gocker-bridge:${b}"`) || l.includes(`gocker-bridge:${b} `)))
      .map((l) => `-D ${l.slice(3)}`);
    if (dels.length) execFileSync('iptables-restore', ['--noflush'], { input: `*${table}\n${dels.join('\n')}\nCOMMIT\n` });
  }
  for (const b of bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  if (gockerChainsIdle()) {
    for (const table of ['filter', 'nat']) {
      const lines = iptablesSave(table);
      const jumps = lines.filter((l) => l.startsWith('-A ') && / -j GOCKER(-\S+)?$/.test(l) && !l.startsWith('-A GOCKER')).map((l) => `-D ${l.slice(3)}`);
      const chains = lines.filter((l) => l.startsWith(':GOCKER')).map((l) => l.slice(1).split(' ')[0]);
      const text = [...jumps, ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`)].join('\n');
      if (text) execFileSync('iptables-restore', ['--noflush'], { input: `*${table}\n${text}\nCOMMIT\n` });
    }
  }
  if (initialForward && readForward() !== initialForward) {
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', initialForward);
    if (initialForwardPolicy) execFileSync('iptables-restore', ['--noflush'], { input: `*filter\n:FORWARD ${initialForwardPolicy} [0:0]\nCOMMIT\n` });
  }
  let left: string[] = [];
  for (let i = 0; i < 100; i++) {
    left = leftovers(bridges);
    if (!left.length) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return left;
}
