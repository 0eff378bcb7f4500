// gocker-runtime under a real dockerd (Debian's docker.io), registered with --add-runtime and
// picked by `docker run --runtime gocker`: dockerd's spec has what containerd's does not (a
// prestart hook that sets up the network namespace, a /sys/fs/cgroup mount, sysctls, zeros for
// unset limits, device rules that leave the ptys to the runtime). The dockerd is this file's
// own: its data and exec roots, socket and cgroup parent under a temporary directory and name,
// no bridge and no iptables; it and everything it made is removed at the end, even on failure.
// Containers run with apparmor=unconfined: on a host where dockerd finds AppArmor it would ask
// for its docker-default profile, which gocker-runtime refuses (it applies no AppArmor).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, importBusybox, tempRoots } from '../helpers/cli';
import { RUNTIME, removeCgroupParent, unmountUnder } from '../helpers/containerd';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-rt-dk-'));
const SOCK = path.join(base, 'docker.sock');
const PARENT = `gocker-rt-dk-${process.pid}`;
// What dockerd makes wherever its roots are (its trust key, the plugin directory, the shims'
// sockets): removed if they were not there before.
const FIXED = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker'];
const fixedBefore = new Set(FIXED.filter((f) => fs.existsSync(f)));
const shimSocketsBefore = new Set(fs.existsSync('/run/containerd/s') ? fs.readdirSync('/run/containerd/s') : []);
const shimDirsBefore = new Set(['/run/containerd/s', '/run/containerd'].filter((d) => fs.existsSync(d)));
let dockerd: ChildProcess | undefined;

function docker(args: string[], timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/usr/bin/docker', ['-H', `unix://${SOCK}`, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

before(async () => {
  const log = fs.openSync(path.join(base, 'dockerd.log'), 'w');
  dockerd = spawn('dockerd', ['--data-root', path.join(base, 'data'), '--exec-root', path.join(base, 'exec'), '--pidfile', path.join(base, 'dockerd.pid'),
    '-H', `unix://${SOCK}`, '--bridge=none', '--iptables=false', '--ip-forward=false', '--ip-masq=false', '--storage-driver=vfs',
    '--cgroup-parent', PARENT, '--add-runtime', `gocker=${RUNTIME}`], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  for (const end = Date.now() + 30_000; docker(['info'], 5000).status !== 0; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > end || dockerd.exitCode !== null) assert.fail(`dockerd did not start: ${fs.readFileSync(path.join(base, 'dockerd.log'), 'utf8').trim().split('\n').pop()}`);
  }
  const roots = tempRoots('gocker-rt-dk-img-');
  try {
    await importBusybox(roots.args, 'busybox:latest');
    const archive = path.join(base, 'busybox.tar');
    assert.equal(gocker([...roots.args, 'save', '-o', archive, 'busybox:latest']).status, 0);
    const l = docker(['load', '-i', archive]);
    assert.equal(l.status, 0, l.stderr);
  } finally {
    roots.remove();
  }
});

after(async () => {
  if (dockerd && dockerd.exitCode === null && dockerd.signalCode === null) {
    const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids]);
    const exited = new Promise((r) => dockerd!.once('exit', r));
    process.kill(dockerd.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (dockerd.exitCode === null && dockerd.signalCode === null) process.kill(dockerd.pid!, 'SIGKILL');
  }
  // The shims of its containerd (named by its socket, under our exec root), if any outlived it.
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if ((argv[0].endsWith('containerd-shim-runc-v2') || argv[0].endsWith('containerd')) && argv.some((a) => a.startsWith(base))) process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  unmountUnder(base);
  fs.rmSync(base, { recursive: true, force: true });
  removeCgroupParent(PARENT);
  for (const f of FIXED) if (!fixedBefore.has(f)) fs.rmSync(f, { recursive: true, force: true });
  for (const s of fs.existsSync('/run/containerd/s') ? fs.readdirSync('/run/containerd/s') : []) if (!shimSocketsBefore.has(s)) fs.rmSync(path.join('/run/containerd/s', s), { force: true });
  for (const d of ['/run/containerd/s', '/run/containerd']) {
    if (shimDirsBefore.has(d)) continue;
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty: not only ours
    }
  }
});

test('docker run --runtime gocker: output, exit status, and dockerd\'s prestart hook run by gocker-runtime', () => {
  const info = docker(['info', '--format', '{{json .Runtimes}}']);
  assert.match(info.stdout, /"gocker":\{"path":"[^"]*gocker-runtime"/);
  const r = docker(['run', '--rm', '--runtime', 'gocker', '--security-opt', 'apparmor=unconfined', '--network', 'none', 'busybox', 'sh', '-c', 'echo hi; echo err >&2; head -1 /proc/self/cgroup; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; exit 3']);
  assert.equal(r.status, 3, r.stderr);
  // the cgroup namespace gocker always makes (dockerd's runc gives none on v1), and
  // dockerd's sysctl, written in the container's own network namespace
  assert.match(r.stdout, /^hi\n\d+:[^:]*:\/\n0\n$/);
  assert.equal(r.stderr, 'err\n');
});

test('docker exec, pause, unpause, stop and -t with gocker-runtime', () => {
  assert.equal(docker(['run', '-d', '--runtime', 'gocker', '--security-opt', 'apparmor=unconfined', '--network', 'none', '--name', 'd1', 'busybox', 'sleep', '1000']).status, 0);
  try {
    const e = docker(['exec', 'd1', 'sh', '-c', 'echo in exec; exit 4']);
    assert.equal(e.status, 4, e.stderr);
    assert.equal(e.stdout, 'in exec\n');
    assert.equal(docker(['pause', 'd1']).status, 0);
    assert.equal(docker(['inspect', '-f', '{{.State.Status}}', 'd1']).stdout.trim(), 'paused');
    assert.equal(docker(['unpause', 'd1']).status, 0);
    assert.equal(docker(['inspect', '-f', '{{.State.Status}}', 'd1']).stdout.trim(), 'running');
    // sleep as PID 1 ignores SIGTERM: stop's SIGKILL after 1 s ends it, and the status is the shim's.
    assert.equal(docker(['stop', '-t', '1', 'd1']).status, 0);
    assert.equal(docker(['inspect', '-f', '{{.State.ExitCode}}', 'd1']).stdout.trim(), '137');
  } finally {
    docker(['rm', '-f', 'd1']);
  }
  const cmd = `/usr/bin/docker -H unix://${SOCK} run --rm -t --runtime gocker --security-opt apparmor=unconfined --network none busybox sh -c 'tty; exit 2'`;
  const t = spawnSync('script', ['-eqc', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(t.status, 2, t.stdout + t.stderr);
  assert.match(t.stdout, /\/dev\/pts\/0\r+\n/);
});
