import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, detectCgroups, parseMountinfo } from '../../lib/cgroups/detect';

const HYBRID_MOUNTINFO = [
  '30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory',
  '34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct',
  '35 30 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids',
  '36 30 0:32 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
].join('\n');

test('mountinfo parsing keeps mount point, type and super options', () => {
  const m = parseMountinfo(HYBRID_MOUNTINFO);
  assert.equal(m.length, 6);
  assert.deepEqual(m[3], { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] });
});

test('hybrid: tmpfs root with cgroup2 at unified, v1 controllers from mountinfo', () => {
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-'));
  try {
    fs.mkdirSync(path.join(fake, 'unified'));
    fs.writeFileSync(path.join(fake, 'unified', 'cgroup.controllers'), 'hugetlb\n');
    const types: Record<string, number> = { [fake]: TMPFS_MAGIC, [path.join(fake, 'unified')]: CGROUP2_SUPER_MAGIC };
    const l = detectCgroups((p) => types[p], HYBRID_MOUNTINFO, fake);
    assert.equal(l.mode, 'hybrid');
    assert.equal(l.unifiedMount, path.join(fake, 'unified'));
    const v1 = l.hierarchies.filter((h) => h.version === 1);
    assert.deepEqual(v1.map((h) => h.controllers), [['memory'], ['cpu', 'cpuacct'], ['pids'], ['name=systemd']]);
    assert.deepEqual(l.hierarchies.find((h) => h.version === 2)?.controllers, ['hugetlb']);
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});

test('pure v2: cgroup2 at the root, controllers from cgroup.controllers', () => {
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-'));
  try {
    fs.writeFileSync(path.join(fake, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const l = detectCgroups((p) => (p === fake ? CGROUP2_SUPER_MAGIC : undefined), '', fake);
    assert.equal(l.mode, 'v2');
    assert.deepEqual(l.hierarchies, [{ version: 2, mountpoint: fake, controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] }]);
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});

test('v1 only: no cgroup2 anywhere', () => {
  const mi = HYBRID_MOUNTINFO.split('\n').filter((l) => !l.includes('cgroup2')).join('\n');
  const l = detectCgroups((p) => (p === '/x' ? TMPFS_MAGIC : undefined), mi, '/x');
  assert.equal(l.mode, 'v1');
  assert.equal(l.unifiedMount, undefined);
});
