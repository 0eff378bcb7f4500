// gocker-runtime driven directly, as opencontainers/runtime-tools' validation suite drives it
// (create --bundle, start, state, delete), on bundles shaped as that suite's are: the points
// where the suite found it apart from the runtime spec (scripts/runtime-validation.ts runs the
// whole suite). Each container's init writes what it saw to a bind-mounted host directory.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME } from '../helpers/containerd';
import { busyboxRootfs } from '../helpers/fixtures';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-rt-points-'));
const root = path.join(work, 'state');
let rootfs = '';
let seq = 0;
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'];

function rt(args: string[], log?: number) {
  const r = spawnSync(RUNTIME, ['--root', root, ...args], { encoding: 'utf8', stdio: ['ignore', log ?? 'pipe', log ?? 'pipe'], timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A bundle whose init runs `sh -c script`, with /out bound to a host directory; extra merged over the config, user over process.user. */
function bundle(script: string, extra: Record<string, unknown> = {}, linux: Record<string, unknown> = {}, user: Record<string, unknown> = {}) {
  const { mounts: more = [], ...rest } = extra as { mounts?: unknown[] };
  const dir = path.join(work, `b${seq++}`);
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
  const config = {
    ociVersion: '1.0.2',
    process: {
      args: ['sh', '-c', script],
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      user: { uid: 0, gid: 0, ...user },
      capabilities: Object.fromEntries(['bounding', 'effective', 'permitted'].map((k) => [k, CAPS])),
    },
    root: { path: rootfs, readonly: false },
    hostname: 'bundle',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/out', type: 'bind', source: path.join(dir, 'out'), options: ['rbind', 'rw'] },
      ...more,
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }], ...linux },
    ...rest,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** create, start, wait for it to stop, delete: what its init wrote to /out/result. */
async function runBundle(dir: string): Promise<string> {
  const id = `h-${path.basename(dir)}`;
  const log = fs.openSync(path.join(dir, 'stdio'), 'w');
  try {
    const c = rt(['create', '--bundle', dir, id], log);
    assert.equal(c.status, 0, fs.readFileSync(path.join(dir, 'stdio'), 'utf8'));
  } finally {
    fs.closeSync(log);
  }
  assert.equal(rt(['start', id]).status, 0);
  for (const end = Date.now() + 20_000; JSON.parse(rt(['state', id]).stdout || '{}').status !== 'stopped'; await new Promise((r) => setTimeout(r, 50))) {
    assert.ok(Date.now() < end, 'the container did not stop');
  }
  assert.equal(rt(['delete', id]).status, 0);
  return fs.readFileSync(path.join(dir, 'out', 'result'), 'utf8');
}

before(async () => {
  // A copy: a runtime makes /dev's nodes and the mount points it needs in a bundle's rootfs,
  // which the shared fixture must never get.
  rootfs = path.join(work, 'rootfs');
  fs.cpSync(await busyboxRootfs(), rootfs, { recursive: true, verbatimSymlinks: true });
});

after(() => {
  for (const id of rt(['list', '-q']).stdout.split('\n').filter(Boolean)) rt(['delete', '--force', id]);
  fs.rmSync(work, { recursive: true, force: true });
});

test('a property the runtime spec does not define is ignored, as it says runtimes must; one it defines that gocker does not carry out is refused by name', async () => {
  assert.equal(await runBundle(bundle('echo ran > /out/result', { unknown: 'unknown', 'x-extension': { a: 1 } })), 'ran\n');
  const id = 'h-domainname';
  const r = rt(['create', '--bundle', bundle('true', { domainname: 'example.org' }), id]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /domainname: not supported/);
  assert.equal(rt(['state', id]).status, 1, 'nothing left of it');
});

test('linux.devices: a FIFO (type p, no numbers) and an unbuffered character device (type u) are made as asked', async () => {
  const out = await runBundle(bundle('stat -c "%n %F %t:%T %a %u:%g" /dev/gocker-fifo /dev/gocker-u > /out/result', {}, {
    devices: [
      { path: '/dev/gocker-fifo', type: 'p', fileMode: 0o640 },
      { path: '/dev/gocker-u', type: 'u', major: 1, minor: 3, fileMode: 0o666, uid: 1000, gid: 1000 },
    ],
  }));
  assert.equal(out, '/dev/gocker-fifo fifo 0:0 640 0:0\n/dev/gocker-u character special file 1:3 666 1000:1000\n');
  const id = 'h-badtype';
  const r = rt(['create', '--bundle', bundle('true', {}, { devices: [{ path: '/dev/x', type: 'q', major: 1, minor: 3 }] }), id]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /linux\.devices\[0\]\.type: must be "c", "u", "b" or "p", not "q"/);
});

test('linux.seccomp comparing one argument twice (runtime-tools\' default profile does, for personality): either value matches', async () => {
  const out = await runBundle(bundle('linux32 true; echo "linux32 $?" > /out/result; true', {}, {
    seccomp: {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 0x40000, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
      }],
    },
  }));
  assert.equal(out, 'linux32 1\n');
});

test('linux.rootfsPropagation: the container\'s root mount is shared, private or unbindable as asked; an unknown kind is refused', async () => {
  // mountinfo's optional fields of "/": shared:N, unbindable, or none (private).
  const root = 'awk \'$5 == "/" { f = ""; for (i = 7; $i != "-"; i++) f = f " " $i; print "root" f }\' /proc/self/mountinfo > /out/result';
  assert.match(await runBundle(bundle(root, {}, { rootfsPropagation: 'shared' })), /^root shared:\d+\n$/);
  assert.equal(await runBundle(bundle(root, {}, { rootfsPropagation: 'private' })), 'root\n');
  assert.equal(await runBundle(bundle(root, {}, { rootfsPropagation: 'unbindable' })), 'root unbindable\n');
  const r = rt(['create', '--bundle', bundle('true', {}, { rootfsPropagation: 'sideways' }), 'h-badprop']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /linux\.rootfsPropagation: must be shared, slave, private or unbindable, not "sideways"/);
});

test('process.user.umask is the init\'s umask: what it makes has the bits it masks off', async () => {
  const script = 'umask > /out/result; touch /out/f; mkdir /out/d; stat -c "%n %a" /out/f /out/d >> /out/result';
  assert.equal(await runBundle(bundle(script, {}, {}, { umask: 0o027 })), '0027\n/out/f 640\n/out/d 750\n');
  const r = rt(['create', '--bundle', bundle('true', {}, {}, { umask: 0o1777 }), 'h-badumask']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /process\.user\.umask: /);
});

test('mounts: propagation on a new filesystem (a shared tmpfs), unbindable binds, and a bind known by its options alone (type is optional)', async () => {
  const src = fs.mkdtempSync(path.join(work, 'src-'));
  fs.writeFileSync(path.join(src, 'f'), 'from the host\n');
  // Each mount's optional fields in mountinfo: shared:N, unbindable, or none.
  const show = 'for d in /mnt/shared-tmpfs /mnt/unbindable /mnt/typeless; do awk -v d=$d \'$5 == d { f = ""; for (i = 7; $i != "-"; i++) f = f " " $i; print d f }\' /proc/self/mountinfo; done > /out/result; cat /mnt/typeless/f >> /out/result';
  const out = await runBundle(bundle(show, {
    mounts: [
      { destination: '/mnt/shared-tmpfs', type: 'tmpfs', source: 'tmpfs', options: ['shared', 'size=1m'] },
      { destination: '/mnt/unbindable', type: 'bind', source: src, options: ['bind', 'unbindable'] },
      { destination: '/mnt/typeless', source: src, options: ['rbind', 'ro'] },
    ],
  }));
  assert.match(out, /^\/mnt\/shared-tmpfs shared:\d+\n\/mnt\/unbindable unbindable\n\/mnt\/typeless\nfrom the host\n$/);
  // Without bind or rbind, a mount still needs its type.
  const r = rt(['create', '--bundle', bundle('true', { mounts: [{ destination: '/mnt/x', source: 'tmpfs', options: ['size=1m'] }] }), 'h-notype']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mounts\[3\]\.type: missing/);
});

test('linux.resources.memory: kernel (deprecated) is ignored as runc ignores it; kernelTCP is cgroup v1\'s tcp limit', () => {
  const cgPath = `/${path.basename(work)}-mem`;
  const memory = { limit: 64 << 20, kernel: 32 << 20, kernelTCP: 16 << 20 };
  const id = 'h-kmem';
  const dir = bundle('true', {}, { cgroupsPath: cgPath, resources: { memory } });
  // Its stdio to a file: a created init holds the caller's stdio until start, as runc's does,
  // and a pipe would keep spawnSync waiting for its end until the timeout.
  const stdio = fs.openSync(path.join(dir, 'stdio'), 'w');
  const r = rt(['create', '--bundle', dir, id], stdio);
  fs.closeSync(stdio);
  const stderr = fs.readFileSync(path.join(dir, 'stdio'), 'utf8');
  try {
    const v1 = fs.existsSync(`/sys/fs/cgroup/memory/memory.limit_in_bytes`);
    if (v1) {
      assert.equal(r.status, 0, stderr);
      const cg = `/sys/fs/cgroup/memory${cgPath}`;
      assert.equal(fs.readFileSync(`${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 << 20));
      assert.equal(fs.readFileSync(`${cg}/memory.kmem.tcp.limit_in_bytes`, 'utf8').trim(), String(16 << 20));
    } else {
      assert.equal(r.status, 1);
      assert.match(stderr, /linux\.resources\.memory: swappiness, disableOOMKiller and kernelTCP are cgroup v1's only/);
    }
  } finally {
    rt(['delete', '--force', id]);
  }
  assert.equal(fs.existsSync(`/sys/fs/cgroup/memory${cgPath}`), false, 'the cgroup goes with the container');
});

test('a failing poststart or poststop hook is a warning (on stderr, or in --log): the hooks after it run, and start and delete succeed', async () => {
  const dir = bundle('sleep 1000');
  const out = path.join(dir, 'out', 'hooks');
  const hook = (kind: string, code: number) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${kind}-${code} >> ${out}; echo ${kind} went wrong >&2; exit ${code}`] });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.hooks = { poststart: [hook('poststart', 3), hook('poststart', 0)], poststop: [hook('poststop', 4), hook('poststop', 0)] };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const id = 'h-hookwarn';
  const logFile = path.join(work, 'hookwarn.log');
  const stdio = fs.openSync(path.join(dir, 'stdio'), 'w');
  try {
    assert.equal(rt(['create', '--bundle', dir, id], stdio).status, 0, fs.readFileSync(path.join(dir, 'stdio'), 'utf8'));
    const s = rt(['start', id]);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stderr, /^time="[^"]+" level=warning msg="poststart hook #0: exit status 3, stderr: poststart went wrong"\n$/);
    assert.equal(JSON.parse(rt(['state', id]).stdout).status, 'running');
    // delete --force with runc's --log as containerd's shim passes it: the warning goes there.
    const d = spawnSync(RUNTIME, ['--root', root, '--log', logFile, '--log-format', 'json', 'delete', '--force', id], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.stderr, '');
    const logged = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.deepEqual(logged.map((l) => [l.level, l.msg]), [['warning', 'poststop hook #0: exit status 4, stderr: poststop went wrong']]);
    assert.equal(fs.readFileSync(out, 'utf8'), 'poststart-3\npoststart-0\npoststop-4\npoststop-0\n');
    assert.equal(rt(['state', id]).status, 1, 'deleted');
  } finally {
    fs.closeSync(stdio);
    rt(['delete', '--force', id]);
  }
});

/** The cgroup directories of cgroupsPath p on this host: one per hierarchy mounted under /sys/fs/cgroup. */
function cgroupDirsOf(p: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => {
    const post = f.slice(f.indexOf('-') + 1);
    return (post[0] === 'cgroup' || post[0] === 'cgroup2') && f[4]?.startsWith('/sys/fs/cgroup');
  }).map((f) => `${f[4]}${p}`);
}

/** The mount point of a v1 hierarchy with the controller, or of a v2 one whose cgroup.controllers has it (v2's name, io for blkio). */
function controllerRoot(v1: string, v2: string): string | undefined {
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ');
    const post = f.slice(f.indexOf('-') + 1);
    if (!f[4]?.startsWith('/sys/fs/cgroup')) continue;
    if (post[0] === 'cgroup' && (post[2] ?? '').split(',').includes(v1)) return f[4];
    if (post[0] === 'cgroup2' && fs.readFileSync(`${f[4]}/cgroup.controllers`, 'utf8').trim().split(' ').includes(v2)) return f[4];
  }
  return undefined;
}

/**
 * create with linux.resources, check(dirs) on the made cgroup, delete; then the cgroup must be
 * gone. A v2 hierarchy's root subtree_control is put back as it was (the runtime enables the
 * controller there, as runc does, and leaves it).
 */
function withResources(name: string, resources: object, check: (r: { status: number; stderr: string }) => void) {
  const cgPath = `/${path.basename(work)}-${name}`;
  const id = `h-${name}`;
  const subtree = fs.existsSync('/sys/fs/cgroup/unified/cgroup.subtree_control') ? '/sys/fs/cgroup/unified/cgroup.subtree_control' : '/sys/fs/cgroup/cgroup.subtree_control';
  const before = fs.existsSync(subtree) ? fs.readFileSync(subtree, 'utf8').trim().split(' ').filter(Boolean) : [];
  try {
    // The created container holds create's stdio until it runs: a file, not pipes to wait on.
    const dir = bundle('true', {}, { cgroupsPath: cgPath, resources });
    const stdio = fs.openSync(path.join(dir, 'stdio'), 'w');
    const r = rt(['create', '--bundle', dir, id], stdio);
    fs.closeSync(stdio);
    check({ status: r.status ?? -1, stderr: fs.readFileSync(path.join(dir, 'stdio'), 'utf8') });
  } finally {
    rt(['delete', '--force', id]);
    for (const d of cgroupDirsOf(cgPath)) if (fs.existsSync(d)) fs.rmdirSync(d);
    if (fs.existsSync(subtree)) {
      for (const c of fs.readFileSync(subtree, 'utf8').trim().split(' ').filter(Boolean)) if (!before.includes(c)) fs.writeFileSync(subtree, `-${c}`);
    }
  }
  assert.deepEqual(cgroupDirsOf(cgPath).filter((d) => fs.existsSync(d)), [], 'the cgroup goes with the container');
}

test('linux.resources.hugepageLimits: the hugetlb controller\'s limit (v1 hugetlb.<size>.limit_in_bytes, v2 hugetlb.<size>.max); a page size the host has not is refused', (t) => {
  const sizes = fs.readdirSync('/sys/kernel/mm/hugepages').map((d) => Number(/^hugepages-(\d+)kB$/.exec(d)?.[1])).filter(Boolean);
  const where = controllerRoot('hugetlb', 'hugetlb');
  if (!where && sizes.length) {
    // No controller to set it in: refused by name, not dropped.
    withResources('huge-none', { hugepageLimits: [{ pageSize: sizes[0] >= 1 << 20 ? `${sizes[0] >> 20}GB` : `${sizes[0] >> 10}MB`, limit: 1 << 30 }] }, (r) => {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /linux\.resources\.hugepageLimits: this host has no hugetlb cgroup controller/);
    });
  }
  if (!where || !sizes.length) {
    t.skip(`the limit itself not tested: this host has no hugetlb cgroup controller mounted (v1) or enabled (v2), or no huge page size (its refusal is): ${where ?? 'no controller'}, sizes ${sizes.join(',')}`);
    return;
  }
  const size = sizes[0] >= 1 << 20 ? `${sizes[0] >> 20}GB` : `${sizes[0] >> 10}MB`;
  const v2 = fs.existsSync(`${where}/cgroup.controllers`);
  const limit = 64 * sizes[0] * 1024;
  withResources('huge', { hugepageLimits: [{ pageSize: size, limit }] }, (r) => {
    assert.equal(r.status, 0, r.stderr);
    const dir = `${where}/${path.basename(work)}-huge`;
    assert.equal(fs.readFileSync(`${dir}/hugetlb.${size}.${v2 ? 'max' : 'limit_in_bytes'}`, 'utf8').trim(), String(limit));
    const rsvd = `${dir}/hugetlb.${size}.rsvd.${v2 ? 'max' : 'limit_in_bytes'}`;
    if (fs.existsSync(rsvd)) assert.equal(fs.readFileSync(rsvd, 'utf8').trim(), String(limit), 'the reservations\' limit too');
  });
  withResources('huge3', { hugepageLimits: [{ pageSize: '3MB', limit }] }, (r) => {
    assert.equal(r.status, 1);
    assert.match(r.stderr, /linux\.resources\.hugepageLimits\[0\]\.pageSize: this host has no huge pages of size "3MB" \(it has [0-9A-Z, ]+\)/);
  });
});

test('linux.resources.blockIO: throttles (v1 blkio.throttle.*, v2 io.max) and the weight (blkio.weight, io.weight), or a refusal naming what this kernel lacks', (t) => {
  const where = controllerRoot('blkio', 'io');
  if (!where) {
    t.skip('this host has no blkio (v1) or io (v2) cgroup controller');
    return;
  }
  // A whole disk of this host's (throttles take a disk, not a partition).
  const disk = fs.readdirSync('/sys/block').find((d) => !/^(loop|ram|zram|dm-|md|sr)/.test(d));
  if (!disk) {
    t.skip('this host has no disk to throttle (only loop, ram, zram, dm or md devices)');
    return;
  }
  const [major, minor] = fs.readFileSync(`/sys/block/${disk}/dev`, 'utf8').trim().split(':').map(Number);
  const v2 = fs.existsSync(`${where}/cgroup.controllers`);
  const dir = `${where}/${path.basename(work)}-blkio`;
  const blockIO = {
    throttleReadBpsDevice: [{ major, minor, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major, minor, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major, minor, rate: 100 }],
    throttleWriteIOPSDevice: [{ major, minor, rate: 200 }],
  };
  withResources('blkio', { blockIO }, (r) => {
    assert.equal(r.status, 0, r.stderr);
    if (v2) {
      assert.equal(fs.readFileSync(`${dir}/io.max`, 'utf8').trim(), `${major}:${minor} rbps=1048576 wbps=2097152 riops=100 wiops=200`);
    } else {
      const read = (f: string) => fs.readFileSync(`${dir}/blkio.throttle.${f}`, 'utf8').trim();
      assert.deepEqual([read('read_bps_device'), read('write_bps_device'), read('read_iops_device'), read('write_iops_device')],
        [`${major}:${minor} 1048576`, `${major}:${minor} 2097152`, `${major}:${minor} 100`, `${major}:${minor} 200`]);
    }
  });
  // The weight needs a scheduler that has one (BFQ; CFQ before Linux 5.0): set where the
  // controller has its file, else refused by name, not dropped.
  // A v1 root has the files a child gets; a v2 root has no io.weight of its own.
  const v1Weight = ['blkio.bfq.weight', 'blkio.weight'].find((f) => fs.existsSync(`${where}/${f}`));
  withResources('blkio-weight', { blockIO: { weight: 500 } }, (r) => {
    if (!v2) assert.equal(r.status, v1Weight ? 0 : 1, r.stderr);
    if (r.status === 0) {
      const file = v1Weight ?? ['io.bfq.weight', 'io.weight'].find((f) => fs.existsSync(`${dir}-weight/${f}`))!;
      // v2's io.weight is 1..10000: 500 of v1's 10..1000, as runc converts it.
      assert.match(fs.readFileSync(`${dir}-weight/${file}`, 'utf8'), file === 'io.weight' ? /^default 5045$/m : /\b500\b/);
    } else {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /linux\.resources\.blockIO\.weight: this kernel's (blkio|io) controller has no weight \(no BFQ or CFQ I\/O scheduler\)/);
    }
  });
  // dockerd's blockIO of zeros and empty lists asks for nothing: taken, as before.
  withResources('blkio-unset', { blockIO: { weight: 0, weightDevice: [], throttleReadBpsDevice: [] } }, (r) => assert.equal(r.status, 0, r.stderr));
});

test('linux.devices under a deny-all device cgroup: making the spec\'s nodes is allowed (mknod only), whenever the init is placed in the cgroup', async () => {
  const devicesRoot = controllerRoot('devices', '');
  const cgPath = `/${path.basename(work)}-devrules`;
  const id = 'h-devrules';
  const dir = bundle('stat -c "%t:%T" /dev/gocker-misc /dev/gocker-blk > /out/result', {}, {
    cgroupsPath: cgPath,
    devices: [{ path: '/dev/gocker-misc', type: 'c', major: 10, minor: 237, fileMode: 0o600 }, { path: '/dev/gocker-blk', type: 'b', major: 7, minor: 200, fileMode: 0o600 }],
    resources: { devices: [{ allow: false, access: 'rwm' }] },
  });
  const stdio = fs.openSync(path.join(dir, 'stdio'), 'w');
  try {
    const r = rt(['create', '--bundle', dir, id], stdio);
    assert.equal(r.status, 0, fs.readFileSync(path.join(dir, 'stdio'), 'utf8'));
    if (devicesRoot && !fs.existsSync(`${devicesRoot}/cgroup.controllers`)) {
      // v1: the rules as the kernel lists them: mknod only for the spec's devices.
      const list = fs.readFileSync(`${devicesRoot}${cgPath}/devices.list`, 'utf8').split('\n');
      assert.ok(list.includes('c 10:237 m'), list.join('; '));
      assert.ok(list.includes('b 7:200 m'), list.join('; '));
    }
    // The nodes are there (made by the init, which the rules let do it), numbers in hex.
    assert.equal(rt(['start', id]).status, 0);
    for (const end = Date.now() + 20_000; JSON.parse(rt(['state', id]).stdout || '{}').status !== 'stopped'; await new Promise((r) => setTimeout(r, 50))) {
      assert.ok(Date.now() < end, 'the container did not stop');
    }
    assert.equal(fs.readFileSync(path.join(dir, 'out', 'result'), 'utf8'), 'a:ed\n7:c8\n');
  } finally {
    fs.closeSync(stdio);
    rt(['delete', '--force', id]);
  }
});
