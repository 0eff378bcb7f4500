// A container that joins another's pid namespace (--pid container:A, or gocker-runtime with a
// pid namespace path, as a pod's containers share one) is one more process there from its
// fork on. A root of A with CAP_SYS_PTRACE (which, with no user namespace, it has in the
// host's) may open /proc/N/root of any process there: the joining container's process must be
// the command's by the time it waits to be started (its root pivoted, its capabilities and
// filter the container's), as runc's init is when it waits on its exec.fifo. Both tests got
// the host's root, with every capability and no filter, before the fix. Nor may A find any
// process of the joining container's while it is set up, on the host's root and with every
// capability until its pivot: the init is forked into the namespace only once it is the
// command's (the set-up test found the host's root through it before that fix).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { RUNTIME, removeCgroupParent } from '../helpers/containerd';
import { busyboxRootfs } from '../helpers/fixtures';
import { until } from '../helpers/wait';
import { Runner } from '../../lib/container/run';
import { Store } from '../../lib/store';
import { StorePaths } from '../../lib/store/paths';

const roots = tempRoots('gocker-secpid-');
// On the host: a marker the attack looks for, and where it tries to write.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secpidw-'));
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secpidr-'));
const state = path.join(base, 'state');
const CGROUP_PARENT = `gocker-secpid-${process.pid}`;
const g = (args: string[]) => gocker([...roots.args, ...args]);
const runtime = (args: string[]) => spawnSync(RUNTIME, ['--root', state, ...args], { encoding: 'utf8', timeout: 60_000 });

// docker's default capabilities, as /proc/N/status shows them.
const DOCKER_CAPS = '00000000a80425fb';

let attacker = 0; // A's process on the host

before(async () => {
  await importBusybox(roots.args);
  fs.writeFileSync(path.join(work, 'MARKER'), 'host\n');
  const r = g(['run', '-d', '--name', 'pa', '--cap-add', 'SYS_PTRACE', 'busybox', 'sleep', '1000']);
  assert.equal(r.status, 0, r.stderr);
  attacker = Number(g(['inspect', '-f', '{{.State.Pid}}', 'pa']).stdout.trim());
  assert.ok(attacker > 0);
});

after(() => {
  try {
    if (fs.existsSync(state)) {
      for (const id of fs.readdirSync(state)) runtime(['delete', '--force', id]);
    }
    removeCgroupParent(CGROUP_PARENT);
  } finally {
    removeAllContainers(roots.root, roots.args);
    roots.remove();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(base, { recursive: true, force: true });
  }
});

/** A host process's status field. */
function status(pid: number, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1] : '';
}

/**
 * The waiting process (host pid) as A sees it: once it is set to wait for its start (its
 * capabilities the container's), A's root must find neither the host's files through its
 * /proc/N/root nor write any there, and it must run under the container's filter.
 */
async function attack(waiting: number, caps: string, filtered: boolean): Promise<void> {
  // Its set-up may still be under way when create returns: given the time it takes (it
  // waits for its start with these capabilities, or with the host's root's before the fix).
  const end = Date.now() + 10_000;
  while (status(waiting, 'CapEff') !== caps && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const nspid = status(waiting, 'NSpid').split(/\s+/).pop();
  const through = `/proc/${nspid}/root${work}`;
  const r = g(['exec', 'pa', 'sh', '-c', `grep -E "CapEff|Seccomp:" /proc/${nspid}/status; cat ${through}/MARKER; echo pwned > ${through}/PWNED; echo done`]);
  assert.doesNotMatch(r.stdout, /^host$/m, 'the host\'s marker was read through /proc/N/root');
  assert.equal(fs.existsSync(path.join(work, 'PWNED')), false, 'a host file was written through /proc/N/root');
  assert.match(r.stdout, new RegExp(`CapEff:\\s*${caps}`), r.stdout + r.stderr);
  // (The runtime's bundle asks for no filter.)
  if (filtered) assert.match(r.stdout, /Seccomp:\s*2/, 'the waiting process runs under its filter');
}

test('create --pid container:A: a root of A with SYS_PTRACE finds the created container pivoted and with its own privileges', async () => {
  const r = g(['create', '--name', 'pb', '--pid', 'container:pa', 'busybox', 'sleep', '100']);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const pidFile = path.join(roots.runroot, 'containers', id, 'pid');
  await until('the created container\'s pid file', () => fs.existsSync(pidFile));
  const waiting = Number(fs.readFileSync(pidFile, 'utf8').trim());
  await attack(waiting, DOCKER_CAPS, true);
  // Started afterwards, it runs its command as ever.
  assert.equal(g(['start', 'pb']).status, 0);
  assert.equal(g(['exec', 'pb', 'cat', '/proc/1/cmdline']).stdout, 'sleep\u00001000\u0000');
});

test('create --pid container:A --security-opt no-new-privileges: the init waits for its start under its filter too', async () => {
  // With no_new_privs the filter may go in last; a process A can see must have it already.
  const r = g(['create', '--name', 'pc', '--pid', 'container:pa', '--security-opt', 'no-new-privileges', 'busybox', 'sleep', '100']);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const pidFile = path.join(roots.runroot, 'containers', id, 'pid');
  await until('the created container\'s pid file', () => fs.existsSync(pidFile));
  // The pid file names the init A sees once it is there (before, the process setting it up).
  await until('the init waits with its capabilities', () => {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    try {
      return status(pid, 'CapEff') === DOCKER_CAPS;
    } catch {
      return false;
    }
  });
  await attack(Number(fs.readFileSync(pidFile, 'utf8').trim()), DOCKER_CAPS, true);
  assert.equal(g(['start', 'pc']).status, 0);
  assert.equal(g(['exec', 'pc', 'cat', '/proc/1/cmdline']).stdout, 'sleep\u00001000\u0000');
  assert.equal(g(['rm', '-f', 'pc']).status, 0);
});

test('create --pid container:A: the init A sees before its start is no file of the host\'s, and holds none of the caller\'s environment', async () => {
  // Its /proc/N/exe, opened by A, would be written once nothing runs it any more, and run as
  // root by the next container (runc CVE-2019-5736); its environ was the caller's shell's.
  const r = gocker([...roots.args, 'create', '--name', 'pd', '--pid', 'container:pa', 'busybox', 'sleep', '100'], { env: { ...process.env, GOCKER_SECRET: 'hunter2' } });
  assert.equal(r.status, 0, r.stderr);
  const pidFile = path.join(roots.runroot, 'containers', r.stdout.trim(), 'pid');
  await until('the created container\'s pid file', () => fs.existsSync(pidFile));
  await until('the init waits with its capabilities', () => {
    try {
      return status(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'CapEff') === DOCKER_CAPS;
    } catch {
      return false;
    }
  });
  const nspid = status(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'NSpid').split(/\s+/).pop();
  const seen = g(['exec', 'pa', 'sh', '-c', `readlink /proc/${nspid}/exe; tr '\\0' '\\n' < /proc/${nspid}/environ; echo end`]);
  assert.match(seen.stdout, /end/, seen.stderr);
  assert.match(seen.stdout, /^\/memfd:gocker-monitor/m, 'the waiting init runs the monitor binary of the host');
  assert.doesNotMatch(seen.stdout, /GOCKER_SECRET/, 'the caller\'s environment is in the waiting init\'s');
  assert.equal(g(['rm', '-f', 'pd']).status, 0);
});

test('exec: the monitor that forks the command into the container holds none of the caller\'s environment', async () => {
  // The command's process is seen in the container before its execve, its environ the
  // monitor's it was forked from: the caller's shell's, before.
  const before = new Set(fs.readdirSync('/proc'));
  const r = gocker([...roots.args, 'exec', '-d', 'pa', 'sleep', '30'], { env: { ...process.env, GOCKER_SECRET: 'hunter2' } });
  assert.equal(r.status, 0, r.stderr);
  const monitors = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !before.has(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('--exec');
    } catch {
      return false;
    }
  });
  assert.equal(monitors.length, 1, 'the exec -d\'s monitor runs');
  assert.doesNotMatch(fs.readFileSync(`/proc/${monitors[0]}/environ`, 'utf8'), /GOCKER_SECRET/);
  g(['exec', 'pa', 'pkill', '-f', 'sleep 30']);
});

test('run --pid container:A: while the joining container is set up (created, configured from outside, not pivoted yet), a root of A with SYS_PTRACE finds none of its processes', async () => {
  // The engine's configuration step (beforeRelease, where networking plugs in) holds the
  // set-up open: A looks through every /proc/N/root it has for the host's marker meanwhile.
  const store = new Store(StorePaths.forDriver(roots.root, roots.runroot, 'overlay2'));
  const runner = new Runner(store.paths, store);
  const look = `for d in /proc/[0-9]*; do cat $d/root${work}/MARKER 2>/dev/null; echo x > $d/root${work}/PWNED 2>/dev/null; done; echo looked`;
  const seen: string[] = [];
  const r = await runner.run({ image: 'busybox', command: ['true'], pid: 'container:pa', detach: true }, undefined, {
    beforeRelease: () => {
      const e = g(['exec', 'pa', 'sh', '-c', look]);
      seen.push(e.stdout + e.stderr);
    },
  });
  try {
    assert.equal(r.error, undefined);
    assert.equal(seen.length, 1);
    assert.match(seen[0], /looked/);
    assert.doesNotMatch(seen[0], /^host$/m, 'the host\'s marker was read through /proc/N/root of the joining container\'s set-up');
    assert.equal(fs.existsSync(path.join(work, 'PWNED')), false, 'a host file was written through /proc/N/root');
    // The init forked into A's namespace is the container's: it ran, and its exit is known.
    await until('the joining container exits', () => g(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', r.id]).stdout.trim() === 'exited 0');
  } finally {
    g(['rm', '-f', r.id]);
  }
});

test('gocker-runtime create with a pid namespace path: a root of the namespace\'s container with SYS_PTRACE finds the init pivoted and with its own privileges', async () => {
  const rootfs = path.join(base, 'rootfs');
  const cp = spawnSync('cp', ['-a', await busyboxRootfs(), rootfs]);
  assert.equal(cp.status, 0, String(cp.stderr));
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID'];
  const dir = path.join(base, 'bundle');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['sleep', '100'], env: ['PATH=/bin:/usr/bin'], cwd: '/', capabilities: { bounding: caps, effective: caps, permitted: caps } },
    root: { path: rootfs },
    hostname: 'x1',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      namespaces: [{ type: 'pid', path: `/proc/${attacker}/ns/pid` }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }],
      cgroupsPath: `/${CGROUP_PARENT}/x1`,
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  }));
  const out = fs.openSync(path.join(base, 'x1.stdio'), 'w');
  let c;
  try {
    c = spawnSync(RUNTIME, ['--root', state, 'create', '--bundle', dir, 'x1'], { stdio: ['ignore', out, out], timeout: 60_000 });
  } finally {
    fs.closeSync(out);
  }
  assert.equal(c.status, 0, fs.readFileSync(path.join(base, 'x1.stdio'), 'utf8'));
  const waiting = (JSON.parse(runtime(['state', 'x1']).stdout) as { pid: number }).pid;
  assert.ok(waiting > 0);
  await attack(waiting, '00000000000000e3', false);
  // Started afterwards, it runs its command.
  assert.equal(runtime(['start', 'x1']).status, 0);
  await until('the command runs', () => fs.readFileSync(`/proc/${waiting}/cmdline`, 'utf8') === 'sleep\u0000100\u0000');
});
