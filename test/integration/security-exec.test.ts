// Containment of exec and run: nothing of the host is reachable from a container's process,
// before or after its execve. Each test is an attack a container's root (or its image) can
// make; each got through before the fix it guards.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs } from '../helpers/fixtures';
import { BIN, REPO, gocker, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-secx-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secxw-'));
const g = (args: string[], input?: string) => gocker([...roots.args, ...args], input === undefined ? {} : { input });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const tarball = path.join(work, 'bb.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
  assert.equal(g(['import', tarball, 'busybox']).status, 0);
  assert.equal(g(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']).status, 0);
  assert.equal(g(['run', '-d', '--name', 'ptracer', '--cap-add', 'SYS_PTRACE', 'busybox', 'sleep', '1000']).status, 0);
});

after(() => {
  const dir = path.join(roots.root, 'containers');
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) g(['rm', '-f', id]);
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
      assert.match(r.stderr, /chdir to working directory/);
    }
  }
  // The image's (or the container's) own WORKDIR replaced by a symlink to a magic link.
  assert.equal(g(['exec', 'box', 'sh', '-c', 'for n in $(seq 3 24); do ln -s /proc/self/fd/$n /wd$n; done']).status, 0);
  for (let n = 3; n <= 24; n++) {
    const r = g(['exec', '-w', `/wd${n}`, 'box', 'sh', '-c', 'pwd; ls -a']);
    assert.notEqual(r.status, 0, `-w /wd${n} ran in ${r.stdout}`);
  }
  // An ordinary symlink inside the root is still followed, and a missing directory made.
  assert.equal(g(['exec', 'box', 'sh', '-c', 'mkdir -p /real/dir && ln -s /real /link']).status, 0);
  assert.equal(g(['exec', '-w', '/link/dir', 'box', 'pwd']).stdout, '/real/dir\n');
  assert.equal(g(['exec', '-w', '/made/here', 'box', 'pwd']).stdout, '/made/here\n');
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

test('the exec helper, held before its execve, shows the container neither its fds nor the host binary', async () => {
  // A helper stopped at the point where it waits to be placed in the container's cgroups:
  // the monitor's write of its pid goes to a FIFO we keep full. That window is what a
  // container's root races for (runc CVE-2019-5736, CVE-2024-21626).
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
    const target = Number(g(['inspect', '-f', '{{.State.Pid}}', ctr]).stdout);
    const rec = (k: string, v: string | number): string => `${k}=${v}\0`;
    fs.writeFileSync(path.join(dir, 'spec'), rec('target_pid', target) + rec('arg', 'true') + rec('cwd', '/') + rec('uid', 0) + rec('gid', 0) +
      rec('groups', '') + rec('caps', '') + rec('cgroup_procs', fifo) + rec('pid_file', path.join(dir, 'x.pid')) +
      rec('exit_file', path.join(dir, 'x.json')) + rec('log_file', '/dev/null'));
    const monitor = spawn(path.join(REPO, 'build', 'Release', 'gocker-monitor'), ['--exec', path.join(dir, 'spec')], { stdio: 'ignore' });
    try {
      const helper = await childOf(monitor.pid!);
      const nspid = fs.readFileSync(`/proc/${helper}/status`, 'utf8').match(/^NSpid:.*\s(\d+)$/m)![1];
      // What a root in the container tries: list the fds, enter each, reach the binary.
      const probe = g(['exec', ctr, 'sh', '-c', `P=/proc/${nspid}; for f in $P/fd/*; do t=$(readlink $f) && echo "fd $t"; done;
        for f in $P/fd/*; do [ -d "$f/" ] && echo "dir $f -> $(readlink $f)"; done;
        echo "exe $(readlink $P/exe)"; (echo x >> $P/exe) 2>/dev/null && echo exe-writable; true`]);
      assert.equal(probe.status, 0, probe.stderr);
      if (ctr === 'box') {
        // Not dumpable: without CAP_SYS_PTRACE its fd and exe links stay closed.
        assert.equal(probe.stdout, 'exe \n');
      } else {
        // With CAP_SYS_PTRACE they open, and show nothing of the host: pipes, a socket, and
        // a memfd for the binary.
        const targets = [...probe.stdout.matchAll(/^fd (.*)$/gm)].map((m) => m[1]);
        assert.ok(targets.length > 0, probe.stdout);
        for (const t of targets) assert.match(t, /^(pipe|socket):\[\d+\]$|^\/dev\/null$/, probe.stdout);
        assert.doesNotMatch(probe.stdout, /^dir /m);
        assert.match(probe.stdout, /^exe \/memfd:gocker-monitor/m);
      }
      assert.doesNotMatch(probe.stdout, /exe-writable/);
      assert.doesNotMatch(probe.stdout, /build\/Release/);
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
  // The binary itself is as it was.
  const monitorBin = path.join(REPO, 'build', 'Release', 'gocker-monitor');
  assert.notEqual(spawnSync(monitorBin, []).status, null);
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
