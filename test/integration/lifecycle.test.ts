// The container lifecycle without a daemon, against real containers and real faults.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerArchive, manyLayerImage, stopSignalImage } from '../helpers/fixtures';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-life-');
const g = (args: string[], input?: string) => gocker([...roots.args, ...args], input === undefined ? {} : { input });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(() => importBusybox(roots.args));

after(async () => {
  removeAllContainers(roots.root, roots.args);
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
  assert.equal(g(['inspect', '-f', '{{json .Config.Cmd}} {{.HostConfig.NetworkMode}}', 'web']).stdout, `${JSON.stringify(['sh', '-c', 'echo out; echo err >&2; trap "echo bye; exit 5" TERM; while true; do sleep 0.1; done'])} bridge\n`);
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
  // -d waits for the start, as docker: what cannot start is the daemon's refusal of it, exit 1.
  const bgMissing = g(['exec', '-d', 'ex', 'nosuch']);
  assert.equal(bgMissing.status, 1);
  assert.match(bgMissing.stderr, /^Error response from daemon: OCI runtime exec failed: .*exec: "nosuch": executable file not found in \$PATH: unknown\n$/);
  assert.equal(g(['exec', '-d', 'ex', '/etc/passwd']).status, 1);
  assert.equal(g(['exec', '-d', 'ex', 'true']).status, 0);
  await sleep(100);
  assert.deepEqual(fs.readdirSync(path.join(roots.runroot, 'containers', id)).filter((f) => f.startsWith('exec-')), []);
  assert.equal(g(['rm', '-f', 'ex']).status, 0);
  const stopped = g(['exec', 'ex', 'true']);
  assert.equal(stopped.status, 1);
});

test('diff lists changes in the order of their paths, names sorting around a directory\'s subtree', () => {
  // '/o/a b/y' < '/o/a-b' < '/o/a.c' < '/o/a/x': ' ', '-' and '.' sort before '/'. diff walks
  // without sorting what it found (it holds none of it): the order must come out all the same.
  const made = g(['run', '--name', 'order', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir -p "/o/a b" /o/a /o/a.c/z; touch "/o/a b/y" /o/a-b /o/a/x /o/a.c/z/w']);
  try {
    assert.equal(made.status, 0, made.stderr);
    assert.equal(g(['diff', 'order']).stdout, ['/o', '/o/a', '/o/a b', '/o/a b/y', '/o/a-b', '/o/a.c', '/o/a.c/z', '/o/a.c/z/w', '/o/a/x'].map((p) => `A ${p}\n`).join(''));
  } finally {
    g(['rm', '-f', 'order']);
  }
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
  assert.match(stats[0], /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  // NET I/O: the bridge's eth0 has seen the neighbour discovery of its address.
  assert.match(stats[1], /svc\s+[\d.]+%\s+[\d.]+(KiB|MiB) \/ 64MiB\s+[\d.]+%\s+[\d.]+k?B \/ [\d.]+k?B\s+[\d.]+k?B \/ [\d.]+k?B\s+[12]$/);
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
    // Errors: one line, exit 1. (The last two are docker's CLI's own, bare there.)
    for (const [args, msg] of [
      [['cpl:/nope', host], /^Error response from daemon: Could not find the file \/nope in container cpl\n$/],
      [[path.join(host, 'dir'), 'cpl:/etc/passwd'], /^Error response from daemon: cannot copy a directory to a file: \/etc\/passwd\n$/],
      [[path.join(host, 'file'), path.join(host, 'x')], /^must specify at least one container source\n$/],
      [['cpl:/etc/passwd', 'cpl:/tmp/x'], /^copying between containers is not supported\n$/],
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
  // A foreground container's running state is saved: StartedAt stays put, and ps counts up.
  const up = spawn(BIN, [...roots.args, 'run', '--name', 'fgup', 'busybox', 'sleep', '3'], { stdio: 'ignore' });
  await sleep(1300);
  const started = g(['inspect', '-f', '{{.State.StartedAt}}', 'fgup']).stdout;
  await sleep(100);
  assert.equal(g(['inspect', '-f', '{{.State.StartedAt}}', 'fgup']).stdout, started);
  assert.match(g(['ps', '-f', 'name=fgup']).stdout, /Up \d+ seconds?\s+fgup/);
  assert.equal(await new Promise((resolve) => up.on('exit', resolve)), 0);
  assert.equal(g(['rm', 'fgup']).status, 0);
  // -t --init: the init hands the terminal to the command (it stopped on SIGTTOU doing so).
  const ti = execFileSync('script', ['-qec', `${process.execPath} ${BIN} ${roots.args.join(' ')} run -t --init --rm busybox sh -c 'echo $$ on-a-tty'`,
    '/dev/null'], { timeout: 20_000 }).toString();
  assert.match(ti, /^2 on-a-tty\r\n/);
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
    for (let i = 0; i < 200; i++) {
      if (!fs.existsSync(path.join(roots.root, 'containers', id))) return true;
      await sleep(50);
    }
    return false;
  };
  const cgroupsOf = (id: string): string[] => fs.readdirSync('/sys/fs/cgroup').filter((c) => fs.existsSync(path.join('/sys/fs/cgroup', c, 'gocker', id)));
  const id = g(['run', '-d', '--rm', 'busybox', 'sh', '-c', 'sleep 1.5']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(g(['ps']).stdout, new RegExp(id.slice(0, 12)));
  assert.ok(await gone(id), 'removed after exit');
  assert.deepEqual(cgroupsOf(id), []);
  assert.ok(!fs.existsSync(path.join(roots.runroot, 'containers', id)));
  // A -d --rm that fails to start is removed too, and says why.
  const bad = g(['run', '-d', '--rm', 'busybox', 'no-such-command']);
  assert.equal(bad.status, 127);
  assert.equal(g(['ps', '-aq']).stdout, '');

  const child = spawn(process.execPath, [BIN, ...roots.args, 'run', '--rm', '--name', 'fgrm', 'busybox', 'sleep', '3'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !g(['ps', '-q']).stdout; i++) await sleep(20);
  const fid = g(['inspect', '-f', '{{.Id}}', 'fgrm']).stdout.trim();
  assert.match(fid, /^[0-9a-f]{64}$/);
  assert.equal(child.exitCode, null, 'the CLI is still there to be killed');
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

test('after a reboot (runroot empty, monitor and container gone) containers show as exited and start again', async () => {
  const id = g(['run', '-d', '--name', 'rb', 'busybox', 'sleep', '100']).stdout.trim();
  const pid = Number(g(['inspect', '-f', '{{.State.Pid}}', 'rb']).stdout);
  const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
  // What a reboot does to them: both gone, and the runroot (a tmpfs) empty.
  for (const p of [monitor, pid]) process.kill(p, 'SIGKILL');
  for (let i = 0; i < 100 && [monitor, pid].some((p) => fs.existsSync(`/proc/${p}`)); i++) await sleep(20);
  fs.rmSync(roots.runroot, { recursive: true, force: true });
  assert.match(g(['ps', '-a', '-f', 'name=rb']).stdout, /Exited \(\d+\) .* ago\s+rb\n$/);
  assert.equal(g(['inspect', '-f', '{{.State.Running}} {{.State.Pid}}', 'rb']).stdout, 'false 0\n');
  const started = g(['start', 'rb']);
  assert.equal(started.status, 0, started.stderr);
  assert.match(g(['ps', '-f', 'name=rb']).stdout, /Up .*\s+rb\n$/);
  const again = Number(g(['inspect', '-f', '{{.State.Pid}}', 'rb']).stdout);
  assert.ok(again > 0 && again !== pid && fs.existsSync(`/proc/${again}`));
  assert.equal(g(['rm', '-f', 'rb']).status, 0);
  assert.ok(!fs.existsSync(`/proc/${again}`));
});

test('a --rm container whose monitor went without an exit (a reboot) is removed by the next ps, as dockerd does when it restarts; a held lock defers it', async () => {
  const id = g(['run', '-d', '--rm', '--name', 'rbrm', 'busybox', 'sleep', '100']).stdout.trim();
  const pid = Number(g(['inspect', '-f', '{{.State.Pid}}', 'rbrm']).stdout);
  const run = path.join(roots.runroot, 'containers', id);
  const monitor = Number(fs.readFileSync(path.join(run, 'monitor.pid'), 'utf8'));
  const cgroupDirs = cgroupProcs(id);
  assert.ok(cgroupDirs.size > 0, `cgroups of ${id} found`);
  for (const p of [monitor, pid]) process.kill(p, 'SIGKILL');
  for (let i = 0; i < 100 && [monitor, pid].some((p) => fs.existsSync(`/proc/${p}`)); i++) await sleep(20);
  fs.rmSync(run, { recursive: true, force: true }); // the runroot is a tmpfs
  // Someone holds its lock (a CLI that will remove it itself): listed, not touched.
  const { tryExclusiveLock } = await import('../../lib/store/atomic');
  const release = tryExclusiveLock(path.join(roots.runroot, 'locks', `container-${id}.lock`));
  assert.ok(release, 'the lock was free');
  try {
    assert.match(g(['ps', '-a', '-f', 'name=rbrm']).stdout, /Exited \(255\) .* ago\s+rbrm\n$/);
  } finally {
    release();
  }
  const ps = g(['ps', '-a', '-f', 'name=rbrm']);
  assert.equal(ps.status, 0, ps.stderr);
  assert.equal(ps.stdout.split('\n').filter(Boolean).length, 1, ps.stdout); // the header alone
  assert.ok(!fs.existsSync(path.join(roots.root, 'containers', id)), 'the container\'s directory is gone');
  assert.deepEqual([...cgroupProcs(id).keys()], [], 'its cgroups are gone');
  assert.equal(g(['inspect', 'rbrm']).status, 1);
  // Its name is free again.
  assert.equal(g(['run', '--rm', '--name', 'rbrm', 'busybox', 'true']).status, 0);
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

/** Runs the CLI without blocking, for commands that go on while the test acts. */
function gAsync(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> } {
  const t0 = Date.now();
  const c = spawn(process.execPath, [BIN, ...roots.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((resolve) => c.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }))) };
}

/** The host pids in every hierarchy's cgroup.procs of a container. */
function cgroupProcs(id: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const c of fs.readdirSync('/sys/fs/cgroup')) {
    const f = path.join('/sys/fs/cgroup', c, 'gocker', id, 'cgroup.procs');
    if (fs.existsSync(f)) out.set(c, fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number));
  }
  return out;
}

test('export of a container on a 60-layer image: the layers mounted by their short links', async () => {
  const fx = await manyLayerImage(60);
  const t = path.join(os.tmpdir(), `gocker-life-many-${process.pid}.tar`);
  const out = path.join(os.tmpdir(), `gocker-life-many-export-${process.pid}.tar`);
  try {
    execFileSync('tar', ['-cf', t, '-C', fx.layout, '.']);
    assert.equal(g(['load', '-i', t]).status, 0);
    assert.equal(g(['run', '--name', 'many', 'localhost/oci-image', 'sh', '-c', 'echo mine > /layers/mine; rm /layers/2']).status, 0);
    // The full layer paths would not fit the kernel's page of mount options.
    assert.ok(g(['inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', 'many']).stdout.length > 4096);
    const r = g(['export', '-o', out, 'many']);
    assert.equal(r.status, 0, r.stderr);
    const names = execFileSync('tar', ['-tf', out], { maxBuffer: 64 << 20 }).toString().split('\n');
    assert.ok(names.includes('layers/60') && names.includes('layers/mine') && names.includes('bin/busybox'));
    assert.ok(!names.includes('layers/2'));
    assert.equal(execFileSync('tar', ['-xOf', out, 'layers/60']).toString(), '60\n');
    assert.equal(g(['diff', 'many']).stdout, 'C /layers\nD /layers/2\nA /layers/mine\n');
    assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(roots.runroot));
    assert.equal(g(['rm', 'many']).status, 0);
    assert.equal(g(['rmi', 'localhost/oci-image']).status, 0);
  } finally {
    fs.rmSync(t, { force: true });
    fs.rmSync(out, { force: true });
  }
});

test('logs -f follows until the exit, each line once, streams apart; -t, --tail, --since, --until', async () => {
  g(['run', '-d', '--name', 'lf', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; sleep 0.2; done']);
  const f = await gAsync(['logs', '-f', 'lf']).done;
  assert.equal(f.code, 0, f.stderr);
  assert.equal(f.stdout, 'out1\nout2\nout3\nout4\nout5\n');
  assert.equal(f.stderr, 'err1\nerr2\nerr3\nerr4\nerr5\n');
  assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'lf']).stdout, 'false\n', 'returned only once the container exited');

  // A fast writer while logs -f starts: every line exactly once, in order, none torn.
  g(['run', '-d', '--name', 'lfast', 'busybox', 'sh', '-c', 'seq 1 60000; sleep 0.3; echo end']);
  const fast = await gAsync(['logs', '-f', 'lfast']).done;
  assert.equal(fast.code, 0, fast.stderr.slice(0, 500));
  const want = `${Array.from({ length: 60000 }, (_, i) => i + 1).join('\n')}\nend\n`;
  assert.ok(fast.stdout === want, `${fast.stdout.split('\n').length - 1} lines instead of 60001`);

  const stamped = g(['logs', '-t', 'lf']).stdout.split('\n').filter(Boolean);
  assert.equal(stamped.length, 5);
  for (const [i, l] of stamped.entries()) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z out${i + 1}$`));
  // --tail counts the lines of both streams together, as docker's.
  const tail2 = g(['logs', '--tail', '2', 'lf']);
  assert.deepEqual([tail2.stdout, tail2.stderr], ['out5\n', 'err5\n']);
  assert.equal(g(['logs', '-n', '0', 'lf']).stdout, '');
  assert.equal(g(['logs', '--tail', 'all', 'lf']).stdout, 'out1\nout2\nout3\nout4\nout5\n');
  assert.equal(g(['logs', '--details', '--tail', '1', 'lf']).stderr, ' err5\n');
  // Between out2 and out3 (0.2 s apart): --since keeps what came after, --until what came before.
  const t2 = Date.parse(stamped[1].split(' ')[0]);
  const t3 = Date.parse(stamped[2].split(' ')[0]);
  const mid = new Date((t2 + t3) / 2).toISOString();
  assert.equal(g(['logs', '--since', mid, 'lf']).stdout, 'out3\nout4\nout5\n');
  assert.equal(g(['logs', '--until', mid, 'lf']).stdout, 'out1\nout2\n');
  assert.equal(g(['logs', '--since', String((t2 + t3) / 2000), '--tail', '3', 'lf']).stdout, 'out5\n');
  assert.equal(g(['logs', '--since', '1h', 'lf']).stderr, 'err1\nerr2\nerr3\nerr4\nerr5\n');
  const bad = g(['logs', '--since', 'yesterday-ish', 'lf']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^Error response from daemon: invalid value for "since"/);
  // Removed while followed: the follow ends, without an error.
  const lrm = g(['run', '-d', '--name', 'lrm', 'busybox', 'sh', '-c', 'echo up; while true; do sleep 0.1; done']).stdout.trim();
  const following = gAsync(['logs', '-f', 'lrm']).done;
  await sleep(1000);
  assert.equal(g(['rm', '-f', 'lrm']).status, 0);
  const ended = await following;
  assert.deepEqual([ended.code, ended.stdout, ended.stderr], [0, 'up\n', '']);
  assert.ok(!fs.existsSync(path.join(roots.root, 'containers', lrm)), 'the follow did not write the record back');
  assert.equal(g(['rm', 'lf', 'lfast']).status, 0);
});

test('ps: -a, -q, --no-trunc, -f status= / name= / id=, STATUS texts', async () => {
  const up = g(['run', '-d', '--name', 'psup', 'busybox', 'sleep', '100']).stdout.trim();
  const ex = g(['run', '-d', '--name', 'psex', 'busybox', 'sh', '-c', 'exit 3']).stdout.trim();
  assert.equal(g(['wait', 'psex']).stdout, '3\n');
  await sleep(1100);
  const running = g(['ps', '-f', 'name=ps']).stdout.split('\n');
  assert.equal(running.length, 3, running.join('\n'));
  assert.match(running[1], new RegExp(`^${up.slice(0, 12)}\\s+busybox\\s+"sleep 100"\\s+\\d+ seconds? ago\\s+Up \\d+ seconds?\\s+psup$`));
  assert.equal(g(['ps', '-q', '-f', 'name=ps']).stdout, `${up.slice(0, 12)}\n`);
  assert.equal(g(['ps', '-aq', '-f', 'name=ps']).stdout, `${ex.slice(0, 12)}\n${up.slice(0, 12)}\n`, 'newest first');
  assert.equal(g(['ps', '-aq', '--no-trunc', '-f', 'name=ps']).stdout, `${ex}\n${up}\n`);
  assert.match(g(['ps', '-a', '-f', 'status=exited', '-f', 'name=ps']).stdout, new RegExp(`\\n${ex.slice(0, 12)} .*"sh -c exit 3"\\s+.* ago\\s+Exited \\(3\\) \\d+ seconds? ago\\s+psex\\n$`));
  assert.equal(g(['ps', '-q', '-f', 'status=exited', '-f', 'name=ps']).stdout, `${ex.slice(0, 12)}\n`, 'a status filter implies -a');
  assert.equal(g(['ps', '-aq', '-f', 'status=running', '-f', 'name=ps']).stdout, `${up.slice(0, 12)}\n`);
  assert.equal(g(['ps', '-aq', '-f', 'name=psex']).stdout, `${ex.slice(0, 12)}\n`);
  assert.equal(g(['ps', '-aq', '-f', `id=${up.slice(0, 8)}`]).stdout, `${up.slice(0, 12)}\n`);
  assert.equal(g(['ps', '-aq', '-f', 'name=nothing-like-it']).stdout, '');
  const long = g(['run', '-d', '--name', 'pslong', 'busybox', 'sh', '-c', 'sleep 100 # a command longer than twenty']).stdout.trim();
  assert.match(g(['ps', '-f', 'name=pslong']).stdout, /"sh -c sleep 100 # a…"/);
  assert.match(g(['ps', '--no-trunc', '-f', 'name=pslong']).stdout, new RegExp(`^${long} .*"sh -c sleep 100 # a command longer than twenty"`, 'm'));
  // docker's words: the key alone when it is not one, key=value for a status it does not know.
  for (const [f, said] of [['colour=blue', 'colour'], ['status=sleepy', 'status=sleepy']]) {
    const bad = g(['ps', '-f', f]);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, `Error response from daemon: invalid filter '${said}'\n`);
  }
  assert.equal(g(['rm', '-f', 'psup', 'psex', 'pslong']).status, 0);
});

test('exec: -i, -t, 126, -u name, -w, the container\'s --ulimit, and its cgroup', async () => {
  const id = g(['run', '-d', '--name', 'ex2', '--ulimit', 'nofile=321:654', 'busybox', 'sleep', '100']).stdout.trim();
  assert.equal(g(['exec', '-i', 'ex2', 'sh', '-c', 'tr a-z A-Z'], 'piped in\n').stdout, 'PIPED IN\n');
  assert.equal(g(['exec', 'ex2', 'cat'], 'not without -i\n').stdout, '');
  const cli = `${process.execPath} ${BIN} ${roots.args.join(' ')}`;
  const tty = spawnSync('script', ['-qec', `${cli} exec -t ex2 sh -c 'tty; echo $TERM; exit 4'`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(tty.stdout.replace(/\r/g, ''), /^\/dev\/pts\/\d+\nxterm\n$/);
  assert.equal(tty.status, 4);
  const noexec = g(['exec', 'ex2', '/etc/passwd']);
  assert.equal(noexec.status, 126);
  assert.match(noexec.stderr, /permission denied/);
  assert.equal(g(['exec', '-u', 'app', 'ex2', 'sh', '-c', 'id -un; id -u; id -G']).stdout, 'app\n1000\n1000 10 29\n');
  assert.equal(g(['exec', '-w', '/var/log', 'ex2', 'pwd']).stdout, '/var/log\n');
  assert.equal(g(['exec', 'ex2', 'sh', '-c', 'ulimit -n; ulimit -Hn']).stdout, '321\n654\n');
  // In the container's cgroups, seen through its cgroup namespace as its PID 1 sees its own.
  const mine = g(['exec', 'ex2', 'cat', '/proc/self/cgroup']).stdout;
  assert.equal(mine, g(['exec', 'ex2', 'cat', '/proc/1/cgroup']).stdout);
  for (const line of mine.trim().split('\n')) {
    if (!line.startsWith('0::') && !/:(hugetlb|misc|rdma|net_cls|net_prio|perf_event|blkio|devices|freezer)/.test(line)) assert.match(line, /:\/$/, line);
  }
  // From the host: the exec'd process is listed in each of the container's cgroup.procs.
  assert.equal(g(['exec', '-d', 'ex2', 'sleep', '37']).status, 0);
  let sleeper = 0;
  for (let i = 0; i < 100 && !sleeper; i++) {
    await sleep(20);
    sleeper = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).find((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x0037\x00' && fs.readlinkSync(`/proc/${p}/ns/pid`) === fs.readlinkSync(`/proc/${g(['inspect', '-f', '{{.State.Pid}}', 'ex2']).stdout.trim()}/ns/pid`);
      } catch {
        return false;
      }
    }) ?? 0;
  }
  assert.ok(sleeper > 0, 'the exec -d process on the host');
  const procs = cgroupProcs(id);
  assert.ok(procs.has('memory') && procs.has('pids'), [...procs.keys()].join(','));
  for (const [c, pids] of procs) assert.ok(pids.includes(sleeper), `${sleeper} in ${c}/cgroup.procs`);
  assert.equal(g(['rm', '-f', 'ex2']).status, 0);
});

test('exec: a SIGINT to the CLI\'s whole process group (a terminal\'s ^C) arrives once', async () => {
  assert.equal(g(['run', '-d', '--name', 'ex3', 'busybox', 'sleep', '100']).status, 0);
  // The CLI leads its own process group, as a shell's job would.
  const child = spawn(process.execPath, [BIN, ...roots.args, 'exec', 'ex3', 'sh', '-c',
    'n=0; trap "n=\\$((n+1)); echo INT \\$n" INT; trap "echo total \\$n; exit 0" TERM; echo ready; while :; do :; done'],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 400 && !out.includes('ready'); i++) await sleep(25);
  assert.ok(out.includes('ready'), out);
  process.kill(-child.pid!, 'SIGINT');
  await sleep(1000);
  child.kill('SIGTERM');
  assert.equal(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))), 0);
  assert.equal(out, 'ready\nINT 1\ntotal 1\n');
  assert.equal(g(['rm', '-f', 'ex3']).status, 0);
});

test('an image\'s StopSignal that does not parse: stop sends nothing and kills after 2 s, restart too, kill -s refused, as dockerd; commit -c refuses one', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-stopsig-'));
  try {
    assert.equal(g(['load', '-i', dockerArchive(await stopSignalImage('SIGBOGUS'), path.join(work, 'img.tar'), 'bogussig:1')]).status, 0);
    const body = 'trap "echo got-term; exit 8" TERM; while true; do sleep 0.1; done';
    g(['run', '-d', '--network', 'none', '--name', 'bogus', 'bogussig:1', 'sh', '-c', body]);
    assert.equal(g(['inspect', '-f', '{{.Config.StopSignal}}', 'bogus']).stdout, 'SIGBOGUS\n');
    await sleep(300);
    // dockerd's kill parses the container's stop signal again for any signal but SIGKILL.
    const k = g(['kill', '-s', 'TERM', 'bogus']);
    assert.equal(k.status, 1);
    assert.match(k.stderr, /cannot kill container: bogus: Invalid signal: SIGBOGUS/);
    assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'bogus']).stdout, 'true\n');
    // stop: no SIGTERM (the trap would say so), 2 s, then SIGKILL, even with -t 30.
    let t0 = Date.now();
    assert.equal(g(['stop', '-t', '30', 'bogus']).stdout, 'bogus\n');
    let took = Date.now() - t0;
    assert.ok(took >= 2000 && took < 8000, `stop took ${took} ms`);
    assert.equal(g(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', 'bogus']).stdout, 'false 137\n');
    assert.equal(g(['logs', 'bogus']).stdout, '');
    t0 = Date.now();
    assert.equal(g(['restart', 'bogus']).status, 0);
    took = Date.now() - t0;
    assert.ok(took < 8000, `restart of an exited container took ${took} ms`);
    await sleep(300);
    t0 = Date.now();
    assert.equal(g(['restart', 'bogus']).status, 0);
    took = Date.now() - t0;
    assert.ok(took >= 2000 && took < 10000, `restart took ${took} ms`);
    assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'bogus']).stdout, 'true\n');
    // kill (SIGKILL) is always sent.
    assert.equal(g(['kill', 'bogus']).status, 0);
    assert.equal(g(['wait', 'bogus']).stdout, '137\n');
    // docker's builder refuses the change: no image is made.
    const c = g(['commit', '-c', 'STOPSIGNAL SIGBOGUS', 'bogus', 'bogus-commit']);
    assert.equal(c.status, 1);
    assert.match(c.stderr, /Invalid signal: SIGBOGUS/);
    assert.equal(g(['images', '-q', 'bogus-commit']).stdout, '');
  } finally {
    g(['rm', '-f', 'bogus']);
    g(['rmi', 'bogussig:1']);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('stop: the image\'s StopSignal, then SIGKILL after -t; restart -t; kill -s by name and number, a bad one', async () => {
  assert.equal(g(['run', '--name', 'sigbase', 'busybox', 'true']).status, 0);
  assert.match(g(['commit', '-c', 'STOPSIGNAL SIGUSR1', 'sigbase', 'usr1img']).stdout, /^sha256:/);
  g(['run', '-d', '--name', 'usr1', 'usr1img', 'sh', '-c', 'trap "echo got-usr1; exit 7" USR1; trap "echo got-term; exit 8" TERM; while true; do sleep 0.1; done']);
  assert.equal(g(['inspect', '-f', '{{.Config.StopSignal}}', 'usr1']).stdout, 'SIGUSR1\n');
  await sleep(200);
  assert.equal(g(['stop', 'usr1']).stdout, 'usr1\n');
  assert.equal(g(['wait', 'usr1']).stdout, '7\n');
  assert.equal(g(['logs', 'usr1']).stdout, 'got-usr1\n');

  // TERM ignored: SIGKILL once the grace period is over, and not later.
  g(['run', '-d', '--name', 'deaf', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
  await sleep(200);
  let t0 = Date.now();
  assert.equal(g(['stop', '-t', '1', 'deaf']).status, 0);
  let took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 4000, `stop -t 1 took ${took} ms`);
  assert.equal(g(['inspect', '-f', '{{.State.ExitCode}} {{.State.Status}}', 'deaf']).stdout, '137 exited\n');
  assert.equal(g(['start', 'deaf']).status, 0);
  const pid = g(['inspect', '-f', '{{.State.Pid}}', 'deaf']).stdout;
  t0 = Date.now();
  // docker's deprecated --time: still read, and said to be (on stdout, as docker's cobra does).
  assert.equal(g(['restart', '--time', '1', 'deaf']).stdout, 'Flag --time has been deprecated, use --timeout instead\ndeaf\n');
  took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 5000, `restart -t 1 took ${took} ms`);
  assert.match(g(['ps', '-f', 'name=deaf']).stdout, /Up .*deaf\n$/);
  assert.notEqual(g(['inspect', '-f', '{{.State.Pid}}', 'deaf']).stdout, pid);
  // stop -s overrides the StopSignal.
  g(['run', '-d', '--name', 'usr1b', 'usr1img', 'sh', '-c', 'trap "exit 7" USR1; trap "exit 8" TERM; while true; do sleep 0.1; done']);
  await sleep(200);
  assert.equal(g(['stop', '-s', 'TERM', 'usr1b']).status, 0);
  assert.equal(g(['wait', 'usr1b']).stdout, '8\n');

  g(['run', '-d', '--name', 'ks', 'busybox', 'sh', '-c', 'trap "echo usr1" USR1; trap "echo usr2" USR2; trap "echo rt3" 37; while true; do sleep 0.1; done']);
  await sleep(200);
  assert.equal(g(['kill', '-s', 'USR1', 'ks']).stdout, 'ks\n');
  await sleep(300);
  assert.equal(g(['kill', '-s', '12', 'ks']).status, 0);
  await sleep(300);
  assert.equal(g(['kill', '--signal', 'SIGUSR1', 'ks']).status, 0);
  await sleep(300);
  assert.equal(g(['kill', '-s', 'RTMIN+3', 'ks']).status, 0);
  await sleep(300);
  assert.equal(g(['logs', 'ks']).stdout, 'usr1\nusr2\nusr1\nrt3\n');
  for (const badSig of ['BOGUS', '0', '99']) {
    const bad = g(['kill', '-s', badSig, 'ks']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, `Error response from daemon: Invalid signal: ${badSig}\n`);
  }
  assert.match(g(['ps', '-f', 'name=ks']).stdout, /Up .*ks\n$/);
  assert.equal(g(['kill', 'ks']).status, 0);
  assert.equal(g(['wait', 'ks']).stdout, '137\n');
  const notRunning = g(['kill', 'ks']);
  assert.equal(notRunning.status, 1);
  assert.match(notRunning.stderr, /^Error response from daemon: cannot kill container: ks: container [0-9a-f]{64} is not running\n$/);
  assert.equal(g(['rm', '-f', 'sigbase', 'usr1', 'deaf', 'usr1b', 'ks']).status, 0);
  assert.equal(g(['rmi', 'usr1img']).status, 0);
});

test('inspect: docker\'s shape with the values the flags set; -f with json, index, len; several; images', () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-life-bind-'));
  try {
    const id = g(['run', '-d', '--name', 'shape', '--hostname', 'shapely', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'app', '--memory', '64m',
      '--cpus', '0.5', '--pids-limit', '20', '-v', `${host}:/mnt:ro`, '--entrypoint', 'sh', 'busybox', '-c', 'sleep 100']).stdout.trim();
    const [c] = JSON.parse(g(['inspect', 'shape']).stdout);
    assert.equal(c.Id, id);
    assert.equal(c.Name, '/shape');
    assert.ok(Math.abs(Date.parse(c.Created) - Date.now()) < 60_000);
    assert.equal(c.Path, 'sh');
    assert.deepEqual(c.Args, ['-c', 'sleep 100']);
    assert.equal(c.State.Status, 'running');
    assert.equal(c.State.Running, true);
    assert.equal(c.State.Paused, false);
    assert.ok(c.State.Pid > 1 && fs.existsSync(`/proc/${c.State.Pid}`));
    assert.equal(c.State.ExitCode, 0);
    assert.equal(c.State.OOMKilled, false);
    assert.ok(Math.abs(Date.parse(c.State.StartedAt) - Date.now()) < 60_000);
    assert.equal(c.State.FinishedAt, '0001-01-01T00:00:00Z');
    assert.equal(c.Config.Hostname, 'shapely');
    // The image's and the flags' alone: docker adds PATH, HOSTNAME and HOME to the process only.
    assert.deepEqual(c.Config.Env, ['FOO=bar']);
    assert.deepEqual(c.Config.Cmd, ['-c', 'sleep 100']);
    assert.deepEqual(c.Config.Entrypoint, ['sh']);
    assert.equal(c.Config.Image, 'busybox');
    assert.equal(c.Config.WorkingDir, '/tmp');
    assert.equal(c.Config.User, 'app');
    assert.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(c.HostConfig.NanoCpus, 500_000_000);
    assert.equal(c.HostConfig.PidsLimit, 20);
    assert.deepEqual(c.HostConfig.Binds, [`${host}:/mnt:ro`]);
    assert.deepEqual(c.Mounts, [{ Type: 'bind', Source: host, Destination: '/mnt', Mode: 'ro', RW: false, Propagation: 'rprivate' }]);
    assert.equal(typeof c.NetworkSettings, 'object');
    // On the default bridge, as docker: its address, also at the top.
    assert.match(c.NetworkSettings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(c.NetworkSettings.Networks.bridge.IPAddress, c.NetworkSettings.IPAddress);
    assert.equal(c.HostConfig.NetworkMode, 'bridge');
    assert.equal(c.GraphDriver.Name, 'overlay2');
    const d = c.GraphDriver.Data;
    assert.equal(d.UpperDir, path.join(roots.root, 'containers', id, 'upper'));
    assert.equal(d.WorkDir, path.join(roots.root, 'containers', id, 'work'));
    assert.equal(d.MergedDir, path.join(roots.runroot, 'containers', id, 'merged'));
    assert.ok(d.LowerDir.split(':').length >= 1 && d.LowerDir.split(':').every((l: string) => fs.statSync(path.join(l, 'bin')).isDirectory()));
    // What the container sees agrees.
    assert.equal(g(['exec', 'shape', 'sh', '-c', 'hostname; pwd; id -un; echo $FOO; cat /sys/fs/cgroup/pids/pids.max']).stdout, 'shapely\n/tmp\napp\nbar\n20\n');

    assert.deepEqual(JSON.parse(g(['inspect', '-f', '{{json .Config}}', 'shape']).stdout), c.Config);
    assert.equal(g(['inspect', '-f', '{{.State.Pid}}', 'shape']).stdout, `${c.State.Pid}\n`);
    assert.equal(g(['inspect', '-f', '{{index .Config.Entrypoint 0}} {{len .Mounts}} {{(index .Mounts 0).Destination}}', 'shape']).stdout, 'sh 1 /mnt\n');
    assert.equal(g(['inspect', '-f', '{{.Config.Cmd | json}} {{(index .NetworkSettings.Networks "bridge").Gateway}}', 'shape']).stdout, `["-c","sleep 100"] ${c.NetworkSettings.Gateway}\n`);
    const oob = g(['inspect', '-f', '{{index .Config.Cmd 5}}', 'shape']);
    assert.equal(oob.status, 1);
    assert.match(oob.stderr, /error calling index: index out of range: 5/);
    assert.match(g(['inspect', '-f', '{{nosuch .Id}}', 'shape']).stderr, /function "nosuch" not defined/);

    g(['run', '--name', 'shape2', 'busybox', 'sh', '-c', 'exit 2']);
    const two = JSON.parse(g(['inspect', 'shape', 'shape2']).stdout);
    assert.deepEqual(two.map((x: { Name: string }) => x.Name), ['/shape', '/shape2']);
    assert.equal(two[1].State.ExitCode, 2);
    assert.equal(g(['inspect', '-f', '{{.Name}} {{.State.Status}}', 'shape', 'shape2']).stdout, '/shape running\n/shape2 exited\n');
    // docker inspect falls back to images; a name that is neither is an error, the others still print.
    const img = JSON.parse(g(['inspect', 'busybox']).stdout);
    assert.deepEqual(img[0].RepoTags, ['busybox:latest']);
    assert.match(img[0].Id, /^sha256:/);
    const mixed = g(['inspect', '-f', '{{.Name}}', 'shape', 'nosuch']);
    assert.equal(mixed.status, 1);
    assert.equal(mixed.stdout, '/shape\n');
    assert.equal(mixed.stderr, 'Error: No such object: nosuch\n');
    assert.equal(g(['inspect', '--type', 'container', 'busybox']).stderr, 'Error response from daemon: No such container: busybox\n');
    assert.equal(g(['rm', '-f', 'shape', 'shape2']).status, 0);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('commit: whiteouts in the OCI form in the layer blob; -c CMD, ENV, WORKDIR, STOPSIGNAL; a running container', async () => {
  assert.equal(g(['run', '--name', 'wh', 'busybox', 'sh', '-c', 'rm /etc/group; rm -rf /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only']).status, 0);
  const imgId = g(['commit', '-c', 'CMD ["sh", "-c", "pwd; echo $GREETING; ls /usr/sbin"]', '-c', 'ENV GREETING=hi', '-c', 'WORKDIR /srv',
    '-c', 'STOPSIGNAL SIGUSR2', 'wh', 'whimg']).stdout.trim();
  const [img] = JSON.parse(g(['image', 'inspect', 'whimg']).stdout);
  assert.equal(img.Id, imgId);
  const blob = path.join(roots.root, 'blobs', 'sha256', (img.RootFS.Layers.at(-1) as string).replace('sha256:', ''));
  const listing = execFileSync('tar', ['-tvf', blob]).toString();
  const names = listing.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(5).join(' '));
  assert.ok(names.includes('etc/.wh.group'), listing);
  assert.ok(names.includes('usr/sbin/.wh..wh..opq'), listing);
  assert.ok(names.includes('usr/sbin/only'), listing);
  assert.deepEqual(names.filter((n) => n.split('/').pop()!.startsWith('.wh.')), ['etc/.wh.group', 'usr/sbin/.wh..wh..opq']);
  assert.match(listing, /^-[^\n]* 0 [^\n]* etc\/\.wh\.group$/m, 'a whiteout is an empty regular file, not a device');
  assert.equal(img.Config.StopSignal, 'SIGUSR2');
  assert.equal(img.Config.WorkingDir, '/srv');
  assert.ok(img.Config.Env.includes('GREETING=hi'));
  assert.equal(g(['run', '--rm', 'whimg']).stdout, '/srv\nhi\nonly\n');
  assert.equal(g(['run', '--rm', 'whimg', 'sh', '-c', 'test -e /etc/group || echo no-group']).stdout, 'no-group\n');

  // A running container: committed as it is (gocker does not pause it, unlike docker's default).
  g(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /live; exec sleep 100']);
  await sleep(300);
  assert.match(g(['commit', 'live', 'liveimg']).stdout, /^sha256:/);
  assert.match(g(['ps', '-f', 'name=live']).stdout, /Up .*live\n$/);
  assert.equal(g(['run', '--rm', 'liveimg', 'cat', '/live']).stdout, 'live\n');
  assert.equal(g(['rm', '-f', 'wh', 'live']).status, 0);
  assert.equal(g(['rmi', 'whimg', 'liveimg']).status, 0);
});

test('rm of several with one unknown: the others go, exit 1; wait on several; stats --no-stream', async () => {
  g(['run', '--name', 'rm1', 'busybox', 'true']);
  g(['run', '--name', 'rm2', 'busybox', 'true']);
  const r = g(['rm', 'rm1', 'nosuch', 'rm2']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, 'rm1\nrm2\n');
  assert.equal(r.stderr, 'Error response from daemon: No such container: nosuch\n');
  assert.equal(g(['ps', '-aq', '-f', 'name=rm']).stdout, '');

  g(['run', '-d', '--name', 'w1', 'busybox', 'sh', '-c', 'sleep 0.5; exit 3']);
  g(['run', '-d', '--name', 'w2', 'busybox', 'sh', '-c', 'exit 4']);
  const w = await gAsync(['wait', 'w1', 'nosuch', 'w2']).done;
  assert.equal(w.stdout, '3\n4\n');
  assert.equal(w.stderr, 'Error response from daemon: No such container: nosuch\n');
  assert.equal(w.code, 1);

  g(['run', '-d', '--name', 's1', '--memory', '32m', 'busybox', 'sh', '-c', 'sleep 100 & sleep 100 & wait']);
  g(['run', '-d', '--name', 's2', 'busybox', 'sleep', '100']);
  await sleep(300);
  const stats = g(['stats', '--no-stream', 's1', 's2']).stdout.split('\n').filter(Boolean);
  // docker's columns and units: binary sizes to 4 digits for memory, decimal to 3 for I/O.
  assert.match(stats[0], /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.equal(stats.length, 3);
  const row = (name: string): string => stats.find((l) => new RegExp(`\\s${name}\\s`).test(l)) ?? '';
  const io = '\\d+(\\.\\d+)?(B|kB|MB) \\/ \\d+(\\.\\d+)?(B|kB|MB)';
  assert.match(row('s1'), new RegExp(`^[0-9a-f]{12}\\s+s1\\s+\\d+\\.\\d\\d%\\s+[\\d.]+(KiB|MiB) \\/ 32MiB\\s+\\d+\\.\\d\\d%\\s+${io}\\s+${io}\\s+3$`));
  assert.match(row('s2'), new RegExp(`^[0-9a-f]{12}\\s+s2\\s+\\d+\\.\\d\\d%\\s+[\\d.]+(KiB|MiB) \\/ [\\d.]+GiB\\s+\\d+\\.\\d\\d%\\s+${io}\\s+${io}\\s+1$`));
  assert.match(g(['stats', '--no-stream', '--no-trunc', 's2']).stdout, new RegExp(`^${g(['inspect', '-f', '{{.Id}}', 's2']).stdout.trim()}\\s+s2\\s`, 'm'));
  assert.equal(g(['rm', '-f', 'w1', 'w2', 's1', 's2']).status, 0);
});

test('a record cut short (a crash while a --rm container ran: its record is not fsynced) is skipped with a warning', () => {
  const started = g(['run', '-d', '--name', 'whole', 'busybox', 'sleep', '30']);
  assert.equal(started.status, 0, started.stderr);
  const torn = path.join(roots.root, 'containers', 'f'.repeat(64));
  fs.mkdirSync(torn, { recursive: true });
  try {
    fs.writeFileSync(path.join(torn, 'config.v2.json'), '');
    const r = g(['ps', '-aq', '--no-trunc']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, started.stdout);
    assert.match(r.stderr, /level=warning msg="skipping a container whose record cannot be read" file=.*ffff\/config\.v2\.json/);
  } finally {
    fs.rmSync(torn, { recursive: true, force: true });
    g(['rm', '-f', 'whole']);
  }
});

test('run -d of a command that is over at once: the CLI ends cleanly whether its monitor is gone first or not', () => {
  // The monitor's exit can land while the CLI is already ending: its watch must not call into
  // an environment that is going away (this aborted the process once).
  const ids: string[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const r = g(['run', '-d', 'busybox', 'true']);
      if (/^[0-9a-f]{64}\n$/.test(r.stdout)) ids.push(r.stdout.trim());
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
    }
  } finally {
    if (ids.length) g(['rm', '-f', ...ids]);
  }
});

test('a flag that takes one value, given twice, keeps the last (as docker\'s flag parser); list flags keep every value', () => {
  try {
    const id = g(['run', '-d', '--name', 'twice', '--hostname', 'first', '--hostname', 'second', '-e', 'A=1', '-e', 'B=2', 'busybox',
      'sh', '-c', 'echo one; echo two; echo three; sleep 100']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    // yargs made an array of these, which crashed the template ("tpl.replace is not a function").
    const f = g(['inspect', '--format', '{{.Name}}', '--format', '{{.Config.Hostname}} {{json .Config.Env}}', 'twice']);
    assert.equal(f.stderr, '');
    assert.equal(f.stdout, 'second ["A=1","B=2"]\n');
    assert.equal(g(['image', 'inspect', '-f', '{{.Id}}', '-f', '{{.Os}}', 'busybox']).stdout, 'linux\n');
    for (let i = 0; i < 100 && !g(['logs', 'twice']).stdout.includes('three'); i++) execFileSync('sleep', ['0.05']);
    assert.equal(g(['logs', '--tail', '1', '--tail', '2', 'twice']).stdout, 'two\nthree\n');
    assert.equal(g(['commit', '-m', 'first', '-m', 'second', '-c', 'ENV X=1', '-c', 'ENV Y=2', 'twice', 'twiceimg']).status, 0);
    assert.equal(g(['image', 'inspect', '-f', '{{.Comment}} {{json .Config.Env}}', 'twiceimg']).stdout, 'second ["A=1","B=2","X=1","Y=2"]\n');
  } finally {
    g(['rm', '-f', 'twice']);
    g(['rmi', 'twiceimg']);
  }
});

test('a container without --name gets docker\'s adjective_surname, unique, with a digit once the plain name is taken', async () => {
  // The package gocker takes docker's lists from: the names must be from them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { left, right } = require('docker-names') as { left: string[]; right: string[] };
  // A store of its own on a tmpfs: it is given every plain name (25,000 files), which a disk
  // under load takes minutes to unlink and an unmount drops at once.
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-names-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0700', 'tmpfs', base]);
  const store = ['--root', path.join(base, 'root'), '--runroot', path.join(base, 'run')];
  const n = (args: string[]) => gocker([...store, ...args]);
  try {
    await importBusybox(store);
    const ids: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const id = n(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
      ids.push(id);
      const name = n(['inspect', '-f', '{{.Name}}', id]).stdout.trim();
      const m = /^\/([a-z]+)_([a-z]+)$/.exec(name);
      assert.ok(m && left.includes(m[1]) && right.includes(m[2]), name);
      assert.ok(!seen.has(name), `${name} twice`);
      seen.add(name);
      assert.match(n(['ps', '-f', `id=${id}`]).stdout, new RegExp(` ${name.slice(1)}\n$`));
    }
    // Every plain name taken: dockerd tries again with a digit appended. Held by a container
    // being made (its directory, no record yet), which holds every name its entry gives it;
    // an entry naming a made container whose record says another name is a rename's
    // leftover, which a claim takes over (names.ts holds).
    const namesDir = path.join(base, 'root', 'names');
    const making = 'f'.repeat(64);
    fs.mkdirSync(path.join(base, 'root', 'containers', making));
    for (const l of left) for (const r of right) if (!fs.existsSync(path.join(namesDir, `${l}_${r}`))) fs.writeFileSync(path.join(namesDir, `${l}_${r}`), making);
    const id = n(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
    assert.match(n(['inspect', '-f', '{{.Name}}', id]).stdout, /^\/[a-z]+_[a-z]+\d\n$/);
  } finally {
    removeAllContainers(path.join(base, 'root'), store);
    execFileSync('umount', [base]);
    fs.rmdirSync(base);
  }
});

test('HOSTNAME, HOME, PATH and TERM reach the process but stay out of Config.Env, so commit bakes none of them in; MemorySwap as docker reports it', () => {
  try {
    const id = g(['run', '-d', '--name', 'envs', '-e', 'FOO=1', '--memory', '64m', 'busybox', 'sleep', '100']).stdout.trim();
    const [c] = JSON.parse(g(['inspect', 'envs']).stdout);
    assert.deepEqual(c.Config.Env, ['FOO=1']);
    // docker: --memory without --memory-swap is as much swap again.
    assert.equal(c.HostConfig.MemorySwap, 2 * 64 * 1024 * 1024);
    const env = (r: { stdout: string }): string[] => r.stdout.split('\n').filter((l) => /^(FOO|HOSTNAME|HOME|PATH|TERM)=/.test(l)).sort();
    const path0 = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
    assert.deepEqual(env(g(['exec', 'envs', 'env'])), ['FOO=1', 'HOME=/root', `HOSTNAME=${id.slice(0, 12)}`, path0]);
    assert.deepEqual(env(g(['exec', '-u', 'app', '-e', 'FOO=2', 'envs', 'env'])), ['FOO=2', 'HOME=/home/app', `HOSTNAME=${id.slice(0, 12)}`, path0]);
    assert.equal(g(['commit', 'envs', 'envsimg']).status, 0);
    assert.equal(g(['image', 'inspect', '-f', '{{json .Config.Env}}', 'envsimg']).stdout, '["FOO=1"]\n');
    // The committed image's container has its own hostname, and HOME for its own user.
    const run = g(['run', '--rm', '-u', 'app', '--hostname', 'other', '-t', 'envsimg', 'env']);
    assert.deepEqual(env({ stdout: run.stdout.replace(/\r/g, '') }), ['FOO=1', 'HOME=/home/app', 'HOSTNAME=other', path0, 'TERM=xterm']);
    const t = g(['run', '-d', '-t', '--name', 'envt', '-e', 'HOME=/srv', 'envsimg', 'sleep', '100']).stdout.trim();
    assert.match(t, /^[0-9a-f]{64}$/);
    assert.equal(g(['inspect', '-f', '{{json .Config.Env}}', 'envt']).stdout, '["FOO=1","HOME=/srv"]\n');
    assert.deepEqual(env(g(['exec', 'envt', 'env'])), ['FOO=1', 'HOME=/srv', `HOSTNAME=${t.slice(0, 12)}`, path0]);
    for (const [flags, swap] of [[['--memory', '64m', '--memory-swap', '-1'], -1], [['--memory', '64m', '--memory-swap', '100m'], 100 * 1024 * 1024], [[], 0]] as const) {
      const k = g(['run', '-d', ...flags, 'busybox', 'true']).stdout.trim();
      assert.match(k, /^[0-9a-f]{64}$/, flags.join(' '));
      assert.equal(g(['inspect', '-f', '{{.HostConfig.MemorySwap}}', k]).stdout, `${swap}\n`, flags.join(' '));
      g(['rm', '-f', k]);
    }
  } finally {
    g(['rm', '-f', 'envs', 'envt']);
    g(['rmi', 'envsimg']);
  }
});

test('cp with -: a tar archive from stdin extracted into the container, a tar archive of a container path on stdout; cp\'s rules hold', () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-cp-stream-'));
  const cp = (args: string[], input?: Buffer) => spawnSync(BIN, [...roots.args, 'cp', ...args], { input, maxBuffer: 64 << 20 });
  const tar = (args: string[], input?: Buffer): Buffer => execFileSync('tar', args, { input, maxBuffer: 64 << 20 });
  try {
    const d = path.join(host, 'd');
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(d, 'sub', 'f'), 'deep\n');
    fs.chownSync(path.join(d, 'sub', 'f'), 1000, 1000);
    fs.chmodSync(path.join(d, 'sub', 'f'), 0o640);
    fs.writeFileSync(path.join(d, 'suid'), '#!/bin/sh\n');
    fs.chmodSync(path.join(d, 'suid'), 0o4755);
    fs.symlinkSync('/etc/shadow', path.join(d, 'abs'));
    fs.linkSync(path.join(d, 'sub', 'f'), path.join(d, 'hard'));
    assert.equal(g(['run', '-d', '--name', 'cpstream', 'busybox', 'sleep', '100']).status, 0);

    // In: an archive GNU tar made, plain and gzip. Owners, modes and links as the archive has them.
    const plain = cp(['-', 'cpstream:/tmp'], tar(['-C', host, '-cf', '-', 'd']));
    assert.equal(plain.status, 0, plain.stderr.toString());
    assert.equal(plain.stdout.toString(), '');
    assert.match(plain.stderr.toString(), /^Successfully copied \d+B to cpstream:\/tmp\n$/);
    const seen = g(['exec', 'cpstream', 'sh', '-c', 'cat /tmp/d/sub/f; stat -c "%u:%g %a" /tmp/d/sub/f /tmp/d/suid; readlink /tmp/d/abs; test /tmp/d/hard -ef /tmp/d/sub/f && echo hardlinked']);
    assert.equal(seen.stdout, 'deep\n1000:1000 640\n0:0 4755\n/etc/shadow\nhardlinked\n');
    assert.equal(cp(['-q', '-', 'cpstream:/home'], tar(['-C', host, '-czf', '-', 'd'])).status, 0);
    assert.equal(g(['exec', 'cpstream', 'cat', '/home/d/sub/f']).stdout, 'deep\n');
    // A name that climbs is refused (as dockerd refuses it), an absolute one lands under the
    // destination, and a link in the container to the host is never followed there.
    const outside = path.join(host, 'outside');
    fs.mkdirSync(outside);
    assert.equal(g(['exec', 'cpstream', 'sh', '-c', `mkdir /tmp/in && ln -s ${outside} /tmp/in/esc`]).status, 0);
    fs.writeFileSync(path.join(host, 'esc'), 'planted\n');
    const climbing = cp(['-q', '-', 'cpstream:/tmp/in'], tar(['-C', host, '-cf', '-', '--transform', 's,^esc,../../esc,', 'esc']));
    assert.equal(climbing.stderr.toString(), "Error response from daemon: Error processing tar file: ../../esc: Member name contains '..'\n");
    assert.equal(climbing.status, 1);
    const throughLink = cp(['-q', '-', 'cpstream:/tmp/in'], tar(['-C', host, '-cf', '-', '--transform', 's,^esc,esc/x,', 'esc']));
    assert.equal(throughLink.stderr.toString(), 'Error response from daemon: cannot overwrite non-directory /tmp/in/esc with directory\n');
    assert.equal(throughLink.status, 1);
    assert.equal(cp(['-q', '-', 'cpstream:/tmp/in'], tar(['-C', host, '-cPf', '-', path.join(host, 'esc')])).status, 0);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(g(['exec', 'cpstream', 'sh', '-c', `readlink /tmp/in/esc; cat /tmp/in${path.join(host, 'esc')}`]).stdout, `${outside}\nplanted\n`);

    // Out: an archive GNU tar reads, named as docker names it.
    assert.equal(g(['exec', 'cpstream', 'sh', '-c', 'mknod /tmp/d/null c 1 3 && ln -s ../../../../../.. /tmp/up']).status, 0);
    const out = cp(['cpstream:/tmp/d', '-']);
    assert.equal(out.status, 0, out.stderr.toString());
    assert.match(out.stderr.toString(), /device nodes are not copied out of a container/);
    const listing = tar(['-tvf', '-'], out.stdout).toString();
    const entries = listing.split('\n').filter(Boolean).map((l) => l.split(/\s+/));
    assert.deepEqual(entries.map((e) => e[5]).sort(), ['d/', 'd/abs', 'd/hard', 'd/sub/', 'd/sub/f', 'd/suid']);
    // Without -a: the caller's owners, no setuid bit; never a device node.
    assert.ok(entries.every((e) => e[1] === '0/0'), listing);
    assert.match(listing, /^-rwxr-xr-x 0\/0 .* d\/suid$/m);
    const back = path.join(host, 'back');
    fs.mkdirSync(back);
    tar(['-xf', '-', '-C', back], out.stdout);
    assert.equal(fs.readFileSync(path.join(back, 'd', 'sub', 'f'), 'utf8'), 'deep\n');
    assert.equal(fs.readlinkSync(path.join(back, 'd', 'abs')), '/etc/shadow');
    const kept = tar(['-tvf', '-'], cp(['-a', 'cpstream:/tmp/d', '-']).stdout).toString();
    assert.match(kept, /^-rwsr-xr-x 0\/0 .* d\/suid$/m);
    // d/hard before d/sub/f (names in byte order): the file, and d/sub/f its link.
    assert.match(kept, /^hrw-r----- 1000\/1000 .* d\/sub\/f link to d\/hard$/m);
    assert.match(kept, /^-rw-r----- 1000\/1000 .* d\/hard$/m);
    assert.doesNotMatch(kept, /d\/null/);
    // A file alone, a directory's contents (./), and a link that climbs out, read in the container.
    assert.equal(tar(['-tf', '-'], cp(['cpstream:/etc/passwd', '-']).stdout).toString(), 'passwd\n');
    assert.deepEqual(tar(['-tf', '-'], cp(['cpstream:/tmp/d/sub/.', '-']).stdout).toString().split('\n').filter(Boolean).sort(), ['./', './f']);
    assert.equal(tar(['-xOf', '-'], cp(['cpstream:/tmp/up/etc/hostname', '-']).stdout).toString(), g(['exec', 'cpstream', 'cat', '/etc/hostname']).stdout);

    // Errors: one line, exit 1, nothing copied.
    const errors: Array<[string[], Buffer | undefined, string]> = [
      [['-', 'cpstream:/etc/passwd'], tar(['-C', host, '-cf', '-', 'd']), 'Error response from daemon: destination "cpstream:/etc/passwd" must be a directory\n'],
      [['-', 'cpstream:/tmp'], Buffer.from('not a tar archive\n'.repeat(100)), 'Error response from daemon: Error processing tar file: This does not look like a tar archive\n'],
      [['cpstream:/nope', '-'], undefined, 'Error response from daemon: Could not find the file /nope in container cpstream\n'],
      [['-', '-'], Buffer.alloc(0), 'must specify at least one container source\n'],
      [['-', path.join(host, 'x')], Buffer.alloc(0), 'must specify at least one container source\n'],
    ];
    for (const [args, input, stderr] of errors) {
      const r = cp(args, input);
      assert.equal(r.stderr.toString(), stderr, args.join(' '));
      assert.equal(r.status, 1, args.join(' '));
    }
    assert.equal(g(['exec', 'cpstream', 'ls', '/tmp']).stdout, 'd\nin\nup\n');
    assert.deepEqual(fs.readdirSync(path.join(roots.root, 'tmp')).filter((n) => n.startsWith('cp-')), []);

    // A stopped container: its overlay mounted for each copy, unmounted after.
    assert.equal(g(['stop', '-t', '0', 'cpstream']).status, 0);
    assert.equal(cp(['-q', '-', 'cpstream:/'], tar(['-C', path.join(host, 'd'), '-cf', '-', 'sub'])).status, 0);
    assert.equal(tar(['-xOf', '-'], cp(['cpstream:/sub/f', '-']).stdout).toString(), 'deep\n');
    assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes('cp-merged'));
  } finally {
    g(['rm', '-f', 'cpstream']);
    fs.rmSync(host, { recursive: true, force: true });
  }
});
