// run/create's Config and HostConfig flags as docker's CLI reads them (cli/runflags.ts: the
// flags' syntax, the caller's environment and files) and the engine checks them
// (lib/container/runflags.ts, run.ts: the typed values): each value's form, and each refusal
// in docker's words. (test/integration/run-flags.test.ts runs them in containers.)
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkAttach, checkDevices, checkStopTimeout, checkSysctls, extraHostsLines, parseDeviceCgroupRules, parseDns, parseDnsSearch, parseExtraHosts, parseIpcMode,
  parsePidMode, parseUtsMode, resolvConf, resolveDevices,
} from '../../lib/container/runflags';
import { checkLogConfig, checkUlimits, tmpfsMount } from '../../lib/container/run-options';
import {
  absoluteVolume, attachFromFlags, devicesFromFlags, envFromFlags, labelsFromFlags, logOptsFromFlags, resolveEnv, containerOptionsFromFlags, stopTimeoutFromFlag,
  sysctlsFromFlags, tmpfsFromFlags, ulimitsFromFlags,
} from '../../cli/runflags';
import { mountFromFlag } from '../../cli/mountflag';
import { deviceRules } from '../../lib/spec';
import { DEFAULT_DEVICE_RULES } from '../../lib/cgroups/devices';
import { refusal } from '../helpers/refusal';

test('labels: the file\'s, then -l\'s; a bare name is empty; an empty name or one with spaces refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-labels-'));
  try {
    const file = path.join(dir, 'l');
    fs.writeFileSync(file, '  # comment\nx=file\n\n  y = spaced value\nz=file\n');
    // The file's names as they are (leading blanks gone with the line's), unchecked, as docker's CLI.
    assert.deepEqual(labelsFromFlags(['x=flag', 'bare', 'eq=a=b'], [file]), { x: 'flag', 'y ': ' spaced value', z: 'file', bare: '', eq: 'a=b' });
    assert.deepEqual(refusal(() => labelsFromFlags(['=v'])), ['invalid argument "=v" for "-l, --label" flag: invalid label \'=v\': empty name', 125]);
    assert.deepEqual(refusal(() => labelsFromFlags(['a b=c'])), ['invalid argument "a b=c" for "-l, --label" flag: label \'a b\' contains whitespaces', 125]);
    assert.deepEqual(refusal(() => labelsFromFlags([], [path.join(dir, 'none')])), [`open ${path.join(dir, 'none')}: no such file or directory`, 125]);
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
  assert.deepEqual(devicesFromFlags(['/dev/null', '/dev/null:rw', '/dev/null:/dev/x', '/dev/null:/dev/y/../z:m']), [
    { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rw' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/null', PathInContainer: '/dev/z', CgroupPermissions: 'm' },
  ]);
  assert.deepEqual(refusal(() => devicesFromFlags(['/dev/null:/dev/x:rr'])), ['invalid argument "/dev/null:/dev/x:rr" for "--device" flag: bad mode specified: rr', 125]);
  assert.deepEqual(refusal(() => devicesFromFlags(['a:b:c:d'])), ['invalid argument "a:b:c:d" for "--device" flag: bad format for path: a:b:c:d', 125]);
  assert.deepEqual(refusal(() => devicesFromFlags([':/dev/x'])), ['invalid argument ":/dev/x" for "--device" flag: bad format for path: :/dev/x', 125]);
  assert.deepEqual(refusal(() => devicesFromFlags(['/dev/null:dev/x'])), ['invalid argument "/dev/null:dev/x" for "--device" flag: dev/x is not an absolute path', 125]);
  // The engine's check of docker's API form, for callers that are not the CLI.
  assert.deepEqual(checkDevices([{ PathOnHost: '/dev/null', PathInContainer: '/dev/a/../b', CgroupPermissions: 'rw' }]), [{ PathOnHost: '/dev/null', PathInContainer: '/dev/b', CgroupPermissions: 'rw' }]);
  assert.deepEqual(refusal(() => checkDevices([{ PathOnHost: '', PathInContainer: '/dev/x', CgroupPermissions: 'r' }])), ['invalid device mapping :/dev/x:r: no host path', 125]);
  assert.deepEqual(refusal(() => checkDevices([{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rr' }])), ['invalid device mapping /dev/null:/dev/x:rr: bad mode specified: rr', 125]);
  const [d] = resolveDevices(devicesFromFlags(['/dev/null:/dev/mine:rw']));
  const st = fs.statSync('/dev/null');
  assert.deepEqual(d, { node: { path: '/dev/mine', type: 'c', major: 1, minor: 3, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, access: 'rw' });
  // Outside /dev too, as docker (the monitor makes it inside the root); only the root itself is refused.
  assert.equal(resolveDevices(devicesFromFlags(['/dev/null:/etc/null']))[0].node.path, '/etc/null');
  assert.deepEqual(refusal(() => resolveDevices(devicesFromFlags(['/dev/null:/']))), ["--device /dev/null: cannot make a device node over the container's root", 125]);
  assert.deepEqual(refusal(() => resolveDevices(devicesFromFlags(['/gocker-no-such-device']))),
    ['error gathering device information while adding custom device "/gocker-no-such-device": no such file or directory', 125]);
  const file = path.join(os.tmpdir(), `gocker-not-a-device-${process.pid}`);
  fs.writeFileSync(file, '');
  try {
    assert.deepEqual(refusal(() => resolveDevices(devicesFromFlags([`${file}:/dev/x`]))), [`error gathering device information while adding custom device "${file}": not a device node`, 125]);
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
  const sysctls = (list: string[], ns = own): Record<string, string> => checkSysctls(sysctlsFromFlags(list), ns);
  assert.deepEqual(sysctls(['net.ipv4.ip_forward=1', 'kernel.shmmax=9', 'fs.mqueue.msg_max=20', 'kernel.sem=1 2 3 4', 'net.core.somaxconn=']),
    { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '9', 'fs.mqueue.msg_max': '20', 'kernel.sem': '1 2 3 4', 'net.core.somaxconn': '' });
  for (const bad of ['kernel.hostname=x', 'vm.swappiness=1', 'kernel.shmmax', 'net=1', 'net.a/../b=1', 'kernel.domainname=x', '=1']) {
    assert.deepEqual(refusal(() => sysctls([bad])), [`invalid argument "${bad}" for "--sysctl" flag: sysctl '${bad}' is not allowed`, 125]);
  }
  assert.deepEqual(refusal(() => sysctls(['net.ipv4.ip_forward=1'], { ownNetwork: false, ownIpc: true })), ['sysctl "net.ipv4.ip_forward" not allowed in host network namespace', 125]);
  assert.deepEqual(refusal(() => sysctls(['fs.mqueue.msg_max=1'], { ownNetwork: true, ownIpc: false })), ['sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace', 125]);
  assert.deepEqual(refusal(() => checkSysctls({ 'net.x': 'a\nb' }, own)), ['invalid argument "net.x=a\nb" for "--sysctl" flag: sysctl \'net.x=a\nb\' is not allowed', 125]);
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
  assert.equal(stopTimeoutFromFlag(undefined), undefined);
  assert.equal(stopTimeoutFromFlag('-1'), -1);
  assert.equal(stopTimeoutFromFlag(30), 30);
  assert.deepEqual(refusal(() => stopTimeoutFromFlag('1.5')), ['invalid argument "1.5" for "--stop-timeout" flag: strconv.ParseInt: parsing "1.5": invalid syntax', 125]);
  assert.equal(checkStopTimeout(-1), -1);
  assert.deepEqual(refusal(() => checkStopTimeout(1.5)), ['invalid stop timeout: 1.5: must be a whole number of seconds', 125]);
  assert.equal(attachFromFlags(undefined, true), undefined);
  assert.deepEqual(attachFromFlags(['STDOUT', 'stderr'], false), { stdin: false, stdout: true, stderr: true });
  assert.deepEqual(refusal(() => attachFromFlags(['stdout'], true)), ['conflicting options: cannot specify both --attach and --detach', 125]);
  assert.deepEqual(refusal(() => attachFromFlags(['all'], false)), ['invalid argument "all" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR', 125]);
  // create's container is detached until its start: -a there is refused by the engine, as before.
  assert.deepEqual(refusal(() => checkAttach({ stdin: false, stdout: true, stderr: false }, true)), ['conflicting options: cannot specify both --attach and --detach', 125]);
});

test('-e and --env-file: the file\'s lines then -e\'s; a bare name takes the caller\'s value, or is dropped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-env-'));
  try {
    const file = path.join(dir, 'env');
    fs.writeFileSync(file, '# comment\n  A=file  \n\nFROM_CALLER\nMISSING\nB=x=y\n');
    const caller = { FROM_CALLER: 'here', VAR: 'v', EMPTY: '' };
    assert.deepEqual(envFromFlags([file], ['A=flag', 'VAR', 'EMPTY', 'NOPE'], caller), ['A=file', 'FROM_CALLER=here', 'B=x=y', 'A=flag', 'VAR=v', 'EMPTY=']);
    assert.deepEqual(resolveEnv(['X', 'Y=1'], { X: '2' }), ['X=2', 'Y=1']);
    assert.deepEqual(refusal(() => envFromFlags([path.join(dir, 'none')])), [`open ${path.join(dir, 'none')}: no such file or directory`, 125]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--ulimit: name=soft[:hard] read as go-units reads it; the engine checks the typed limits against the hard ones it has', () => {
  assert.deepEqual(ulimitsFromFlags(['nofile=100:200', 'core=0', 'nproc=-1', 'stack=5:-1']), [
    { name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0, hard: 0 }, { name: 'nproc', soft: -1, hard: -1 }, { name: 'stack', soft: 5, hard: -1 },
  ]);
  const flag = (v: string, why: string): [string, number] => [`invalid argument "${v}" for "--ulimit" flag: ${why}`, 125];
  assert.deepEqual(refusal(() => ulimitsFromFlags(['nofile'])), flag('nofile', 'invalid ulimit argument: nofile'));
  assert.deepEqual(refusal(() => ulimitsFromFlags(['files=1'])), flag('files=1', 'invalid ulimit type: files'));
  // Another negative is taken, as go-units takes it: the engine says what it stands for.
  assert.deepEqual(ulimitsFromFlags(['nofile=-2', 'core=-3:-2']), [{ name: 'nofile', soft: -2, hard: -2 }, { name: 'core', soft: -3, hard: -2 }]);
  assert.deepEqual(refusal(() => ulimitsFromFlags(['nofile=10:5'])), flag('nofile=10:5', 'ulimit soft limit must be less than or equal to hard limit: 10 > 5'));
  assert.deepEqual(refusal(() => ulimitsFromFlags(['nofile=-1:5'])), flag('nofile=-1:5', 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5'));
  assert.deepEqual(refusal(() => ulimitsFromFlags(['nofile=5:-2'])), flag('nofile=5:-2', 'ulimit soft limit must be less than or equal to hard limit: 5 > -2'));
  const hard = new Map([['nofile', 1024], ['core', Infinity]]);
  assert.deepEqual(checkUlimits([{ name: 'nofile', soft: 10, hard: 1024 }, { name: 'core', soft: -1, hard: -1 }], hard), [['nofile', 10, 1024], ['core', Infinity, Infinity]]);
  assert.deepEqual(refusal(() => checkUlimits([{ name: 'nofile', soft: 1, hard: 2048 }], hard)), ['ulimit nofile: hard limit 2048 exceeds the current hard limit 1024', 125]);
  assert.deepEqual(refusal(() => checkUlimits([{ name: 'nofile', soft: -1, hard: 5 }], hard)), ['ulimit soft limit must be less than or equal to hard limit: unlimited > 5', 125]);
  assert.deepEqual(refusal(() => checkUlimits([{ name: 'nofile', soft: -2, hard: -2 }], hard)), ['ulimit nofile: hard limit 18446744073709551614 exceeds the current hard limit 1024', 125]);
  assert.deepEqual(refusal(() => checkUlimits([{ name: 'files', soft: 1, hard: 1 }], hard)), ['invalid ulimit type: files', 125]);
});

test('--tmpfs and --log-opt: split as docker\'s CLI splits them; the engine reads the mount\'s options and the driver\'s', () => {
  assert.deepEqual(tmpfsFromFlags(['/run:size=1m,mode=1777', '/tmp', '/a:b:c']), { '/run': 'size=1m,mode=1777', '/tmp': '', '/a': 'b:c' });
  assert.deepEqual(tmpfsMount('/a/../run', 'size=1m,exec,ro'), { dest: '/run', options: ['nosuid', 'nodev', 'ro', 'size=1m'] });
  assert.deepEqual(refusal(() => tmpfsMount('run')), ['invalid mount config for type "tmpfs": invalid mount path \'run\': mount path must be absolute', 125]);
  assert.deepEqual(logOptsFromFlags(['max-size=1m', 'max-file=2', 'max-size=2m']), { 'max-size': '2m', 'max-file': '2' });
  assert.deepEqual(refusal(() => logOptsFromFlags(['max-size'])), ["invalid log opt 'max-size': must be of the form key=value", 125]);
  assert.deepEqual(checkLogConfig(undefined, { 'max-size': '1m' }), { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.deepEqual(refusal(() => checkLogConfig('syslog')), ["logger: no log driver named 'syslog' is registered", 125]);
  assert.deepEqual(refusal(() => checkLogConfig('json-file', { tag: 'x' })), ["log opt 'tag' is not supported by gocker's json-file log driver", 125]);
  assert.deepEqual(refusal(() => checkLogConfig('json-file', { 'max-file': '0' })), ['max-file cannot be less than 1', 125]);
});

test('-v and --mount: a source starting with . made the caller\'s directory\'s, nothing else changed', () => {
  assert.equal(absoluteVolume('./rel:/c:ro', '/base'), '/base/rel:/c:ro');
  assert.equal(absoluteVolume('..:/c', '/base/x'), '/base:/c');
  assert.equal(absoluteVolume('./only', '/base'), './only');
  assert.equal(absoluteVolume('/abs:/c', '/base'), '/abs:/c');
  assert.equal(absoluteVolume('name:/c', '/base'), 'name:/c');
  // --mount's source, once its csv is read (cli/mountflag.ts).
  assert.deepEqual(mountFromFlag('type=bind,src=./x,dst=/c,bind-create-src', '/base'), { Type: 'bind', Source: '/base/x', Target: '/c', BindOptions: { CreateMountpoint: true } });
  assert.equal(mountFromFlag('type=bind,Source=./a,dst=/c', '/base').Source, '/base/a');
  assert.equal(mountFromFlag('type=bind,src=/x,dst=/c', '/base').Source, '/x');
  assert.throws(() => mountFromFlag('type=bind,"src=./x', '/base'), { message: 'invalid argument "type=bind,"src=./x" for "--mount" flag: parse error on line 1, column 18: extraneous or missing " in quoted-field', exitCode: 125 } as object);
});

test('run\'s and create\'s flags become the library\'s ContainerOptions, under docker\'s API names', () => {
  const o = containerOptionsFromFlags({
    env: ['A=1'], label: ['l=1'], ulimit: ['nofile=1:2'], tmpfs: ['/t:size=1m'], logOpt: ['max-file=2'], stopTimeout: '3',
    volume: ['/h:/c'], mount: ['type=tmpfs,dst=/m'], device: ['/dev/null:/dev/n:r'], sysctl: ['net.x=1'], attach: ['STDOUT'], memory: '64m', name: 'x',
  });
  assert.deepEqual(o, {
    name: 'x', env: ['A=1'], labels: { l: '1' }, ulimits: [{ name: 'nofile', soft: 1, hard: 2 }], tmpfs: { '/t': 'size=1m' },
    logOpts: { 'max-file': '2' }, stopTimeout: 3, volumes: ['/h:/c'], mounts: [{ Type: 'tmpfs', Source: '', Target: '/m' }],
    devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/n', cgroupPermissions: 'r' }], sysctls: { 'net.x': '1' }, memory: '64m',
    attachStdin: false, attachStdout: true, attachStderr: false,
  });
});
