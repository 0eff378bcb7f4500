// The cgroup drivers over fake trees laid out like cgroupfs: pure v2 (most users) and v1.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DEVICE_RULES, cgroupManager, parseResources } from '../../lib/cgroups';
import { sharesToWeight } from '../../lib/cgroups/resources';

function fakeV2(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg2-'));
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
  return root;
}

test('v2: controllers enabled down the chain, limits written, OOM read from memory.events', async () => {
  const root = fakeV2();
  try {
    const mgr = cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [{ version: 2, mountpoint: root, controllers: [] }] } });
    // The kernel makes interface files appear with the directory; the fake tree needs them first.
    const dir = path.join(root, 'gocker', 'abc');
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['memory.swap.max']) fs.writeFileSync(path.join(dir, f), 'max\n');
    // What the parent's subtree_control enabled for it.
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const cg = await mgr.create('gocker/abc', parseResources({ memory: '64m', memorySwap: '96m', cpus: '1.5', cpuShares: '512', cpusetCpus: '0', pidsLimit: '50' }, { cpus: 2, onlineCpus: '0-1' }));
    const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
    assert.equal(fs.readFileSync(path.join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +memory +pids +io');
    assert.equal(fs.readFileSync(path.join(root, 'gocker', 'cgroup.subtree_control'), 'utf8'), '+cpu +cpuset +memory +pids +io');
    assert.equal(read('memory.max'), String(64 * 1024 * 1024));
    assert.equal(read('memory.swap.max'), String(32 * 1024 * 1024));
    assert.equal(read('cpu.max'), '150000 100000');
    assert.equal(read('cpu.weight'), String(sharesToWeight(512)));
    assert.equal(read('cpuset.cpus'), '0');
    assert.equal(read('pids.max'), '50');
    assert.deepEqual(cg.attachFiles(), { self: [], byPid: [path.join(dir, 'cgroup.procs')] });
    // The monitor reads OOM kills from memory.events; device programs are attached to the dir.
    assert.equal(cg.oomEventsFile(), path.join(dir, 'memory.events'));
    assert.equal(cg.deviceProgramTarget(), dir);
    fs.writeFileSync(path.join(dir, 'memory.current'), '4096\n');
    fs.writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\n');
    fs.writeFileSync(path.join(dir, 'pids.current'), '3\n');
    assert.deepEqual(cg.stats(), { memoryUsage: 4096, memoryLimit: 64 * 1024 * 1024, cpuUsageNs: 1_500_000, pids: 3 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v2: --memory-swap -1 is unlimited swap; shares map to weight as runc does', async () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  const root = fakeV2();
  try {
    const dir = path.join(root, 'gocker', 'x');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'memory pids\n');
    await cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [] } }).create('gocker/x', parseResources({ memory: '1g', memorySwap: '-1' }, { cpus: 2, onlineCpus: '0-1' }));
    assert.equal(fs.readFileSync(path.join(dir, 'memory.swap.max'), 'utf8'), 'max');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v1: one directory per hierarchy, cpuset inherited from the parent, docker swap default, device rules', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg1-'));
  try {
    const mount = (c: string): string => {
      const m = path.join(root, c);
      fs.mkdirSync(m);
      return m;
    };
    const hier = ['memory', 'cpu', 'cpuset', 'pids', 'devices'].map((c) => ({ version: 1 as const, mountpoint: mount(c), controllers: [c] }));
    fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.cpus'), '0-1\n');
    fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.mems'), '0\n');
    for (const d of ['gocker', 'gocker/id1']) {
      fs.mkdirSync(path.join(root, 'cpuset', d), { recursive: true });
      fs.writeFileSync(path.join(root, 'cpuset', d, 'cpuset.cpus'), '');
      fs.writeFileSync(path.join(root, 'cpuset', d, 'cpuset.mems'), '');
    }
    fs.mkdirSync(path.join(root, 'memory', 'gocker', 'id1'), { recursive: true });
    fs.writeFileSync(path.join(root, 'memory', 'gocker', 'id1', 'memory.memsw.limit_in_bytes'), '');
    const cg = await cgroupManager({ layout: { mode: 'v1', hierarchies: hier } }).create('gocker/id1',
      { ...parseResources({ memory: '100m', cpus: '0.5', pidsLimit: '7' }, { cpus: 2, onlineCpus: '0-1' }), devices: DEFAULT_DEVICE_RULES });
    const read = (c: string, f: string): string => fs.readFileSync(path.join(root, c, 'gocker', 'id1', f), 'utf8');
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(100 * 1024 * 1024));
    assert.equal(read('memory', 'memory.memsw.limit_in_bytes'), String(200 * 1024 * 1024));
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(read('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(read('cpuset', 'cpuset.cpus'), '0-1');
    assert.equal(read('cpuset', 'cpuset.mems'), '0');
    assert.equal(read('pids', 'pids.max'), '7');
    assert.deepEqual(cg.attachFiles().byPid, []);
    assert.deepEqual(cg.attachFiles().self.map((f) => path.relative(root, f)).sort(),
      ['cpu/gocker/id1/tasks', 'cpuset/gocker/id1/tasks', 'devices/gocker/id1/tasks', 'memory/gocker/id1/tasks', 'pids/gocker/id1/tasks']);
    assert.equal(cg.oomEventsFile(), path.join(root, 'memory', 'gocker', 'id1', 'memory.oom_control'));
    assert.equal(cg.deviceProgramTarget(), undefined);
    // docker's list after a deny-all, one rule per write (appended here, in a plain file).
    assert.equal(read('devices', 'devices.deny'), 'a');
    assert.equal(read('devices', 'devices.allow'), ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
      'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm'].join(''));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('docker\'s resource validation messages', () => {
  const host = { cpus: 2, onlineCpus: '0-1' };
  const msg = (f: Parameters<typeof parseResources>[0]): string => {
    try {
      parseResources(f, host);
      return 'ok';
    } catch (e) {
      assert.equal((e as { exitCode: number }).exitCode, 125);
      return (e as Error).message;
    }
  };
  assert.equal(msg({ memory: '5m' }), 'Minimum memory limit allowed is 6MB');
  assert.equal(msg({ memory: '0' }), 'ok');
  assert.equal(msg({ memory: 'x1' }), 'invalid argument "x1" for "-m, --memory" flag: strconv.ParseFloat: parsing "x1": invalid syntax');
  assert.equal(msg({ memorySwap: '1g' }), 'You should always set the Memory limit when using Memoryswap limit, see usage');
  assert.equal(msg({ memory: '1g', memorySwap: '512m' }), 'Minimum memoryswap limit should be larger than memory limit, see usage');
  assert.equal(msg({ cpus: '3' }), 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  assert.equal(msg({ cpus: 'abc' }), 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
  assert.equal(msg({ cpusetCpus: '0-3' }), 'Requested CPUs are not available - requested 0-3, available: 0-1');
  assert.deepEqual(parseResources({ memory: '1.5g', pidsLimit: '-1' }, host), { memory: 1.5 * 1024 ** 3 });
  // --memory-swap 0 is "not set" for docker, with or without --memory.
  assert.deepEqual(parseResources({ memory: '64m', memorySwap: '0' }, host), { memory: 64 * 1024 ** 2 });
  assert.deepEqual(parseResources({ memorySwap: '0' }, host), {});
});

test('--pids-limit and --cpu-shares are int64 flags, read as docker\'s CLI reads them (strconv.ParseInt(s, 0, 64))', () => {
  const host = { cpus: 2, onlineCpus: '0-1' };
  const msg = (f: Parameters<typeof parseResources>[0]): string => {
    try {
      return JSON.stringify(parseResources(f, host));
    } catch (e) {
      assert.equal((e as { exitCode: number }).exitCode, 125);
      return (e as Error).message;
    }
  };
  const big = '9'.repeat(40);
  assert.equal(msg({ pidsLimit: big }), `invalid argument "${big}" for "--pids-limit" flag: strconv.ParseInt: parsing "${big}": value out of range`);
  assert.equal(msg({ pidsLimit: '9223372036854775808' }), 'invalid argument "9223372036854775808" for "--pids-limit" flag: strconv.ParseInt: parsing "9223372036854775808": value out of range');
  assert.equal(msg({ cpuShares: '1e3' }), 'invalid argument "1e3" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1e3": invalid syntax');
  assert.equal(msg({ cpuShares: 1e300 }), 'invalid argument "1e+300" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1e+300": value out of range');
  assert.equal(msg({ cpuShares: 2.5 }), 'invalid argument "2.5" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "2.5": invalid syntax');
  for (const bad of ['5.0', ' 5', '5 ', '0x', '08', '1__0', '_1', '1_', '0x_', '', '+', '--5']) {
    if (bad === '') continue; // "" is "not given", as docker's zero value
    assert.equal(msg({ pidsLimit: bad }), `invalid argument "${bad}" for "--pids-limit" flag: strconv.ParseInt: parsing ${JSON.stringify(bad)}: invalid syntax`, bad);
  }
  // pflag's base 0: docker's CLI takes 0x10 as 16 and 010 as 8.
  for (const [v, n] of [['0x10', 16], ['010', 8], ['0o17', 15], ['0b101', 5], ['1_000', 1000], ['0x_1f', 31], ['+7', 7], ['20', 20]] as const) {
    assert.equal(msg({ pidsLimit: v }), JSON.stringify({ pidsLimit: n }), v);
  }
  assert.equal(msg({ cpuShares: '0x200' }), JSON.stringify({ cpuShares: 512 }));
  assert.equal(msg({ pidsLimit: '-0x1' }), '{}');
});

test('--memory-swap 0 writes the default swap, never zero or a negative one', async () => {
  const host = { cpus: 2, onlineCpus: '0-1' };
  const root = fakeV2();
  try {
    const dir = path.join(root, 'gocker', 's');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'memory.swap.max'), 'max');
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'memory\n');
    await cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [] } }).create('gocker/s', parseResources({ memory: '64m', memorySwap: '0' }, host));
    assert.equal(fs.readFileSync(path.join(dir, 'memory.swap.max'), 'utf8'), String(64 * 1024 ** 2));
    const m = path.join(root, 'v1mem');
    fs.mkdirSync(path.join(m, 'gocker', 's'), { recursive: true });
    fs.writeFileSync(path.join(m, 'gocker', 's', 'memory.memsw.limit_in_bytes'), '');
    await cgroupManager({ layout: { mode: 'v1', hierarchies: [{ version: 1, mountpoint: m, controllers: ['memory'] }] } })
      .create('gocker/s', parseResources({ memory: '64m', memorySwap: '0' }, host));
    assert.equal(fs.readFileSync(path.join(m, 'gocker', 's', 'memory.memsw.limit_in_bytes'), 'utf8'), String(128 * 1024 ** 2));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v2: a limit whose controller is not enabled is refused, naming the controller and what is there', async () => {
  const root = fakeV2();
  try {
    const mgr = cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [] } });
    const fresh = (name: string): string => {
      const dir = path.join(root, 'gocker', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'hugetlb\n');
      return dir;
    };
    const a = fresh('a');
    await assert.rejects(() => mgr.create('gocker/a', parseResources({ memory: '64m' }, { cpus: 2, onlineCpus: '0-1' })),
      { message: `cannot apply --memory: the cgroup v2 controller "memory" is not enabled for ${a} (available: hugetlb)` });
    fresh('b');
    await assert.rejects(() => mgr.create('gocker/b', parseResources({ pidsLimit: '10' }, { cpus: 2, onlineCpus: '0-1' })), /controller "pids"/);
    // No limits asked: nothing to refuse.
    fresh('c');
    assert.equal((await mgr.create('gocker/c', parseResources({}, { cpus: 2, onlineCpus: '0-1' }))).name, 'gocker/c');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v2 freezer: cgroup.freeze written, done once cgroup.events says frozen; thawed back when it never does', async () => {
  const root = fakeV2();
  try {
    const mgr = cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [] } });
    const dir = path.join(root, 'gocker', 'f');
    fs.mkdirSync(dir, { recursive: true });
    const file = (f: string): string => path.join(dir, f);
    fs.writeFileSync(file('cgroup.freeze'), '0\n');
    fs.writeFileSync(file('cgroup.events'), 'populated 1\nfrozen 0\n');
    const cg = mgr.open('gocker/f');
    assert.equal(cg.frozen(), false);
    // The kernel reports frozen once every task has stopped: here, once the test says so.
    let done = false;
    const freezing = cg.freeze(2000).then(() => (done = true));
    assert.equal(fs.readFileSync(file('cgroup.freeze'), 'utf8'), '1');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(done, false, 'not done before cgroup.events says frozen');
    fs.writeFileSync(file('cgroup.events'), 'populated 1\nfrozen 1\n');
    await freezing;
    assert.equal(cg.frozen(), true);
    const thawing = cg.thaw(2000);
    assert.equal(fs.readFileSync(file('cgroup.freeze'), 'utf8'), '0');
    fs.writeFileSync(file('cgroup.events'), 'populated 1\nfrozen 0\n');
    await thawing;
    assert.equal(cg.frozen(), false);
    // Tasks that never stop: the cgroup is thawed again and the pause refused.
    await assert.rejects(() => cg.freeze(60), { message: 'cannot pause container f: its processes did not freeze within 0.06s' });
    assert.equal(fs.readFileSync(file('cgroup.freeze'), 'utf8'), '0');
    assert.equal(cg.frozen(), false);
    // Before Linux 5.2 there is no cgroup.freeze: no freezer at all.
    fs.mkdirSync(path.join(root, 'gocker', 'old'));
    await assert.rejects(() => mgr.open('gocker/old').freeze(60), /this host has no cgroup freezer/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('v1 freezer: freezer.state FROZEN and THAWED; a cgroup without a freezer hierarchy cannot pause; destroy thaws first', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg1f-'));
  try {
    const freezer = path.join(root, 'freezer');
    const dir = path.join(freezer, 'gocker', 'id2');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED\n');
    const cg = cgroupManager({ layout: { mode: 'v1', hierarchies: [{ version: 1, mountpoint: freezer, controllers: ['freezer'] }] } }).open('gocker/id2');
    assert.equal(cg.frozen(), false);
    await cg.freeze(500);
    assert.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8'), 'FROZEN');
    assert.equal(cg.frozen(), true);
    await cg.thaw(500);
    assert.equal(cg.frozen(), false);
    const none = cgroupManager({ layout: { mode: 'v1', hierarchies: [{ version: 1, mountpoint: path.join(root, 'memory'), controllers: ['memory'] }] } }).open('gocker/id2');
    assert.equal(none.frozen(), false);
    await assert.rejects(() => none.freeze(60), { message: 'cannot pause container id2: this host has no cgroup freezer (neither a v1 freezer hierarchy nor cgroup v2)' });
    await cg.freeze(500);
    // A frozen task cannot die: destroy writes THAWED before anything else (the fake
    // directory then refuses to go, as it still holds its file).
    await assert.rejects(() => cg.destroy());
    assert.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8'), 'THAWED');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('update: only the limits given are written; swap as a total over memory; pids -1 lifts the limit', () => {
  const root = fakeV2();
  try {
    const dir = path.join(root, 'gocker', 'u');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpu memory pids\n');
    for (const f of ['memory.max', 'memory.swap.max', 'cpu.max', 'pids.max']) fs.writeFileSync(path.join(dir, f), 'untouched');
    const cg = cgroupManager({ layout: { mode: 'v2', unifiedMount: root, hierarchies: [] } }).open('gocker/u');
    const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
    cg.update({ pidsLimit: -1 });
    assert.equal(read('pids.max'), 'max');
    assert.equal(read('memory.max'), 'untouched');
    assert.equal(read('cpu.max'), 'untouched');
    cg.update({ memory: 256 * 1024 ** 2, memorySwap: 512 * 1024 ** 2, nanoCpus: 5e8 });
    assert.equal(read('memory.max'), String(256 * 1024 ** 2));
    assert.equal(read('memory.swap.max'), String(256 * 1024 ** 2));
    assert.equal(read('cpu.max'), '50000 100000');
    cg.update({ memory: 64 * 1024 ** 2, memorySwap: -1 });
    assert.equal(read('memory.swap.max'), 'max');
    assert.equal(cg.swapLimited(), true);
    // A controller the parent did not enable for it: refused, as at create.
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'memory\n');
    assert.throws(() => cg.update({ pidsLimit: 5 }), /cannot apply --pids-limit: the cgroup v2 controller "pids" is not enabled/);
    assert.equal(read('pids.max'), 'max');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
