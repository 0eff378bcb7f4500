import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatPorts } from '../../lib/format/ports';
import { checkPortBindings, exposedKeys, type PortMap } from '../../lib/network/ports';
import { parsePublish } from '../../cli/portflags';
import { contains, formatSubnet, hostRoutes, overlaps, parseAddress, parseCidr } from '../../lib/network/ipv4';

const parse = (...specs: string[]): { map: PortMap; exposed: string[] } => {
  const map: PortMap = {};
  const exposed = specs.flatMap((s) => parsePublish(s, map));
  return { map, exposed };
};

test('-p as docker reads it: container port alone, host port, address, protocol', () => {
  assert.deepEqual(parse('80').map, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(parse('8080:80').map, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.deepEqual(parse('127.0.0.1::53/udp').map, { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.deepEqual(parse('0:80').map, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(parse('1.2.3.4:9000:9000/sctp').map, { '9000/sctp': [{ HostIp: '1.2.3.4', HostPort: '9000' }] });
  // One container port published twice.
  assert.deepEqual(parse('8080:80', '127.0.0.1:8081:80').map, { '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }] });
});

test('-p ranges: one to one, a host range for one port, container ranges on random ports', () => {
  const r = parse('8000-8002:80-82');
  assert.deepEqual(r.exposed, ['80/tcp', '81/tcp', '82/tcp']);
  assert.deepEqual(r.map['81/tcp'], [{ HostIp: '', HostPort: '8001' }]);
  assert.deepEqual(parse('8000-8010:80').map, { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] });
  assert.deepEqual(Object.keys(parse('90-91/udp').map), ['90/udp', '91/udp']);
});

test('-p errors in docker\'s words', () => {
  assert.throws(() => parse('80/icmp'), { message: /^invalid proto: icmp$/ });
  assert.throws(() => parse('8000-8001:80-82'), { message: /^invalid ranges specified for container and host Ports: 80-82 and 8000-8001$/ });
  assert.throws(() => parse('1.2.3:80:80'), { message: /^invalid IP address: 1\.2\.3$/ });
  assert.throws(() => parse('x:80'), { message: /^invalid hostPort: x$/ });
  assert.throws(() => parse('70000'), { message: /^invalid containerPort: 70000$/ });
  assert.throws(() => parse('8080:'), { message: /^no port specified: 8080:<empty>$/ });
});

test('exposed ports from an image or --expose', () => {
  assert.deepEqual(exposedKeys('80'), ['80/tcp']);
  assert.deepEqual(exposedKeys('7000-7001/udp'), ['7000/udp', '7001/udp']);
});

test('ps PORTS: docker\'s form, consecutive ports merged, exposed-only ports bare', () => {
  assert.equal(formatPorts({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null }), '443/tcp, 0.0.0.0:8080->80/tcp');
  assert.equal(formatPorts({
    '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '17080' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '17081' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
  }), '127.0.0.1:17080-17081->80-81/tcp, 0.0.0.0:5353->53/udp');
  assert.equal(formatPorts(undefined), '');
});

test('IPv4 addresses and subnets', () => {
  assert.equal(parseAddress('10.77.0.1'), 0x0a4d0001);
  assert.equal(parseAddress('10.77.0.256'), undefined);
  assert.equal(parseAddress('010.1.1.1'), undefined);
  const c = parseCidr('10.77.3.1/16')!;
  assert.equal(formatSubnet(c.subnet), '10.77.0.0/16');
  assert.ok(contains(c.subnet, parseAddress('10.77.255.254')!));
  assert.ok(!contains(c.subnet, parseAddress('10.78.0.1')!));
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!.subnet, c.subnet));
  assert.ok(!overlaps(parseCidr('172.17.0.0/16')!.subnet, c.subnet));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  // /proc/net/route's little-endian hex: 192.0.2.0/24 on eth0, and the default route (skipped).
  const table = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
  assert.deepEqual(hostRoutes(table).map(formatSubnet), ['192.0.2.0/24']);
});

test('an exposed port\'s protocol is tcp, udp or sctp: anything else (text for iptables-restore from an image or a caller) is refused', async () => {
  const { exposedPortKeys } = await import('../../lib/network/ports');
  const { addPortRules } = await import('../../lib/network/firewall');
  assert.deepEqual(exposedKeys('80/UDP'), ['80/udp']);
  assert.deepEqual(exposedKeys('53/sctp'), ['53/sctp']);
  for (const spec of ['80/tcp\n--flush\n:x - [0:0]\n--append x -p tcp', '80/icmp', '80/tcp/udp', '80/']) {
    assert.throws(() => exposedKeys(spec), /invalid proto: [^\n]*$/, JSON.stringify(spec));
    assert.throws(() => exposedPortKeys(spec), (e: Error & { option?: string }) => e.option === 'exposedPorts', JSON.stringify(spec));
  }
  // The rules themselves, checked again where they become iptables-restore's text (before any lock or iptables call).
  const rule = { hostIp: '', hostPort: 8080, proto: 'tcp' as const, containerIp: '10.1.0.2', containerPort: 80 };
  for (const bad of [{ proto: 'tcp\n--flush' }, { hostIp: '1.2.3.4 -j ACCEPT' }, { containerIp: '10.1.0.2\n' }, { hostPort: 0 }, { containerPort: 1.5 }]) {
    assert.throws(() => addPortRules('x', [{ ...rule, ...bad } as never]), /refusing a port rule/, JSON.stringify(bad));
  }
});
