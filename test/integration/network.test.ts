// The default bridge and published ports, against real containers: busybox's httpd and wget,
// a UDP echo server built here with the system's C compiler, this host's loopback and its
// own address. The bridge and subnets are this test process's own (helpers/network.ts);
// everything made is checked gone, with `ip` and iptables-save, after each rm and at the end.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { TEST_BRIDGE, TEST_SUBNET, leftovers, links } from '../helpers/network';
import { busyboxRootfs } from '../helpers/fixtures';
import { LOCK, native } from '../../lib/native';

const roots = tempRoots('gocker-net-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-netw-'));
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const HTTPD = 'mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www';

// A UDP echo server, static, for a busybox image whose nc has no -u.
const UDPECHO = `#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(atoi(argv[1]));
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  for (;;) {
    char buf[512];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n > 0) sendto(s, buf, n, 0, (struct sockaddr *)&from, len);
  }
}
`;

before(async () => {
  await importBusybox(roots.args);
  fs.mkdirSync(path.join(work, 'bin'));
  fs.writeFileSync(path.join(work, 'udpecho.c'), UDPECHO);
  execFileSync('cc', ['-static', '-O1', '-o', path.join(work, 'bin', 'udpecho'), path.join(work, 'udpecho.c')]);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

/** This host's own IPv4 address (not loopback, not a bridge of ours). */
function hostAddress(): string {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (name === TEST_BRIDGE || name.startsWith('gk-')) continue;
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  throw new Error('this host has no IPv4 address but loopback: the published-port tests need one');
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${host}:${port}`)));
    req.on('error', reject);
  });
}

/** GET with retries while the server in a just-started container comes up. */
async function httpUp(host: string, port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await httpGet(host, port);
    } catch (e) {
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function udpEcho(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP echo from ${host}:${port}`));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    // Sent again until answered: the server may not be listening yet.
    const send = (): void => s.send(text, port, host);
    send();
    const again = setInterval(send, 200);
    s.on('close', () => clearInterval(again));
  });
}

const inspect = (id: string, format: string): string => g(['inspect', '-f', format, id]).stdout.trim();
const ipOf = (id: string): string => inspect(id, '{{.NetworkSettings.IPAddress}}');

function ipamAddresses(): Record<string, string> {
  const dir = path.join(roots.root, 'networks');
  const out: Record<string, string> = {};
  for (const id of fs.readdirSync(dir)) {
    const f = path.join(dir, id, 'ipam.json');
    if (fs.existsSync(f)) Object.assign(out, (JSON.parse(fs.readFileSync(f, 'utf8')) as { addresses: Record<string, string> }).addresses);
  }
  return out;
}

/** Removes a container and checks that nothing of it is left: rules, its port on the bridge, its address. */
async function rmChecked(id: string): Promise<void> {
  const r = g(['rm', '-f', id]);
  assert.equal(r.status, 0, r.stderr);
  let left: string[] = [];
  for (let i = 0; i < 100; i++) {
    // Its veth goes with its network namespace, which the kernel takes down after the last
    // process. (Each test removes what it ran: no other container has a port on the bridge.)
    left = [...leftovers([], [id]), ...links().filter((l) => l.master === TEST_BRIDGE).map((l) => `port ${l.name}`)];
    if (!left.length) break;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  assert.deepEqual(left, []);
  assert.ok(!Object.values(ipamAddresses()).includes(id), 'its address is given back');
}

describe('the default bridge', () => {
  test('containers get eth0 on the bridge, reach each other by address, and /etc/hosts names them', async () => {
    const a = g(['run', '-d', '--name', 'web1', busyboxArgs(HTTPD)].flat());
    assert.equal(a.status, 0, a.stderr);
    const id = a.stdout.trim();
    const ip = ipOf(id);
    const subnet = TEST_SUBNET.split('.').slice(0, 3).join('.');
    assert.ok(ip.startsWith(`${subnet}.`), `${ip} in ${TEST_SUBNET}`);
    assert.equal(inspect(id, '{{.NetworkSettings.Gateway}}'), `${subnet}.1`);
    assert.equal(inspect(id, '{{.HostConfig.NetworkMode}}'), 'bridge');
    assert.equal(inspect(id, '{{(index .NetworkSettings.Networks "bridge").IPAddress}}'), ip);
    // The bridge is there, with the gateway address; the container's veth is one of its ports.
    assert.match(execFileSync('ip', ['-4', '-o', 'addr', 'show', TEST_BRIDGE], { encoding: 'utf8' }), new RegExp(`inet ${subnet}\\.1/24 `));
    assert.ok(links().some((l) => l.master === TEST_BRIDGE && l.name.startsWith('gkv')));
    // Another container fetches from it by address (wget retries while httpd starts).
    const b = g(['run', '--rm', 'busybox', 'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://${ip}:80/ && exit 0; sleep 0.3; done; exit 1`]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(b.stdout, `hello-${id.slice(0, 12)}\n`);
    const hosts = g(['exec', id, 'cat', '/etc/hosts']).stdout;
    assert.ok(hosts.endsWith(`${ip}\t${id.slice(0, 12)}\n`), hosts);
    assert.match(g(['exec', id, 'ip', 'route']).stdout, new RegExp(`^default via ${subnet}\\.1 dev eth0`));
    // Outbound: forwarding on, and the subnet masqueraded out of anything but its bridge.
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
    assert.ok(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n')
      .some((l) => l.startsWith(`-A GOCKER-POSTROUTING -s ${TEST_SUBNET} ! -o ${TEST_BRIDGE} `) && l.endsWith('-j MASQUERADE')));
    await rmChecked(id);
  });

  test('20 concurrent runs get 20 different addresses, all given back after --rm', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () =>
      gockerAsync([...roots.args, 'run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; sleep 1'])));
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const addrs = runs.map((r) => /inet (\S+)\//.exec(r.stdout)![1]);
    assert.equal(new Set(addrs).size, 20, addrs.join(' '));
    assert.deepEqual(ipamAddresses(), {});
  });

  test('an address survives a stop and comes back on start; a stale IPAM entry (a CLI killed before the record) is taken back', async () => {
    const a = g(['run', '-d', 'busybox', 'sleep', '600']);
    assert.equal(a.status, 0, a.stderr);
    const id = a.stdout.trim();
    const ip = ipOf(id);
    assert.equal(g(['stop', '-t', '0', id]).status, 0);
    assert.equal(ipamAddresses()[ip], id, 'kept while the container exists');
    assert.equal(g(['start', id]).status, 0);
    assert.equal(ipOf(id), ip);
    assert.match(g(['exec', id, 'ip', '-4', '-o', 'addr', 'show', 'eth0']).stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
    // An address held for a container that has neither record nor lock: taken back by the next allocation.
    const dir = path.join(roots.root, 'networks');
    const net = fs.readdirSync(dir).find((n) => fs.existsSync(path.join(dir, n, 'ipam.json')))!;
    const file = path.join(dir, net, 'ipam.json');
    const ipam = JSON.parse(fs.readFileSync(file, 'utf8')) as { addresses: Record<string, string> };
    const ghost = 'f'.repeat(64);
    ipam.addresses[`${TEST_SUBNET.split('.').slice(0, 3).join('.')}.250`] = ghost;
    fs.writeFileSync(file, JSON.stringify(ipam));
    assert.equal(g(['run', '--rm', 'busybox', 'true']).status, 0);
    assert.ok(!Object.values(ipamAddresses()).includes(ghost));
    await rmChecked(id);
  });
});

function busyboxArgs(script: string): string[] {
  return ['busybox', 'sh', '-c', script];
}

describe('published ports', () => {
  test('-p reaches the container from the host on 127.0.0.1 and on the host\'s own address, TCP and UDP', async () => {
    const udpecho = path.join(work, 'bin');
    const r = g(['run', '-d', '-p', '0:80', '-p', '127.0.0.1::81/udp', '-p', '0:82/udp', '-v', `${udpecho}:/x:ro`, 'busybox', 'sh', '-c', `/x/udpecho 81 & /x/udpecho 82 & ${HTTPD}`]);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const port = (key: string): { ip: string; port: number } => {
      const [ip, p] = g(['port', id, key]).stdout.trim().split(':');
      return { ip, port: Number(p) };
    };
    const web = port('80');
    assert.equal(web.ip, '0.0.0.0');
    assert.ok(web.port > 0);
    assert.equal(port('81/udp').ip, '127.0.0.1');
    assert.equal(await httpUp('127.0.0.1', web.port), `hello-${id.slice(0, 12)}\n`);
    assert.equal(await httpUp(hostAddress(), web.port), `hello-${id.slice(0, 12)}\n`);
    assert.equal(await udpEcho('127.0.0.1', port('81/udp').port, 'udp-on-loopback'), 'udp-on-loopback');
    assert.equal(await udpEcho(hostAddress(), port('82/udp').port, 'udp-on-host'), 'udp-on-host');
    // A port published on 127.0.0.1 only is not forwarded from the host's other addresses.
    await assert.rejects(udpEcho(hostAddress(), port('81/udp').port, 'x'));
    // ps, inspect and port say the same.
    const ports = JSON.parse(inspect(id, '{{json .NetworkSettings.Ports}}')) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    assert.deepEqual(ports['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: String(web.port) }]);
    assert.deepEqual(ports['81/udp'], [{ HostIp: '127.0.0.1', HostPort: String(port('81/udp').port) }]);
    const ps = g(['ps']).stdout;
    assert.ok(ps.includes(`0.0.0.0:${web.port}->80/tcp`), ps);
    assert.ok(ps.includes(`127.0.0.1:${port('81/udp').port}->81/udp`), ps);
    assert.deepEqual(g(['port', id]).stdout.split('\n').filter(Boolean).sort(),
      [`80/tcp -> 0.0.0.0:${web.port}`, `81/udp -> 127.0.0.1:${port('81/udp').port}`, `82/udp -> 0.0.0.0:${port('82/udp').port}`].sort());
    const none = g(['port', id, '83']);
    assert.equal(none.status, 1);
    assert.equal(none.stderr, `Error: No public port '83/tcp' published for ${id}\n`);
    await rmChecked(id);
  });

  test('-P publishes the image\'s exposed ports (and --expose) on random host ports; ranges map one to one', async () => {
    const tarball = path.join(work, 'busybox.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
    const imp = g(['import', '-c', 'EXPOSE 80 90/udp', tarball, 'exposing']);
    assert.equal(imp.status, 0, imp.stderr);
    const r = g(['run', '-d', '-P', '--expose', '7000-7001', '-p', '127.0.0.1:17080-17081:80-81', 'exposing', 'sleep', '600']);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const lines = g(['port', id]).stdout.split('\n').filter(Boolean);
    // 80 is published as -p asks (not again at random); 90/udp and 7000-7001 at random.
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.ok(lines.includes('80/tcp -> 127.0.0.1:17080') && lines.includes('81/tcp -> 127.0.0.1:17081'), lines.join('\n'));
    for (const p of ['90/udp', '7000/tcp', '7001/tcp']) assert.match(lines.find((l) => l.startsWith(p)) ?? '', /-> 0\.0\.0\.0:\d+$/);
    assert.match(g(['ps']).stdout, /127\.0\.0\.1:17080-17081->80-81\/tcp/);
    // HostConfig keeps the bindings as given (-p's), as dockerd's: -P's ports are chosen at
    // each start and shown in NetworkSettings.Ports alone. Before, HostConfig.PortBindings
    // took an entry for each of them. A restart keeps them working, on the same host ports.
    assert.equal(inspect(id, '{{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}}'),
      '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"17080"}],"81/tcp":[{"HostIp":"127.0.0.1","HostPort":"17081"}]} true');
    const shown = JSON.parse(inspect(id, '{{json .NetworkSettings.Ports}}')) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    assert.deepEqual(Object.keys(shown).sort(), ['7000/tcp', '7001/tcp', '80/tcp', '81/tcp', '90/udp']);
    for (const p of ['90/udp', '7000/tcp', '7001/tcp']) assert.equal(lines.find((l) => l.startsWith(p)), `${p} -> 0.0.0.0:${shown[p]![0].HostPort}`);
    assert.equal(g(['restart', '-t', '0', id]).status, 0);
    assert.deepEqual(g(['port', id]).stdout.split('\n').filter(Boolean).sort(), [...lines].sort());
    assert.equal(inspect(id, '{{json .HostConfig.PortBindings}}'), '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"17080"}],"81/tcp":[{"HostIp":"127.0.0.1","HostPort":"17081"}]}');
    await rmChecked(id);
    assert.equal(g(['rmi', 'exposing']).status, 0);
  });

  test('a host port already taken is an error before the container starts, and leaves nothing', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      const before = fs.readdirSync(path.join(roots.root, 'containers'));
      const r = g(['run', '--rm', '-p', `${taken}:80`, 'busybox', 'echo', 'ran']);
      assert.equal(r.status, 125);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^gocker: driver failed programming external connectivity on endpoint \\S+ \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:${taken} failed: port is already allocated\\n$`));
      assert.deepEqual(fs.readdirSync(path.join(roots.root, 'containers')), before);
      // Another container's port is taken the same way.
      const a = g(['run', '-d', '-p', '0:80', 'busybox', 'sleep', '600']);
      const id = a.stdout.trim();
      const held = Number(g(['port', id, '80']).stdout.trim().split(':')[1]);
      const b = g(['run', '-d', '-p', `${held}:80`, 'busybox', 'sleep', '600']);
      assert.equal(b.status, 125);
      assert.match(b.stderr, /port is already allocated/);
      await rmChecked(id);
      assert.deepEqual(ipamAddresses(), {});
    } finally {
      server.close();
    }
  });

  test('restart keeps the mapping (a random port too); stop takes the rules down, start puts them back', async () => {
    const r = g(['run', '-d', '-p', '80', 'busybox', 'sh', '-c', HTTPD]);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const port = g(['port', id, '80']).stdout.trim();
    const hostPort = Number(port.split(':')[1]);
    assert.equal(await httpUp('127.0.0.1', hostPort), `hello-${id.slice(0, 12)}\n`);
    assert.equal(g(['restart', '-t', '1', id]).status, 0);
    assert.equal(g(['port', id, '80']).stdout.trim(), port);
    assert.equal(await httpUp('127.0.0.1', hostPort), `hello-${id.slice(0, 12)}\n`);
    assert.equal(g(['stop', '-t', '1', id]).status, 0);
    assert.deepEqual(leftovers([], [id]), []);
    assert.equal(g(['ps', '-a', '--filter', `id=${id}`]).stdout.split('\n')[1].includes('->'), false, 'no PORTS once exited');
    assert.equal(g(['start', id]).status, 0);
    assert.equal(await httpUp('127.0.0.1', hostPort), `hello-${id.slice(0, 12)}\n`);
    // Killed from outside (-9 of its process): the next command takes the rules down.
    const pid = Number(inspect(id, '{{.State.Pid}}'));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && g(['ps', '-q']).stdout.includes(id.slice(0, 12)); i++) await new Promise((r2) => setTimeout(r2, 50));
    assert.deepEqual(leftovers([], [id]), []);
    await rmChecked(id);
  });

  test('create -p, then start from another process: the container runs on its address with its port published; rm of a created one leaves nothing', async () => {
    const c = g(['create', '-p', '80', 'busybox', 'sh', '-c', HTTPD]);
    assert.equal(c.status, 0, c.stderr);
    const id = c.stdout.trim();
    const ip = ipOf(id);
    assert.ok(ip.startsWith(`${TEST_SUBNET.split('.').slice(0, 3).join('.')}.`), ip);
    assert.equal(g(['start', id]).status, 0);
    const hostPort = Number(g(['port', id, '80']).stdout.trim().split(':')[1]);
    assert.equal(await httpUp('127.0.0.1', hostPort), `hello-${id.slice(0, 12)}\n`);
    assert.match(g(['exec', id, 'ip', '-4', '-o', 'addr', 'show', 'eth0']).stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
    await rmChecked(id);
    // Created, never started: its address, port and rules go with it.
    const never = g(['create', '-p', '80', 'busybox', 'true']);
    assert.equal(never.status, 0, never.stderr);
    await rmChecked(never.stdout.trim());
  });
});

describe('a CLI killed mid-setup', () => {
  test('killed -9 while attaching the network leaves nothing the next commands do not clean', async () => {
    // Held here, gocker's host-wide network lock stops the CLI between the veth pair and the
    // port rules: the monitor has started, the record is saved, the container waits for "go".
    const fd = fs.openSync('/run/gocker-network.lock', fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    let id = '';
    try {
      assert.ok(native().flock(fd, LOCK.EX | LOCK.NB), 'the network lock is free');
      const cli = spawn(BIN, [...roots.args, 'run', '--name', 'cut', '-p', '0:80', 'busybox', 'sleep', '600'], { stdio: 'ignore' });
      for (let i = 0; i < 200 && !links().some((l) => l.master === TEST_BRIDGE && l.name.startsWith('gkv')); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(links().some((l) => l.master === TEST_BRIDGE), 'the veth pair was made');
      id = inspect('cut', '{{.Id}}');
      cli.kill('SIGKILL');
      await new Promise((r) => cli.on('exit', r));
    } finally {
      fs.closeSync(fd);
    }
    // The monitor saw its CLI go: the container never ran, its namespace and veth pair are gone.
    const ps = g(['ps', '-a', '--filter', 'name=cut']);
    assert.match(ps.stdout, /Exited \(125\)/);
    assert.equal(inspect(id, '{{.State.Error}}'), 'gocker exited before the container was started');
    await rmChecked(id);
  });
});
