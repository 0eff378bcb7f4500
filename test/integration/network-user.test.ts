// User-defined networks: network create|ls|inspect|rm|prune, --network NAME, --network-alias,
// --ip, names resolved between members, isolation from other networks. Real containers on
// bridges of this test process's own; the end checks nothing of them is left on the host.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { leftovers, links } from '../helpers/network';

const roots = tempRoots('gocker-netu-');
const g = (args: string[], input?: string): CliResult => gocker([...roots.args, ...args], input === undefined ? {} : { input });

before(async () => {
  await importBusybox(roots.args);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  g(['network', 'prune', '--force']);
  roots.remove();
});

const bridgeOf = (net: string): string => g(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', net]).stdout.trim();
const ipOn = (ctr: string, net: string): string => g(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, ctr]).stdout.trim();
const ping = (ctr: string, target: string): CliResult => g(['exec', ctr, 'ping', '-c', '1', '-W', '1', target]);

test('network create, ls, inspect, rm: docker\'s shapes and errors; the bridge and its rules come and go', () => {
  const c = g(['network', 'create', '--subnet', '10.251.7.0/24', '--gateway', '10.251.7.254', '--label', 'team=a', 'shapes']);
  assert.equal(c.status, 0, c.stderr);
  const id = c.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ls = g(['network', 'ls']).stdout.split('\n');
  assert.match(ls[0], /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
  for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null'], ['shapes', 'bridge']]) {
    assert.ok(ls.some((l) => new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+${driver}\\s+local$`).test(l)), `${name} in\n${ls.join('\n')}`);
  }
  const n = JSON.parse(g(['network', 'inspect', 'shapes']).stdout)[0];
  assert.equal(n.Id, id);
  assert.equal(n.Driver, 'bridge');
  assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.251.7.0/24', Gateway: '10.251.7.254' }]);
  assert.deepEqual(n.Labels, { team: 'a' });
  assert.equal(n.Internal, false);
  assert.deepEqual(n.Containers, {});
  const br = bridgeOf('shapes');
  assert.match(execFileSync('ip', ['-4', '-o', 'addr', 'show', br], { encoding: 'utf8' }), /inet 10\.251\.7\.254\/24 /);
  assert.equal(g(['network', 'inspect', '-f', '{{.Name}}', id.slice(0, 12)]).stdout, 'shapes\n');

  const dup = g(['network', 'create', 'shapes']);
  assert.equal(dup.status, 1);
  assert.equal(dup.stderr, 'Error response from daemon: network with name shapes already exists\n');
  const overlap = g(['network', 'create', '--subnet', '10.251.7.128/25', 'overlapping']);
  assert.equal(overlap.status, 1);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const pre = g(['network', 'rm', 'bridge']);
  assert.equal(pre.status, 1);
  assert.equal(pre.stderr, 'Error response from daemon: bridge is a pre-defined network and cannot be removed\n');
  const missing = g(['run', '--rm', '--network', 'nosuch', 'busybox', 'true']);
  assert.equal(missing.status, 125);
  assert.equal(missing.stderr, 'gocker: network nosuch not found\n');

  // A running container holds it; a stopped one does not (docker's "active endpoints").
  const r = g(['run', '-d', '--name', 'holder', '--network', 'shapes', 'busybox', 'sleep', '600']);
  assert.equal(r.status, 0, r.stderr);
  const busy = g(['network', 'rm', 'shapes']);
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /^Error response from daemon: error while removing network: network shapes id [0-9a-f]{64} has active endpoints\n$/);
  assert.equal(Object.keys(JSON.parse(g(['network', 'inspect', 'shapes']).stdout)[0].Containers).length, 1);
  assert.equal(g(['rm', '-f', 'holder']).status, 0);
  const rm = g(['network', 'rm', 'shapes']);
  assert.equal(rm.status, 0, rm.stderr);
  assert.equal(rm.stdout, 'shapes\n');
  assert.deepEqual(leftovers([br]), []);
});

test('members of a user network reach each other by name and alias; /etc/hosts follows members in place', async () => {
  assert.equal(g(['network', 'create', 'front']).status, 0);
  const a = g(['run', '-d', '--name', 'alpha', '--network', 'front', '--network-alias', 'web', '--network-alias', 'www', 'busybox', 'sh', '-c',
    'mkdir -p /w && echo from-alpha > /w/index.html && exec httpd -f -p 80 -h /w']);
  assert.equal(a.status, 0, a.stderr);
  const b = g(['run', '-d', '--name', 'beta', '--network', 'front', 'busybox', 'sleep', '600']);
  assert.equal(b.status, 0, b.stderr);
  const alphaIp = ipOn('alpha', 'front');
  for (const name of ['alpha', 'web', 'www', a.stdout.trim().slice(0, 12)]) {
    const p = ping('beta', name);
    assert.equal(p.status, 0, `${name}: ${p.stdout}${p.stderr}`);
    assert.match(p.stdout, new RegExp(`^PING ${name} \\(${alphaIp.replace(/\./g, '\\.')}\\)`));
  }
  assert.equal(ping('alpha', 'beta').status, 0);
  const fetched = g(['exec', 'beta', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://web:80/ && exit 0; sleep 0.3; done; exit 1']);
  assert.equal(fetched.stdout, 'from-alpha\n', fetched.stderr);
  assert.deepEqual(JSON.parse(g(['inspect', '-f', '{{json (index .NetworkSettings.Networks "front").Aliases}}', 'alpha']).stdout), ['web', 'www']);

  // A third member appears in the running members' /etc/hosts; a removed one goes from it.
  assert.equal(ping('beta', 'gamma').status, 1);
  assert.equal(g(['run', '-d', '--name', 'gamma', '--network', 'front', 'busybox', 'sleep', '600']).status, 0);
  assert.equal(ping('beta', 'gamma').status, 0);
  assert.equal(g(['rm', '-f', 'gamma']).status, 0);
  assert.ok(!g(['exec', 'beta', 'cat', '/etc/hosts']).stdout.includes('gamma'));
  // On the default bridge, as in docker, names do not resolve.
  assert.equal(g(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', 'alpha']).status, 1);
});

test('networks are isolated from each other; --internal has no way out; --ip is honoured, and refused on the default bridge', () => {
  assert.equal(g(['network', 'create', 'other']).status, 0);
  assert.equal(g(['network', 'create', '--internal', '--subnet', '10.251.9.0/24', 'inner']).status, 0);
  const alphaIp = ipOn('alpha', 'front');
  assert.equal(g(['run', '--rm', '--network', 'other', 'busybox', 'ping', '-c', '1', '-W', '1', alphaIp]).status, 1, 'from another user network');
  assert.equal(g(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', alphaIp]).status, 1, 'from the default bridge');
  // The same address from its own network answers: the drop is the isolation, not the address.
  assert.equal(ping('beta', alphaIp).status, 0);
  const inner = g(['run', '--rm', '--network', 'inner', '--ip', '10.251.9.77', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; ping -c 1 -W 1 ' + alphaIp]);
  assert.equal(inner.status, 1);
  assert.match(inner.stdout, /inet 10\.251\.9\.77\/24 /);
  assert.ok(!inner.stdout.includes('default via'), inner.stdout);
  const wrongIp = g(['run', '--rm', '--network', 'inner', '--ip', '10.9.9.9', 'busybox', 'true']);
  assert.equal(wrongIp.status, 125);
  assert.match(wrongIp.stderr, /does not belong to any of this network's subnets/);
  const ipOnBridge = g(['run', '--rm', '--ip', '10.1.1.1', 'busybox', 'true']);
  assert.equal(ipOnBridge.status, 125);
  assert.equal(ipOnBridge.stderr, 'gocker: user specified IP address is supported on user defined networks only\n');
  const aliasOnBridge = g(['run', '--rm', '--network-alias', 'x', 'busybox', 'true']);
  assert.equal(aliasOnBridge.status, 125);
  assert.equal(aliasOnBridge.stderr, 'gocker: network-scoped alias is supported only for containers in user defined networks\n');
});

test('network prune removes the networks no container is on, and their bridges', () => {
  const bridges = ['front', 'other', 'inner'].map(bridgeOf);
  const p = g(['network', 'prune'], 'y\n');
  assert.equal(p.status, 0, p.stderr);
  // front still has alpha and beta.
  assert.match(p.stdout, /Deleted Networks:\ninner\nother\n\n$/);
  assert.deepEqual(leftovers(bridges.slice(1)), []);
  assert.ok(links().some((l) => l.name === bridges[0]));
  assert.equal(g(['rm', '-f', 'alpha', 'beta']).status, 0);
  assert.equal(g(['network', 'rm', 'front']).status, 0);
  assert.deepEqual(leftovers(bridges), []);
});

test('--network container:NAME shares that container\'s network, hostname and /etc/hosts; docker\'s errors otherwise', () => {
  const base = g(['run', '-d', '--name', 'base', '-h', 'basehost', 'busybox', 'sh', '-c', 'mkdir -p /w && echo shared > /w/index.html && exec httpd -f -p 8080 -h /w']);
  assert.equal(base.status, 0, base.stderr);
  const ip = g(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'base']).stdout.trim();
  const r = g(['run', '--rm', '--network', 'container:base', 'busybox', 'sh', '-c',
    'ip -4 -o addr show eth0; hostname; tail -n 1 /etc/hosts; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/ && exit 0; sleep 0.3; done; exit 1']);
  assert.equal(r.status, 0, r.stderr);
  const [addr, host, hostsLine, body] = r.stdout.split('\n');
  assert.match(addr, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
  assert.equal(host, 'basehost');
  assert.equal(hostsLine, `${ip}\tbasehost`);
  assert.equal(body, 'shared');
  const hostname = g(['run', '--rm', '--network', 'container:base', '-h', 'x', 'busybox', 'true']);
  assert.equal(hostname.status, 125);
  assert.equal(hostname.stderr, 'gocker: conflicting options: hostname and the network mode\n');
  const nosuch = g(['run', '--rm', '--network', 'container:nosuch', 'busybox', 'true']);
  assert.equal(nosuch.status, 125);
  assert.equal(nosuch.stderr, 'gocker: No such container: nosuch\n');
  assert.equal(g(['stop', '-t', '0', 'base']).status, 0);
  const stopped = g(['run', '--rm', '--network', 'container:base', 'busybox', 'true']);
  assert.equal(stopped.status, 125);
  assert.match(stopped.stderr, /^gocker: cannot join network namespace of a non running container: [0-9a-f]{64}\n$/);
  assert.equal(g(['rm', 'base']).status, 0);
});
