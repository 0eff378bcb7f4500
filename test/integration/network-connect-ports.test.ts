// Published ports across network disconnect and connect, as dockerd has them: disconnecting the
// network that carries them frees the host ports at once (a host listener or another container
// binds them) and inspect, ps and port show none; connecting a network again publishes them
// there, on the same host port; a port taken meanwhile fails the connect and leaves nothing.
// A created container's too, before its start. Real containers (busybox httpd) on bridges of
// this test process's own, reached on 127.0.0.1 only.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { leftovers, links } from '../helpers/network';

const roots = tempRoots('gocker-netcp-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const HTTPD = 'mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www';
const listeners: net.Server[] = [];

before(async () => {
  await importBusybox(roots.args);
});

after(async () => {
  for (const s of listeners) s.close();
  removeAllContainers(roots.root, roots.args);
  g(['network', 'prune', '--force']);
  roots.remove();
});

/** A port of 127.0.0.1 free now (the kernel's pick, let go again). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A listener of this process on 127.0.0.1:port, or the error binding it gave. */
async function listenOn(port: number): Promise<net.Server | NodeJS.ErrnoException> {
  const s = net.createServer((c) => c.end());
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  listeners.push(s);
  return s;
}

async function close(s: net.Server): Promise<void> {
  await new Promise((resolve) => s.close(resolve));
  listeners.splice(listeners.indexOf(s), 1);
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function httpUp(port: number): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await httpGet(port);
    } catch (e) {
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const inspect = (ctr: string, format: string): string => ok(['inspect', '-f', format, ctr]).trim();
const bridgeOf = (n: string): string => ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', n]).trim();
const natRulesOf = (id: string): string[] => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`gocker-ctr:${id}`));
const veths = (bridge: string): number => links().filter((l) => l.master === bridge).length;

test('disconnect frees the host port at once and shows none; connect publishes it again on the same port; restart keeps it', async () => {
  ok(['network', 'create', 'ncp-web']);
  ok(['network', 'create', 'ncp-other']);
  const bridges = [bridgeOf('ncp-web'), bridgeOf('ncp-other')];
  const hostPort = await freePort();
  const id = ok(['run', '-d', '--name', 'ncp-a', '-p', `127.0.0.1:${hostPort}:80`, '--network', 'ncp-web', 'busybox', 'sh', '-c', HTTPD]).trim();
  assert.equal(await httpUp(hostPort), `hello-${id.slice(0, 12)}\n`);
  assert.equal((await listenOn(hostPort) as NodeJS.ErrnoException).code, 'EADDRINUSE', 'held while published');

  const d = g(['network', 'disconnect', 'ncp-web', 'ncp-a']);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(d.stdout, '');
  // Free at once: a plain host listener binds it, then another container publishes it.
  const mine = await listenOn(hostPort);
  assert.ok(mine instanceof net.Server, `the host port is still held after disconnect: ${(mine as Error).message}`);
  await close(mine);
  const b = g(['run', '-d', '--name', 'ncp-b', '-p', `127.0.0.1:${hostPort}:80`, '--network', 'ncp-other', 'busybox', 'sh', '-c', HTTPD]);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(await httpUp(hostPort), `hello-${b.stdout.trim().slice(0, 12)}\n`);
  ok(['rm', '-f', 'ncp-b']);
  // inspect, ps and port show nothing published, and its rules are gone; it runs on.
  assert.equal(inspect('ncp-a', '{{json .NetworkSettings.Ports}}'), '{}');
  assert.equal(ok(['ps', '--filter', 'name=ncp-a', '--format', '{{.Ports}}']), '\n');
  assert.equal(ok(['port', 'ncp-a']), '');
  const p = g(['port', 'ncp-a', '80']);
  assert.equal(p.status, 1);
  assert.equal(p.stderr, 'Error: No public port \'80/tcp\' published for ncp-a\n');
  assert.deepEqual(natRulesOf(id), []);
  assert.equal(inspect('ncp-a', '{{.State.Running}}'), 'true');

  // Connected again: published there, on its port, as dockerd publishes a sandbox's ports on
  // the next endpoint when none carries them.
  ok(['network', 'connect', 'ncp-web', 'ncp-a']);
  assert.deepEqual(JSON.parse(inspect('ncp-a', '{{json .NetworkSettings.Ports}}')), { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
  assert.equal(ok(['port', 'ncp-a']), `80/tcp -> 127.0.0.1:${hostPort}\n`);
  assert.equal(ok(['ps', '--filter', 'name=ncp-a', '--format', '{{.Ports}}']), `127.0.0.1:${hostPort}->80/tcp\n`);
  assert.equal(await httpUp(hostPort), `hello-${id.slice(0, 12)}\n`);
  assert.equal((await listenOn(hostPort) as NodeJS.ErrnoException).code, 'EADDRINUSE', 'held again once connected');
  // Connecting another network leaves them where they are.
  ok(['network', 'connect', 'ncp-other', 'ncp-a']);
  assert.equal(ok(['port', 'ncp-a']), `80/tcp -> 127.0.0.1:${hostPort}\n`);
  ok(['network', 'disconnect', 'ncp-other', 'ncp-a']);
  assert.equal(await httpUp(hostPort), `hello-${id.slice(0, 12)}\n`);

  ok(['restart', '-t', '1', 'ncp-a']);
  assert.equal(ok(['port', 'ncp-a']), `80/tcp -> 127.0.0.1:${hostPort}\n`);
  assert.equal(await httpUp(hostPort), `hello-${id.slice(0, 12)}\n`);

  // A port taken while it was not published: the connect fails as dockerd's, and leaves no link.
  ok(['network', 'disconnect', 'ncp-web', 'ncp-a']);
  const taken = await listenOn(hostPort);
  assert.ok(taken instanceof net.Server);
  const before = veths(bridges[0]);
  const c = g(['network', 'connect', 'ncp-web', 'ncp-a']);
  assert.equal(c.status, 1);
  assert.match(c.stderr, new RegExp(`^Error response from daemon: driver failed programming external connectivity on endpoint ncp-a \\(\\w+\\): Bind for 127\\.0\\.0\\.1:${hostPort} failed: port is already allocated\\n$`));
  assert.equal(veths(bridges[0]), before);
  assert.equal(inspect('ncp-a', '{{json .NetworkSettings.Ports}}'), '{}');
  assert.ok(!inspect('ncp-a', '{{json .NetworkSettings.Networks}}').includes('ncp-web'));
  await close(taken);

  ok(['rm', '-f', 'ncp-a']);
  ok(['network', 'rm', 'ncp-web', 'ncp-other']);
  assert.deepEqual(leftovers(bridges, [id]), []);
});

test('a created container: disconnect frees its held port before its start, connect holds it again, start publishes it', async () => {
  ok(['network', 'create', 'ncp-made']);
  const bridge = bridgeOf('ncp-made');
  const hostPort = await freePort();
  const id = ok(['create', '--name', 'ncp-c', '-p', `127.0.0.1:${hostPort}:80`, '--network', 'ncp-made', 'busybox', 'sh', '-c', HTTPD]).trim();
  assert.equal((await listenOn(hostPort) as NodeJS.ErrnoException).code, 'EADDRINUSE', 'held once created');
  ok(['network', 'disconnect', 'ncp-made', 'ncp-c']);
  const mine = await listenOn(hostPort);
  assert.ok(mine instanceof net.Server, `the host port is still held after disconnect: ${(mine as Error).message}`);
  await close(mine);
  assert.equal(inspect('ncp-c', '{{json .NetworkSettings.Ports}}'), '{}');
  ok(['network', 'connect', 'ncp-made', 'ncp-c']);
  assert.equal((await listenOn(hostPort) as NodeJS.ErrnoException).code, 'EADDRINUSE', 'held again once connected');
  ok(['start', 'ncp-c']);
  assert.equal(await httpUp(hostPort), `hello-${id.slice(0, 12)}\n`);
  ok(['rm', '-f', 'ncp-c']);
  ok(['network', 'rm', 'ncp-made']);
  assert.deepEqual(leftovers([bridge], [id]), []);
});
