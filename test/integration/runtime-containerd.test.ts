// gocker-runtime under a real containerd (Debian's), as the runtime its io.containerd.runc.v2
// shim drives in place of runc: `ctr run --runc-binary` of the busybox fixture, imported from a
// `gocker save` archive. The containerd is this file's own (test/helpers/containerd: its root,
// state and sockets in a temporary directory, the CRI plugin off), stopped by its pid at the
// end, everything it made removed even when a test failed.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE, RUNTIME, cgroupDirs, startContainerd, type Containerd } from '../helpers/containerd';

let c: Containerd;
let SOCK = '';
let RUNC_ROOT = '';
let NS = '';
let base = '';

const ctr = (args: string[], timeout?: number) => c.ctr(args, timeout);
const run = (args: string[]) => ctr(['run', '--runc-binary', RUNTIME, '--runc-root', RUNC_ROOT, ...args]);
const runtime = (args: string[]) => spawnSync(RUNTIME, ['--root', path.join(RUNC_ROOT, NS), ...args], { encoding: 'utf8' });

/** The task's pid and status, as containerd has them ("" when there is no such task). */
function task(id: string): { pid: number; status: string } {
  const line = ctr(['task', 'ls']).stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === id);
  return line ? { pid: Number(line[1]), status: line[2] } : { pid: 0, status: '' };
}

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (ok()) return;
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  c = await startContainerd('gocker-rt-ctd-');
  ({ sock: SOCK, runcRoot: RUNC_ROOT, ns: NS, base } = c);
});

after(async () => {
  await c?.stop();
});

test('ctr run: the output, the exit status, and the container in a cgroup namespace of its own (gocker always makes one)', () => {
  const r = run(['--rm', IMAGE, 'out', 'sh', '-c', 'echo hello; echo oops >&2; head -1 /proc/self/cgroup; exit 3']);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /^hello\n\d+:[^:]*:\/\n$/);
  assert.match(r.stderr, /oops/);
  assert.equal(task('out').status, '');
  assert.equal(fs.existsSync(path.join(RUNC_ROOT, NS, 'out')), false, 'the runtime state is gone');
});

test('a detached task: its init is the shim\'s child; state, exec, ps, pause, resume, kill and delete', async () => {
  const r = run(['-d', IMAGE, 'det', 'sleep', '1000']);
  assert.equal(r.status, 0, r.stderr);
  try {
    const { pid, status } = task('det');
    assert.equal(status, 'RUNNING');
    // Handed over: the pid the shim waits for is the container's init, and its parent is the shim.
    const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.match(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /containerd-shim-runc-v2/);
    const st = JSON.parse(runtime(['state', 'det']).stdout) as { pid: number; status: string; id: string };
    assert.deepEqual([st.id, st.pid, st.status], ['det', pid, 'running']);

    const e = ctr(['task', 'exec', '--exec-id', 'e1', 'det', 'sh', '-c', 'echo in exec; cat /proc/1/comm; exit 5']);
    assert.equal(e.status, 5, e.stderr);
    assert.equal(e.stdout, 'in exec\nsleep\n');

    const ps = ctr(['task', 'ps', 'det']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.ok(ps.stdout.split('\n').some((l) => l.trim().split(/\s+/)[0] === String(pid)), ps.stdout);

    assert.equal(ctr(['task', 'pause', 'det']).status, 0);
    assert.equal(task('det').status, 'PAUSED');
    assert.equal(JSON.parse(runtime(['state', 'det']).stdout).status, 'paused');
    assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /State:\s+[SD]/);
    assert.equal(ctr(['task', 'resume', 'det']).status, 0);
    assert.equal(task('det').status, 'RUNNING');

    // update --resources -: new limits on stdin, as the shim hands them over (this ctr has no
    // `task update`, so the runtime is asked directly, as go-runc does).
    const up = spawnSync(RUNTIME, ['--root', path.join(RUNC_ROOT, NS), 'update', '--resources', '-', 'det'], { input: '{"memory":{"limit":50331648}}', encoding: 'utf8' });
    assert.equal(up.status, 0, up.stderr);
    const memDir = cgroupDirs(path.join(NS, 'det')).find((d) => fs.existsSync(path.join(d, 'memory.max')) || fs.existsSync(path.join(d, 'memory.limit_in_bytes')))!;
    assert.equal(fs.readFileSync(path.join(memDir, fs.existsSync(path.join(memDir, 'memory.max')) ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim(), '50331648');

    // An exec with a terminal: its pty master comes over the console socket once exec returns.
    const cmd = `ctr -a ${SOCK} -n ${NS} task exec -t --exec-id e2 det sh -c 'tty; exit 6'`;
    const t = spawnSync('script', ['-eqc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(t.status, 6, t.stdout + t.stderr);
    assert.match(t.stdout, /\/dev\/pts\/\d+\r+\n/);

    // kill --all reaches every process of the container (a background one of an exec too).
    assert.equal(ctr(['task', 'exec', '-d', '--exec-id', 'bg', 'det', 'sleep', '999']).status, 0);
    await waitFor('the exec\'d sleep', () => ctr(['task', 'ps', 'det']).stdout.trim().split('\n').length === 3);
    assert.equal(ctr(['task', 'kill', '--all', '-s', 'SIGKILL', 'det']).status, 0);
    await waitFor('the task to stop', () => task('det').status === 'STOPPED');
    const rm = ctr(['task', 'rm', 'det']);
    assert.equal(rm.status, 0, rm.stderr);
    assert.match(rm.stderr, /exit code 137/);
    assert.equal(runtime(['state', 'det']).stderr, 'container does not exist\n');
    assert.deepEqual(cgroupDirs(path.join(NS, 'det')).filter((d) => fs.existsSync(d)), []);
  } finally {
    ctr(['task', 'rm', '-f', 'det']);
    ctr(['containers', 'rm', 'det']);
  }
});

test('ctr run -t: the command gets a pty from the console socket, and its exit status', () => {
  const cmd = `ctr -a ${SOCK} -n ${NS} run --rm -t --runc-binary ${RUNTIME} --runc-root ${RUNC_ROOT} ${IMAGE} tty sh -c 'tty; exit 4'`;
  const r = spawnSync('script', ['-eqc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/0\r+\n/);
});

test('two containers in one network namespace, as a pod: the second joins the first\'s by path', () => {
  assert.equal(run(['-d', IMAGE, 'sandbox', 'sleep', '1000']).status, 0);
  try {
    const { pid } = task('sandbox');
    const r = run(['--rm', '--with-ns', `network:/proc/${pid}/ns/net`, IMAGE, 'member', 'readlink', '/proc/self/ns/net']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), fs.readlinkSync(`/proc/${pid}/ns/net`));
    const own = run(['--rm', IMAGE, 'alone', 'readlink', '/proc/self/ns/net']);
    assert.notEqual(own.stdout.trim(), fs.readlinkSync(`/proc/${pid}/ns/net`));
    // A pod that shares its pid namespace too: the member sees the sandbox's init as its 1.
    const p = run(['--rm', '--with-ns', `pid:/proc/${pid}/ns/pid`, IMAGE, 'pidmember', 'cat', '/proc/1/comm']);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout, 'sleep\n');
  } finally {
    ctr(['task', 'rm', '-f', 'sandbox']);
    ctr(['containers', 'rm', 'sandbox']);
  }
});

test('ctr run --uidmap/--gidmap: a user namespace, root in it host ID 100000, the files it makes in a bind mount 100000\'s', () => {
  // containerd gives the container a snapshot chowned to the mapping; the way to it (this
  // file's temporary directory) must be passable by that root.
  fs.chmodSync(base, 0o711);
  const out = path.join(base, 'userns-out');
  fs.mkdirSync(out);
  fs.chownSync(out, 100000, 100000);
  const r = run(['--rm', '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', '--mount', `type=bind,src=${out},dst=/out,options=rbind:rw`,
    IMAGE, 'userns', 'sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /out/made']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s*0\s+100000\s+65536\n\s*0\s+100000\s+65536\n0\n$/);
  const st = fs.statSync(path.join(out, 'made'));
  assert.deepEqual([st.uid, st.gid], [100000, 100000]);
});

test('linux.seccomp from config.json (ctr --seccomp, containerd\'s default profile) is compiled and loaded', () => {
  const r = run(['--rm', '--seccomp', IMAGE, 'sec', 'sh', '-c', 'grep ^Seccomp: /proc/self/status; unshare -r true']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^Seccomp:\s+2$/m);
  assert.match(r.stderr, /unshare.*Operation not permitted/);
});

test('linux.resources reach the container\'s cgroup (cgroupfs, at containerd\'s cgroupsPath /NAMESPACE/ID)', () => {
  assert.equal(run(['-d', '--memory-limit', '33554432', IMAGE, 'mem', 'sleep', '1000']).status, 0);
  try {
    const { pid } = task('mem');
    const dir = cgroupDirs(path.join(NS, 'mem')).find((d) => fs.existsSync(path.join(d, 'memory.max')) || fs.existsSync(path.join(d, 'memory.limit_in_bytes')))!;
    const limit = fs.existsSync(path.join(dir, 'memory.max')) ? 'memory.max' : 'memory.limit_in_bytes';
    assert.equal(fs.readFileSync(path.join(dir, limit), 'utf8').trim(), '33554432');
    assert.ok(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
  } finally {
    ctr(['task', 'rm', '-f', 'mem']);
    ctr(['containers', 'rm', 'mem']);
  }
  assert.deepEqual(cgroupDirs(path.join(NS, 'mem')).filter((d) => fs.existsSync(d)), []);
});

test('a spec gocker-runtime refuses fails the create with the field named, and leaves nothing behind', () => {
  const r = run(['--rm', '--cgroup', 'system.slice:gocker:refused', IMAGE, 'refused', 'true']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /OCI runtime create failed: linux\.cgroupsPath: the systemd form system\.slice:gocker:refused is not supported by gocker-runtime/);
  assert.equal(fs.existsSync(path.join(RUNC_ROOT, NS, 'refused')), false);
  ctr(['containers', 'rm', 'refused']);
});

test('runc\'s command line: refusals as runc words them, errors in --log as JSON lines', () => {
  const log = path.join(base, 'cli-log.json');
  const s = spawnSync(RUNTIME, ['--root', path.join(base, 'cli-root'), '--log', log, '--log-format', 'json', 'state', 'nosuch'], { encoding: 'utf8' });
  assert.equal(s.status, 1);
  assert.equal(s.stderr, 'container does not exist\n');
  const line = JSON.parse(fs.readFileSync(log, 'utf8').trim()) as { level: string; msg: string; time: string };
  assert.deepEqual([line.level, line.msg], ['error', 'container does not exist']);
  const sd = spawnSync(RUNTIME, ['--systemd-cgroup', 'list'], { encoding: 'utf8' });
  assert.equal(sd.status, 1);
  assert.match(sd.stderr, /--systemd-cgroup is not supported by gocker-runtime/);
  const cp = spawnSync(RUNTIME, ['checkpoint', 'x'], { encoding: 'utf8' });
  assert.equal(cp.status, 1);
  assert.match(cp.stderr, /checkpoint is not supported by gocker-runtime/);
  const bad = spawnSync(RUNTIME, ['--root', path.join(base, 'cli-root'), 'state', '../x'], { encoding: 'utf8' });
  assert.equal(bad.stderr, 'invalid container id format: ../x\n');
  const f = JSON.parse(spawnSync(RUNTIME, ['features'], { encoding: 'utf8' }).stdout) as { linux: { cgroup: { systemd: boolean } } };
  assert.equal(f.linux.cgroup.systemd, false);
});
