// The spec builder: docker-shaped input and fixed facts -> config.json, compared byte for byte
// with the files checked in under test/unit/golden/ (GOLDEN_UPDATE=1 writes them anew; the
// diff is then the review). Pure: no addon, no root.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildExecSpec, buildSpec, launchSpec, parseSpecJson, specJson, type OciSpec, type SpecFacts, type SpecHostConfig, type SpecInput,
} from '../../lib/spec';
import { DEFAULT_CAPS } from '../../lib/spec/caps';
import type { ResolvedSeccomp } from '../../lib/spec/seccomp';

// dist/test/unit -> the source tree's test/unit/golden
const GOLDEN = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'golden');
const ID = '4d0ba2a5c241cf1c4b817ed14ebe414e23fb1b718fc97c80581105f554c9aa8d';
const DIR = `/var/lib/gocker/containers/${ID}`;
const RUN = `/run/gocker/containers/${ID}`;

// A small profile with what matters to the spec: an errno default, an argument rule with a
// value past 2^53, a flag.
const PROFILE: ResolvedSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: '18446744073709551615', valueTwo: '0', op: 'SCMP_CMP_EQ' }] },
  ],
};

const hostConfig = (o: Partial<SpecHostConfig> = {}): SpecHostConfig => ({
  NetworkMode: 'none', Privileged: false, ReadonlyRootfs: false, CapAdd: null, CapDrop: null, SecurityOpt: null, Init: false,
  ShmSize: 64 * 1024 * 1024, Memory: 0, MemorySwap: 0, NanoCpus: 0, CpuShares: 0, CpusetCpus: '', PidsLimit: null, Ulimits: null,
  Mounts: [], LogConfig: { Type: 'json-file', Config: {} }, ...o,
});

const facts = (o: Partial<SpecFacts> = {}): SpecFacts => ({
  user: { uid: 0, gid: 0, additionalGids: [1, 2, 3, 4, 6, 10, 11, 20, 26, 27], home: '/root' },
  // This machine's root, which lacks CAP_SYS_RESOURCE: what --privileged can hand on.
  availableCaps: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETUID', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE', 'MKNOD', 'AUDIT_WRITE',
    'SETFCAP', 'SETPCAP', 'NET_RAW', 'FSETID', 'NET_BIND_SERVICE', 'SYS_CHROOT'],
  seccomp: { profile: PROFILE, program: `${DIR}/seccomp.bpf` },
  cgroup: {
    path: `gocker/${ID}`,
    mounts: [{ name: 'cpu', options: ['cpu'] }, { name: 'memory', options: ['memory'] }, { name: 'systemd', options: ['name=systemd'] }],
    joinSelf: [`/sys/fs/cgroup/cpu/gocker/${ID}/tasks`, `/sys/fs/cgroup/memory/gocker/${ID}/tasks`],
    joinByPid: [],
    oomEvents: `/sys/fs/cgroup/memory/gocker/${ID}/memory.oom_control`,
  },
  hostDevices: [],
  rootfs: { overlay: { root: '/var/lib/gocker', lower: ['l/571e1e929e65229b48cf', 'l/0a1b2c3d4e5f60718293'], upper: `${DIR}/upper`, work: `${DIR}/work` } },
  paths: {
    merged: `${RUN}/merged`, pidFile: `${RUN}/pid`, exitFile: `${RUN}/exit.json`, startedFile: `${RUN}/started`,
    log: `${DIR}/${ID}-json.log`, hostname: `${DIR}/hostname`, hosts: `${DIR}/hosts`, resolvConf: `${DIR}/resolv.conf`,
  },
  ...o,
});

const IMAGE = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'], Cmd: ['sh'], WorkingDir: '/srv' };

const input = (o: { config?: SpecInput['config']; hostConfig?: Partial<SpecHostConfig>; facts?: Partial<SpecFacts> } = {}): SpecInput => ({
  id: ID, config: o.config ?? {}, image: IMAGE, hostConfig: hostConfig(o.hostConfig), facts: facts(o.facts),
});

function golden(name: string, value: unknown): void {
  const file = path.join(GOLDEN, `${name}.json`);
  const text = `${specJson(value, 2)}\n`;
  if (process.env.GOLDEN_UPDATE) fs.writeFileSync(file, text);
  assert.equal(text, fs.readFileSync(file, 'utf8'), `${name}: the spec differs from ${path.relative(process.cwd(), file)}`);
}

const cases: Array<[string, SpecInput]> = [
  ['default', input()],
  ['privileged', input({
    hostConfig: { Privileged: true, SecurityOpt: ['seccomp=unconfined'] },
    facts: {
      seccomp: undefined,
      hostDevices: [{ path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }, { path: '/dev/net/tun', type: 'c', major: 10, minor: 200, fileMode: 0o666, uid: 0, gid: 0 }],
    },
  })],
  ['read-only', input({ hostConfig: { ReadonlyRootfs: true, NetworkMode: 'host' }, config: { Cmd: ['cat', '/etc/hostname'], Hostname: 'ro-box' } })],
  ['volumes-tmpfs', input({
    hostConfig: {
      Mounts: [
        { Type: 'tmpfs', Target: '/scratch', Options: ['nosuid', 'nodev', 'size=1m', 'mode=1777'] },
        { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
        { Type: 'bind', Source: '/srv/cache', Target: '/cache', ReadOnly: false },
      ],
      ShmSize: 1 << 20,
    },
    // -v and --mount as lib/container/mounts.ts resolves them: a volume's directory, binds
    // with docker's propagation, a volume made with tmpfs options.
    facts: {
      mounts: [
        { destination: '/vol', type: 'bind', source: '/var/lib/gocker/volumes/v1/_data', options: ['rbind'] },
        { destination: '/shared', type: 'bind', source: '/srv/shared', options: ['rbind', 'rshared'] },
        { destination: '/slave', type: 'bind', source: '/srv/slave', options: ['bind', 'ro', 'slave'] },
        { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=2m', 'mode=700'] },
      ],
    },
  })],
  ['user', input({
    config: { User: 'nobody', Env: ['A=1', 'PATH=/bin'], Tty: true, WorkingDir: '/tmp', Entrypoint: ['/bin/echo'], Cmd: ['hi'] },
    hostConfig: { Init: true, SecurityOpt: ['no-new-privileges'] },
    facts: { user: { uid: 65534, gid: 65534, additionalGids: [], home: '/nonexistent' }, paths: { ...facts().paths, init: '/opt/gocker/build/Release/gocker-init' } },
  })],
  ['ulimits', input({ hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }, { Name: 'core', Soft: -1, Hard: -1 }, { Name: 'nproc', Soft: 10, Hard: -1 }] } })],
  ['cap-add-drop', input({ hostConfig: { CapAdd: ['SYS_ADMIN', 'cap_net_admin'], CapDrop: ['CHOWN', 'MKNOD', 'NET_RAW'] } })],
  ['seccomp-unconfined', input({ hostConfig: { SecurityOpt: ['seccomp=unconfined'] }, facts: { seccomp: undefined } })],
  ['resources-v2-vfs', input({
    hostConfig: {
      Memory: 64 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 100,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } },
    },
    facts: {
      cgroup: {
        path: `gocker/${ID}`, mounts: 'v2', joinSelf: [], joinByPid: [`/sys/fs/cgroup/gocker/${ID}/cgroup.procs`],
        oomEvents: `/sys/fs/cgroup/gocker/${ID}/memory.events`, deviceProgramTarget: `/sys/fs/cgroup/gocker/${ID}`,
      },
      rootfs: { bind: `/var/lib/gocker/vfs/containers/${ID}/rootfs` },
    },
  })],
  // --pid, --ipc and --uts host (no namespace, no hostname, the host's /dev/shm), --sysctl,
  // --device (a node of its own, its rule after docker's) and --device-cgroup-rule, on v2.
  ['host-namespaces-devices-sysctl', input({
    hostConfig: { NetworkMode: 'bridge', PidMode: 'host', IpcMode: 'host', UTSMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' }, DeviceCgroupRules: ['c 10:* rw'] },
    facts: {
      devices: [{ node: { path: '/dev/disk0', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }, access: 'r' },
        { node: { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }, access: 'rwm' }],
      cgroup: { path: `gocker/${ID}`, mounts: 'v2', joinSelf: [], joinByPid: [`/sys/fs/cgroup/gocker/${ID}/cgroup.procs`], deviceProgramTarget: `/sys/fs/cgroup/gocker/${ID}` },
    },
  })],
  // --ipc none (no /dev/shm) and IPC sysctls in its own namespace.
  ['ipc-none-sysctl', input({ hostConfig: { IpcMode: 'none', Sysctls: { 'kernel.shmmax': '4096', 'fs.mqueue.msg_max': '20' } } })],
  // --ipc shareable: its /dev/shm a tmpfs the monitor mounts on the host, bound in.
  ['ipc-shareable', input({ hostConfig: { IpcMode: 'shareable', ShmSize: 8 << 20 }, facts: { paths: { ...facts().paths, shm: `${RUN}/shm` } } })],
];

for (const [name, i] of cases) {
  test(`config.json, ${name}`, () => {
    golden(`config-${name}`, buildSpec(i));
  });
}

test('the same input gives the same spec, and the spec reads back unchanged (uint64 included)', () => {
  const i = cases.find(([n]) => n === 'ulimits')![1];
  const text = specJson(buildSpec(i));
  assert.equal(specJson(buildSpec(i)), text);
  assert.match(text, /"soft":18446744073709551615,"hard":18446744073709551615/);
  assert.equal(specJson(parseSpecJson(text)), text);
  // Numbers that are not integers, and long digit runs inside strings, are left as they are.
  const odd = '{"process":{"rlimits":[{"soft":9007199254740993,"hard":1234567890123456}]},"linux":{"seccomp":{"syscalls":[{"args":[{"value":18446744073709551615,"valueTwo":0}]}]}},"b":"12345678901234567890","d":[0.12345678901234567,1e-1234567890123456]}';
  assert.deepEqual(parseSpecJson(odd), {
    process: { rlimits: [{ soft: 9007199254740993n, hard: 1234567890123456 }] },
    linux: { seccomp: { syscalls: [{ args: [{ value: 18446744073709551615n, valueTwo: 0 }] }] } },
    b: '12345678901234567890', d: [0.12345678901234567, 0],
  });
});

test('a start adds what holds for it alone, and nothing to the stored spec', () => {
  const stored = buildSpec(input());
  const before = specJson(stored);
  golden('launch', launchSpec(stored, { detach: true, stdin: false, goFd: 3, exitCommand: ['/usr/bin/node', '/opt/gocker/dist/lib/container/exit-command.js', '--root', '/var/lib/gocker', '--runroot', '/var/run/gocker', '--remove', ID] }).annotations);
  assert.equal(specJson(stored), before);
  // A bridge network's published ports held by the monitor; container:NAME's namespace joined
  // through the fd the engine opened, as OCI names a namespace to join: by its path.
  const net = launchSpec(stored, { detach: false, stdin: true, goFd: 3, reportFd: 4, holdFds: [5, 6], netnsFd: 7 });
  golden('launch-network', { namespaces: net.linux.namespaces, annotations: net.annotations });
  assert.equal(specJson(stored), before);
  assert.throws(() => launchSpec(buildSpec(input({ hostConfig: { NetworkMode: 'host' } })), { detach: false, stdin: false, goFd: 3, netnsFd: 5 }),
    /a network namespace to join, for a container without one of its own/);
  // --pid and --ipc container:NAME: joined the same way, each on its own fd.
  const joined = launchSpec(stored, { detach: false, stdin: false, goFd: 3, reportFd: 4, pidnsFd: 5, ipcnsFd: 6 });
  assert.deepEqual(joined.linux.namespaces, [{ type: 'pid', path: '/proc/self/fd/5' }, { type: 'network' }, { type: 'ipc', path: '/proc/self/fd/6' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }]);
  assert.equal(specJson(stored), before);
  assert.throws(() => launchSpec(buildSpec(input({ hostConfig: { PidMode: 'host' } })), { detach: false, stdin: false, goFd: 3, pidnsFd: 5 }),
    /a pid namespace to join, for a container without one of its own/);
});

test('exec: the container\'s rlimits, no-new-privileges, seccomp and cgroups, its own process', () => {
  const container = buildSpec(input({ hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }], SecurityOpt: ['no-new-privileges=true'] } }));
  golden('exec', buildExecSpec({
    container, args: ['sh', '-c', 'id'], env: ['PATH=/bin', 'TERM=xterm'], cwd: '/', user: { uid: 1000, gid: 1000, additionalGids: [27] }, caps: DEFAULT_CAPS,
    tty: true, target: { pid: 4242, parent: 4241, startedFile: `${RUN}/started`, exitFile: `${RUN}/exit.json` },
    files: { pid: `${RUN}/exec-0a1b2c.pid`, exit: `${RUN}/exec-0a1b2c.json`, started: `${RUN}/exec-0a1b2c.started` }, detach: false, stdin: true,
  }));
});

test('input the spec cannot hold is refused (125), never written as something else', () => {
  const refused = (i: SpecInput, re: RegExp): void => assert.throws(() => buildSpec(i), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 125);
  // A passwd line whose uid is not a number must not become uid 0 (or anything).
  refused(input({ facts: { user: { uid: Number('x'), gid: 0, additionalGids: [], home: '/' } } }), /uid NaN is not a valid id/);
  refused(input({ facts: { user: { uid: 0, gid: -1, additionalGids: [], home: '/' } } }), /gid -1 is not a valid id/);
  refused(input({ facts: { user: { uid: 0, gid: 0, additionalGids: [2 ** 32], home: '/' } } }), /gid 4294967296/);
  refused(input({ config: { Env: ['A=1\0B=2'] } }), /NUL/);
  refused(input({ hostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t', Options: ['size=1m,exec'] }] } }), /unknown option 'size=1m,exec'/);
  refused(input({ hostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t', Options: ['shared'] }] } }), /unknown option 'shared'/);
  refused(input({ hostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] } }), /invalid ulimit type: bogus/);
  refused(input({ hostConfig: { CapAdd: ['CAP_BOGUS'] } }), /invalid capability: CAP_BOGUS/);
  refused(input({ facts: { mounts: [{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m,exec'] }] } }), /unknown option 'size=1m,exec'/);
  refused({ ...input(), image: {} }, /No command specified/);
  refused(input({ hostConfig: { IpcMode: 'shareable' } }), /--ipc shareable: no \/dev\/shm to share/);
});

test('the goldens are the spec as the monitor reads it: OCI field names, CAP_ names, every io.gocker. key documented', () => {
  const spec = parseSpecJson(fs.readFileSync(path.join(GOLDEN, 'config-default.json'), 'utf8')) as OciSpec;
  assert.equal(spec.ociVersion, '1.0.2');
  assert.ok(spec.process.capabilities.bounding.every((c) => /^CAP_[A-Z_]+$/.test(c)));
  assert.deepEqual(Object.keys(spec.linux), ['namespaces', 'devices', 'resources', 'cgroupsPath', 'seccomp', 'maskedPaths', 'readonlyPaths']);
  assert.ok(Object.keys(spec.annotations).every((k) => k.startsWith('io.gocker.')));
});
