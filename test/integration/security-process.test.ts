// What a container, its image or a local user can do to the processes that serve it: the
// monitor (its relay of the container's output, its attach socket), the exit command of a
// restart policy, the event log, and gocker-runtime given a hostile bundle.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME, cgroupDirs } from '../helpers/containerd';
import { busyboxRootfs } from '../helpers/fixtures';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-secproc-');
const g = (args: string[], timeout = 120_000) => gocker([...roots.args, ...args], { timeout });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const inspect = (ref: string, f: string): string => g(['inspect', '-f', f, ref]).stdout.trim();

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

// A background process outside the container's pid namespace outlives its command and can
// hold its stdout open, writing as fast as the monitor reads. The monitor reads what the
// command left for a moment, then kills what is left in the cgroup and records the exit:
// before, it read on for ever, `wait` never returned, `rm -f` could not remove the container
// ("no exit seen") and its log filled the disk.
for (const tty of [false, true]) {
  test(`a leftover writing on does not keep the exit from being recorded (--pid host${tty ? ', -t' : ''})`, () => {
    const name = `secproc-drain${tty ? '-t' : ''}`;
    const r = g(['run', '-d', ...(tty ? ['-t'] : []), '--name', name, '--pid', 'host', '--network', 'none', '--log-opt', 'max-size=1m',
      'busybox', 'sh', '-c', 'yes & yes & yes & sleep 1; exit 3']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const w = g(['wait', name], 30_000);
      assert.equal(w.signal, null, 'wait did not return within 30 s');
      assert.equal(w.stdout.trim(), '3', w.stderr);
      // The leftover was killed with the rest of the cgroup.
      const top = g(['inspect', '--format', '{{.State.Status}} {{.State.Pid}}', name]);
      assert.equal(top.stdout.trim(), 'exited 0', top.stderr);
    } finally {
      g(['rm', '-f', name], 60_000);
    }
  });
}

/** A process's CPU time so far, in clock ticks (utime + stime of /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

// The attach socket is root's, but a client (or many) must not take the monitor down: once
// its fds ran out, accept failed while connections waited, the socket stayed readable and the
// monitor spun at 100% CPU for as long as they waited. Its fd limit is lowered (prlimit) so
// that a hundred clients reach it.
test('clients waiting beyond the monitor\'s fds do not make it spin, and the container still stops', async () => {
  const name = 'secproc-clients';
  const id = g(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '300']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const run = path.join(roots.runroot, 'containers', id);
  const monitor = Number(fs.readFileSync(path.join(run, 'monitor.pid'), 'utf8'));
  const socks: net.Socket[] = [];
  const dir = fs.openSync(run, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    execFileSync('prlimit', ['--nofile=64:64', `--pid=${monitor}`]);
    // One after another: a burst of 100 at once can overrun the listen backlog (64) before
    // the monitor has accepted any, and connect then fails with EAGAIN, which is the kernel's
    // answer, not the monitor's. In turn, the ones past its descriptors wait in the backlog.
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve, reject) => {
        const s = net.createConnection({ path: `/proc/self/fd/${dir}/attach` }, resolve);
        s.on('error', reject);
        socks.push(s);
      });
    }
    await sleep(500);
    const before = cpuTicks(monitor);
    await sleep(2000);
    const spent = cpuTicks(monitor) - before;
    assert.ok(spent < 20, `the monitor used ${spent} ticks of CPU in 2 s with clients waiting`);
    for (const s of socks) s.destroy();
    const stop = g(['stop', '-t', '1', name]);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  } finally {
    for (const s of socks) s.destroy();
    fs.closeSync(dir);
    g(['rm', '-f', name], 60_000);
  }
});

// A restarting container is one whose exit command (restarter.pid) waits out the back-off.
// Once that process has gone (killed, or a reboot with a runroot on disk), its pid is free for
// anyone's: a local user's process with the container's id among its arguments kept the
// container "restarting" for ever, and `start` took it for running and did nothing.
test('a restarter.pid that names another user\'s process (a recycled pid) is not the exit command', async () => {
  const name = 'secproc-restarter';
  const id = g(['run', '-d', '--name', name, '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 1']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const run = path.join(roots.runroot, 'containers', id);
  // The next delay doubles this: a minute, long enough to act in.
  fs.writeFileSync(path.join(run, 'restart-backoff'), '30000');
  let impostor: ReturnType<typeof spawn> | undefined;
  try {
    await until('restarting', () => inspect(name, '{{.State.Status}}') === 'restarting');
    const restarter = Number(fs.readFileSync(path.join(run, 'restarter.pid'), 'utf8'));
    process.kill(restarter, 'SIGKILL');
    await until('its exit command gone', () => !fs.existsSync(`/proc/${restarter}`));
    // What a recycled pid looks like: nobody's process, named after the container.
    impostor = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', 'sleep 60; :', id], { stdio: 'ignore' });
    await until('the impostor runs', () => impostor!.pid !== undefined && fs.existsSync(`/proc/${impostor!.pid}`) &&
      fs.readFileSync(`/proc/${impostor!.pid}/cmdline`, 'utf8').split('\0').includes(id));
    fs.writeFileSync(path.join(run, 'restarter.pid'), String(impostor.pid));
    assert.equal(inspect(name, '{{.State.Status}} {{.State.Restarting}}'), 'exited false');
    // And a start by the user starts it.
    const st = g(['start', name]);
    assert.equal(st.status, 0, st.stderr);
    assert.equal(inspect(name, '{{.State.Status}}'), 'running');
  } finally {
    impostor?.kill('SIGKILL');
    g(['rm', '-f', name], 60_000);
  }
});

// A bundle's namespace path is opened by gocker-runtime (as root) to hand to the monitor. A
// FIFO there blocked the create for ever (and left its state directory behind once killed);
// a device was opened, whatever opening it does. What is no namespace is refused unopened.
test('gocker-runtime: a namespace path that is no namespace (a FIFO, a device) is refused at once, and nothing is left', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secproc-bundle-'));
  try {
    const bundle = path.join(base, 'bundle');
    const root = path.join(base, 'state');
    fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
    const fifo = path.join(base, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [i, ns] of [fifo, '/dev/null'].entries()) {
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/bin/true'], cwd: '/', user: { uid: 0, gid: 0 } },
        root: { path: 'rootfs' },
        linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: ns }], cgroupsPath: `/secproc-ns-${process.pid}` },
      }));
      const r = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', bundle, `secproc-ns${i}`], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.signal, null, `create with ${ns} did not return within 10 s`);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), `linux.namespaces: ${ns} is not a namespace`);
      assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], []);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

// Every field of a hostile bundle is checked with its name: a seccomp argument's value that is
// no number was read as one, and the create failed with the JSON library's words alone.
test('gocker-runtime: a seccomp argument value that is no number is refused with its field named', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secproc-bundle-'));
  try {
    const bundle = path.join(base, 'bundle');
    const root = path.join(base, 'state');
    fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
    for (const [i, value] of ['x', -1].entries()) {
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/bin/true'], cwd: '/', user: { uid: 0, gid: 0 } },
        root: { path: 'rootfs' },
        linux: {
          namespaces: [{ type: 'pid' }, { type: 'mount' }], cgroupsPath: `/secproc-sc-${process.pid}`,
          seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, op: 'SCMP_CMP_EQ', value }] }] },
        },
      }));
      const r = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', bundle, `secproc-sc${i}`], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), `linux.seccomp.syscalls[0].args[0].value: must be a number from 0 to 2^64-1, not ${JSON.stringify(value)}`);
      assert.deepEqual(fs.existsSync(root) ? fs.readdirSync(root) : [], []);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

// A bundle's cgroupsPath may name a cgroup that exists. One with processes in it is someone
// else's (a host service's): gocker-runtime joined it, and `delete -f` then SIGKILLed every
// process in it, and removed it. Refused at create, as runc refuses it; nothing is touched.
test('gocker-runtime: a cgroupsPath naming a cgroup with processes in it is refused, and they live on', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secproc-bundle-'));
  const rel = `secproc-victim-${process.pid}`;
  const dirs = cgroupDirs(rel);
  const victimDir = dirs.find((d) => path.basename(path.dirname(d)) === 'pids') ?? dirs[0];
  const victim = spawn('sleep', ['300'], { stdio: 'ignore' });
  const root = path.join(base, 'state');
  try {
    fs.mkdirSync(victimDir);
    fs.writeFileSync(path.join(victimDir, 'cgroup.procs'), String(victim.pid));
    const bundle = path.join(base, 'bundle');
    fs.mkdirSync(bundle);
    execFileSync('cp', ['-a', await busyboxRootfs(), path.join(bundle, 'rootfs')]);
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID'];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { args: ['sleep', '300'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, capabilities: { bounding: caps, effective: caps, permitted: caps } },
      root: { path: 'rootfs' },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }], cgroupsPath: `/${rel}` },
    }));
    const r = spawnSync(RUNTIME, ['--root', root, 'create', '--bundle', bundle, 'secproc-cg'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
    spawnSync(RUNTIME, ['--root', root, 'delete', '-f', 'secproc-cg'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stderr.trim(), `linux.cgroupsPath: container's cgroup is not empty: 1 process(es) found (/${rel})`);
    assert.equal(r.status, 1);
    assert.equal(victim.exitCode ?? victim.signalCode, null, 'the process in the named cgroup was killed');
    assert.equal(fs.readFileSync(path.join(victimDir, 'cgroup.procs'), 'utf8').trim(), String(victim.pid));
    // What create made in the other hierarchies went with its failure.
    assert.deepEqual(dirs.filter((d) => d !== victimDir && fs.existsSync(d)), []);
  } finally {
    victim.kill('SIGKILL');
    await until('the victim gone', () => !fs.existsSync(victimDir) || fs.readFileSync(path.join(victimDir, 'cgroup.procs'), 'utf8').trim() === '');
    for (const d of dirs) if (fs.existsSync(d)) fs.rmdirSync(d);
    if (fs.existsSync(root)) spawnSync(RUNTIME, ['--root', root, 'delete', '-f', 'secproc-cg'], { timeout: 30_000 });
    fs.rmSync(base, { recursive: true, force: true });
  }
});

// A container's events carry its labels, and an image's labels can be megabytes (its config
// is read up to 16 MiB). Each event of such a container was bigger than the log's bound, and
// rotated it: two of them, and every other container's history was gone.
test('a container with megabytes of labels does not rotate the other containers\' events away', () => {
  const labels = path.join(os.tmpdir(), `gocker-secproc-labels-${process.pid}`);
  try {
    assert.equal(g(['run', '--name', 'secproc-ev-before', '--network', 'none', 'busybox', 'true']).status, 0);
    fs.writeFileSync(labels, Array.from({ length: 40 }, (_, i) => `big${i}=${'x'.repeat(128 << 10)}\n`).join(''));
    const c = g(['create', '--name', 'secproc-ev-big', '--network', 'none', '--label-file', labels, 'busybox', 'true']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(g(['start', '-a', 'secproc-ev-big']).status, 0);
    assert.equal(g(['rm', 'secproc-ev-big', 'secproc-ev-before']).status, 0);
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    const before = g(['events', '--since', '0', '--until', until, '--filter', 'container=secproc-ev-before', '--format', '{{.Action}}']);
    assert.deepEqual(before.stdout.split('\n').filter(Boolean).sort(), ['create', 'destroy', 'die', 'start'], before.stderr);
    // Its own events are there, named, without the labels.
    const big = g(['events', '--since', '0', '--until', until, '--filter', 'container=secproc-ev-big', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{len .Actor.Attributes}}']);
    // (die is the monitor's, start the CLI's: a command that exits at once may have its die first.)
    assert.deepEqual(big.stdout.split('\n').filter(Boolean).sort(), ['create secproc-ev-big 2', 'destroy secproc-ev-big 2', 'die secproc-ev-big 3', 'start secproc-ev-big 2'], big.stderr);
  } finally {
    fs.rmSync(labels, { force: true });
    g(['rm', '-f', 'secproc-ev-big', 'secproc-ev-before']);
  }
});
