// What a container leaves on the host must not be usable by the host's other users: the
// store and runroot are closed to them (docker CVE-2021-41091: a setuid binary or a device
// node planted by container root in its upper dir, run by any local user; `-e` secrets read
// from a record), and `gocker cp` out of a container makes no device nodes and no
// setuid/setgid files on the host unless asked to keep ownership (-a).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs } from '../helpers/fixtures';
import { gocker, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-sechost-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const host = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-sechost-out-'));
const SECRET = `s3cret-${process.pid}`;

/** Runs argv as nobody (uid and gid 65534, no supplementary groups): status and output. */
function asNobody(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

before(async () => {
  // tempRoots makes a 0700 base: opened as a default store's parents (/var/lib, /var/run)
  // are, so that only the store's own modes stand between other users and its contents.
  fs.chmodSync(path.dirname(roots.root), 0o755);
  fs.chmodSync(host, 0o755);
  const tarball = path.join(host, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
  const r = g(['import', tarball, 'busybox']);
  assert.equal(r.status, 0, r.stderr);
  fs.rmSync(tarball);
});

after(() => {
  // From the records themselves, so a failing test cannot hide what it left running.
  const dir = path.join(roots.root, 'containers');
  try {
    for (const id of fs.readdirSync(dir)) g(['rm', '-f', id]);
  } catch {
    /* no containers */
  }
  roots.remove();
  fs.rmSync(host, { recursive: true, force: true });
});

test('another user reaches nothing of a container: no upper dir, no record, no spec, no planted setuid binary', () => {
  const id = g(['run', '-d', '-e', `SECRET=${SECRET}`, 'busybox', 'sh', '-c',
    'cp /bin/busybox /suid && chmod 4755 /suid && touch /ready && sleep 100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  try {
    const dir = path.join(roots.root, 'containers', id);
    const run = path.join(roots.runroot, 'containers', id);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'upper', 'ready')); i++) execFileSync('sleep', ['0.05']);
    assert.ok(fs.existsSync(path.join(dir, 'upper', 'suid')), 'the container made its setuid binary');
    // What a local user would try: list the upper dir, run what container root planted there
    // (setuid root on the host), read the secret from the record and the stored specs.
    const tries: Array<[string, string[]]> = [
      ['list the upper dir', ['ls', path.join(dir, 'upper')]],
      ['run the planted setuid binary', [path.join(dir, 'upper', 'suid'), 'id', '-u']],
      ['read the record', ['cat', path.join(dir, 'config.v2.json')]],
      ['read the stored spec', ['cat', path.join(dir, 'config.json')]],
      ['read the runroot spec', ['cat', path.join(run, 'config.json')]],
      ['list the runroot dir', ['ls', run]],
    ];
    for (const [what, argv] of tries) {
      const r = asNobody(argv);
      assert.notEqual(r.status, 0, `a non-root user could ${what}: ${r.out}`);
      assert.ok(!r.out.includes(SECRET), `${what}: the secret leaked`);
    }
    // The modes themselves: the roots and what holds a container's state closed to others,
    // the files that hold its environment 0600.
    for (const d of [roots.root, roots.runroot, path.join(roots.root, 'containers'), dir, path.join(roots.runroot, 'containers'), run]) {
      assert.equal(fs.statSync(d).mode & 0o077, 0, `${d} is open to others: ${(fs.statSync(d).mode & 0o777).toString(8)}`);
    }
    for (const f of [path.join(dir, 'config.v2.json'), path.join(dir, 'config.json'), path.join(run, 'config.json')]) {
      assert.equal(fs.statSync(f).mode & 0o777, 0o600, `${f}: ${(fs.statSync(f).mode & 0o777).toString(8)}`);
    }
    assert.ok(fs.readFileSync(path.join(dir, 'config.v2.json'), 'utf8').includes(SECRET), 'the record is the file that holds the env');
  } finally {
    g(['rm', '-f', id]);
  }
});

test('an existing store left open (0755) is closed by the next command', () => {
  for (const d of [roots.root, roots.runroot]) fs.chmodSync(d, 0o755);
  const r = g(['ps', '-a']);
  assert.equal(r.status, 0, r.stderr);
  for (const d of [roots.root, roots.runroot]) assert.equal(fs.statSync(d).mode & 0o777, 0o700, d);
  // run and exec open the store their own way (the fast path): closed by them too.
  for (const d of [roots.root, roots.runroot]) fs.chmodSync(d, 0o711);
  const rr = g(['run', '--rm', 'busybox', 'true']);
  assert.equal(rr.status, 0, rr.stderr);
  for (const d of [roots.root, roots.runroot]) assert.equal(fs.statSync(d).mode & 0o777, 0o700, d);
});

test('cp out of a container: no device nodes (a warning each), no setuid/setgid bits; -a keeps them, still no devices', () => {
  const id = g(['run', '-d', 'busybox', 'sh', '-c', [
    'mkdir -p /tmp/d/sub', 'mknod /tmp/d/null c 1 3', 'mknod /tmp/d/sda b 8 0', 'mknod /tmp/d/sub/zero c 1 5',
    'mkfifo /tmp/d/fifo', 'cp /bin/busybox /tmp/d/suid', 'chmod 4755 /tmp/d/suid',
    'cp /bin/busybox /tmp/d/sgid', 'chmod 2755 /tmp/d/sgid', 'echo plain > /tmp/d/plain', 'chmod 2775 /tmp/d/sub',
    'touch /ready', 'sleep 100'].join(' && ')]).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  try {
    for (let i = 0; i < 100 && g(['exec', id, 'test', '-e', '/ready']).status !== 0; i++) execFileSync('sleep', ['0.05']);
    const check = (out: string, archive: boolean): void => {
      const kinds = new Map<string, fs.Stats>();
      const walk = (d: string): void => {
        for (const n of fs.readdirSync(d)) {
          const p = path.join(d, n);
          const st = fs.lstatSync(p);
          kinds.set(path.relative(out, p), st);
          if (st.isDirectory()) walk(p);
        }
      };
      walk(out);
      for (const [p, st] of kinds) {
        assert.ok(!st.isCharacterDevice() && !st.isBlockDevice(), `device node ${p} made on the host`);
        if (!archive) assert.equal(st.mode & 0o6000, 0, `${p} keeps setuid/setgid: ${(st.mode & 0o7777).toString(8)}`);
      }
      assert.ok(!kinds.has('null') && !kinds.has('sda') && !kinds.has('sub/zero'));
      assert.equal(fs.readFileSync(path.join(out, 'plain'), 'utf8'), 'plain\n');
      assert.ok(kinds.get('fifo')?.isFIFO(), 'FIFOs are copied, as docker does');
      assert.equal(fs.statSync(path.join(out, 'suid')).size, fs.statSync('/bin/busybox').size);
      if (archive) {
        assert.equal(kinds.get('suid')!.mode & 0o7777, 0o4755);
        assert.equal(kinds.get('sgid')!.mode & 0o7777, 0o2755);
      } else {
        assert.equal(kinds.get('suid')!.mode & 0o7777, 0o755);
        assert.equal(kinds.get('sgid')!.mode & 0o7777, 0o755);
        assert.equal(kinds.get('sub')!.mode & 0o7777, 0o775);
      }
    };
    for (const archive of [false, true]) {
      const out = path.join(host, archive ? 'archive' : 'plain');
      const r = g(['cp', ...(archive ? ['-a'] : []), `${id}:/tmp/d`, out]);
      assert.equal(r.status, 0, r.stderr);
      check(out, archive);
      // One warning per device, in docker's log form, naming the container's path.
      const warnings = r.stderr.split('\n').filter((l) => l.includes('level=warning'));
      assert.equal(warnings.length, 3, r.stderr);
      for (const dev of ['/tmp/d/null', '/tmp/d/sda', '/tmp/d/sub/zero']) {
        assert.ok(warnings.some((l) => l.includes(dev) && /device/.test(l)), `no warning for ${dev}: ${r.stderr}`);
      }
      assert.match(r.stderr, /Successfully copied/);
    }
    // One device by itself: nothing made, the warning, success as podman.
    const one = g(['cp', `${id}:/tmp/d/null`, path.join(host, 'null')]);
    assert.equal(one.status, 0, one.stderr);
    assert.ok(!fs.existsSync(path.join(host, 'null')));
    assert.match(one.stderr, /level=warning .*\/tmp\/d\/null/);
    // Into the container, a last component that is the container's link to a host path is
    // replaced, never written through.
    const victim = path.join(host, 'victim');
    fs.writeFileSync(victim, 'host\n');
    fs.writeFileSync(path.join(host, 'payload'), 'payload\n');
    assert.equal(g(['exec', id, 'ln', '-s', victim, '/tmp/victim']).status, 0);
    assert.equal(g(['cp', '-q', path.join(host, 'payload'), `${id}:/tmp/victim`]).status, 0);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'host\n');
    assert.equal(g(['exec', id, 'cat', '/tmp/victim']).stdout, 'payload\n');
  } finally {
    g(['rm', '-f', id]);
  }
});

test('cp out of a container: file capabilities, like setuid, only with -a', () => {
  const made = g(['run', '--name', 'capc', 'busybox', 'cp', '/bin/busybox', '/cap']);
  const ctr = g(['inspect', '-f', '{{.Id}}', 'capc']).stdout.trim();
  try {
    assert.equal(made.status, 0, made.stderr);
    // busybox has no setcap: the capability (cap_net_raw+ep) set from the host on the stopped
    // container's upper dir, which cp mounts for the copy.
    execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', path.join(roots.root, 'containers', ctr, 'upper', 'cap')]);
    const caps = (f: string): string => spawnSync('getfattr', ['-n', 'security.capability', '--only-values', '-e', 'hex', f], { encoding: 'utf8' }).stdout;
    assert.equal(g(['cp', '-q', `${ctr}:/cap`, path.join(host, 'cap-plain')]).status, 0);
    assert.equal(caps(path.join(host, 'cap-plain')), '');
    assert.equal(g(['cp', '-q', '-a', `${ctr}:/cap`, path.join(host, 'cap-archive')]).status, 0);
    assert.notEqual(caps(path.join(host, 'cap-archive')), '');
  } finally {
    g(['rm', '-f', 'capc']);
  }
});

test('a store path another user planted (a symlink, a directory of theirs) is refused, and nothing it names is touched', () => {
  // In the sticky /tmp, as a user could: a symlink to a root-owned directory, and a
  // directory of their own that they could fill with records and layers.
  const victim = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-victim-'));
  fs.chmodSync(victim, 0o755);
  const link = path.join(os.tmpdir(), `gocker-planted-link-${process.pid}`);
  const theirs = path.join(os.tmpdir(), `gocker-planted-dir-${process.pid}`);
  try {
    assert.equal(asNobody(['ln', '-s', victim, link]).status, 0);
    assert.equal(asNobody(['mkdir', theirs]).status, 0);
    for (const [flag, dir] of [['--root', link], ['--runroot', link], ['--root', theirs]]) {
      const other = flag === '--root' ? ['--runroot', roots.runroot] : ['--root', roots.root];
      const r = gocker([flag, dir, ...other, 'images']);
      // As docker's CLI that cannot reach its daemon: bare, exit 1.
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^\S.* (is a symlink owned by uid 65534|is owned by uid 65534): gocker keeps its store only where no other user can reach or replace it\n$/);
    }
    assert.equal(fs.statSync(victim).mode & 0o777, 0o755);
    assert.deepEqual(fs.readdirSync(theirs), []);
  } finally {
    fs.rmSync(link, { force: true });
    fs.rmSync(theirs, { recursive: true, force: true });
    fs.rmSync(victim, { recursive: true, force: true });
  }
});
