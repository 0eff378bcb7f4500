// An older kernel, as gocker meets it: a seccomp filter that answers ENOSYS for the system
// calls a kernel before 5.6/5.12 lacks, installed by a small wrapper (libseccomp) around the
// real command. info names what is missing, and a container that needs it fails saying so,
// not with a bare "function not implemented".
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-oldk-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-oldkw-'));
const wrapper = path.join(work, 'enosys');

// enosys CALL[,CALL...] COMMAND...: runs COMMAND with those calls failing with ENOSYS.
const WRAPPER_C = String.raw`
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char** argv) {
  if (argc < 3) return 2;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  for (char* name = strtok(argv[1], ","); name; name = strtok(NULL, ",")) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) != 0) return 3;
  }
  if (seccomp_load(ctx) != 0) return 4;
  execvp(argv[2], argv + 2);
  return 127;
}
`;

before(async () => {
  fs.writeFileSync(`${wrapper}.c`, WRAPPER_C);
  execFileSync('cc', ['-O1', '-o', wrapper, `${wrapper}.c`, '-lseccomp']);
  await importBusybox(roots.args);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const under = (calls: string, args: string[]) => spawnSync(wrapper, [calls, BIN, ...roots.args, ...args], { encoding: 'utf8', timeout: 60_000 });

test('info names the system calls the kernel lacks, with the version that brought them', () => {
  const all = gocker([...roots.args, 'info']);
  assert.match(all.stdout, /^Kernel Features:\n openat2: yes\n/m);
  assert.equal(all.stderr, '');
  const old = under('openat2,mount_setattr', ['info']);
  assert.equal(old.status, 0, old.stderr);
  assert.match(old.stdout, /^ openat2: no \(Linux 5\.6; needed for paths resolved inside a root/m);
  assert.match(old.stdout, /^ mount_setattr: no \(Linux 5\.12; needed for recursive read-only mounts\)$/m);
  assert.match(old.stdout, /^ pidfd_open: yes$/m);
  assert.equal(old.stderr, 'WARNING: this kernel lacks openat2 (Linux 5.6): no paths resolved inside a root (mounts, cwd, layers, cp)\n' +
    'WARNING: this kernel lacks mount_setattr (Linux 5.12): no recursive read-only mounts\n');
});

test('a container that needs a call the kernel lacks fails naming it, and leaves nothing behind', () => {
  const r = under('openat2', ['run', '--rm', 'busybox', 'true']);
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /this kernel lacks openat2 \(Linux 5\.6\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  // A read-only bind with a mount below it: never half made read-only.
  const vol = fs.mkdtempSync(path.join(work, 'vol-'));
  fs.mkdirSync(path.join(vol, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'gocker-test', path.join(vol, 'sub')]);
  try {
    const ro = under('mount_setattr', ['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'true']);
    assert.equal(ro.status, 125, ro.stderr);
    assert.match(ro.stderr, /this kernel lacks mount_setattr \(Linux 5\.12\)/);
  } finally {
    execFileSync('umount', [path.join(vol, 'sub')]);
  }
  assert.equal(gocker([...roots.args, 'ps', '-aq']).stdout, '');
  assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(roots.runroot));
});
