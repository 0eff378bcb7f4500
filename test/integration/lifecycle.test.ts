// The container lifecycle without a daemon, against real containers and real faults.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs } from '../helpers/fixtures';
import { BIN, gocker, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-life-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const tarball = path.join(os.tmpdir(), `gocker-life-${process.pid}.tar`);
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
  assert.equal(g(['import', tarball, 'busybox']).status, 0);
  fs.rmSync(tarball);
});

after(async () => {
  // From the records themselves, so a failing test cannot hide what it left running.
  const dir = path.join(roots.root, 'containers');
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) g(['rm', '-f', id]);
  roots.remove();
});

test('run -d, ps, logs, inspect -f, stop with the trap, wait, rm', async () => {
  const id = g(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo out; echo err >&2; trap "echo bye; exit 5" TERM; while true; do sleep 0.1; done']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = g(['ps']).stdout.split('\n');
  assert.match(ps[0], /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  assert.match(ps[1], new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c echo out; ech…"\\s+.* ago\\s+Up .*\\s+web$`));
  await sleep(300);
  const logs = g(['logs', 'web']);
  assert.equal(logs.stdout, 'out\n');
  assert.equal(logs.stderr, 'err\n');
  assert.equal(g(['logs', '--tail', '1', id.slice(0, 5)]).stderr, 'err\n');
  const pid = Number(g(['inspect', '-f', '{{.State.Pid}}', 'web']).stdout);
  assert.ok(pid > 1 && fs.existsSync(`/proc/${pid}`));
  assert.equal(g(['inspect', '-f', '{{json .Config.Cmd}} {{.HostConfig.NetworkMode}}', 'web']).stdout, `${JSON.stringify(['sh', '-c', 'echo out; echo err >&2; trap "echo bye; exit 5" TERM; while true; do sleep 0.1; done'])} none\n`);
  const bad = g(['inspect', '-f', '{{.State.Nope}}', 'web']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /map has no entry for key "Nope"/);
  const full = JSON.parse(g(['inspect', 'web']).stdout);
  assert.equal(full[0].Id, id);
  assert.equal(full[0].State.Running, true);
  assert.match(full[0].GraphDriver.Data.UpperDir, new RegExp(`${id}/upper$`));
  const rmRunning = g(['rm', 'web']);
  assert.equal(rmRunning.status, 1);
  assert.match(rmRunning.stderr, /container is running: stop the container before removing or force remove/);
  assert.equal(g(['stop', '-t', '5', 'web']).status, 0);
  assert.equal(g(['wait', 'web']).stdout, '5\n');
  assert.match(g(['logs', 'web']).stdout, /bye\n$/);
  assert.match(g(['ps', '-a', '-f', 'name=web']).stdout, /Exited \(5\) .* ago\s+web\n$/);
  assert.equal(g(['ps', '-q']).stdout, '');
  assert.equal(g(['ps', '-aq', '--no-trunc']).stdout, `${id}\n`);
  assert.equal(g(['rm', 'web']).status, 0);
  assert.equal(g(['ps', '-aq']).stdout, '');
  assert.ok(!fs.existsSync(path.join(roots.root, 'containers', id)));
  const gone = g(['logs', 'web']);
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /No such container: web/);
});

test('exec joins the namespaces and cgroup: -e, -w, -u, exit codes, 127, -d', async () => {
  const id = g(['run', '-d', '--name', 'ex', '--memory', '64m', 'busybox', 'sh', '-c', 'echo hi > /tmp/f; exec sleep 100']).stdout.trim();
  await sleep(200);
  const r = g(['exec', 'ex', 'sh', '-c', 'cat /tmp/f; hostname; ps -o pid,comm | sed -n 2p | tr -s " "; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; exit 6']);
  assert.equal(r.status, 6, r.stderr);
  assert.equal(r.stdout, `hi\n${id.slice(0, 12)}\n 1 sleep\n${64 * 1024 * 1024}\n`);
  assert.equal(g(['exec', '-u', 'app', '-w', '/home', '-e', 'X=1', 'ex', 'sh', '-c', 'id -u; pwd; echo $X']).stdout, '1000\n/home\n1\n');
  const nf = g(['exec', 'ex', 'nosuch']);
  assert.equal(nf.status, 127);
  assert.match(nf.stderr, /executable file not found/);
  assert.equal(g(['exec', '-d', 'ex', 'sh', '-c', 'echo bg > /tmp/bg']).status, 0);
  await sleep(300);
  assert.equal(g(['exec', 'ex', 'cat', '/tmp/bg']).stdout, 'bg\n');
  assert.equal(g(['rm', '-f', 'ex']).status, 0);
  const stopped = g(['exec', 'ex', 'true']);
  assert.equal(stopped.status, 1);
});

test('diff, commit (runs with the changes, shares the base layers) and export', () => {
  assert.equal(g(['run', '--name', 'ch', 'busybox', 'sh', '-c', 'rm /etc/group; echo new > /home/app/new; echo x >> /etc/passwd']).status, 0);
  assert.equal(g(['diff', 'ch']).stdout, 'C /etc\nD /etc/group\nC /etc/passwd\nC /home\nC /home/app\nA /home/app/new\n');
  // A file capability and a user xattr on the new file (set from the host: busybox has no setcap).
  const upper = g(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'ch']).stdout.trim();
  execFileSync('setfattr', ['-n', 'user.gocker', '-v', 'kept', path.join(upper, 'home/app/new')]);
  execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', path.join(upper, 'home/app/new')]);
  const layers = fs.readdirSync(path.join(roots.root, 'layers')).length;
  const id = g(['commit', '-m', 'msg', '-a', 'me', '-c', 'CMD ["cat", "/home/app/new"]', 'ch', 'committed:1']).stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(fs.readdirSync(path.join(roots.root, 'layers')).length, layers + 1, 'one new layer on the shared base');
  assert.equal(g(['run', '--rm', 'committed:1']).stdout, 'new\n');
  assert.equal(g(['run', '--rm', 'committed:1', 'sh', '-c', 'test -e /etc/group || echo gone; tail -1 /etc/passwd']).stdout, 'gone\nx\n');
  assert.match(g(['history', 'committed:1']).stdout.split('\n')[1], /msg$/);
  // The xattrs went into the layer and came out of it.
  const top = JSON.parse(g(['image', 'inspect', 'committed:1']).stdout)[0].GraphDriver.Data.UpperDir as string;
  const attrs = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', path.join(top, 'home/app/new')]).toString();
  assert.match(attrs, /^user\.gocker=0x6b657074$/m);
  assert.match(attrs, /^security\.capability=0x0100000200200000000000000000000000000000$/m);
  const out = path.join(os.tmpdir(), `gocker-export-${process.pid}.tar`);
  try {
    assert.equal(g(['export', '-o', out, 'ch']).status, 0);
    const names = execFileSync('tar', ['-tf', out]).toString().split('\n');
    assert.ok(names.includes('home/app/new') && names.includes('bin/busybox') && !names.includes('etc/group'));
    assert.match(execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', out, 'home/app/new']).toString(), /user\.gocker/);
  } finally {
    fs.rmSync(out, { force: true });
  }
  assert.equal(g(['rm', 'ch']).status, 0);
  assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(roots.runroot));
});

test('start again on the same writable layer (-a attaches), restart, top, stats', async () => {
  assert.equal(g(['run', '--name', 'again', '--memory', '32m', 'busybox', 'sh', '-c', 'echo x >> /n; wc -l < /n']).stdout, '1\n');
  const a = g(['start', '-a', 'again']);
  assert.equal(a.stdout, '2\n');
  assert.equal(g(['start', 'again']).stdout, 'again\n');
  assert.equal(g(['wait', 'again']).stdout, '0\n');
  assert.match(g(['logs', 'again']).stdout, /3\n$/);
  assert.equal(g(['inspect', '-f', '{{.HostConfig.Memory}}', 'again']).stdout, `${32 * 1024 * 1024}\n`);
  assert.equal(g(['rm', 'again']).status, 0);

  g(['run', '-d', '--name', 'svc', '--memory', '64m', 'busybox', 'sh', '-c', 'while true; do sleep 0.1; done']);
  await sleep(200);
  const top = g(['top', 'svc']).stdout.split('\n');
  assert.match(top[0], /PID\s+PPID/);
  assert.ok(top.some((l) => l.includes('while true')));
  const stats = g(['stats', '--no-stream', 'svc']).stdout.split('\n');
  assert.match(stats[0], /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+PIDS$/);
  assert.match(stats[1], /svc\s+[\d.]+%\s+[\d.]+MiB \/ 64\.00MiB\s+[\d.]+%\s+[12]$/);
  const pid1 = g(['inspect', '-f', '{{.State.Pid}}', 'svc']).stdout;
  assert.equal(g(['restart', '-t', '1', 'svc']).status, 0);
  assert.match(g(['ps']).stdout, /Up .* svc/);
  assert.notEqual(g(['inspect', '-f', '{{.State.Pid}}', 'svc']).stdout, pid1);
  assert.equal(g(['rm', '-f', 'svc']).status, 0);
});

test('cp into and out of a running and a stopped container, with docker\'s path rules; links in the container stay in it', () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-cp-'));
  try {
    fs.mkdirSync(path.join(host, 'dir', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(host, 'dir', 'sub', 'f'), 'deep\n');
    fs.writeFileSync(path.join(host, 'file'), 'top\n');
    fs.chownSync(path.join(host, 'file'), 1000, 1000);
    assert.equal(g(['run', '-d', '--name', 'cpl', 'busybox', 'sleep', '100']).status, 0);
    // A file into an existing directory, a directory as a new name, a directory's contents.
    assert.equal(g(['cp', path.join(host, 'file'), 'cpl:/tmp']).stderr, 'Successfully copied 4B to cpl:/tmp\n');
    assert.equal(g(['cp', '-q', path.join(host, 'dir'), 'cpl:/tmp/newdir']).status, 0);
    assert.equal(g(['cp', '-q', `${path.join(host, 'dir')}/.`, 'cpl:/home/app']).status, 0);
    const seen = g(['exec', 'cpl', 'sh', '-c', 'cat /tmp/file /tmp/newdir/sub/f /home/app/sub/f; stat -c %u:%g /tmp/file']);
    assert.equal(seen.stdout, 'top\ndeep\ndeep\n0:0\n');
    // -a keeps the owner.
    assert.equal(g(['cp', '-a', '-q', path.join(host, 'file'), 'cpl:/tmp/owned']).status, 0);
    assert.equal(g(['exec', 'cpl', 'stat', '-c', '%u:%g', '/tmp/owned']).stdout, '1000:1000\n');
    // Out: a file to a new name, a directory into an existing one.
    assert.equal(g(['cp', '-q', 'cpl:/etc/passwd', path.join(host, 'passwd')]).status, 0);
    assert.match(fs.readFileSync(path.join(host, 'passwd'), 'utf8'), /^root:x:0:0:/);
    assert.equal(g(['cp', '-q', 'cpl:/tmp/newdir', host]).status, 0);
    assert.equal(fs.readFileSync(path.join(host, 'newdir', 'sub', 'f'), 'utf8'), 'deep\n');
    // The container's own links: an absolute one and one climbing out, both mean the
    // container's paths, never the host's.
    const outside = path.join(host, 'outside');
    fs.mkdirSync(outside);
    assert.equal(g(['exec', 'cpl', 'sh', '-c', `ln -s ${outside} /tmp/esc && ln -s ../../../../../.. /tmp/up`]).status, 0);
    const esc = g(['cp', path.join(host, 'file'), 'cpl:/tmp/esc/x']);
    assert.equal(esc.status, 1);
    assert.match(esc.stderr, /no such directory/);
    assert.equal(g(['cp', '-q', path.join(host, 'file'), 'cpl:/tmp/up/tmp/up/landed']).status, 0);
    assert.equal(g(['exec', 'cpl', 'cat', '/landed']).stdout, 'top\n');
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(g(['cp', '-q', 'cpl:/tmp/up/etc/hostname', path.join(host, 'hn')]).status, 0);
    assert.equal(fs.readFileSync(path.join(host, 'hn'), 'utf8'), g(['exec', 'cpl', 'cat', '/etc/hostname']).stdout);
    // Errors: one line, exit 1.
    for (const [args, msg] of [
      [['cpl:/nope', host], /^gocker: Could not find the file \/nope in container cpl\n$/],
      [[path.join(host, 'dir'), 'cpl:/etc/passwd'], /^gocker: cannot copy a directory to a file: \/etc\/passwd\n$/],
      [[path.join(host, 'file'), path.join(host, 'x')], /^gocker: must specify at least one container source\n$/],
      [['cpl:/etc/passwd', 'cpl:/tmp/x'], /^gocker: copying between containers is not supported\n$/],
    ] as const) {
      const r = g(['cp', ...args]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, msg);
    }
    assert.equal(g(['rm', '-f', 'cpl']).status, 0);
    // A stopped container: its overlay mounted for the copy, unmounted after.
    assert.equal(g(['run', '--name', 'cps', 'busybox', 'sh', '-c', 'echo made > /made']).status, 0);
    assert.equal(g(['cp', '-q', 'cps:/made', path.join(host, 'made')]).status, 0);
    assert.equal(fs.readFileSync(path.join(host, 'made'), 'utf8'), 'made\n');
    assert.equal(g(['cp', '-q', path.join(host, 'file'), 'cps:/etc/']).status, 0);
    assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes('cp-merged'));
    assert.equal(g(['diff', 'cps']).stdout, 'C /etc\nA /etc/file\nA /made\n');
    assert.equal(g(['start', '-a', 'cps']).status, 0);
    assert.equal(g(['rm', 'cps']).status, 0);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('kill -s, names are unique', () => {
  g(['run', '-d', '--name', 'k1', 'busybox', 'sleep', '100']);
  const dup = g(['run', '-d', '--name', 'k1', 'busybox', 'true']);
  assert.equal(dup.status, 125);
  assert.match(dup.stderr, /Conflict. The container name "\/k1" is already in use by container "[0-9a-f]{64}"/);
  assert.equal(g(['kill', '-s', 'KILL', 'k1']).status, 0);
  assert.equal(g(['wait', 'k1']).stdout, '137\n');
  assert.equal(g(['rm', 'k1']).status, 0);
});

test('the CLI killed with -9 during a foreground run: ps shows the truth, rm -f cleans up', async () => {
  const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--name', 'orphan', 'busybox', 'sleep', '100'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !g(['ps', '-q']).stdout; i++) await sleep(50);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.match(g(['ps']).stdout, /Up .*orphan/);
  const id = g(['inspect', '-f', '{{.Id}}', 'orphan']).stdout.trim();
  assert.equal(g(['rm', '-f', 'orphan']).status, 0);
  assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(id));
  for (const c of fs.readdirSync('/sys/fs/cgroup')) assert.ok(!fs.existsSync(path.join('/sys/fs/cgroup', c, 'gocker', id)), c);
});

test('foreground runs are logged too (streams apart, -t as one stream), and go on being logged after the CLI is killed', async () => {
  const r = g(['run', '--name', 'fg', 'busybox', 'sh', '-c', 'echo out; echo err >&2; printf tail']);
  assert.equal(r.stdout, 'out\ntail');
  assert.equal(r.stderr, 'err\n');
  const logs = g(['logs', 'fg']);
  assert.equal(logs.stdout, 'out\ntail');
  assert.equal(logs.stderr, 'err\n');
  const lines = fs.readFileSync(g(['inspect', '-f', '{{.LogPath}}', 'fg']).stdout.trim(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.stream, l.log]).sort(), [['stderr', 'err\n'], ['stdout', 'out\n'], ['stdout', 'tail']]);
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
  assert.equal(g(['rm', 'fg']).status, 0);
  // -t: what the pty carries, through script(1) so the CLI has a terminal.
  const t = execFileSync('script', ['-qec', `${process.execPath} ${BIN} ${roots.args.join(' ')} run -t --name fgt busybox echo on-a-tty`, '/dev/null']).toString();
  assert.match(t, /on-a-tty\r\n/);
  assert.equal(g(['logs', 'fgt']).stdout, 'on-a-tty\r\n');
  assert.equal(g(['rm', 'fgt']).status, 0);
  // The CLI killed: the monitor keeps the log.
  const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--name', 'fgk', 'busybox', 'sh', '-c', 'echo before; sleep 0.6; echo after'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let seen = '';
  child.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
  for (let i = 0; i < 100 && !seen.includes('before'); i++) await sleep(20);
  child.kill('SIGKILL');
  assert.equal(g(['wait', 'fgk']).stdout, '0\n');
  assert.equal(g(['logs', 'fgk']).stdout, 'before\nafter\n');
  assert.equal(g(['rm', 'fgk']).status, 0);
});

test('--rm with -d: the monitor removes the container once it exits; so it does for a foreground --rm whose CLI was killed', async () => {
  const gone = async (id: string): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if (!fs.existsSync(path.join(roots.root, 'containers', id))) return true;
      await sleep(50);
    }
    return false;
  };
  const cgroupsOf = (id: string): string[] => fs.readdirSync('/sys/fs/cgroup').filter((c) => fs.existsSync(path.join('/sys/fs/cgroup', c, 'gocker', id)));
  const id = g(['run', '-d', '--rm', 'busybox', 'sh', '-c', 'sleep 0.3']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(g(['ps']).stdout, new RegExp(id.slice(0, 12)));
  assert.ok(await gone(id), 'removed after exit');
  assert.deepEqual(cgroupsOf(id), []);
  assert.ok(!fs.existsSync(path.join(roots.runroot, 'containers', id)));
  // A -d --rm that fails to start is removed too, and says why.
  const bad = g(['run', '-d', '--rm', 'busybox', 'no-such-command']);
  assert.equal(bad.status, 127);
  assert.equal(g(['ps', '-aq']).stdout, '');

  const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--rm', '--name', 'fgrm', 'busybox', 'sleep', '0.5'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !g(['ps', '-q']).stdout; i++) await sleep(20);
  const fid = g(['inspect', '-f', '{{.Id}}', 'fgrm']).stdout.trim();
  child.kill('SIGKILL');
  assert.ok(await gone(fid), 'removed after its CLI was killed');
  assert.deepEqual(cgroupsOf(fid), []);
});

test('concurrent rm -f and run --rm on one container, and two starts at once: no crash, no leak', async () => {
  const cli = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const c = spawn(process.execPath, [BIN, ...roots.args, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => resolve({ code, err }));
  });
  for (let round = 0; round < 3; round++) {
    const run = cli(['run', '--rm', '--name', 'race', 'busybox', 'sleep', '5']);
    for (let i = 0; i < 100 && !g(['ps', '-q']).stdout; i++) await sleep(20);
    const id = g(['inspect', '-f', '{{.Id}}', 'race']).stdout.trim();
    const [rm1, rm2, r] = await Promise.all([cli(['rm', '-f', 'race']), cli(['rm', '-f', 'race']), run]);
    // One rm removes it; the other finds it gone (or removes nothing): never a stack trace.
    assert.ok([rm1.code, rm2.code].includes(0), `${rm1.err}${rm2.err}`);
    for (const x of [rm1, rm2, r]) assert.doesNotMatch(x.err, /\n\s+at /);
    assert.equal(r.code, 137, r.err);
    assert.ok(!fs.existsSync(path.join(roots.root, 'containers', id)));
    assert.ok(!fs.existsSync(path.join(roots.runroot, 'containers', id)));
    for (const c of fs.readdirSync('/sys/fs/cgroup')) assert.ok(!fs.existsSync(path.join('/sys/fs/cgroup', c, 'gocker', id)), c);
  }
  assert.equal(g(['run', '--name', 'twice', 'busybox', 'sleep', '1']).status, 0);
  const starts = await Promise.all([cli(['start', 'twice']), cli(['start', 'twice']), cli(['start', 'twice'])]);
  assert.deepEqual(starts.map((x) => x.code), [0, 0, 0], starts.map((x) => x.err).join(''));
  const id = g(['inspect', '-f', '{{.Id}}', 'twice']).stdout.trim();
  const monitors = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes('gocker-monitor') && l.includes(id));
  assert.equal(monitors.length, 1, monitors.join('\n'));
  assert.equal(g(['rm', '-f', 'twice']).status, 0);
});

test('the monitor killed: the next command marks the container exited; rm -f works', async () => {
  const id = g(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
  const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
  process.kill(monitor, 'SIGKILL');
  await sleep(200);
  assert.match(g(['ps', '-a']).stdout, /Exited \(255\)/);
  assert.equal(g(['inspect', '-f', '{{.State.Error}}', id.slice(0, 12)]).stdout, 'container monitor exited unexpectedly\n');
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('after a reboot (runroot empty) containers show as exited', () => {
  const id = g(['run', '-d', 'busybox', 'true']).stdout.trim();
  assert.equal(g(['wait', id]).stdout, '0\n');
  fs.rmSync(path.join(roots.runroot, 'containers', id), { recursive: true, force: true });
  assert.match(g(['ps', '-a']).stdout, /Exited \(0\)/);
  assert.equal(g(['rm', id]).status, 0);
});

test('five run -d leave no Node process behind, and each monitor stays under 2 MB', async () => {
  const ids = [1, 2, 3, 4, 5].map(() => g(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim());
  const nodes = execFileSync('ps', ['-eo', 'pid,args']).toString().split('\n').filter((l) => l.includes(BIN) && l.includes(roots.root));
  assert.deepEqual(nodes, []);
  for (const id of ids) {
    const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${monitor}/status`, 'utf8'))![1]);
    assert.ok(rss < 2048, `monitor RSS ${rss} kB`);
  }
  assert.equal(g(['rm', '-f', ...ids]).status, 0);
});
