// run and create's Config and HostConfig flags against real containers: labels, extra hosts
// and DNS, devices and the device cgroup (v1 and v2), namespaces shared with the host or
// another container, sysctls, the stop signal and timeout, --platform, -a; each as inspect
// shows it, and each refusal with docker's message, exit 125 and nothing left behind.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxAsArch, busyboxImage, busyboxRootfs } from '../helpers/fixtures';
import { gocker, gockerAsync, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { pushImage, startRegistry } from '../helpers/registry';

const roots = tempRoots('gocker-runflags-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-runflagsw-'));
const g = (args: string[], env?: NodeJS.ProcessEnv): CliResult => gocker([...roots.args, ...args], env ? { env: { ...process.env, ...env } } : {});
const inspect = (ref: string, format: string): string => g(['inspect', '-f', format, ref]).stdout.trim();
const containers = (): string[] => (fs.existsSync(path.join(roots.root, 'containers')) ? fs.readdirSync(path.join(roots.root, 'containers')) : []);

/** A refused run: docker's line on stderr, 125, and no container left. */
function refused(args: string[], message: string | RegExp): void {
  const before = containers();
  const r = g(['run', '--rm', ...args]);
  if (typeof message === 'string') assert.equal(r.stderr, `gocker: ${message}\n`, args.join(' '));
  else assert.match(r.stderr, message, args.join(' '));
  assert.equal(r.status, 125, args.join(' '));
  assert.deepEqual(containers(), before, `${args.join(' ')}: a container was left`);
}

/** A block device this process may open, as run.test.ts picks one: its path and numbers. */
function hostBlockDevice(): { file: string; major: number; minor: number } {
  for (const name of fs.readdirSync('/dev')) {
    const file = path.join('/dev', name);
    try {
      if (!fs.lstatSync(file).isBlockDevice()) continue;
      fs.closeSync(fs.openSync(file, 'r'));
      const rdev = fs.statSync(file).rdev;
      return { file, major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
    } catch {
      /* not openable here */
    }
  }
  throw new Error('no block device this process can open');
}

before(async () => {
  const tarball = path.join(work, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
  // docker import's instructions: a label and a stop signal of the image's own.
  const r = g(['import', tarball, 'busybox:latest', '-c', 'CMD ["sh"]', '-c', 'LABEL from=image a=img', '-c', 'STOPSIGNAL SIGUSR2']);
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('-l and --label-file: Config.Labels over the image\'s, later ones winning; an empty name refused', () => {
  const file = path.join(work, 'labels');
  fs.writeFileSync(file, '# a comment\nfile=1\n\na=from-file\n');
  const r = g(['create', '--name', 'labelled', '--label-file', file, '-l', 'a=ctr', '--label', 'bare', 'busybox']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(inspect('labelled', '{{json .Config.Labels}}')), { from: 'image', a: 'ctr', file: '1', bare: '' });
  assert.equal(g(['rm', 'labelled']).status, 0);
  refused(['-l', '=x', 'busybox', 'true'], 'invalid argument "=x" for "-l, --label" flag: invalid label \'=x\': empty name');
  refused(['--label-file', path.join(work, 'nope'), 'busybox', 'true'], `open ${path.join(work, 'nope')}: no such file or directory`);
});

test('a NUL byte in --env-file or --label-file: refused by run as by create, in one line, with no container left', () => {
  const envFile = path.join(work, 'nul.env');
  fs.writeFileSync(envFile, 'A=b\0c\n');
  const labelFile = path.join(work, 'nul.labels');
  fs.writeFileSync(labelFile, 'a=b\0c\n');
  for (const [args, message] of [
    [['--env-file', envFile], 'env[0] must not contain a NUL byte'],
    [['--label-file', labelFile], 'labels.a must not contain a NUL byte'],
  ] as Array<[string[], string]>) {
    // Without --rm: the monitor's refusal left the container exited (125) where run gave up.
    for (const cmd of [['run'], ['run', '-d'], ['create']]) {
      const before = containers();
      const r = g([...cmd, '--network', 'none', ...args, 'busybox', 'true']);
      assert.equal(r.stderr, `gocker: ${message}\n`, `${cmd.join(' ')} ${args.join(' ')}`);
      assert.equal(r.status, 125);
      assert.deepEqual(containers(), before, `${cmd.join(' ')} ${args.join(' ')}: a container was left`);
    }
  }
});

describe('hosts and DNS', () => {
  test('--add-host (host-gateway: the bridge\'s gateway) into /etc/hosts before the container\'s own line', () => {
    const r = g(['run', '--name', 'hosts', '--add-host', 'foo:1.2.3.4', '--add-host', 'gw=host-gateway', '--add-host', 'six:[::1]', 'busybox', 'cat', '/etc/hosts']);
    assert.equal(r.status, 0, r.stderr);
    const gw = inspect('hosts', '{{.NetworkSettings.Gateway}}');
    assert.match(gw, /^\d+\.\d+\.\d+\.1$/);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(6, 9), ['1.2.3.4\tfoo', `${gw}\tgw`, '::1\tsix']);
    assert.match(lines[9], /^\d+\.\d+\.\d+\.\d+\t[0-9a-f]{12}$/);
    assert.equal(inspect('hosts', '{{json .HostConfig.ExtraHosts}}'), '["foo:1.2.3.4","gw:host-gateway","six:::1"]');
    // Started again: its /etc/hosts made again, the extra hosts still there.
    assert.deepEqual(g(['start', '-a', 'hosts']).stdout.trim().split('\n').slice(6, 9), lines.slice(6, 9));
    assert.equal(g(['rm', 'hosts']).status, 0);
    // --network none: the lines alone, host-gateway still the default bridge's gateway.
    const none = g(['run', '--rm', '--network', 'none', '--add-host', 'gw:host-gateway', 'busybox', 'tail', '-1', '/etc/hosts']);
    assert.equal(none.stdout, `${gw}\tgw\n`);
  });

  test('--dns, --dns-search, --dns-option replace the host\'s resolv.conf lines; a loopback server given is kept', () => {
    const r = g(['run', '--name', 'dns', '--dns', '9.9.9.9', '--dns', '127.0.0.1', '--dns-search', 'example.com', '--dns-search', 'example.org',
      '--dns-option', 'ndots:2', '--dns-option', 'timeout:1', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'search example.com example.org\nnameserver 9.9.9.9\nnameserver 127.0.0.1\noptions ndots:2 timeout:1\n');
    assert.equal(inspect('dns', '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}'),
      '["9.9.9.9","127.0.0.1"] ["example.com","example.org"] ["ndots:2","timeout:1"]');
    assert.equal(g(['rm', 'dns']).status, 0);
    // Only --dns-search: the host's servers (less loopback ones) stay; '.' means no search line.
    const host = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^\s*nameserver\s/.test(l) && !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
    const servers = host.length ? host.map((l) => `nameserver ${l.trim().split(/\s+/)[1]}\n`).join('') : 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n';
    assert.equal(g(['run', '--rm', '--network', 'none', '--dns-search', '.', 'busybox', 'cat', '/etc/resolv.conf']).stdout, servers);
    // Defaults: nothing given, empty lists shown.
    const c = g(['create', '--name', 'nodns', 'busybox']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(inspect('nodns', '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.ExtraHosts}}'), '[] [] null');
    assert.equal(g(['rm', 'nodns']).status, 0);
  });

  test('bad entries: docker\'s messages, 125', () => {
    refused(['--add-host', 'foo', 'busybox', 'true'], 'invalid argument "foo" for "--add-host" flag: bad format for add-host: "foo"');
    refused(['--add-host', 'foo:1.2.3', 'busybox', 'true'], 'invalid argument "foo:1.2.3" for "--add-host" flag: invalid IP address in add-host: "1.2.3"');
    refused(['--add-host', ':1.2.3.4', 'busybox', 'true'], 'invalid argument ":1.2.3.4" for "--add-host" flag: bad format for add-host: ":1.2.3.4"');
    refused(['--dns', 'dns.example', 'busybox', 'true'], 'invalid argument "dns.example" for "--dns" flag: IP address is not correctly formatted: dns.example');
    refused(['--dns-search', 'bad_domain', 'busybox', 'true'], 'invalid argument "bad_domain" for "--dns-search" flag: bad_domain is not a valid domain');
    const donor = g(['run', '-d', '--name', 'netdonor', '--network', 'none', 'busybox', 'sleep', '60']);
    assert.equal(donor.status, 0, donor.stderr);
    refused(['--network', 'container:netdonor', '--add-host', 'a:1.2.3.4', 'busybox', 'true'], 'conflicting options: custom host-to-IP mapping and the network mode');
    refused(['--network', 'container:netdonor', '--dns', '1.1.1.1', 'busybox', 'true'], 'conflicting options: dns and the network mode');
    assert.equal(g(['rm', '-f', 'netdonor']).status, 0);
  });
});

describe('devices', () => {
  const disk = hostBlockDevice();
  const read = (node: string): string => `head -c 512 ${node} > /dev/null 2>/tmp/err && echo read || cat /tmp/err`;

  for (const manager of ['', 'v2']) {
    // '' : the host's own manager (v1's devices controller where the host has one); v2: the
    // BPF device program on the unified hierarchy.
    const env = manager ? { GOCKER_CGROUP_MANAGER: manager } : undefined;
    test(`--device and --device-cgroup-rule open what the defaults do not${manager ? ' (cgroup v2 program)' : ''}; start keeps them`, () => {
      // Without either: the node can be made (docker's b *:* m) but not opened.
      const plain = g(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', `mknod /dev/d b ${disk.major} ${disk.minor}; ${read('/dev/d')}`], env);
      assert.equal(plain.stdout, 'head: /dev/d: Operation not permitted\n');
      const dev = g(['run', '--name', `dev${manager}`, '--network', 'none', '--device', `${disk.file}:/dev/disk0:r`, 'busybox', 'sh', '-c',
        `stat -c '%t:%T %a' /dev/disk0; ${read('/dev/disk0')}`], env);
      assert.equal(dev.status, 0, dev.stderr);
      const st = fs.statSync(disk.file);
      assert.equal(dev.stdout, `${disk.major.toString(16)}:${disk.minor.toString(16)} ${(st.mode & 0o777).toString(8)}\nread\n`);
      assert.equal(g(['start', '-a', `dev${manager}`], env).stdout, dev.stdout);
      assert.equal(inspect(`dev${manager}`, '{{json .HostConfig.Devices}}'), JSON.stringify([{ PathOnHost: disk.file, PathInContainer: '/dev/disk0', CgroupPermissions: 'r' }]));
      assert.equal(g(['rm', `dev${manager}`], env).status, 0);
      // 'm' alone: the node is there, and may not be read.
      assert.equal(g(['run', '--rm', '--network', 'none', '--device', `${disk.file}:/dev/disk0:m`, 'busybox', 'sh', '-c', read('/dev/disk0')], env).stdout,
        'head: /dev/disk0: Operation not permitted\n');
      const rule = g(['run', '--name', `rule${manager}`, '--network', 'none', '--device-cgroup-rule', `b ${disk.major}:${disk.minor} r`, 'busybox', 'sh', '-c',
        `mknod /dev/d b ${disk.major} ${disk.minor}; ${read('/dev/d')}`], env);
      assert.equal(rule.stdout, 'read\n', rule.stderr);
      assert.equal(g(['start', '-a', `rule${manager}`], env).stdout, 'read\n');
      assert.equal(inspect(`rule${manager}`, '{{json .HostConfig.DeviceCgroupRules}}'), JSON.stringify([`b ${disk.major}:${disk.minor} r`]));
      assert.equal(g(['rm', `rule${manager}`], env).status, 0);
    });
  }

  test('--device DIR: every node under it, at the same place under the destination (links not followed)', () => {
    const dir = path.join(work, 'devdir');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    execFileSync('mknod', ['-m', '640', path.join(dir, 'zero'), 'c', '1', '5']);
    execFileSync('mknod', ['-m', '666', path.join(dir, 'sub', 'null'), 'c', '1', '3']);
    fs.symlinkSync('/dev/full', path.join(dir, 'link'));
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const r = g(['run', '--rm', '--network', 'none', '--device', `${dir}:/dev/mine`, 'busybox', 'sh', '-c',
      'find /dev/mine | sort; stat -c "%n %t:%T %a" /dev/mine/zero /dev/mine/sub/null; head -c 3 /dev/mine/zero | wc -c']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/dev/mine\n/dev/mine/sub\n/dev/mine/sub/null\n/dev/mine/zero\n/dev/mine/zero 1:5 640\n/dev/mine/sub/null 1:3 666\n3\n');
  });

  test('--device to a path outside /dev: the node made there in the root filesystem, as docker makes it; a second start finds it', () => {
    const r = g(['run', '--name', 'devout', '--network', 'none', '--device', '/dev/null:/mynull', '--device', '/dev/zero:/opt/z:rw', 'busybox', 'sh', '-c',
      'stat -c "%n %F %t:%T" /mynull /opt/z; echo gone > /mynull; head -c 3 /opt/z | od -An -tx1']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/mynull character special file 1:3\n/opt/z character special file 1:5\n 00 00 00\n');
    assert.equal(inspect('devout', '{{json .HostConfig.Devices}}'), JSON.stringify([
      { PathOnHost: '/dev/null', PathInContainer: '/mynull', CgroupPermissions: 'rwm' }, { PathOnHost: '/dev/zero', PathInContainer: '/opt/z', CgroupPermissions: 'rw' }]));
    // The nodes are in its writable layer now: the next start keeps them, as runc leaves a node that is there.
    const again = g(['start', '-a', 'devout']);
    assert.deepEqual([again.status, again.stdout], [0, r.stdout], again.stderr);
    assert.equal(g(['rm', 'devout']).status, 0);
    // Over the root itself: refused, nothing left.
    refused(['--device', '/dev/null:/', 'busybox', 'true'], "--device /dev/null: cannot make a device node over the container's root");
  });

  test('a missing device, a bad mode, a bad rule: docker\'s messages, nothing left', () => {
    refused(['--device', '/dev/gocker-none', 'busybox', 'true'], 'error gathering device information while adding custom device "/dev/gocker-none": no such file or directory');
    refused(['--device', '/etc/passwd:/dev/passwd', 'busybox', 'true'], 'error gathering device information while adding custom device "/etc/passwd": not a device node');
    refused(['--device', '/dev/null:/dev/x:rwx', 'busybox', 'true'], 'invalid argument "/dev/null:/dev/x:rwx" for "--device" flag: bad mode specified: rwx');
    refused(['--device', '/dev/null:x', 'busybox', 'true'], 'invalid argument "/dev/null:x" for "--device" flag: x is not an absolute path');
    refused(['--device-cgroup-rule', 'c 1:3 rwx', 'busybox', 'true'], 'invalid argument "c 1:3 rwx" for "--device-cgroup-rule" flag: invalid device cgroup format \'c 1:3 rwx\'');
    refused(['--device-cgroup-rule', 'x *:* rwm', 'busybox', 'true'], 'invalid argument "x *:* rwm" for "--device-cgroup-rule" flag: invalid device cgroup format \'x *:* rwm\'');
  });
});

describe('namespaces', () => {
  const ns = (kind: string): string => fs.readlinkSync(`/proc/self/ns/${kind}`);

  test('defaults: its own pid, ipc and uts namespaces, IpcMode private as dockerd reports it', () => {
    const r = g(['run', '--name', 'nsdef', '--network', 'none', 'busybox', 'sh', '-c', 'for n in pid ipc uts; do readlink /proc/self/ns/$n; done; echo $$']);
    assert.equal(r.status, 0, r.stderr);
    const [pid, ipc, uts, self] = r.stdout.trim().split('\n');
    assert.notEqual(pid, ns('pid'));
    assert.notEqual(ipc, ns('ipc'));
    assert.notEqual(uts, ns('uts'));
    assert.equal(self, '1');
    assert.equal(inspect('nsdef', '{{.HostConfig.IpcMode}}|{{.HostConfig.PidMode}}|{{.HostConfig.UTSMode}}'), 'private||');
    assert.equal(g(['rm', 'nsdef']).status, 0);
  });

  test('--pid host sees the host\'s processes; --ipc host shares its IPC namespace and /dev/shm; --uts host its name', () => {
    const pid = g(['run', '--rm', '--network', 'none', '--pid', 'host', 'busybox', 'sh', '-c', `readlink /proc/self/ns/pid; test -d /proc/${process.pid} && echo sees-me`]);
    assert.equal(pid.stdout, `${ns('pid')}\nsees-me\n`, pid.stderr);
    // No pid namespace dies with the command: what it left in its cgroup is killed at its exit, as runc does.
    const tag = `${process.pid}${Date.now() % 100000}`;
    const left = g(['run', '--rm', '--network', 'none', '--pid', 'host', 'busybox', 'sh', '-c', `sleep ${tag} & exit 3`]);
    assert.equal(left.status, 3, left.stderr);
    const alive = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${tag}\0`;
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, []);
    const marker = path.join('/dev/shm', `gocker-runflags-${process.pid}`);
    fs.writeFileSync(marker, 'shm');
    try {
      const ipc = g(['run', '--rm', '--network', 'none', '--ipc', 'host', 'busybox', 'sh', '-c', `readlink /proc/self/ns/ipc; cat /dev/shm/${path.basename(marker)}; echo`]);
      assert.equal(ipc.stdout, `${ns('ipc')}\nshm\n`, ipc.stderr);
    } finally {
      fs.rmSync(marker, { force: true });
    }
    const uts = g(['run', '--name', 'utshost', '--network', 'none', '--uts', 'host', 'busybox', 'sh', '-c', 'hostname; readlink /proc/self/ns/uts; echo $HOSTNAME']);
    assert.equal(uts.stdout, `${os.hostname()}\n${ns('uts')}\n${os.hostname()}\n`, uts.stderr);
    assert.equal(inspect('utshost', '{{.HostConfig.UTSMode}} {{.Config.Hostname}}'), `host ${os.hostname()}`);
    assert.equal(g(['rm', 'utshost']).status, 0);
    assert.equal(os.hostname(), execFileSync('hostname', { encoding: 'utf8' }).trim());
  });

  test('--ipc none: an IPC namespace of its own and no /dev/shm; shareable: a /dev/shm as private\'s', () => {
    const none = g(['run', '--rm', '--network', 'none', '--ipc', 'none', 'busybox', 'sh', '-c', 'grep -c " /dev/shm " /proc/mounts; readlink /proc/self/ns/ipc']);
    assert.equal(none.stdout.split('\n')[0], '0');
    assert.notEqual(none.stdout.split('\n')[1], ns('ipc'));
    const sh = g(['run', '--rm', '--network', 'none', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts | cut -d" " -f3']);
    assert.equal(sh.stdout, 'tmpfs\n');
  });

  test('--pid and --ipc container:NAME join a running container\'s (its /dev/shm too); a private IPC donor, a stopped one, bad modes are refused', () => {
    const d = g(['run', '-d', '--name', 'nsdonor', '--network', 'none', '--ipc', 'shareable', '--shm-size', '8m', 'busybox', 'sh', '-c', 'echo donor > /dev/shm/d; exec sleep 60']);
    assert.equal(d.status, 0, d.stderr);
    const donorPid = Number(inspect('nsdonor', '{{.State.Pid}}'));
    const j = g(['run', '--name', 'joiner', '--network', 'none', '--pid', 'container:nsdonor', '--ipc', 'container:nsdonor', 'busybox', 'sh', '-c',
      'cat /proc/1/cmdline | tr "\\0" " "; echo; readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /dev/shm/d; echo joiner > /dev/shm/j']);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(j.stdout, `sleep 60 \n${fs.readlinkSync(`/proc/${donorPid}/ns/pid`)}\n${fs.readlinkSync(`/proc/${donorPid}/ns/ipc`)}\ndonor\n`);
    // One /dev/shm: the donor sees what the joiner wrote; a tmpfs of its --shm-size on the host, while it runs.
    assert.equal(g(['exec', 'nsdonor', 'cat', '/dev/shm/j']).stdout, 'joiner\n');
    const shmMounts = (): string[] => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${d.stdout.trim()}/shm `));
    assert.equal(shmMounts().length, 1);
    assert.match(shmMounts()[0], / tmpfs shm rw,size=8192k/);
    const id = d.stdout.trim();
    assert.equal(inspect('joiner', '{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}}'), `container:${id} container:${id}`);
    // Started again: joined again.
    assert.match(g(['start', '-a', 'joiner']).stdout, /^sleep 60 \n/);
    assert.equal(g(['rm', 'joiner']).status, 0);
    const p = g(['run', '-d', '--name', 'privdonor', '--network', 'none', 'busybox', 'sleep', '60']);
    assert.equal(p.status, 0, p.stderr);
    refused(['--ipc', 'container:privdonor', 'busybox', 'true'], `container ${p.stdout.trim()}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    assert.equal(g(['stop', '-t', '0', 'privdonor']).status, 0);
    refused(['--pid', 'container:privdonor', 'busybox', 'true'], `cannot join PID of a non running container: ${p.stdout.trim()}`);
    assert.equal(g(['rm', '-f', 'nsdonor', 'privdonor']).status, 0);
    assert.deepEqual(shmMounts(), []);
    refused(['--pid', 'container:nonesuch', 'busybox', 'true'], 'No such container: nonesuch');
    refused(['--pid', 'sideways', 'busybox', 'true'], '--pid: invalid PID mode');
    refused(['--ipc', 'sideways', 'busybox', 'true'], '--ipc: invalid IPC mode');
    refused(['--uts', 'container:x', 'busybox', 'true'], '--uts: invalid UTS mode');
    refused(['--uts', 'host', '-h', 'box', 'busybox', 'true'], 'conflicting options: hostname and the UTS mode');
  });
});

describe('sysctls', () => {
  test('namespaced ones written inside before the command runs; the host\'s unchanged; shown by inspect', () => {
    const hostShmmax = fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8');
    const hostForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const hostMsg = fs.readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8');
    const want = hostForward.trim() === '1' ? '0' : '1';
    const r = g(['run', '--name', 'sysctl', '--sysctl', `net.ipv4.ip_forward=${want}`, '--sysctl', 'kernel.shmmax=123456', '--sysctl', 'fs.mqueue.msg_max=20',
      'busybox', 'cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax', '/proc/sys/fs/mqueue/msg_max']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${want}\n123456\n20\n`);
    assert.equal(fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8'), hostShmmax);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward);
    assert.equal(fs.readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8'), hostMsg);
    assert.deepEqual(JSON.parse(inspect('sysctl', '{{json .HostConfig.Sysctls}}')), { 'net.ipv4.ip_forward': want, 'kernel.shmmax': '123456', 'fs.mqueue.msg_max': '20' });
    assert.equal(g(['start', '-a', 'sysctl']).stdout, r.stdout);
    assert.equal(g(['rm', 'sysctl']).status, 0);
  });

  test('the others refused as docker refuses them', () => {
    refused(['--sysctl', 'kernel.hostname=x', 'busybox', 'true'], 'invalid argument "kernel.hostname=x" for "--sysctl" flag: sysctl \'kernel.hostname=x\' is not allowed');
    refused(['--sysctl', 'vm.swappiness=1', 'busybox', 'true'], 'invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl \'vm.swappiness=1\' is not allowed');
    refused(['--sysctl', 'net.ipv4.ip_forward', 'busybox', 'true'], 'invalid argument "net.ipv4.ip_forward" for "--sysctl" flag: sysctl \'net.ipv4.ip_forward\' is not allowed');
    refused(['--sysctl', 'net.ipv4/../../kernel.x=1', 'busybox', 'true'], /is not allowed\n$/);
    refused(['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true'], 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace');
    refused(['--ipc', 'host', '--sysctl', 'kernel.shmmax=1', 'busybox', 'true'], 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace');
  });
});

describe('stopping', () => {
  const trapping = ['sh', '-c', 'for s in TERM USR1 USR2; do trap "echo got-$s" $s; done; while true; do sleep 0.1; done'];

  test('--stop-signal over the image\'s StopSignal; --stop-timeout is stop\'s grace period without -t; restart uses both', async () => {
    const img = g(['run', '-d', '--name', 'imgsig', '--network', 'none', 'busybox', ...trapping]);
    assert.equal(img.status, 0, img.stderr);
    assert.equal(inspect('imgsig', '{{.Config.StopSignal}}'), 'SIGUSR2');
    const r = g(['run', '-d', '--name', 'stopper', '--network', 'none', '--stop-signal', 'USR1', '--stop-timeout', '1', 'busybox', ...trapping]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(inspect('stopper', '{{.Config.StopSignal}} {{.Config.StopTimeout}}'), 'USR1 1');
    await new Promise((res) => setTimeout(res, 300));
    let t = Date.now();
    assert.equal(g(['stop', 'stopper']).status, 0);
    const took = Date.now() - t;
    assert.ok(took >= 900 && took < 5000, `stop took ${took} ms`);
    assert.equal(g(['logs', 'stopper']).stdout, 'got-USR1\n');
    assert.equal(inspect('stopper', '{{.State.ExitCode}}'), '137');
    t = Date.now();
    assert.equal(g(['restart', 'stopper']).status, 0);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(g(['restart', 'stopper']).status, 0);
    assert.ok(Date.now() - t < 8000);
    assert.equal(g(['logs', 'stopper']).stdout, 'got-USR1\ngot-USR1\n');
    // -t still wins.
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(g(['stop', '-t', '0', 'stopper']).status, 0);
    assert.equal(g(['stop', '-t', '2', 'imgsig']).status, 0);
    assert.equal(g(['logs', 'imgsig']).stdout, 'got-USR2\n');
    assert.equal(g(['rm', 'stopper', 'imgsig']).status, 0);
    refused(['--stop-signal', 'SIGNOPE', 'busybox', 'true'], 'Invalid signal: SIGNOPE');
    refused(['--stop-timeout', 'soon', 'busybox', 'true'], 'invalid argument "soon" for "--stop-timeout" flag: strconv.ParseInt: parsing "soon": invalid syntax');
  });
});

test('--platform: the image\'s own accepted; another refused with dockerd\'s message under --pull never', () => {
  const arch = inspect('busybox', '{{.Architecture}}');
  assert.equal(g(['run', '--rm', '--network', 'none', '--platform', `linux/${arch}`, 'busybox', 'echo', 'ok']).stdout, 'ok\n');
  const other = arch === 'arm64' ? 'amd64' : 'arm64';
  refused(['--pull', 'never', '--platform', `linux/${other}`, 'busybox', 'true'],
    `image with reference busybox was found but does not match the specified platform: wanted linux/${other}, actual: linux/${arch}`);
});

test('--platform picks what a run pulls: a missing image, or the one here for another platform, as that platform\'s', async () => {
  const reg = await startRegistry();
  try {
    // Two single-platform images pushed by skopeo (busybox, and busybox with its config
    // claiming the other architecture), then an OCI index over them put by hand.
    const host = inspect('busybox', '{{.Architecture}}');
    const other = host === 'arm64' ? 'amd64' : 'arm64';
    pushImage((await busyboxImage()).ref, reg, `plat/multi:${host}`);
    pushImage((await busyboxAsArch(other)).ref, reg, `plat/multi:${other}`);
    const desc = async (arch: string) => {
      const res = await fetch(`${reg.url}/v2/plat/multi/manifests/${arch}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const body = Buffer.from(await res.arrayBuffer());
      return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: res.headers.get('docker-content-digest')!, size: body.length, platform: { os: 'linux', architecture: arch } };
    };
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [await desc(host), await desc(other)] });
    const put = await fetch(`${reg.url}/v2/plat/multi/manifests/latest`, { method: 'PUT', headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }, body: index });
    assert.equal(put.status, 201, await put.text());
    const name = `${reg.host}/plat/multi`;
    const missing = await gockerAsync([...roots.args, 'run', '--rm', '--network', 'none', '-q', '--platform', `linux/${other}`, name, 'echo', 'pulled']);
    assert.equal(missing.stdout, 'pulled\n', missing.stderr);
    assert.equal(inspect(name, '{{.Architecture}}'), other);
    // Here, for the other platform: pulled again, the one asked for.
    const again = await gockerAsync([...roots.args, 'run', '--rm', '--network', 'none', '--platform', `linux/${host}`, name, 'echo', 'again']);
    assert.equal(again.stdout, 'again\n', again.stderr);
    assert.match(again.stderr, new RegExp(`^Unable to find image '${name}:latest' locally\n`));
    assert.equal(inspect(name, '{{.Architecture}}'), host);
    assert.equal(g(['rmi', name]).status, 0);
  } finally {
    await reg.stop();
  }
});

test('-a: only the streams named reach the caller (the log has them all); -a with -d and a bad stream refused', () => {
  const both = ['sh', '-c', 'echo out; echo err >&2'];
  const out = g(['run', '--name', 'att', '--network', 'none', '-a', 'stdout', 'busybox', ...both]);
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual([out.stdout, out.stderr], ['out\n', '']);
  assert.equal(inspect('att', '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}'), 'false true false');
  const logs = g(['logs', 'att']);
  assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n']);
  assert.equal(g(['rm', 'att']).status, 0);
  const err = g(['run', '--rm', '--network', 'none', '-a', 'STDERR', 'busybox', ...both]);
  assert.deepEqual([err.stdout, err.stderr], ['', 'err\n']);
  // stdin attached with -i only when named.
  const inNamed = gocker([...roots.args, 'run', '--rm', '--network', 'none', '-i', '-a', 'stdin', '-a', 'stdout', 'busybox', 'cat'], { input: 'fed\n' });
  assert.equal(inNamed.stdout, 'fed\n');
  const inNot = gocker([...roots.args, 'run', '--rm', '--network', 'none', '-i', '-a', 'stdout', 'busybox', 'cat'], { input: 'fed\n' });
  assert.deepEqual([inNot.status, inNot.stdout], [0, '']);
  refused(['-d', '-a', 'stdout', 'busybox', 'true'], 'conflicting options: cannot specify both --attach and --detach');
  refused(['-a', 'stdfoo', 'busybox', 'true'], 'invalid argument "stdfoo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR');
});

test('--shm-size: the mount\'s size and HostConfig.ShmSize; create then start keeps every flag', () => {
  const c = g(['create', '--name', 'made', '--network', 'none', '--shm-size', '128m', '--sysctl', 'kernel.shmmax=4096', '--pid', 'host', '-l', 'k=v',
    'busybox', 'sh', '-c', 'grep " /dev/shm " /proc/mounts | cut -d" " -f4; cat /proc/sys/kernel/shmmax; readlink /proc/self/ns/pid']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(inspect('made', '{{.HostConfig.ShmSize}} {{.HostConfig.PidMode}} {{.Config.Labels.k}}'), '134217728 host v');
  const s = g(['start', '-a', 'made']);
  assert.equal(s.stdout, `rw,nosuid,nodev,noexec,relatime,size=131072k\n4096\n${fs.readlinkSync('/proc/self/ns/pid')}\n`, s.stderr);
  assert.equal(g(['rm', 'made']).status, 0);
});

test('-e with an empty name (=VALUE): refused by run, create and exec as docker\'s CLI reads the flag (ValidateEnv), before anything runs', () => {
  const line = (cmd: string): string => `invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x\nSee 'gocker ${cmd} --help'.\n`;
  for (const cmd of [['run'], ['run', '-d'], ['create']]) {
    const before = containers();
    const r = g([...cmd, '--network', 'none', '-e', '=x', 'busybox', 'true']);
    assert.equal(r.stderr, line(cmd[0]));
    assert.equal(r.status, 125);
    assert.deepEqual(containers(), before);
  }
  assert.equal(g(['run', '-d', '--name', 'env-exec', '--network', 'none', 'busybox', 'sleep', '60']).status, 0);
  try {
    const r = g(['exec', '-e', '=x', 'env-exec', 'true']);
    assert.equal(r.stderr, line('exec'));
    assert.equal(r.status, 125);
  } finally {
    g(['rm', '-f', 'env-exec']);
  }
});
