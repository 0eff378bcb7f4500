// Networking as an attacker sees it, on a host of the test's own: a network namespace made
// here ("the host", forwarding off as a machine comes) with two other links into two more
// namespaces (its other networks, with a listener each), and gocker run inside it through
// `ip netns exec`, so its bridge, iptables chains and ip_forward are that namespace's alone.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';

const roots = tempRoots('gocker-secnet-');
const tag = process.pid.toString(36);
const HOST = `gkh-${tag}`;
const LAN_A = `gka-${tag}`;
const LAN_B = `gkb-${tag}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secnetw-'));
const listeners: ChildProcess[] = [];

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inHost = (args: string[]): CliResult => {
  const r = spawnSync('ip', ['netns', 'exec', HOST, BIN, ...roots.args, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
};

// A TCP listener that answers "hello" (node, in the namespace given).
const SERVER = `require('net').createServer((c) => c.end('hello')).listen(Number(process.argv[2]), process.argv[3], () => console.log('up'));`;
// A connection to host:port from the namespace given: what it read, or why not, after 3 s at most.
const CLIENT = `const c = require('net').connect(Number(process.argv[3]), process.argv[2]); let got = '';
c.setTimeout(3000, () => { console.log('timeout'); process.exit(0); });
c.on('data', (d) => (got += d)); c.on('end', () => { console.log(got); process.exit(0); });
c.on('error', (e) => { console.log(e.code); process.exit(0); });`;

function listen(ns: string, address: string, port: number): Promise<void> {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(work, 'server.js'), String(port), address], { stdio: ['ignore', 'pipe', 'inherit'] });
  listeners.push(p);
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`listener in ${ns} exited ${code}`)));
  });
}

const connect = (ns: string, address: string, port: number): string =>
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, path.join(work, 'client.js'), address, String(port)], { encoding: 'utf8' }).trim();

before(async () => {
  fs.writeFileSync(path.join(work, 'server.js'), SERVER);
  fs.writeFileSync(path.join(work, 'client.js'), CLIENT);
  for (const ns of [HOST, LAN_A, LAN_B]) ip('netns', 'add', ns);
  ip('-n', HOST, 'link', 'set', 'lo', 'up');
  // The host's two other networks: 10.254.1.0/24 through one link, 10.254.2.0/24 through another.
  for (const [ns, n] of [[LAN_A, 1], [LAN_B, 2]] as const) {
    ip('-n', HOST, 'link', 'add', `eth${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', HOST, 'addr', 'add', `10.254.${n}.1/24`, 'dev', `eth${n}`);
    ip('-n', HOST, 'link', 'set', `eth${n}`, 'up');
    ip('-n', ns, 'addr', 'add', `10.254.${n}.2/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', `10.254.${n}.1`);
  }
  execFileSync('ip', ['netns', 'exec', HOST, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0']);
  await listen(LAN_B, '10.254.2.2', 8080);
  await importBusybox(roots.args);
});

after(() => {
  for (const p of listeners) if (p.pid && p.exitCode === null) p.kill();
  spawnSync('ip', ['netns', 'exec', HOST, BIN, ...roots.args, 'rm', '-f', '-v', 'fwd'], { stdio: 'ignore' });
  removeAllContainers(roots.root, roots.args);
  for (const ns of [HOST, LAN_A, LAN_B]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the host as a router', () => {
  test("forwarding turned on for the bridge does not route between the host's other networks", () => {
    // As the host comes: its networks reach it, not each other.
    assert.equal(connect(LAN_A, '10.254.2.1', 9), 'ECONNREFUSED', 'the host answers its other network');
    assert.equal(connect(LAN_A, '10.254.2.2', 8080), 'timeout');
    const r = inHost(['run', '-d', '--name', 'fwd', 'busybox', 'sleep', '1000']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(execFileSync('ip', ['netns', 'exec', HOST, 'cat', '/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim(), '1');
    // The container goes out (forwarded, masqueraded) to the other network...
    const out = inHost(['exec', 'fwd', 'nc', '-w', '3', '10.254.2.2', '8080']);
    assert.equal(out.stdout, 'hello', out.stderr);
    // ...but one of the host's networks still does not reach the other through it, as with
    // docker, which sets FORWARD's policy to DROP when it turns forwarding on.
    assert.equal(connect(LAN_A, '10.254.2.2', 8080), 'timeout');
    const rm = inHost(['rm', '-f', 'fwd']);
    assert.equal(rm.status, 0, rm.stderr);
  });
});
