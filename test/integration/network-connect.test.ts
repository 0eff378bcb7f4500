// network connect and disconnect: a running container gets a link, an address and names on
// another network at once and loses them again; a created or stopped one gets the network at
// its start; docker's errors; nothing of it left on the host. Real containers on bridges of
// this test process's own.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { leftovers, links } from '../helpers/network';

const roots = tempRoots('gocker-netc-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

before(async () => {
  await importBusybox(roots.args);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  g(['network', 'prune', '--force']);
  roots.remove();
});

const bridgeOf = (net: string): string => ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', net]).trim();
const ipOn = (ctr: string, net: string): string => ok(['inspect', '-f', `{{with index .NetworkSettings.Networks "${net}"}}{{.IPAddress}}{{end}}`, ctr]).trim();
const ping = (ctr: string, target: string): CliResult => g(['exec', ctr, 'ping', '-c', '1', '-W', '1', target]);
/** The ports on a bridge: the host ends of the veth pairs of the containers on it. */
const ports = (bridge: string): string[] => links().filter((l) => l.master === bridge).map((l) => l.name);
/** The addresses the network's IPAM holds, read from its file. */
const leases = (net: string): Record<string, string> => {
  const id = ok(['network', 'inspect', '-f', '{{.Id}}', net]).trim();
  const file = path.join(roots.root, 'networks', id, 'ipam.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { addresses: Record<string, string> }).addresses : {};
};

test('connect at run time: a new link and address, reached by name, alias and address; disconnect takes them all away', () => {
  ok(['network', 'create', 'nc-front']);
  ok(['network', 'create', 'nc-back']);
  const back = bridgeOf('nc-back');
  const front = bridgeOf('nc-front');
  ok(['run', '-d', '--name', 'nc-web', '--network', 'nc-front', 'busybox', 'sleep', '600']);
  const dbId = ok(['run', '-d', '--name', 'nc-db', '--network', 'nc-back', 'busybox', 'sleep', '600']).trim();
  const dbIp = ipOn('nc-db', 'nc-back');
  assert.equal(ping('nc-web', 'nc-db').status, 1, 'not on its network yet');
  assert.equal(ping('nc-web', dbIp).status, 1, 'not on its network yet');
  assert.equal(ports(back).length, 1);

  const c = g(['network', 'connect', '--alias', 'app', '--alias', 'nc-www', 'nc-back', 'nc-web']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stdout, '');
  const webId = ok(['inspect', '-f', '{{.Id}}', 'nc-web']).trim();
  const webIp = ipOn('nc-web', 'nc-back');
  assert.match(webIp, /^10\.\d+\.\d+\.\d+$/);
  // Its second link, in its namespace, with the address inspect shows; its route stays on its first network.
  const addrs = ok(['exec', 'nc-web', 'ip', '-4', '-o', 'addr', 'show']);
  assert.match(addrs, new RegExp(`eth1\\s+inet ${webIp.replace(/\./g, '\\.')}/24 `));
  assert.match(ok(['exec', 'nc-web', 'ip', 'route']), new RegExp(`^default via ${ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "nc-front").Gateway}}', 'nc-web']).trim().replace(/\./g, '\\.')} dev eth0`, 'm'));
  assert.equal(ports(back).length, 2);
  assert.equal(leases('nc-back')[webIp], webId);
  const ep = JSON.parse(ok(['inspect', '-f', '{{json (index .NetworkSettings.Networks "nc-back")}}', 'nc-web']));
  assert.deepEqual(ep.Aliases, ['app', 'nc-www']);
  assert.deepEqual(ep.DNSNames, ['nc-web', webId.slice(0, 12), 'app', 'nc-www']);
  assert.equal(ep.NetworkID, ok(['network', 'inspect', '-f', '{{.Id}}', 'nc-back']).trim());
  assert.match(ep.MacAddress, /^02(:[0-9a-f]{2}){5}$/);
  assert.ok(JSON.parse(ok(['network', 'inspect', 'nc-back']))[0].Containers[webId], 'network inspect lists it');

  // Both ways, by name and by address; the peer learned its names and aliases in place.
  const toDb = ping('nc-web', 'nc-db');
  assert.equal(toDb.status, 0, toDb.stdout + toDb.stderr);
  assert.match(toDb.stdout, new RegExp(`^PING nc-db \\(${dbIp.replace(/\./g, '\\.')}\\)`));
  assert.equal(ping('nc-web', dbIp).status, 0);
  for (const name of ['nc-web', 'app', 'nc-www', webId.slice(0, 12)]) {
    const p = ping('nc-db', name);
    assert.equal(p.status, 0, `${name}: ${p.stdout}${p.stderr}`);
    assert.match(p.stdout, new RegExp(`^PING ${name} \\(${webIp.replace(/\./g, '\\.')}\\)`));
  }

  const again = g(['network', 'connect', 'nc-back', 'nc-web']);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, 'Error response from daemon: endpoint with name nc-web already exists in network nc-back\n');

  const d = g(['network', 'disconnect', 'nc-back', 'nc-web']);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(d.stdout, '');
  assert.equal(ping('nc-web', dbIp).status, 1, 'no way to it after disconnect');
  assert.equal(ping('nc-web', 'nc-db').status, 1);
  assert.equal(ping('nc-db', 'nc-web').status, 1);
  assert.ok(!ok(['exec', 'nc-db', 'cat', '/etc/hosts']).includes('nc-web'));
  assert.ok(!ok(['exec', 'nc-web', 'cat', '/etc/hosts']).includes('nc-db'));
  assert.ok(!ok(['exec', 'nc-web', 'ip', '-4', '-o', 'addr', 'show']).includes(webIp));
  assert.doesNotMatch(ok(['exec', 'nc-web', 'ip', '-o', 'link']), /eth1/);
  // Nothing left: its host link, its lease, its record entry.
  assert.equal(ports(back).length, 1);
  assert.deepEqual(Object.values(leases('nc-back')), [dbId]);
  assert.equal(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'nc-web']).includes('nc-back'), false);
  assert.equal(JSON.parse(ok(['network', 'inspect', 'nc-back']))[0].Containers[webId], undefined);
  // Its first network is untouched.
  assert.equal(ping('nc-web', ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "nc-front").Gateway}}', 'nc-web']).trim()).status, 0);

  const notOn = g(['network', 'disconnect', 'nc-back', 'nc-web']);
  assert.equal(notOn.status, 1);
  assert.equal(notOn.stderr, `Error response from daemon: container ${webId} is not connected to network nc-back\n`);

  // Its default route's network going, the route moves to the other one, as docker's does.
  ok(['network', 'connect', 'nc-back', 'nc-web']);
  const frontGw = ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "nc-front").Gateway}}', 'nc-web']).trim();
  const backGw = ok(['inspect', '-f', '{{(index .NetworkSettings.Networks "nc-back").Gateway}}', 'nc-web']).trim();
  assert.match(ok(['exec', 'nc-web', 'ip', 'route']), new RegExp(`^default via ${frontGw.replace(/\./g, '\\.')} `, 'm'));
  ok(['network', 'disconnect', 'nc-front', 'nc-web']);
  const routes = ok(['exec', 'nc-web', 'ip', 'route']);
  assert.match(routes, new RegExp(`^default via ${backGw.replace(/\./g, '\\.')} dev eth\\d`, 'm'));
  assert.ok(!routes.includes(frontGw), routes);
  assert.equal(ping('nc-web', backGw).status, 0);
  assert.equal(ping('nc-web', 'nc-db').status, 0);
  assert.deepEqual(Object.keys(JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'nc-web']))), ['nc-back']);

  ok(['rm', '-f', 'nc-web', 'nc-db']);
  ok(['network', 'rm', 'nc-front', 'nc-back']);
  assert.deepEqual(leftovers([back, front], [webId, dbId]), []);
});

test('a created or stopped container gets the network at its start; disconnecting it while stopped gives the address back', () => {
  ok(['network', 'create', 'nc-later']);
  ok(['run', '-d', '--name', 'nc-peer', '--network', 'nc-later', 'busybox', 'sleep', '600']);
  const peerIp = ipOn('nc-peer', 'nc-later');
  ok(['create', '--name', 'nc-made', 'busybox', 'sleep', '600']);
  ok(['network', 'connect', 'nc-later', 'nc-made']);
  ok(['start', 'nc-made']);
  const madeIp = ipOn('nc-made', 'nc-later');
  assert.match(madeIp, /^10\./);
  assert.equal(ping('nc-made', 'nc-peer').status, 0);
  assert.equal(ping('nc-peer', 'nc-made').status, 0);
  // Its default bridge address is still its first, with the default route.
  assert.match(ok(['exec', 'nc-made', 'ip', 'route']), /^default via \S+ dev eth0/m);
  assert.match(ok(['exec', 'nc-made', 'ip', '-4', '-o', 'addr', 'show', 'eth1']), new RegExp(`inet ${madeIp.replace(/\./g, '\\.')}/`));

  ok(['stop', '-t', '0', 'nc-made']);
  const id = ok(['inspect', '-f', '{{.Id}}', 'nc-made']).trim();
  const d = g(['network', 'disconnect', 'nc-later', 'nc-made']);
  assert.equal(d.status, 0, d.stderr);
  assert.ok(!Object.values(leases('nc-later')).includes(id), 'its lease went back');
  const notOn = g(['network', 'disconnect', 'nc-later', 'nc-made']);
  assert.equal(notOn.status, 1);
  assert.equal(notOn.stderr, `Error response from daemon: container ${id} is not connected to the network nc-later\n`);
  ok(['start', 'nc-made']);
  assert.doesNotMatch(ok(['exec', 'nc-made', 'ip', '-o', 'link']), /eth1/);
  assert.equal(ping('nc-made', peerIp).status, 1);
  assert.ok(!ok(['exec', 'nc-peer', 'cat', '/etc/hosts']).includes('nc-made'));
  ok(['rm', '-f', 'nc-made', 'nc-peer']);
  const br = bridgeOf('nc-later');
  ok(['network', 'rm', 'nc-later']);
  assert.deepEqual(leftovers([br], [id]), []);
});

test('connect and disconnect: docker\'s errors for a missing network or container, host, none and container: modes', () => {
  ok(['network', 'create', 'nc-err']);
  ok(['run', '-d', '--name', 'nc-none', '--network', 'none', 'busybox', 'sleep', '600']);
  ok(['run', '-d', '--name', 'nc-host', '--network', 'host', 'busybox', 'sleep', '600']);
  ok(['run', '-d', '--name', 'nc-joined', '--network', 'container:nc-none', 'busybox', 'sleep', '600']);
  ok(['run', '-d', '--name', 'nc-plain', 'busybox', 'sleep', '600']);
  const cases: Array<[string[], string]> = [
    [['connect', 'nc-nosuch', 'nc-plain'], 'network nc-nosuch not found'],
    [['connect', 'nc-err', 'nc-nosuch'], 'No such container: nc-nosuch'],
    [['disconnect', 'nc-nosuch', 'nc-plain'], 'network nc-nosuch not found'],
    [['disconnect', 'nc-err', 'nc-nosuch'], 'No such container: nc-nosuch'],
    [['connect', 'nc-err', 'nc-none'], 'container cannot be connected to multiple networks with one of the networks in private (none) mode'],
    [['connect', 'nc-err', 'nc-host'], 'container sharing network namespace with another container or host cannot be connected to any other network'],
    [['connect', 'nc-err', 'nc-joined'], 'container sharing network namespace with another container or host cannot be connected to any other network'],
    [['connect', 'host', 'nc-plain'], 'container cannot be disconnected from host network or connected to host network'],
    [['disconnect', 'host', 'nc-host'], 'container cannot be disconnected from host network or connected to host network'],
    [['connect', '--ip', '10.1.2.3', 'bridge', 'nc-none'], 'user specified IP address is supported on user defined networks only'],
    [['connect', '--alias', 'x', 'bridge', 'nc-none'], 'network-scoped alias is supported only for containers in user defined networks'],
  ];
  for (const [args, said] of cases) {
    const r = g(['network', ...args]);
    assert.equal(r.stderr, `Error response from daemon: ${said}\n`, args.join(' '));
    assert.equal(r.status, 1, args.join(' '));
  }
  const joinedId = ok(['inspect', '-f', '{{.Id}}', 'nc-joined']).trim();
  const joined = g(['network', 'disconnect', 'nc-err', 'nc-joined']);
  assert.equal(joined.status, 1);
  assert.equal(joined.stderr, `Error response from daemon: container ${joinedId} is not connected to network nc-err\n`);
  const count = g(['network', 'connect', 'nc-err']);
  assert.equal(count.status, 1);
  assert.equal(count.stderr, '"gocker network connect" requires exactly 2 arguments.\nSee \'gocker network connect --help\'.\n\nUsage:  gocker network connect [OPTIONS] NETWORK CONTAINER\n\nConnect a container to a network\n');
  // An --ip outside the network: refused, and nothing of it stays (no link, no lease, no entry).
  const br = bridgeOf('nc-err');
  const before = ports(br).length;
  const wrong = g(['network', 'connect', '--ip', '10.9.9.9', 'nc-err', 'nc-plain']);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /^Error response from daemon: invalid address 10\.9\.9\.9: it does not belong to any of this network's subnets/);
  assert.equal(ports(br).length, before);
  assert.deepEqual(leases('nc-err'), {});
  assert.ok(!ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'nc-plain']).includes('nc-err'));
  // A stopped container still names a network removed since: -f takes it out of its record.
  ok(['network', 'create', 'nc-gone']);
  ok(['run', '--name', 'nc-stale', 'busybox', 'true']);
  ok(['network', 'connect', 'nc-gone', 'nc-stale']);
  const goneBridge = bridgeOf('nc-gone');
  ok(['network', 'rm', 'nc-gone']);
  const gone = g(['network', 'disconnect', 'nc-gone', 'nc-stale']);
  assert.equal(gone.status, 1);
  assert.equal(gone.stderr, 'Error response from daemon: network nc-gone not found\n');
  assert.ok(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'nc-stale']).includes('nc-gone'));
  ok(['network', 'disconnect', '-f', 'nc-gone', 'nc-stale']);
  assert.ok(!ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'nc-stale']).includes('nc-gone'));
  assert.deepEqual(leftovers([goneBridge]), []);
  ok(['rm', '-f', 'nc-joined', 'nc-none', 'nc-host', 'nc-plain', 'nc-stale']);
  ok(['network', 'rm', 'nc-err']);
  assert.deepEqual(leftovers([br]), []);
});
