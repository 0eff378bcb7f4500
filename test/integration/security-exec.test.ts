// Containment of exec and run: nothing of the host is reachable from a container's process,
// before or after its execve. Each test is an attack a container's root (or its image) can
// make; each got through before the fix it guards.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-secx-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secxw-'));
const g = (args: string[], input?: string) => gocker([...roots.args, ...args], input === undefined ? {} : { input });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  await importBusybox(roots.args);
  assert.equal(g(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']).status, 0);
  assert.equal(g(['run', '-d', '--name', 'ptracer', '--cap-add', 'SYS_PTRACE', 'busybox', 'sleep', '1000']).status, 0);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('-w naming a magic link (/proc/self/fd/N), given or planted as a symlink, never leaves the root', () => {
  // The exec helper holds host fds (the state dir among them) until it has joined; the run
  // child its own. Any of them, entered as the cwd, is a directory on the host.
  for (let n = 3; n <= 24; n++) {
    for (const args of [['exec', '-w', `/proc/self/fd/${n}`, 'box'], ['run', '--rm', '-w', `/proc/self/fd/${n}`, 'busybox']]) {
      const r = g([...args, 'sh', '-c', 'pwd; ls -a']);
      assert.notEqual(r.status, 0, `${args.join(' ')} ran in ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`chdir to cwd \\("/proc/self/fd/${n}"\\) set in config.json failed: `));
    }
  }
  // The image's (or the container's) own WORKDIR replaced by a symlink to a magic link.
  assert.equal(g(['exec', 'box', 'sh', '-c', 'for n in $(seq 3 24); do ln -s /proc/self/fd/$n /wd$n; done']).status, 0);
  for (let n = 3; n <= 24; n++) {
    const r = g(['exec', '-w', `/wd${n}`, 'box', 'sh', '-c', 'pwd; ls -a']);
    assert.notEqual(r.status, 0, `-w /wd${n} ran in ${r.stdout}`);
  }
  // An ordinary symlink inside the root is still followed; a missing directory is exec's
  // error (runc's chdir), and run's to make.
  assert.equal(g(['exec', 'box', 'sh', '-c', 'mkdir -p /real/dir && ln -s /real /link']).status, 0);
  assert.equal(g(['exec', '-w', '/link/dir', 'box', 'pwd']).stdout, '/real/dir\n');
  assert.equal(g(['exec', '-w', '/made/here', 'box', 'pwd']).status, 126);
  assert.equal(g(['run', '--rm', '-w', '/made/here', 'busybox', 'pwd']).stdout, '/made/here\n');
});

test('run and exec start with stdio and nothing else: no fd of the host, no CLI stdio', () => {
  // ls's own directory fd is the one extra it shows.
  const list = 'for f in /proc/self/fd/*; do echo "${f##*/} $(readlink $f)"; done';
  for (const args of [['exec', 'box'], ['exec', '-i', 'box'], ['run', '--rm', 'busybox'], ['run', '--rm', '-i', 'busybox']]) {
    const r = g([...args, 'sh', '-c', list], '');
    assert.equal(r.status, 0, r.stderr);
    // The glob's own directory fd is listed, and closed by the time it is read.
    const fds = r.stdout.trim().split('\n').map((l) => l.split(' ')).filter(([n, target]) => Number(n) <= 2 || !!target);
    assert.deepEqual(fds.map((f) => f[0]), ['0', '1', '2'], `${args.join(' ')}: ${r.stdout}`);
    for (const [n, target] of fds) assert.match(target, n === '0' ? /^(\/dev\/null|pipe:\[\d+\])$/ : /^pipe:\[\d+\]$/, `${args.join(' ')} fd ${n}`);
  }
});

test('exec returns when its command does, and a background process keeps no hold on the caller', async () => {
  // Its output is over when the command is: what it leaves running writes nowhere we read.
  const t0 = Date.now();
  const r = g(['exec', 'box', 'sh', '-c', '(sleep 1; echo late) & echo now']);
  assert.equal(r.stdout, 'now\n');
  assert.ok(Date.now() - t0 < 900, `exec took ${Date.now() - t0} ms`);
  // Nor does it keep the caller's stdin, to read what comes after the exec is over.
  const child = spawn(BIN, [...roots.args, 'exec', '-i', 'box', 'sh', '-c', '(sleep 0.5; cat > /tmp/stolen) & read first; echo "got $first"'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin!.write('first\n');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  child.stdin!.end('typed after the exec\n');
  await sleep(1200);
  assert.equal(out, 'got first\n');
  assert.equal(g(['exec', 'box', 'cat', '/tmp/stolen']).stdout, '');
});

/** The host pid of the one child of a process (the exec helper), once it has forked. */
async function childOf(pid: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (kids) return Number(kids.split(' ')[0]);
    await sleep(10);
  }
  throw new Error(`process ${pid} never forked`);
}

test('the exec helper, held before its execve, is not in the container at all', async () => {
  // A helper stopped at the point where it waits to be placed in the container's cgroups:
  // the monitor's write of its pid goes to a FIFO we keep full. That window is what a
  // container's root races for (runc CVE-2019-5736, CVE-2024-21626, CVE-2016-9962).
  for (const ctr of ['box', 'ptracer']) {
    const dir = fs.mkdtempSync(path.join(work, 'held-'));
    const fifo = path.join(dir, 'procs');
    execFileSync('mkfifo', [fifo]);
    const hold = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const chunk = Buffer.alloc(4096, 'x');
    try {
      for (;;) fs.writeSync(hold, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    const [target, id] = g(['inspect', '-f', '{{.State.Pid}} {{.Id}}', ctr]).stdout.trim().split(' ');
    const state = path.join(roots.runroot, 'containers', id);
    // An exec spec as gocker writes one, but for the cgroup file it is placed through: the FIFO.
    fs.writeFileSync(path.join(dir, 'spec'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { user: { uid: 0, gid: 0 }, args: ['true'], cwd: '/', capabilities: { bounding: [], effective: [], permitted: [] } },
      annotations: {
        'io.gocker.exec.target-pid': target,
        'io.gocker.exec.target-parent': fs.readFileSync(path.join(state, 'monitor.pid'), 'utf8').trim(),
        'io.gocker.exec.target-started': path.join(state, 'started'),
        'io.gocker.exec.target-exit': path.join(state, 'exit.json'),
        'io.gocker.cgroup.join-pid': JSON.stringify([fifo]),
        'io.gocker.pid-file': path.join(dir, 'x.pid'),
        'io.gocker.exit-file': path.join(dir, 'x.json'),
      },
    }), { mode: 0o600 });
    const monitor = spawn(path.join(REPO, 'build', 'Release', 'gocker-monitor'), ['--exec', path.join(dir, 'spec')], { stdio: 'ignore' });
    try {
      const helper = await childOf(monitor.pid!);
      // Outside the container's pid namespace: one pid, the host's.
      assert.match(fs.readFileSync(`/proc/${helper}/status`, 'utf8'), /^NSpid:\s+\d+$/m);
      // What a root in the container tries: every process it can see, their fds and binaries.
      const probe = g(['exec', ctr, 'sh', '-c', `for P in /proc/[0-9]*; do for f in $P/fd/*; do t=$(readlink $f) && echo "fd $t";
        [ -d "$f/" ] && echo "dir $f -> $t"; done; echo "exe $(readlink $P/exe)"; done 2>/dev/null; true`]);
      assert.equal(probe.status, 0, probe.stderr);
      assert.doesNotMatch(probe.stdout, /^dir /m);
      assert.doesNotMatch(probe.stdout, /gocker-monitor|build\/Release/);
    } finally {
      // Let it go: the monitor writes the pid, the helper runs `true`.
      const buf = Buffer.alloc(65536);
      try {
        while (fs.readSync(hold, buf) > 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      const code = await new Promise<number | null>((resolve) => (monitor.exitCode !== null ? resolve(monitor.exitCode) : monitor.on('exit', resolve)));
      fs.closeSync(hold);
      assert.equal(code, 0);
    }
  }
});

// Seizes the first new process of its pid namespace it can (the next pids after
// ns_last_pid) and prints what that process holds: its capabilities and seccomp mode.
const SEIZE_C = String.raw`
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  for (;;) {
    char b[32] = {0};
    int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY);
    if (fd < 0 || read(fd, b, sizeof b - 1) <= 0) return 1;
    close(fd);
    for (int p = atoi(b) + 1; p <= atoi(b) + 2; p++) {
      if (p == getpid() || ptrace(PTRACE_SEIZE, p, 0, 0) != 0) continue;
      ptrace(PTRACE_INTERRUPT, p, 0, 0);
      waitpid(p, NULL, __WALL);
      char path[64], line[256];
      snprintf(path, sizeof path, "/proc/%d/status", p);
      FILE* f = fopen(path, "r");
      while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "Seccomp:", 8)) fputs(line, stdout);
      }
      fflush(stdout);
      ptrace(PTRACE_DETACH, p, 0, 0);
      return 0;
    }
  }
}
`;

test('a container root with CAP_SYS_PTRACE that seizes an exec as it appears gets no more than the container has', async () => {
  const seize = path.join(work, 'seize');
  fs.writeFileSync(`${seize}.c`, SEIZE_C);
  execFileSync('cc', ['-static', '-O1', '-o', seize, `${seize}.c`]);
  const id = g(['run', '-d', '--cap-add', 'SYS_PTRACE', '-v', `${seize}:/seize:ro`, 'busybox', 'sh', '-c',
    'while :; do /seize > /tmp/seized.new && mv /tmp/seized.new /tmp/seized; sleep 0.01; done']).stdout.trim();
  try {
    const own = g(['exec', id, 'grep', 'CapEff', '/proc/1/status']).stdout;
    // Each exec is one more chance: the seizer waits for the next pid, and the exec's process
    // is the next pid. The rounds that seize something else (the loop's own sleep) count too:
    // what matters is that none of them shows more.
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      g(['exec', id, 'true']);
      const got = g(['exec', id, 'cat', '/tmp/seized']).stdout;
      if (got) seen.add(got);
    }
    assert.ok(seen.size > 0, 'nothing was seized');
    for (const got of seen) {
      assert.equal(got, `${own}Seccomp:\t2\n`);
    }
  } finally {
    g(['rm', '-f', id]);
  }
});

test('a container has a session keyring of its own: it does not possess the caller\'s keys', () => {
  // A key only its possessor may see, in a session keyring the CLI starts in. /proc/keys is
  // masked in a default container, as docker's: --privileged shows it, and changes nothing
  // of how keyrings are set up.
  assert.equal(g(['run', '-d', '--name', 'keys', '--privileged', 'busybox', 'sleep', '1000']).status, 0);
  for (const cmd of ['run --rm --privileged busybox', 'exec keys']) {
    const script = `id=$(keyctl add user gocker-secret topsecret @s) && keyctl setperm $id 0x3f000000 &&
      exec ${BIN} ${roots.args.join(' ')} ${cmd} cat /proc/keys`;
    const r = spawnSync('keyctl', ['session', '-', 'sh', '-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /keyring/);
    assert.doesNotMatch(r.stdout, /gocker-secret/, cmd);
  }
  assert.equal(g(['rm', '-f', 'keys']).status, 0);
});

test('read-only binds are read-only all the way down', () => {
  const vol = fs.mkdtempSync(path.join(work, 'vol-'));
  fs.mkdirSync(path.join(vol, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'gocker-test', path.join(vol, 'sub')]);
  try {
    const r = g(['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'sh', '-c', 'touch /data/top; touch /data/sub/below; ls /data/sub']);
    assert.match(r.stderr, /\/data\/top: Read-only file system/);
    assert.match(r.stderr, /\/data\/sub\/below: Read-only file system/);
    assert.equal(r.stdout, '');
    assert.ok(!fs.existsSync(path.join(vol, 'sub', 'below')));
    // A writable volume stays writable below too.
    assert.equal(g(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'touch', '/data/sub/below']).status, 0);
  } finally {
    execFileSync('umount', [path.join(vol, 'sub')]);
  }
});

test('--network host gets a sysfs of its own, not the host\'s /sys with its submounts', () => {
  // A host whose /sys has a writable submount (tracefs here, mounted for the test when the
  // host has none): the container's /sys shows no such thing, and every visible mount under
  // it is read-only.
  const tracing = '/sys/kernel/tracing';
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === tracing);
  if (!mounted) execFileSync('mount', ['-t', 'tracefs', 'nodev', tracing]);
  try {
    const sys = g(['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', 'grep " /sys" /proc/self/mountinfo']);
    assert.equal(sys.status, 0, sys.stderr);
    // The last line for a mount point is the mount on top, the one that is reached.
    const top = new Map<string, { options: string; type: string }>();
    for (const l of sys.stdout.trim().split('\n')) {
      const f = l.split(' ');
      top.set(f[4], { options: f[5], type: f[f.indexOf('-') + 1] });
    }
    assert.ok(top.has('/sys'));
    assert.equal(top.get('/sys')!.type, 'sysfs');
    for (const [at, m] of top) assert.match(m.options, /^ro(,|$)/, `${at} is ${m.options}`);
    assert.ok(![...top.values()].some((m) => m.type === 'tracefs'), sys.stdout);
    assert.equal(g(['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', `echo 1 > ${tracing}/tracing_on`]).status, 1);
  } finally {
    if (!mounted) execFileSync('umount', [tracing]);
  }
});

// Swaps DIR/sub (a directory) and DIR/lnk (a symlink to TARGET) without end, atomically.
const SWAP_C = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char** argv) {
  if (argc != 3 || chdir(argv[1]) != 0) return 1;
  mkdir("sub", 0755);
  symlink(argv[2], "lnk");
  for (;;) syscall(SYS_renameat2, AT_FDCWD, "sub", AT_FDCWD, "lnk", 2 /* RENAME_EXCHANGE */);
}
`;

test('a read-only bind inside a shared volume stays read-only while another container swaps its path for a symlink', () => {
  // runc CVE-2021-30465's class: the destination must be resolved once. A second lookup (to
  // remount the bind read-only) could be raced onto the symlink, and the flag land elsewhere.
  const swap = path.join(work, 'swap');
  fs.writeFileSync(`${swap}.c`, SWAP_C);
  execFileSync('cc', ['-static', '-O1', '-o', swap, `${swap}.c`]);
  const shared = fs.mkdtempSync(path.join(work, 'shared-'));
  const secret = fs.mkdtempSync(path.join(work, 'secret-'));
  const racer = g(['run', '-d', '-v', `${shared}:/data`, '-v', `${swap}:/swap:ro`, 'busybox', '/swap', '/data', '/dev/shm']).stdout.trim();
  try {
    for (let i = 0; i < 40; i++) {
      const r = g(['run', '--rm', '-v', `${shared}:/data`, '-v', `${secret}:/data/sub:ro`, 'busybox', 'cat', '/proc/self/mountinfo']);
      // Whatever name the swap gave it, the bind of the secret directory is read-only.
      for (const l of r.stdout.split('\n').filter((x) => x.split(' ')[3]?.endsWith(path.basename(secret)))) {
        assert.match(l.split(' ')[5], /^ro(,|$)/, `run ${i}: ${l}`);
      }
    }
    assert.deepEqual(fs.readdirSync(secret), []);
  } finally {
    g(['rm', '-f', racer]);
  }
});

test('exec and cp act on the container\'s own process, never on whatever pid its files name', () => {
  // The pid a container's files give is only a number: one recycled after the container
  // exited, or written wrong, names some host process, whose root and namespaces are the
  // host's. Here the pid file names this test's own process.
  const id = g(['run', '-d', 'busybox', 'sleep', '1000']).stdout.trim();
  const pidFile = path.join(roots.runroot, 'containers', id, 'pid');
  const real = fs.readFileSync(pidFile, 'utf8');
  try {
    fs.writeFileSync(pidFile, `${process.pid}\n`);
    const ex = g(['exec', id, 'cat', '/etc/hostname']);
    assert.notEqual(ex.status, 0);
    assert.notEqual(ex.stdout, fs.readFileSync('/etc/hostname', 'utf8'));
    const out = path.join(work, 'hostname-copied');
    const cp = g(['cp', `${id}:/etc/hostname`, out]);
    assert.notEqual(cp.status, 0);
    assert.ok(!fs.existsSync(out) || fs.readFileSync(out, 'utf8') !== fs.readFileSync('/etc/hostname', 'utf8'));
    fs.writeFileSync(pidFile, real);
    assert.equal(g(['exec', id, 'cat', '/etc/hostname']).stdout, `${id.slice(0, 12)}\n`);
  } finally {
    // The real pid back first: rm -f signals only the container's own process.
    fs.writeFileSync(pidFile, real);
    g(['rm', '-f', id]);
  }
});
