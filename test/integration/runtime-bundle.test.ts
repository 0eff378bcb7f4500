// gocker-runtime driven directly with runtime-spec bundles, as a caller of runc's command line
// does (create, start, state, kill, delete), for the parts of config.json the engines of
// runtime-containerd and runtime-cri do not ask for in those tests: user namespaces with their
// mappings. Each test's bundle, state root and cgroup parent are its own, removed even when it
// fails.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME, cgroupDirs, removeCgroupParent } from '../helpers/containerd';
import { busyboxRootfs } from '../helpers/fixtures';
import { until } from '../helpers/wait';

let base = '';
let root = '';
let rootfs = '';
const CGROUP_PARENT = `gocker-rt-bundle-${process.pid}`;
const HOST_ID = 100000;

const runtime = (args: string[], input?: string) => spawnSync(RUNTIME, ['--root', root, ...args], { encoding: 'utf8', input, timeout: 60_000 });

/** A bundle dir whose config.json is the runtime spec's minimal one with over's fields set. */
function bundle(id: string, over: { process?: object; mounts?: object[]; linux?: object }): string {
  const dir = path.join(base, id);
  fs.mkdirSync(dir);
  const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE'];
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['true'], env: ['PATH=/bin:/usr/bin'], cwd: '/', capabilities: { bounding: caps, effective: caps, permitted: caps }, ...over.process },
    root: { path: rootfs },
    hostname: id,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...(over.mounts ?? []),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }, { type: 'cgroup' }],
      cgroupsPath: `/${CGROUP_PARENT}/${id}`,
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
      ...over.linux,
    },
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** A directory of the test's own that the container's root (host ID HOST_ID) may write. */
function shared(name: string): string {
  const d = path.join(base, name);
  fs.mkdirSync(d);
  fs.chownSync(d, HOST_ID, HOST_ID);
  return d;
}

/**
 * create: the container takes the runtime's stdio (as the shim's pipes), so it goes to a file
 * of its own rather than to pipes spawnSync would wait on while the container runs.
 */
function create(id: string, dir: string): { status: number | null; stderr: string } {
  const file = path.join(base, `${id}.stdio`);
  const fd = fs.openSync(file, 'w');
  try {
    const r = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', dir, id], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    return { status: r.status, stderr: fs.readFileSync(file, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

const state = (id: string) => JSON.parse(runtime(['state', id]).stdout) as { pid: number; status: string };

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-rt-bundle-'));
  fs.chmodSync(base, 0o755); // on the way to the rootfs, for the container's root in its user namespace
  root = path.join(base, 'state');
  // The rootfs of a container in a user namespace is the caller's to make its root's (runc
  // and the runtime spec leave ownership to it; containerd chowns a remapped snapshot): here a
  // copy of the busybox fixture, owned by HOST_ID.
  rootfs = path.join(base, 'rootfs');
  const cp = spawnSync('cp', ['-a', await busyboxRootfs(), rootfs]);
  assert.equal(cp.status, 0, String(cp.stderr));
  const ch = spawnSync('chown', ['-R', `${HOST_ID}:${HOST_ID}`, rootfs]);
  assert.equal(ch.status, 0, String(ch.stderr));
  fs.chmodSync(rootfs, 0o755);
});

after(() => {
  if (root && fs.existsSync(root)) {
    for (const id of fs.readdirSync(root)) runtime(['delete', '--force', id]);
  }
  try {
    removeCgroupParent(CGROUP_PARENT);
  } finally {
    if (base) fs.rmSync(base, { recursive: true, force: true });
  }
});

const userns = {
  namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }, { type: 'cgroup' }, { type: 'user' }],
  uidMappings: [{ containerID: 0, hostID: HOST_ID, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: HOST_ID, size: 65536 }],
};

test('linux.namespaces user with uid/gid mappings: root in the container is host ID 100000, its files too', async () => {
  const out = shared('userns-out');
  const script = 'cat /proc/self/uid_map > /out/uid_map; cat /proc/self/gid_map > /out/gid_map; id -u > /out/id; touch /out/made; echo x > /dev/null && echo ok > /out/devnull; exec sleep 1000';
  const dir = bundle('userns', { process: { args: ['sh', '-c', script] }, mounts: [{ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }], linux: userns });
  const c = create('userns', dir);
  assert.equal(c.status, 0, c.stderr);
  try {
    const { pid } = state('userns');
    assert.equal(runtime(['start', 'userns']).status, 0);
    await until('the container\'s files', () => fs.existsSync(path.join(out, 'devnull')));
    // Inside: the maps the spec gave, and uid 0.
    assert.deepEqual(fs.readFileSync(path.join(out, 'uid_map'), 'utf8').trim().split(/\s+/), ['0', String(HOST_ID), '65536']);
    assert.deepEqual(fs.readFileSync(path.join(out, 'gid_map'), 'utf8').trim().split(/\s+/), ['0', String(HOST_ID), '65536']);
    assert.equal(fs.readFileSync(path.join(out, 'id'), 'utf8'), '0\n');
    // On the host: the file it made is HOST_ID's, and so is its process; a user namespace not ours.
    const st = fs.statSync(path.join(out, 'made'));
    assert.deepEqual([st.uid, st.gid], [HOST_ID, HOST_ID]);
    assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}\\s+${HOST_ID}$`, 'm'));
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
    // Its other namespaces are the user namespace's: its root may set its hostname, not the host's.
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
    assert.equal(fs.readFileSync(path.join(out, 'devnull'), 'utf8'), 'ok\n');
    const proc = path.join(base, 'userns-exec.json');
    fs.writeFileSync(proc, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'hostname changed && hostname && id -u && cat /proc/self/uid_map'], env: ['PATH=/bin'], cwd: '/', capabilities: { bounding: ['CAP_SYS_ADMIN'], effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'] } }));
    const e = runtime(['exec', '--process', proc, 'userns']);
    assert.equal(e.status, 0, e.stderr);
    assert.match(e.stdout, new RegExp(`^changed\\n0\\n\\s*0\\s+${HOST_ID}\\s+65536\\n$`));
    assert.notEqual(os.hostname(), 'changed');
  } finally {
    runtime(['delete', '--force', 'userns']);
  }
  assert.equal(runtime(['state', 'userns']).stderr, 'container does not exist\n');
});

test('a container joining a pod sandbox\'s user namespace by path, with its network, IPC and UTS namespaces (as a pod with user namespaces)', async () => {
  const out = shared('userns-pod');
  const mount = [{ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }];
  const sb = bundle('pod-sandbox', { process: { args: ['sleep', '1000'] }, mounts: mount, linux: userns });
  try {
    assert.equal(create('pod-sandbox', sb).status, 0);
    assert.equal(runtime(['start', 'pod-sandbox']).status, 0);
    const sandbox = state('pod-sandbox').pid;
    const joined = ['user', 'network', 'ipc', 'uts'].map((type) => ({ type, path: `/proc/${sandbox}/ns/${type === 'network' ? 'net' : type}` }));
    const script = 'cat /proc/self/uid_map > /out/member-uid_map; id -u > /out/member-id; touch /out/member-made; hostname > /out/member-hostname; exec sleep 1000';
    const member = bundle('pod-member', {
      process: { args: ['sh', '-c', script] },
      mounts: mount,
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'cgroup' }, ...joined] },
    });
    // The sandbox's hostname is the member's (the UTS namespace joined): not set again.
    const config = JSON.parse(fs.readFileSync(path.join(member, 'config.json'), 'utf8'));
    delete config.hostname;
    fs.writeFileSync(path.join(member, 'config.json'), JSON.stringify(config));
    const c = create('pod-member', member);
    assert.equal(c.status, 0, c.stderr);
    const pid = state('pod-member').pid;
    // Handed over as any init: its parent is not a process of ours (the intermediate is gone).
    assert.equal(runtime(['start', 'pod-member']).status, 0);
    await until('the member\'s files', () => fs.existsSync(path.join(out, 'member-hostname')));
    for (const ns of ['user', 'net', 'ipc', 'uts']) assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${sandbox}/ns/${ns}`), ns);
    for (const ns of ['mnt', 'pid']) assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${sandbox}/ns/${ns}`), ns);
    assert.deepEqual(fs.readFileSync(path.join(out, 'member-uid_map'), 'utf8').trim().split(/\s+/), ['0', String(HOST_ID), '65536']);
    assert.equal(fs.readFileSync(path.join(out, 'member-id'), 'utf8'), '0\n');
    assert.equal(fs.readFileSync(path.join(out, 'member-hostname'), 'utf8'), 'pod-sandbox\n');
    assert.equal(fs.statSync(path.join(out, 'member-made')).uid, HOST_ID);
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
    // Mappings with a namespace to join are refused: the joined one has its maps.
    const bad = bundle('pod-bad', { linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, ...joined], uidMappings: userns.uidMappings, gidMappings: userns.gidMappings } });
    const b = create('pod-bad', bad);
    assert.equal(b.status, 1);
    assert.match(b.stderr, /linux\.uidMappings: given with a user namespace to join/);
  } finally {
    runtime(['delete', '--force', 'pod-member']);
    runtime(['delete', '--force', 'pod-sandbox']);
  }
});

test('a new user namespace with mappings that joins another container\'s network and IPC namespaces by path (joined first, as runc does); exec enters them too', async () => {
  const out = shared('userns-join');
  const mount = [{ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }];
  // The first container: namespaces of its own, no user namespace (the host's root's).
  const first = bundle('join-first', { process: { args: ['sleep', '1000'] } });
  try {
    assert.equal(create('join-first', first).status, 0);
    assert.equal(runtime(['start', 'join-first']).status, 0);
    const firstPid = state('join-first').pid;
    const script = 'readlink /proc/self/ns/net > /out/net; readlink /proc/self/ns/ipc > /out/ipc; cat /proc/self/uid_map > /out/uid_map; id -u > /out/id; touch /out/made; ls /sys/class/net > /out/sys; exec sleep 1000';
    const second = bundle('join-second', {
      process: { args: ['sh', '-c', script] },
      mounts: mount,
      linux: {
        ...userns,
        namespaces: [
          ...userns.namespaces.filter((n) => n.type !== 'network' && n.type !== 'ipc'),
          { type: 'network', path: `/proc/${firstPid}/ns/net` },
          { type: 'ipc', path: `/proc/${firstPid}/ns/ipc` },
        ],
      },
    });
    const c = create('join-second', second);
    assert.equal(c.status, 0, c.stderr);
    const pid = state('join-second').pid;
    assert.equal(runtime(['start', 'join-second']).status, 0);
    await until('the second container\'s files', () => fs.existsSync(path.join(out, 'sys')));
    // The joined namespaces are the first container's (their inodes), the user namespace is
    // new and neither the host's nor the first's, and its root is HOST_ID on the host.
    for (const ns of ['net', 'ipc']) {
      assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${firstPid}/ns/${ns}`), ns);
      assert.equal(fs.readFileSync(path.join(out, ns), 'utf8').trim(), fs.readlinkSync(`/proc/${firstPid}/ns/${ns}`), `${ns} seen inside`);
    }
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/net`), fs.readlinkSync('/proc/self/ns/net'));
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'));
    assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/uts`), fs.readlinkSync(`/proc/${firstPid}/ns/uts`), 'uts: its own');
    assert.deepEqual(fs.readFileSync(path.join(out, 'uid_map'), 'utf8').trim().split(/\s+/), ['0', String(HOST_ID), '65536']);
    assert.equal(fs.readFileSync(path.join(out, 'id'), 'utf8'), '0\n');
    assert.equal(fs.statSync(path.join(out, 'made')).uid, HOST_ID);
    assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${HOST_ID}\\s`, 'm'));
    // /sys (the host's bound: sysfs is the network namespace's owner's to mount) is there.
    assert.match(fs.readFileSync(path.join(out, 'sys'), 'utf8'), /^lo$/m);
    // exec: the joined network namespace entered before the container's user namespace.
    const proc = path.join(base, 'join-exec.json');
    fs.writeFileSync(proc, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'readlink /proc/self/ns/net; id -u'], env: ['PATH=/bin'], cwd: '/', capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] } }));
    const e = runtime(['exec', '--process', proc, 'join-second']);
    assert.equal(e.status, 0, e.stderr);
    assert.equal(e.stdout, `${fs.readlinkSync(`/proc/${firstPid}/ns/net`)}\n0\n`);
  } finally {
    runtime(['delete', '--force', 'join-second']);
    runtime(['delete', '--force', 'join-first']);
  }
  assert.equal(runtime(['state', 'join-second']).stderr, 'container does not exist\n');
});

test('user namespace specs refused by field: mappings without one, one with a joined pid namespace, overlapping maps', () => {
  const cases: [string, object, RegExp][] = [
    ['maps-alone', { uidMappings: userns.uidMappings, gidMappings: userns.gidMappings }, /linux\.uidMappings: given without a user namespace/],
    ['joined-pid', { ...userns, namespaces: [...userns.namespaces.filter((n) => n.type !== 'pid'), { type: 'pid', path: '/proc/self/ns/pid' }] }, /a user namespace needs a pid namespace of the container's own/],
    ['overlap', { ...userns, uidMappings: [{ containerID: 0, hostID: HOST_ID, size: 10 }, { containerID: 5, hostID: 200000, size: 10 }] }, /linux\.uidMappings: mappings 0 and 1 overlap/],
    ['no-maps', { namespaces: userns.namespaces }, /linux\.uidMappings: a new user namespace needs its mappings/],
  ];
  for (const [id, linux, message] of cases) {
    const r = create(id, bundle(id, { linux }));
    assert.equal(r.status, 1, id);
    assert.match(r.stderr, message, id);
    assert.equal(runtime(['state', id]).stderr, 'container does not exist\n', id);
    assert.deepEqual(cgroupDirs(path.join(CGROUP_PARENT, id)).filter((d) => fs.existsSync(d)), [], id);
  }
});

test('hooks: each kind in the runtime spec\'s order, createContainer and startContainer in the container\'s mount namespace', async () => {
  const out = shared('hooks-out');
  const order = path.join(out, 'order');
  // Each hook appends its kind and its mount namespace; those in the container's namespaces
  // keep the state they were given. createContainer runs before pivot_root (its path and
  // files are the host's), startContainer after it (the container's /bin/sh, its /out).
  const host = (kind: string, extra = '') => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${kind} $(readlink /proc/self/ns/mnt) >> ${order}${extra}`] });
  const hooks = {
    prestart: [host('prestart')],
    createRuntime: [host('createRuntime')],
    createContainer: [host('createContainer', `; cat > ${out}/createContainer.json`)],
    startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo startContainer $(readlink /proc/self/ns/mnt) >> /out/order; cat > /out/startContainer.json; id -u > /out/startContainer.uid'] }],
    poststart: [host('poststart')],
    poststop: [host('poststop')],
  };
  const dir = bundle('hooks', { process: { args: ['sleep', '1000'] }, mounts: [{ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }] });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, hooks }));
  const ours = fs.readlinkSync('/proc/self/ns/mnt');
  let theirs = '';
  try {
    const c = create('hooks', dir);
    assert.equal(c.status, 0, c.stderr);
    const { pid } = state('hooks');
    theirs = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    assert.notEqual(theirs, ours);
    const kinds = () => fs.readFileSync(order, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    assert.deepEqual(kinds(), ['prestart', 'createRuntime', 'createContainer']);
    const s = runtime(['start', 'hooks']);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
    assert.deepEqual(kinds(), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart']);
    assert.equal(runtime(['delete', '--force', 'hooks']).status, 0);
    const lines = fs.readFileSync(order, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(lines, [['prestart', ours], ['createRuntime', ours], ['createContainer', theirs], ['startContainer', theirs], ['poststart', ours], ['poststop', ours]]);
    // The state on their stdin: as the container sees its init (pid 1 of its pid namespace).
    const cc = JSON.parse(fs.readFileSync(path.join(out, 'createContainer.json'), 'utf8'));
    assert.deepEqual([cc.id, cc.status, cc.pid, cc.bundle], ['hooks', 'creating', 1, dir]);
    const sc = JSON.parse(fs.readFileSync(path.join(out, 'startContainer.json'), 'utf8'));
    assert.deepEqual([sc.id, sc.status, sc.pid, sc.bundle], ['hooks', 'created', 1, dir]);
    assert.equal(fs.readFileSync(path.join(out, 'startContainer.uid'), 'utf8'), '0\n');
  } finally {
    runtime(['delete', '--force', 'hooks']);
  }
});

test('a failing createContainer hook fails the create, a failing startContainer hook the start; nothing is left', () => {
  const fail = (code: number, what: string) => [{ path: '/bin/sh', args: ['sh', '-c', `echo ${what} >&2; exit ${code}`] }];
  const withHooks = (id: string, hooks: object) => {
    const dir = bundle(id, { process: { args: ['sleep', '1000'] } });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, hooks }));
    return dir;
  };
  const c = create('hook-cc', withHooks('hook-cc', { createContainer: fail(3, 'nope') }));
  assert.equal(c.status, 1);
  assert.match(c.stderr, /^createContainer hook #0: exit status 3, stderr: nope$/m);
  assert.equal(runtime(['state', 'hook-cc']).stderr, 'container does not exist\n');
  assert.deepEqual(cgroupDirs(path.join(CGROUP_PARENT, 'hook-cc')).filter((d) => fs.existsSync(d)), []);

  try {
    assert.equal(create('hook-sc', withHooks('hook-sc', { startContainer: fail(4, 'bad') })).status, 0);
    const s = runtime(['start', 'hook-sc']);
    assert.equal(s.status, 1);
    assert.match(s.stderr, /startContainer hook #0: exit status 4, output: bad/);
    assert.equal(state('hook-sc').status, 'stopped');
  } finally {
    runtime(['delete', '--force', 'hook-sc']);
  }
  assert.deepEqual(cgroupDirs(path.join(CGROUP_PARENT, 'hook-sc')).filter((d) => fs.existsSync(d)), []);
});

test('kill --all: every process of the container by one call (frozen meanwhile); a paused container stays paused but for SIGKILL', async () => {
  const procsOf = (id: string) => [...new Set(cgroupDirs(path.join(CGROUP_PARENT, id)).flatMap((d) => (fs.existsSync(path.join(d, 'cgroup.procs')) ? fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean) : [])))];
  // 45 processes in two generations: the init, four subshells, ten sleeps of each.
  const tree = 'for i in 1 2 3 4; do (for j in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done; exec sleep 1000) & done; exec sleep 1000';
  const dir = bundle('killall', { process: { args: ['sh', '-c', tree] } });
  try {
    assert.equal(create('killall', dir).status, 0);
    assert.equal(runtime(['start', 'killall']).status, 0);
    await until('its 45 processes', () => procsOf('killall').length === 45 || String(procsOf('killall').length));
    const k = runtime(['kill', '--all', 'killall', 'KILL']);
    assert.equal(k.status, 0, k.stderr);
    await until('every process gone', () => procsOf('killall').length === 0 || procsOf('killall').join(' '));
    await until('the container stopped', () => state('killall').status === 'stopped');
  } finally {
    runtime(['delete', '--force', 'killall']);
  }

  const dir2 = bundle('killpaused', { process: { args: ['sh', '-c', 'trap "echo usr1 > /dev/null" USR1; sleep 1000 & while :; do sleep 1; done'] } });
  try {
    assert.equal(create('killpaused', dir2).status, 0);
    assert.equal(runtime(['start', 'killpaused']).status, 0);
    await until('its processes', () => procsOf('killpaused').length >= 3);
    assert.equal(runtime(['pause', 'killpaused']).status, 0);
    // A signal but KILL and TERM leaves it paused (it is taken once resumed).
    assert.equal(runtime(['kill', '--all', 'killpaused', 'USR1']).status, 0);
    assert.equal(state('killpaused').status, 'paused');
    // Pending in every process of it (SIGUSR1 is bit 9 of the shared pending set).
    for (const p of procsOf('killpaused')) {
      const pending = BigInt(`0x${/^ShdPnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1]}`);
      assert.equal(pending & 0x200n, 0x200n, `pid ${p}`);
    }
    assert.equal(runtime(['kill', '--all', 'killpaused', 'KILL']).status, 0);
    await until('the paused container killed', () => state('killpaused').status === 'stopped');
    assert.deepEqual(procsOf('killpaused'), []);
  } finally {
    runtime(['delete', '--force', 'killpaused']);
  }
});

test('features says so: the user namespace and every hook kind', () => {
  const f = JSON.parse(runtime(['features']).stdout) as { hooks: string[]; linux: { namespaces: string[] } };
  assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.ok(f.linux.namespaces.includes('user'));
});
