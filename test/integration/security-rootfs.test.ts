// A container's root filesystem is hostile ground: gocker (root on the host) must read it as
// the container would, never following one of its symlinks onto the host — when it resolves
// -u, and when diff, commit and export walk it while the container races them. And a
// container's recorded pid is input too: a 0 or garbage there must not make kill, stop or
// rm -f signal the caller's own process group.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs } from '../helpers/fixtures';
import { BIN, gocker, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-secfs-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// Host-side files the container must never reach: a passwd with a user of its own, and a
// directory with a marker file.
const host = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secfs-host-'));
const MARKER = `HOSTMARKER-${process.pid}`;
const hostDir = path.join(host, 'dir');

/** An image from the busybox rootfs after mutate(rootfs) changed it. */
async function imageWith(name: string, mutate: (rootfs: string) => void): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secfs-img-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    execFileSync('cp', ['-a', `${await busyboxRootfs()}/.`, `${rootfs}/`]);
    mutate(rootfs);
    const tarball = path.join(work, 'img.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', rootfs, '.']);
    const r = g(['import', tarball, name]);
    assert.equal(r.status, 0, r.stderr);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

before(async () => {
  fs.chmodSync(host, 0o755);
  fs.mkdirSync(hostDir);
  fs.writeFileSync(path.join(hostDir, MARKER), 'host secret\n');
  fs.writeFileSync(path.join(host, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nevil:x:4242:4242:evil:/:/bin/sh\n');
  fs.writeFileSync(path.join(host, 'group'), 'root:x:0:\nevil:x:4242:\n');
  await imageWith('plain', () => undefined);
  // /etc/passwd itself a link to the host's file, absolute and by enough ../ to climb out.
  await imageWith('abs-passwd', (r) => {
    fs.rmSync(path.join(r, 'etc/passwd'));
    fs.symlinkSync(path.join(host, 'passwd'), path.join(r, 'etc/passwd'));
  });
  await imageWith('rel-passwd', (r) => {
    fs.rmSync(path.join(r, 'etc/passwd'));
    fs.symlinkSync(`../../../../../../../..${host}/passwd`, path.join(r, 'etc/passwd'));
  });
  // /etc a link to the host's directory: the lookup must not walk through it either.
  await imageWith('abs-etc', (r) => {
    fs.rmSync(path.join(r, 'etc'), { recursive: true });
    fs.symlinkSync(host, path.join(r, 'etc'));
  });
  // Links where --device puts a node: a directory and the node's own name, each pointing at
  // the host (absolutely, and climbing with ../), and a link to a directory not there yet.
  await imageWith('dev-links', (r) => {
    fs.mkdirSync(path.join(r, 'opt'), { recursive: true });
    fs.symlinkSync(hostDir, path.join(r, 'opt/dir'));
    fs.symlinkSync(path.join(host, 'devnode'), path.join(r, 'opt/node'));
    fs.symlinkSync(`../../../../../../..${host}/relnode`, path.join(r, 'opt/relnode'));
    fs.symlinkSync(path.join(host, 'newdir'), path.join(r, 'opt/newdir'));
  });
  // Links into /proc, for a volume that would land there.
  await imageWith('proc-links', (r) => {
    fs.symlinkSync('/proc', path.join(r, 'lnk'));
    fs.symlinkSync('../proc/sys', path.join(r, 'sy'));
  });
  // What stays inside is followed, as the container itself would: /etc/passwd a relative link
  // into /usr/share, and /etc/group an absolute one read from the container's root.
  await imageWith('inside-links', (r) => {
    fs.mkdirSync(path.join(r, 'usr/share/db'), { recursive: true });
    fs.writeFileSync(path.join(r, 'usr/share/db/passwd'), 'root:x:0:0:root:/root:/bin/sh\ninside:x:777:778:in:/home/app:/bin/sh\n');
    fs.writeFileSync(path.join(r, 'usr/share/db/group'), 'root:x:0:\nin:x:778:\nextra:x:779:inside\n');
    fs.rmSync(path.join(r, 'etc/passwd'));
    fs.rmSync(path.join(r, 'etc/group'));
    fs.symlinkSync('../usr/share/db/passwd', path.join(r, 'etc/passwd'));
    fs.symlinkSync('/usr/./share/../share/db/group', path.join(r, 'etc/group'));
  });
});

after(() => {
  const dir = path.join(roots.root, 'containers');
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) g(['rm', '-f', id]);
  roots.remove();
  fs.rmSync(host, { recursive: true, force: true });
});

test('nothing is mounted inside /proc (runc\'s checkProcMount): an image\'s VOLUME there, -v, --tmpfs, --mount, an image\'s link into /proc', () => {
  assert.equal(g(['run', '--network', 'none', '--name', 'procvol-base', 'plain', 'true']).status, 0);
  assert.equal(g(['commit', '-c', 'VOLUME /proc/sys', 'procvol-base', 'procvol']).status, 0);
  assert.equal(g(['rm', 'procvol-base']).status, 0);
  const vol = path.join(host, 'procvol');
  fs.mkdirSync(vol);
  const cases: Array<[string[], string]> = [
    [['procvol', 'true'], '/proc/sys'],
    [['-v', `${vol}:/proc/sys`, 'plain', 'true'], '/proc/sys'],
    [['-v', `${vol}:/proc`, 'plain', 'true'], '/proc'],
    [['--tmpfs', '/proc/driver', 'plain', 'true'], '/proc/driver'],
    [['--mount', `type=bind,src=${vol},dst=/proc/sys/kernel`, 'plain', 'true'], '/proc/sys/kernel'],
    [['-v', `${vol}:/lnk/sys`, 'proc-links', 'true'], '/lnk/sys'],
    [['-v', `${vol}:/sy`, 'proc-links', 'true'], '/sy'],
    [['-v', `${vol}:/lnk`, 'proc-links', 'true'], '/lnk'],
  ];
  for (const [args, dest] of cases) {
    const r = g(['run', '--rm', '--network', 'none', ...args]);
    assert.equal(r.status, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`"${dest}" cannot be mounted because it is inside /proc`), args.join(' '));
  }
  assert.deepEqual(fs.readdirSync(vol), [], 'nothing was written into the volume');
  assert.equal(g(['ps', '-aq']).stdout, '');
  assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(roots.root), 'no mount of the store is left');
  // What runc allows: procfs itself, and the files lxcfs stands in for.
  const cpuinfo = path.join(host, 'cpuinfo');
  fs.writeFileSync(cpuinfo, 'processor : lxcfs\n');
  assert.equal(g(['run', '--rm', '--network', 'none', '-v', `${cpuinfo}:/proc/cpuinfo:ro`, 'plain', 'cat', '/proc/cpuinfo']).stdout, 'processor : lxcfs\n');
  assert.equal(g(['rmi', 'procvol']).status, 0);
});

test('-u is resolved inside the image: a passwd or /etc linked to the host is not read', () => {
  for (const image of ['abs-passwd', 'rel-passwd', 'abs-etc']) {
    const r = g(['run', '--rm', '-u', 'evil', image, 'id', '-u']);
    assert.notEqual(r.stdout, '4242\n', `${image}: -u evil came from the host's passwd`);
    assert.notEqual(r.status, 0, image);
    assert.match(r.stderr, /unable to find user evil/, image);
  }
});

test('--device outside /dev: the image\'s links are resolved inside its root, nothing is made on the host', () => {
  const hostBefore = fs.readdirSync(hostDir);
  const r = g(['run', '--rm', '--network', 'none', '--device', '/dev/null:/opt/dir/n', '--device', '/dev/zero:/opt/node', '--device', '/dev/zero:/opt/relnode',
    '--device', '/dev/null:/opt/newdir/sub/n', 'dev-links', 'sh', '-c', `stat -c '%n %t:%T' ${hostDir}/n ${host}/devnode ${host}/relnode ${host}/newdir/sub/n`]);
  assert.equal(r.status, 0, r.stderr);
  // In the container, where the links lead inside its root.
  assert.equal(r.stdout, `${hostDir}/n 1:3\n${host}/devnode 1:5\n${host}/relnode 1:5\n${host}/newdir/sub/n 1:3\n`);
  // On the host: nothing new.
  assert.deepEqual(fs.readdirSync(hostDir), hostBefore);
  for (const p of ['devnode', 'relnode', 'newdir']) assert.equal(fs.existsSync(path.join(host, p)), false, p);
});

test('-u follows links that stay inside the image, as the container sees them', () => {
  const r = g(['run', '--rm', '-u', 'inside', 'inside-links', 'sh', '-c', 'id -u; id -g; id -G']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '777\n778\n778 779\n');
});

test('exec -u: an /etc that is a link to the host is not followed, and a deleted passwd stays deleted', async () => {
  const id = g(['run', '-d', 'abs-etc', 'sleep', '100']).stdout.trim();
  const id2 = g(['run', '-d', 'plain', 'sh', '-c', 'rm /etc/passwd && touch /done && exec sleep 100']).stdout.trim();
  try {
    const r = g(['exec', '-u', 'evil', id, 'id', '-u']);
    assert.notEqual(r.stdout, '4242\n', 'exec -u evil came from the host passwd');
    assert.match(r.stderr, /unable to find user evil/);
    // A deleted /etc/passwd (a whiteout in the writable layer) hides the image's.
    for (let i = 0; i < 100 && g(['exec', id2, 'test', '-e', '/done']).status !== 0; i++) await sleep(50);
    assert.match(g(['exec', '-u', 'app', id2, 'id', '-u']).stderr, /unable to find user app/);
  } finally {
    g(['rm', '-f', id, id2]);
  }
});

/** The engine's own walkers, in this process: a race is lost or won in microseconds, not CLI starts. */
function engine(): { store: import('../../lib/store').Store } {
  const { Store } = require('../../lib/store') as typeof import('../../lib/store');
  const { StorePaths } = require('../../lib/store/paths') as typeof import('../../lib/store/paths');
  return { store: new Store(StorePaths.forDriver(roots.root, roots.runroot, 'overlay2')) };
}

function tarNames(file: string): string[] {
  return execFileSync('tar', ['-tf', file], { maxBuffer: 64 << 20 }).toString().split('\n');
}

// The container swaps /d between a directory and a link to the host's directory as fast as it
// can, while diff, export and commit walk its tree.
// Four loops at once, on /d0../d3, so that a walker's window between its check and its use is
// hit within seconds (one loop hit an unfixed diff about once in 8000 walks).
const SWAP = [0, 1, 2, 3].map((i) => `while :; do mkdir /d${i}; echo x > /d${i}/f; rm -rf /d${i}; ln -s ${hostDir} /d${i}; rm /d${i}; done &`).join(' ') + ' wait';

test('diff never lists the host through a directory the container swaps for a link', async () => {
  const { diffContainer } = require('../../lib/container/changes') as typeof import('../../lib/container/changes');
  const id = g(['run', '-d', 'plain', 'sh', '-c', `rm -rf /home && ln -s ${hostDir} /home && ${SWAP}`]).stdout.trim();
  try {
    await sleep(300);
    const gk = engine();
    let walks = 0;
    for (const deadline = Date.now() + 8000; Date.now() < deadline; walks++) {
      let changes: Array<{ path: string }>;
      try {
        changes = diffContainer(gk.store, id);
      } catch (e) {
        // A walk may lose an entry the container removed under it; it must never see the host.
        assert.doesNotMatch(String(e), new RegExp(MARKER));
        continue;
      }
      for (const c of changes) assert.ok(!c.path.includes(MARKER), `diff listed the host (walk ${walks}): ${c.path}`);
    }
    const cli = g(['diff', id]);
    assert.ok(!cli.stdout.includes(MARKER), cli.stdout);
    assert.match(cli.stdout, /^[AC] \/home$/m);
  } finally {
    g(['rm', '-f', id]);
  }
});

test('export and commit never take in the host through a swapped directory', async () => {
  const { exportContainer, commitContainer } = require('../../lib/container/changes') as typeof import('../../lib/container/changes');
  const id = g(['run', '-d', 'plain', 'sh', '-c', `rm -rf /home && ln -s ${hostDir} /home && ${SWAP}`]).stdout.trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-secfs-out-'));
  try {
    await sleep(300);
    const gk = engine();
    for (let i = 0, end = Date.now() + 8000; Date.now() < end; i++) {
      const out = path.join(work, `export-${i}.tar`);
      await exportContainer(gk.store, id, fs.createWriteStream(out));
      const names = tarNames(out);
      assert.ok(names.includes('./home') || names.includes('home'), 'the link itself is exported');
      assert.ok(!names.some((n) => n.includes(MARKER)), `export took in the host: ${names.filter((n) => n.includes(MARKER))}`);
      fs.rmSync(out);
    }
    for (let i = 0, end = Date.now() + 8000; Date.now() < end; i++) {
      const imageId = await commitContainer(gk.store, id, `committed:${i}`);
      const image = gk.store.loadImage(imageId)!;
      const top = image.layers[image.layers.length - 1].dir;
      const found = execFileSync('find', [top, '-name', `${MARKER}*`]).toString();
      assert.equal(found, '', `commit took in the host: ${found}`);
      const lnk = fs.lstatSync(path.join(top, 'home'));
      assert.ok(lnk.isSymbolicLink(), 'the link itself is committed');
      assert.equal(g(['rmi', `committed:${i}`]).status, 0);
    }
  } finally {
    g(['rm', '-f', id]);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/**
 * Runs `gocker args` in a process group of its own beside a sleeper in the same group, as a
 * shell script would; returns the CLI's result and whether the sleeper survived it.
 */
async function inOwnGroup(args: string[]): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string; sleeperAlive: boolean }> {
  const script = 'sleep 60 </dev/null >/dev/null 2>&1 & echo $!; exec "$@"';
  const c = spawn('sh', ['-c', script, 'sh', BIN, ...roots.args, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => c.on('close', (s, sig) => resolve([s, sig])));
  const sleeper = Number(stdout.split('\n')[0]);
  // Never 0 or garbage here either: process.kill(0) would hit this test's own group.
  assert.ok(Number.isInteger(sleeper) && sleeper > 1, `no sleeper pid in ${JSON.stringify(stdout)} ${stderr}`);
  // Alive, not a zombie: a killed sleeper may not have been reaped yet.
  const stat = fs.existsSync(`/proc/${sleeper}/stat`) ? fs.readFileSync(`/proc/${sleeper}/stat`, 'utf8') : '';
  const sleeperAlive = stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
  try {
    process.kill(sleeper, 'SIGKILL');
  } catch {
    /* gone */
  }
  return { status, signal, stdout: stdout.split('\n').slice(1).join('\n'), stderr, sleeperAlive };
}

test('kill, stop and rm -f never signal a recorded pid of 0: not the caller\'s process group', async () => {
  const id = g(['run', '-d', 'plain', 'sleep', '100']).stdout.trim();
  const pidFile = path.join(roots.runroot, 'containers', id, 'pid');
  const real = Number(fs.readFileSync(pidFile, 'utf8'));
  try {
    assert.ok(real > 1);
    for (const bad of ['0\n', 'garbage\n', '']) {
      fs.writeFileSync(pidFile, bad);
      for (const cmd of [['kill', id], ['stop', '-t', '1', id], ['rm', '-f', id]]) {
        const r = await inOwnGroup(cmd);
        assert.ok(r.sleeperAlive, `${cmd[0]} with pid file ${JSON.stringify(bad)} signalled its own process group (${r.signal ?? r.status}) ${r.stderr}`);
        assert.equal(r.signal, null, `${cmd[0]} killed itself`);
        assert.equal(r.status, 1, `${cmd[0]}: ${r.stderr}`);
        assert.equal(r.stdout, '', `${cmd[0]} printed success`);
        assert.match(r.stderr, /Error response from daemon: /);
      }
    }
    // Nothing was signalled: the container still runs, and with its pid back all three work.
    assert.ok(fs.existsSync(`/proc/${real}`));
    fs.writeFileSync(pidFile, `${real}\n`);
    const r = await inOwnGroup(['rm', '-f', id]);
    assert.ok(r.sleeperAlive);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${id}\n`);
  } finally {
    // The clean-up's rm -f runs in this process's group: with the pid back, whatever the code.
    if (fs.existsSync(pidFile)) fs.writeFileSync(pidFile, `${real}\n`);
    g(['rm', '-f', id]);
  }
});

test('a pid that is not the container\'s (another process of the host) is not signalled', async () => {
  const id = g(['run', '-d', 'plain', 'sleep', '100']).stdout.trim();
  const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
  const pidFile = path.join(roots.runroot, 'containers', id, 'pid');
  const real = Number(fs.readFileSync(pidFile, 'utf8'));
  try {
    fs.writeFileSync(pidFile, `${victim.pid}\n`);
    for (const cmd of [['kill', id], ['stop', '-t', '1', id], ['rm', '-f', id]]) {
      const r = g(cmd);
      assert.equal(r.status, 1, `${cmd[0]}: ${r.stdout} ${r.stderr}`);
      assert.equal(victim.exitCode, null);
      process.kill(victim.pid!, 0);
    }
  } finally {
    if (fs.existsSync(pidFile)) fs.writeFileSync(pidFile, `${real}\n`);
    victim.kill('SIGKILL');
    g(['rm', '-f', id]);
  }
});

test('stop by a non-root user fails, says so, and the container keeps running', async () => {
  const id = g(['run', '-d', '--name', 'nr', 'plain', 'sleep', '100']).stdout.trim();
  // The test's roots live in a 0700 temp dir; opened up so the user reaches what a default
  // store would show it (a store kept 0700 makes it fail sooner, which is as good).
  const base = path.dirname(roots.root);
  const mode = fs.statSync(base).mode & 0o777;
  fs.chmodSync(base, 0o755);
  try {
    const r = (args: string[]) => {
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `"$@"; echo "exit=$?"`, 'sh', BIN, ...roots.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      return out;
    };
    for (const cmd of [['stop', '-t', '1', 'nr'], ['kill', 'nr'], ['rm', '-f', 'nr']]) {
      const out = r(cmd);
      assert.ok(!out.includes('nr\n'), `${cmd[0]} by a non-root user printed success: ${out}`);
      assert.match(out, /exit=1\n$/, `${cmd[0]}: ${out}`);
    }
    assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'nr']).stdout, 'true\n');
    const err = spawnSyncStderr(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', BIN, ...roots.args, 'stop', '-t', '1', 'nr']);
    assert.match(err, /permission denied/i);
  } finally {
    fs.chmodSync(base, mode);
    g(['rm', '-f', id]);
  }
});

function spawnSyncStderr(argv: string[]): string {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return String(spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }).stderr);
}
