// run/create's Config and HostConfig flags as docker's CLI reads them: each value's form, and
// each refusal in docker's words. (test/integration/run-flags.test.ts runs them in containers.)
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  extraHostsLines, parseAttach, parseDeviceCgroupRules, parseDevices, parseDns, parseDnsSearch, parseExtraHosts, parseIpcMode, parseLabels,
  parsePidMode, parseStopTimeout, parseSysctls, parseUtsMode, resolvConf, resolveDevices,
} from '../../lib/container/runflags';
import { deviceRules } from '../../lib/spec';
import { DEFAULT_DEVICE_RULES } from '../../lib/cgroups/devices';

/** The message and exit code f throws with. */
function refusal(f: () => unknown): [string, unknown] {
  try {
    f();
  } catch (e) {
    return [(e as Error).message, (e as { exitCode?: unknown }).exitCode];
  }
  assert.fail('not refused');
}

test('labels: the image\'s, then the file\'s, then -l\'s; a bare name is empty; an empty name or one with spaces refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-labels-'));
  try {
    const file = path.join(dir, 'l');
    fs.writeFileSync(file, '  # comment\nx=file\n\n  y = spaced value\nz=file\n');
    // The file's names as they are (leading blanks gone with the line's), unchecked, as docker's CLI.
    assert.deepEqual(parseLabels({ x: 'img', keep: '1' }, ['x=flag', 'bare', 'eq=a=b'], [file]), { x: 'flag', keep: '1', 'y ': ' spaced value', z: 'file', bare: '', eq: 'a=b' });
    assert.deepEqual(refusal(() => parseLabels({}, ['=v'])), ['invalid argument "=v" for "-l, --label" flag: invalid label \'=v\': empty name', 125]);
    assert.deepEqual(refusal(() => parseLabels({}, ['a b=c'])), ['invalid argument "a b=c" for "-l, --label" flag: label \'a b\' contains whitespaces', 125]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--add-host: host:ip, host=ip, [v6], host-gateway; docker\'s refusals; the /etc/hosts lines', () => {
  assert.deepEqual(parseExtraHosts(['a:1.2.3.4', 'b=5.6.7.8', 'c:::1', 'd=[fe80::1]', 'e:host-gateway']), ['a:1.2.3.4', 'b:5.6.7.8', 'c:::1', 'd:fe80::1', 'e:host-gateway']);
  assert.deepEqual(refusal(() => parseExtraHosts(['nohost'])), ['invalid argument "nohost" for "--add-host" flag: bad format for add-host: "nohost"', 125]);
  assert.deepEqual(refusal(() => parseExtraHosts(['a:b:c'])), ['invalid argument "a:b:c" for "--add-host" flag: invalid IP address in add-host: "b:c"', 125]);
  assert.deepEqual(refusal(() => parseExtraHosts(['a:300.1.1.1'])), ['invalid argument "a:300.1.1.1" for "--add-host" flag: invalid IP address in add-host: "300.1.1.1"', 125]);
  assert.equal(extraHostsLines(['a:1.2.3.4', 'gw:host-gateway', 'six:::1'], () => '10.0.0.1'), '1.2.3.4\ta\n10.0.0.1\tgw\n::1\tsix\n');
  assert.equal(extraHostsLines(['a:1.2.3.4'], () => assert.fail('no host-gateway entry: the gateway is not looked up')), '1.2.3.4\ta\n');
  assert.equal(extraHostsLines(null, () => '10.0.0.1'), '');
});

test('DNS: addresses and domains checked as docker does; resolv.conf as libnetwork builds it', () => {
  assert.deepEqual(parseDns([' 1.1.1.1', '::1']), ['1.1.1.1', '::1']);
  assert.deepEqual(refusal(() => parseDns(['one'])), ['invalid argument "one" for "--dns" flag: IP address is not correctly formatted: one', 125]);
  assert.deepEqual(parseDnsSearch(['example.com', 'ab-cd.c.', '.']), ['example.com', 'ab-cd.c', '.']);
  for (const bad of ['-bad.com', '1.2.3.4', `${'a'.repeat(255)}.com`]) {
    assert.deepEqual(refusal(() => parseDnsSearch([bad])), [`invalid argument "${bad}" for "--dns-search" flag: ${bad} is not a valid domain`, 125]);
  }
  const host = '# the host\nnameserver 10.0.0.2\nsearch corp.example\noptions rotate\n';
  assert.equal(resolvConf(host, [], [], []), host);
  assert.equal(resolvConf(host, ['9.9.9.9'], [], []), 'search corp.example\nnameserver 9.9.9.9\noptions rotate\n');
  assert.equal(resolvConf(host, [], ['a.example', 'b.example'], ['ndots:1']), 'search a.example b.example\nnameserver 10.0.0.2\noptions ndots:1\n');
  assert.equal(resolvConf(host, [], ['.'], []), 'nameserver 10.0.0.2\noptions rotate\n');
});

test('--device: docker\'s three forms and its refusals; the host\'s node read with its numbers, mode and owner', () => {
  assert.deepEqual(parseDevices(['/dev/null', '/dev/null:rw', '/dev/null:/dev/x', '/dev/null:/dev/y/../z:m']), [
    { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rw' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/z', CgroupPermissions: 'm' },
  ]);
  assert.deepEqual(refusal(() => parseDevices(['/dev/null:/dev/x:rr'])), ['invalid argument "/dev/null:/dev/x:rr" for "--device" flag: bad mode specified: rr', 125]);
  assert.deepEqual(refusal(() => parseDevices(['a:b:c:d'])), ['invalid argument "a:b:c:d" for "--device" flag: bad format for path: a:b:c:d', 125]);
  assert.deepEqual(refusal(() => parseDevices([':/dev/x'])), ['invalid argument ":/dev/x" for "--device" flag: bad format for path: :/dev/x', 125]);
  const [d] = resolveDevices(parseDevices(['/dev/null:/dev/mine:rw']));
  const st = fs.statSync('/dev/null');
  assert.deepEqual(d, { node: { path: '/dev/mine', type: 'c', major: 1, minor: 3, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, access: 'rw' });
  // Outside /dev too, as docker (the monitor makes it inside the root); only the root itself is refused.
  assert.equal(resolveDevices(parseDevices(['/dev/null:/etc/null']))[0].node.path, '/etc/null');
  assert.deepEqual(refusal(() => resolveDevices(parseDevices(['/dev/null:/']))), ["--device /dev/null: cannot make a device node over the container's root", 125]);
  assert.deepEqual(refusal(() => resolveDevices(parseDevices(['/gocker-no-such-device']))),
    ['error gathering device information while adding custom device "/gocker-no-such-device": no such file or directory', 125]);
  const file = path.join(os.tmpdir(), `gocker-not-a-device-${process.pid}`);
  fs.writeFileSync(file, '');
  try {
    assert.deepEqual(refusal(() => resolveDevices(parseDevices([`${file}:/dev/x`]))), [`error gathering device information while adding custom device "${file}": not a device node`, 125]);
  } finally {
    fs.rmSync(file);
  }
});

test('--device-cgroup-rule: docker\'s pattern; the allow-list is the defaults, --device\'s, then the rules', () => {
  assert.deepEqual(parseDeviceCgroupRules(['c 1:3 rwm', 'b *:* m', 'a *:* rwm']), ['c 1:3 rwm', 'b *:* m', 'a *:* rwm']);
  for (const bad of ['c 1:3', 'c 1:3 rwmx', 'x 1:3 r', 'c 1 r', 'c 4096:0 r']) {
    assert.deepEqual(refusal(() => parseDeviceCgroupRules([bad])), [`invalid argument "${bad}" for "--device-cgroup-rule" flag: invalid device cgroup format '${bad}'`, 125]);
  }
  const node = { path: '/dev/x', type: 'b' as const, major: 8, minor: 0, fileMode: 0o660 };
  assert.equal(deviceRules({ Privileged: false, DeviceCgroupRules: null }), DEFAULT_DEVICE_RULES);
  assert.deepEqual(deviceRules({ Privileged: false, DeviceCgroupRules: ['c 10:* rw'] }, [{ node, access: 'r' }]).slice(DEFAULT_DEVICE_RULES.length), [
    { type: 'b', major: 8, minor: 0, access: 'r' }, { type: 'c', major: 10, minor: -1, access: 'rw' },
  ]);
  assert.deepEqual(deviceRules({ Privileged: true, DeviceCgroupRules: ['c 10:* rw'] }), [{ type: 'a', major: -1, minor: -1, access: 'rwm' }]);
});

test('--sysctl: docker\'s namespaced names only, net.* with a network namespace, the IPC ones with an IPC namespace', () => {
  const own = { ownNetwork: true, ownIpc: true };
  assert.deepEqual(parseSysctls(['net.ipv4.ip_forward=1', 'kernel.shmmax=9', 'fs.mqueue.msg_max=20', 'kernel.sem=1 2 3 4', 'net.core.somaxconn='], own),
    { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '9', 'fs.mqueue.msg_max': '20', 'kernel.sem': '1 2 3 4', 'net.core.somaxconn': '' });
  for (const bad of ['kernel.hostname=x', 'vm.swappiness=1', 'kernel.shmmax', 'net=1', 'net.a/../b=1', 'kernel.domainname=x']) {
    assert.deepEqual(refusal(() => parseSysctls([bad], own)), [`invalid argument "${bad}" for "--sysctl" flag: sysctl '${bad}' is not allowed`, 125]);
  }
  assert.deepEqual(refusal(() => parseSysctls(['net.ipv4.ip_forward=1'], { ownNetwork: false, ownIpc: true })), ['sysctl "net.ipv4.ip_forward" not allowed in host network namespace', 125]);
  assert.deepEqual(refusal(() => parseSysctls(['fs.mqueue.msg_max=1'], { ownNetwork: true, ownIpc: false })), ['sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace', 125]);
});

test('namespace modes, the stop timeout and -a as docker reads them', () => {
  assert.equal(parseIpcMode(undefined), 'private');
  for (const m of ['private', 'shareable', 'host', 'none', 'container:x']) assert.equal(parseIpcMode(m), m);
  assert.deepEqual(refusal(() => parseIpcMode('container:')), ['--ipc: invalid IPC mode', 125]);
  assert.equal(parsePidMode(undefined), '');
  assert.equal(parsePidMode('host'), 'host');
  assert.deepEqual(refusal(() => parsePidMode('private')), ['--pid: invalid PID mode', 125]);
  assert.equal(parseUtsMode('host'), 'host');
  assert.deepEqual(refusal(() => parseUtsMode('container:x')), ['--uts: invalid UTS mode', 125]);
  assert.equal(parseStopTimeout(undefined), undefined);
  assert.equal(parseStopTimeout('-1'), -1);
  assert.equal(parseStopTimeout(30), 30);
  assert.deepEqual(refusal(() => parseStopTimeout('1.5')), ['invalid argument "1.5" for "--stop-timeout" flag: strconv.ParseInt: parsing "1.5": invalid syntax', 125]);
  assert.equal(parseAttach(undefined, true), undefined);
  assert.deepEqual(parseAttach(['STDOUT', 'stderr'], false), { stdin: false, stdout: true, stderr: true });
  assert.deepEqual(refusal(() => parseAttach(['stdout'], true)), ['conflicting options: cannot specify both --attach and --detach', 125]);
  assert.deepEqual(refusal(() => parseAttach(['all'], false)), ['invalid argument "all" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR', 125]);
});
