// crun (1.8, Debian 12's) refuses to run on a hybrid cgroup host unless the hugetlb v1
// controller is mounted. hugetlbForCrun() mounts it at /sys/fs/cgroup/hugetlb when the host is
// hybrid (or v1) and no hierarchy has it, and returns the undo, which unmounts exactly that
// (and removes the directory if it made it). Nothing is done on a cgroup v2 host, or where
// hugetlb is mounted already. The kernel keeps the controller bound to that v1 hierarchy after
// the unmount (a later mount finds it again), so a v2 `cgroup.controllers` no longer lists it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const ROOT = '/sys/fs/cgroup';
const DIR = `${ROOT}/hugetlb`;

/** Whether a v1 hierarchy with the hugetlb controller is mounted anywhere (mountinfo's super options). */
function hugetlbMounted(): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
    const post = l.split(' - ')[1]?.split(' ');
    return post?.[0] === 'cgroup' && (post[2] ?? '').split(',').includes('hugetlb');
  });
}

export function hugetlbForCrun(): () => void {
  if (fs.existsSync(`${ROOT}/cgroup.controllers`) || hugetlbMounted()) return () => {};
  // A hybrid host's v2 hierarchy may have hugetlb enabled at its root (gocker-runtime, as runc
  // on v2, enables what a container's hugepageLimits need and leaves it): the kernel moves the
  // controller to a v1 hierarchy only when no v2 cgroup uses it, so it is disabled there first
  // (refused, EBUSY, while a v2 cgroup below still has it: the mount then says so).
  const unified = `${ROOT}/unified/cgroup.subtree_control`;
  if (fs.existsSync(unified) && fs.readFileSync(unified, 'utf8').trim().split(' ').includes('hugetlb')) {
    try {
      fs.writeFileSync(unified, '-hugetlb');
    } catch {
      // the mount below fails and says why
    }
  }
  const made = !fs.existsSync(DIR);
  if (made) fs.mkdirSync(DIR);
  // EBUSY while a v2 cgroup gone a moment ago still holds the controller (its release is
  // asynchronous): tried again for a few seconds.
  let m = spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', DIR], { encoding: 'utf8' });
  for (let i = 0; m.status !== 0 && i < 50; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    m = spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', DIR], { encoding: 'utf8' });
  }
  if (m.status !== 0) {
    if (made) fs.rmdirSync(DIR);
    throw new Error(`mount -t cgroup -o hugetlb cgroup ${DIR}: ${m.stderr.trim()}`);
  }
  const undo = (): void => {
    process.removeListener('exit', undo);
    const u = spawnSync('umount', [DIR], { encoding: 'utf8' });
    if (u.status !== 0) throw new Error(`umount ${DIR}: ${u.stderr.trim()}`);
    if (made) fs.rmdirSync(DIR);
  };
  // Also when the caller exits without calling it (process.exit(), or a signal handler's).
  process.once('exit', undo);
  return () => {
    if (process.listeners('exit').includes(undo)) undo();
  };
}
