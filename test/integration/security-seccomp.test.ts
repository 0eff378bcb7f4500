// seccomp as docker applies it: its default profile on every container and exec (filter
// mode, with its argument rules and per-capability additions), unconfined and --privileged
// lifting it, a custom profile in docker's format, and a bad profile refused with nothing
// left behind. A small static probe, bind-mounted in, makes the exact system calls and
// prints the errno of each (0: it worked).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs } from '../helpers/fixtures';
import { gocker, tempRoots, type CliResult } from '../helpers/cli';
import { hostCgroups } from '../../lib/cgroups/detect';
import { native } from '../../lib/native';

const roots = tempRoots('gocker-seccomp-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-seccompw-'));
const probe = path.join(work, 'probe');
const created = new Set<string>();

// Every run gets a --cidfile, so that after() removes whatever a failed test left.
let seq = 0;
function g(args: string[]): CliResult {
  if (args[0] !== 'run') return gocker([...roots.args, ...args]);
  const cid = path.join(work, `cid-${seq++}`);
  const r = gocker([...roots.args, 'run', '--cidfile', cid, ...args.slice(1)]);
  if (fs.existsSync(cid)) created.add(fs.readFileSync(cid, 'utf8').trim());
  return r;
}

const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

// A child made by clone exits at once; the parent reaps it.
static long forked(long r) {
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, NULL, 0);
  return r;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    const char* c = argv[i];
    long r = -1;
    errno = 0;
    if (!strcmp(c, "unshare-user")) r = syscall(SYS_unshare, CLONE_NEWUSER);
    else if (!strcmp(c, "clone-plain")) r = forked(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
    else if (!strcmp(c, "clone-newuser")) r = forked(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
    else if (!strcmp(c, "clone3")) {
      uint64_t args[8] = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};
      r = forked(syscall(SYS_clone3, args, sizeof args));
    }
    else if (!strcmp(c, "personality-query")) r = syscall(SYS_personality, 0xffffffffUL);
    else if (!strcmp(c, "personality-norandom")) r = syscall(SYS_personality, 0x0040000UL);
    else if (!strcmp(c, "keyctl")) r = syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0);
    else if (!strcmp(c, "add_key")) r = syscall(SYS_add_key, "user", "gocker-probe", "x", 1, -2 /* process keyring */);
    else if (!strcmp(c, "mount")) {
      mkdir("/probe-mnt", 0755);
      r = syscall(SYS_mount, "none", "/probe-mnt", "tmpfs", 0, 0);
    }
    else { fprintf(stderr, "unknown probe %s\n", c); return 2; }
    printf("%s=%d\n", c, r < 0 ? errno : 0);
  }
  return 0;
}
`;

// unshare-user last: once in a user namespace of its own (unmapped), the probe may neither
// mount nor make a further one.
const CALLS = ['clone-plain', 'clone-newuser', 'clone3', 'personality-query', 'personality-norandom', 'keyctl', 'add_key', 'mount', 'unshare-user'];
const EPERM = 1, ENOSYS = 38;

/** The probe's errno per call, in a container run with these flags. */
function probeRun(flags: string[], calls = CALLS): Record<string, number> {
  const r = g(['run', '--rm', '-v', `${probe}:/probe:ro`, ...flags, 'busybox', '/probe', ...calls]);
  assert.equal(r.status, 0, r.stderr);
  return parse(r.stdout);
}
function parse(out: string): Record<string, number> {
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.split('=')[0], Number(l.split('=')[1])]));
}

/** What a container's run leaves on the host: records, runtime dirs, mounts, cgroups. */
function leftovers(): string[] {
  const out: string[] = [];
  for (const d of [path.join(roots.root, 'containers'), path.join(roots.runroot, 'containers')]) {
    if (fs.existsSync(d)) out.push(...fs.readdirSync(d).map((e) => path.join(d, e)));
  }
  out.push(...fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(roots.root) || l.includes(roots.runroot)));
  for (const h of hostCgroups(native()).hierarchies) {
    const dir = path.join(h.mountpoint, 'gocker');
    if (!fs.existsSync(dir)) continue;
    // All of them (test/run.js runs integration files one at a time): a refused run's id is
    // never printed, so any new one would be its.
    out.push(...fs.readdirSync(dir).map((e) => path.join(dir, e)));
  }
  return out;
}

before(async () => {
  fs.writeFileSync(path.join(work, 'probe.c'), PROBE_C);
  execFileSync('cc', ['-static', '-O1', '-o', probe, path.join(work, 'probe.c')]);
  const rootfs = await busyboxRootfs();
  const tarball = path.join(work, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
  assert.equal(g(['import', tarball, 'busybox:latest']).status, 0);
});

after(() => {
  for (const id of created) gocker([...roots.args, 'rm', '-f', id]);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('seccomp: docker\'s default profile', () => {
  test('unshare -U and unshare -r fail in a default container, as under docker', () => {
    for (const flag of ['-U', '-r']) {
      const r = g(['run', '--rm', 'busybox', 'unshare', flag, 'true']);
      assert.notEqual(r.status, 0, `unshare ${flag}`);
      assert.match(r.stderr, /Operation not permitted/);
    }
    // While ordinary work goes on.
    const ok = g(['run', '--rm', 'busybox', 'sh', '-c', 'mkdir /d && echo hi > /d/f && cat /d/f']);
    assert.equal(ok.stdout, 'hi\n', ok.stderr);
  });

  test('filter mode: keyctl, add_key, unshare refused with EPERM; clone and personality by their arguments; clone3 ENOSYS', () => {
    assert.deepEqual(probeRun([]), {
      'unshare-user': EPERM, 'clone-plain': 0, 'clone-newuser': EPERM, 'clone3': ENOSYS, 'personality-query': 0,
      'personality-norandom': EPERM, 'keyctl': EPERM, 'add_key': EPERM, 'mount': EPERM,
    });
  });

  test('per-capability additions: CAP_SYS_ADMIN allows unshare, mount, namespaced clone and clone3; keyctl stays refused', () => {
    // keyctl needs no capability at all: only the filter refuses it.
    assert.deepEqual(probeRun(['--cap-add', 'SYS_ADMIN']), {
      'unshare-user': 0, 'clone-plain': 0, 'clone-newuser': 0, 'clone3': 0, 'personality-query': 0,
      'personality-norandom': EPERM, 'keyctl': EPERM, 'add_key': EPERM, 'mount': 0,
    });
  });

  test('a non-root user and no-new-privileges are filtered too (the filter goes in before the user switch, or last)', () => {
    const user = g(['run', '--rm', '-u', '1000', '-v', `${probe}:/probe:ro`, 'busybox', '/probe', 'keyctl', 'personality-norandom', 'clone-plain']);
    assert.deepEqual(parse(user.stdout), { 'keyctl': EPERM, 'personality-norandom': EPERM, 'clone-plain': 0 }, user.stderr);
    assert.deepEqual(probeRun(['--security-opt', 'no-new-privileges'], ['keyctl', 'clone-plain', 'unshare-user']), { 'keyctl': EPERM, 'clone-plain': 0, 'unshare-user': EPERM });
  });

  test('seccomp=unconfined and --privileged lift it', () => {
    const free = { 'clone-newuser': 0, 'clone3': 0, 'personality-norandom': 0, 'keyctl': 0, 'add_key': 0, 'unshare-user': 0 };
    const calls = Object.keys(free);
    assert.deepEqual(probeRun(['--security-opt', 'seccomp=unconfined'], calls), free);
    assert.deepEqual(probeRun(['--privileged'], calls), free);
    assert.equal(g(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-r', 'true']).status, 0);
  });

  test('exec runs under the container\'s filter (with --privileged too, as docker); an unconfined container\'s exec is not', () => {
    const calls = ['keyctl', 'clone-newuser', 'clone-plain', 'unshare-user'];
    const def = g(['run', '-d', '-v', `${probe}:/probe:ro`, 'busybox', 'sleep', '600']);
    assert.equal(def.status, 0, def.stderr);
    const id = def.stdout.trim();
    const e = g(['exec', id, '/probe', ...calls]);
    assert.deepEqual(parse(e.stdout), { 'unshare-user': EPERM, 'keyctl': EPERM, 'clone-newuser': EPERM, 'clone-plain': 0 }, e.stderr);
    const p = g(['exec', '--privileged', id, '/probe', 'keyctl']);
    assert.deepEqual(parse(p.stdout), { keyctl: EPERM }, p.stderr);
    assert.notEqual(g(['exec', id, 'unshare', '-r', 'true']).status, 0);
    const free = g(['run', '-d', '--security-opt', 'seccomp=unconfined', '-v', `${probe}:/probe:ro`, 'busybox', 'sleep', '600']);
    assert.equal(free.status, 0, free.stderr);
    const f = g(['exec', free.stdout.trim(), '/probe', ...calls]);
    assert.deepEqual(parse(f.stdout), { 'unshare-user': 0, 'keyctl': 0, 'clone-newuser': 0, 'clone-plain': 0 }, f.stderr);
    assert.equal(g(['rm', '-f', id, free.stdout.trim()]).status, 0);
  });
});

describe('seccomp: custom profiles', () => {
  test('a profile in docker\'s format replaces the default; inspect shows it as docker keeps it', () => {
    const file = path.join(work, 'nomkdir.json');
    fs.writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 28 },
      ],
    }, null, 2));
    const r = g(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'mkdir', '/x']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mkdir: can't create directory '\/x': Operation not permitted/);
    const rm = g(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'rmdir', '/mnt']);
    assert.match(rm.stderr, /No space left on device/, 'errnoRet');
    // Not docker's default any more: user namespaces are allowed by this one.
    assert.equal(g(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'unshare', '-r', 'true']).status, 0);
    const d = g(['run', '-d', '--security-opt', `seccomp=${file}`, 'busybox', 'sleep', '600']);
    assert.equal(d.status, 0, d.stderr);
    const opts = JSON.parse(g(['inspect', '--format', '{{json .HostConfig.SecurityOpt}}', d.stdout.trim()]).stdout) as string[];
    assert.deepEqual(opts, [`seccomp=${JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8')))}`]);
    // exec and a restart keep it, from the record alone (the file is gone).
    fs.rmSync(file);
    assert.match(g(['exec', d.stdout.trim(), 'mkdir', '/y']).stderr, /Operation not permitted/);
    assert.equal(g(['restart', d.stdout.trim()]).status, 0);
    assert.match(g(['exec', d.stdout.trim(), 'mkdir', '/y']).stderr, /Operation not permitted/);
    assert.equal(g(['rm', '-f', d.stdout.trim()]).status, 0);
    const u = g(['run', '-d', '--security-opt', 'seccomp=unconfined', 'busybox', 'sleep', '600']);
    assert.equal(g(['inspect', '--format', '{{json .HostConfig.SecurityOpt}}', u.stdout.trim()]).stdout.trim(), '["seccomp=unconfined"]');
    assert.equal(g(['rm', '-f', u.stdout.trim()]).status, 0);
  });

  test('a rule comparing one argument twice matches either value, as runc reads it (libseccomp refuses them in one rule)', () => {
    const file = path.join(work, 'personality.json');
    fs.writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['personality'],
        action: 'SCMP_ACT_ERRNO',
        args: [
          { index: 0, value: 0x0040000, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 0x0008, op: 'SCMP_CMP_EQ' },
        ],
      }],
    }));
    assert.deepEqual(probeRun(['--security-opt', `seccomp=${file}`], ['personality-norandom', 'personality-query']),
      { 'personality-norandom': EPERM, 'personality-query': 0 });
    // PER_LINUX32 (8), the other value: linux32 sets it.
    const r = g(['run', '--rm', '--security-opt', `seccomp=${file}`, 'busybox', 'linux32', 'true']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('an unreadable or invalid profile: 125, one clear line, nothing left behind', () => {
    const before = leftovers();
    const invalid = path.join(work, 'invalid.json');
    fs.writeFileSync(invalid, '{"defaultAction": ');
    const badAction = path.join(work, 'badaction.json');
    fs.writeFileSync(badAction, JSON.stringify({ defaultAction: 'SCMP_ACT_MAYBE', syscalls: [] }));
    const missing = path.join(work, 'missing.json');
    // Named by mistake: an endless device and a FIFO no one writes (they held the CLI for
    // ever, /dev/zero filling its memory).
    const fifo = path.join(work, 'profile.fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: Array<[string, RegExp]> = [
      [missing, /^gocker: opening seccomp profile \(.*missing\.json\) failed: open .*missing\.json: no such file or directory\n/],
      ['/dev/zero', /^gocker: opening seccomp profile \(\/dev\/zero\) failed: open \/dev\/zero: not a regular file\n/],
      [fifo, /^gocker: opening seccomp profile \(.*profile\.fifo\) failed: open .*profile\.fifo: not a regular file\n/],
      [invalid, /^gocker: compacting json for seccomp profile \(.*invalid\.json\) failed: /],
      [badAction, /^gocker: Decoding seccomp profile failed: defaultAction: unknown action "SCMP_ACT_MAYBE"\n/],
    ];
    for (const [file, message] of cases) {
      const r = g(['run', '--rm', '--name', 'bad-profile', '--security-opt', `seccomp=${file}`, 'busybox', 'true']);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('See ')).length, 1, r.stderr);
    }
    assert.deepEqual(leftovers(), before);
    // The name was never taken.
    assert.equal(g(['run', '--rm', '--name', 'bad-profile', 'busybox', 'true']).status, 0);
  });
});
