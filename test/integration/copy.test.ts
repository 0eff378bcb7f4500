// The native tree copy: everything the extractor keeps survives it, and neither end can be
// steered outside its root by the tree's own symlinks.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { busyboxRootfs } from '../helpers/fixtures';
import { describeTree, treeDiff } from '../helpers/tree';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-copy-'));
let src: string;

before(async () => {
  // busybox's tree plus one of every kind of entry the extractor writes.
  src = path.join(work, 'src');
  execFileSync('cp', ['-a', await busyboxRootfs(), src]);
  const x = (p: string): string => path.join(src, 'extra', p);
  fs.mkdirSync(x('deep/er'), { recursive: true });
  fs.writeFileSync(x('deep/er/file'), 'content\n');
  fs.linkSync(x('deep/er/file'), x('hardlink'));
  fs.linkSync(x('deep/er/file'), x('deep/hardlink2'));
  fs.writeFileSync(x('setuid'), '#!/bin/sh\n');
  fs.chownSync(x('setuid'), 1000, 1000);
  fs.chmodSync(x('setuid'), 0o4755);
  fs.chmodSync(x('deep'), 0o1770);
  fs.symlinkSync('/etc/shadow', x('abs-link'));
  fs.symlinkSync('../../nowhere', x('dangling'));
  execFileSync('mkfifo', [x('fifo')]);
  execFileSync('mknod', [x('null'), 'c', '1', '3']);
  execFileSync('setfattr', ['-n', 'user.gocker', '-v', 'kept', x('deep/er/file')]);
  execFileSync('setfattr', ['-n', 'trusted.gocker', '-v', '0x00ff10', x('deep')]);
  // A file capability (cap_net_raw+ep), as images carry them: binary, security.* namespace.
  execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', x('setuid')]);
  fs.writeFileSync(x('big'), Buffer.alloc(3 << 20, 7));
  fs.utimesSync(x('deep/er'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  fs.lutimesSync(x('abs-link'), new Date('2002-02-03T04:05:06Z'), new Date('2002-02-03T04:05:06Z'));
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

test('a whole tree: types, owners, modes, xattrs, times, hardlinks, devices, all equal', async () => {
  const dst = path.join(work, 'dst');
  const r = await native().copyTree('/', src, '/', dst, -1, -1);
  assert.equal(r.entries, describeTree(src).size + 1, `entries ${r.entries}`);
  assert.ok(r.bytes >= (3 << 20), `bytes ${r.bytes}`);
  assert.deepEqual(treeDiff(describeTree(src, { xattrs: true }), describeTree(dst, { xattrs: true }), ['src', 'copy']), []);
  const a = fs.statSync(path.join(dst, 'extra/hardlink'));
  assert.equal(a.ino, fs.statSync(path.join(dst, 'extra/deep/er/file')).ino);
  assert.equal(a.ino, fs.statSync(path.join(dst, 'extra/deep/hardlink2')).ino);
  assert.notEqual(a.ino, fs.statSync(path.join(src, 'extra/hardlink')).ino);
  // The same tree as GNU cp -a makes (the reference the issue names for a copy).
  const cpa = path.join(work, 'cpa');
  execFileSync('cp', ['-a', src, cpa]);
  assert.deepEqual(treeDiff(describeTree(cpa, { xattrs: true }), describeTree(dst, { xattrs: true }), ['cp -a', 'copy']), []);
});

test('one file, one symlink (not followed), and a chosen owner', async () => {
  const f = path.join(work, 'one');
  await native().copyTree('/', path.join(src, 'extra/setuid'), '/', f, 0, 0);
  const st = fs.statSync(f);
  assert.equal(st.uid, 0);
  assert.equal(st.mode & 0o7777, 0o4755);
  const l = path.join(work, 'onelink');
  await native().copyTree('/', path.join(src, 'extra/abs-link'), '/', l, -1, -1);
  assert.equal(fs.readlinkSync(l), '/etc/shadow');
  await assert.rejects(native().copyTree('/', path.join(src, 'extra/setuid'), '/', f, -1, -1), { code: 'EEXIST', syscall: 'openat' });
  await assert.rejects(native().copyTree('/', path.join(src, 'no/such'), '/', path.join(work, 'x'), -1, -1), { code: 'ENOENT' });
});

test('symlinks in either root resolve inside it, never on the host', async () => {
  // A root whose /etc is a link to the host's real directory, and a link to an absolute
  // host path: inside the root both mean the root's own paths.
  const root = path.join(work, 'root');
  const outside = path.join(work, 'outside');
  fs.mkdirSync(path.join(root, 'inside'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(root, 'escape'));
  fs.symlinkSync('../../../../../../..', path.join(root, 'up'));
  fs.writeFileSync(path.join(root, 'inside', 'secret-in-root'), 'in root\n');
  await assert.rejects(native().copyTree('/', path.join(src, 'etc/passwd'), root, '/escape/passwd', -1, -1), { code: 'ENOENT' });
  await native().copyTree('/', path.join(src, 'etc/passwd'), root, '/up/inside/passwd', -1, -1);
  assert.ok(fs.existsSync(path.join(root, 'inside', 'passwd')));
  assert.deepEqual(fs.readdirSync(outside), []);
  // Reading: /up/etc/hostname inside the root is the root's, not the host's.
  await assert.rejects(native().copyTree(root, '/up/etc/hostname', '/', path.join(work, 'h'), -1, -1), { code: 'ENOENT' });
  await native().copyTree(root, '/up/up/inside/secret-in-root', '/', path.join(work, 's'), -1, -1);
  assert.equal(fs.readFileSync(path.join(work, 's'), 'utf8'), 'in root\n');
});

test('on a filesystem with shared extents (XFS, reflink=1, on a loop device) file data is reflinked, not copied', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'xfs-'));
  const img = path.join(dir, 'img');
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 300 << 20);
  execFileSync('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
  execFileSync('mount', ['-o', 'loop', img, mnt]); // the loop device goes with the umount (autoclear)
  try {
    execFileSync('cp', ['-a', path.join(src, 'extra'), path.join(mnt, 'src')]);
    const r = await native().copyTree('/', path.join(mnt, 'src'), '/', path.join(mnt, 'dst'), -1, -1);
    const files = execFileSync('find', [path.join(mnt, 'src'), '-type', 'f', '-links', '1']).toString().trim().split('\n').length;
    assert.ok(r.reflinked >= files, `${r.reflinked} reflinked of ${files} single-link files`);
    assert.deepEqual(treeDiff(describeTree(path.join(mnt, 'src'), { xattrs: true }), describeTree(path.join(mnt, 'dst'), { xattrs: true }), ['src', 'copy']), []);
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test('a symlink at a destination name is replaced, never followed out of the root', async () => {
  const root = path.join(work, 'live');
  const outside = path.join(work, 'host');
  fs.mkdirSync(path.join(root, 'dst'), { recursive: true });
  fs.mkdirSync(outside);
  const victim = path.join(outside, 'victim');
  fs.writeFileSync(victim, 'host file\n', { mode: 0o600 });
  fs.symlinkSync(victim, path.join(root, 'dst', 'setuid'));
  fs.symlinkSync(outside, path.join(root, 'dst', 'deep'));
  // Merging (as gocker cp into an existing directory does): the file replaces the link, and
  // the directory is refused rather than merged into the link's target.
  await native().copyTree('/', path.join(src, 'extra/setuid'), root, '/dst/setuid', -1, -1, true);
  const st = fs.lstatSync(path.join(root, 'dst', 'setuid'));
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o7777, 0o4755);
  await assert.rejects(native().copyTree('/', path.join(src, 'extra/deep'), root, '/dst/deep', -1, -1, true), { code: 'ENOTDIR' });
  const v = fs.statSync(victim);
  assert.equal(v.mode & 0o7777, 0o600);
  assert.equal(v.uid, 0);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'host file\n');
  assert.deepEqual(fs.readdirSync(outside), ['victim']);
});

test('a tree that swaps each new name for a symlink while being copied into cannot get a host file changed', async () => {
  // A live container racing gocker cp: as each file appears, it renames a symlink to a host
  // file over it. Every change after creation must go through the copy's own descriptor.
  const race = path.join(work, 'race');
  const from = path.join(race, 'from');
  const root = path.join(race, 'root');
  const victim = path.join(race, 'victim');
  fs.mkdirSync(from, { recursive: true });
  fs.mkdirSync(root);
  fs.writeFileSync(victim, 'host\n', { mode: 0o600 });
  // Files big enough that their data takes a while: the window between create and chmod.
  const data = Buffer.alloc(256 << 10, 1);
  for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(from, `f${i}`), data, { mode: 0o4777 });
  execFileSync('chown', ['-R', '4321:4321', from]);
  const order = fs.readdirSync(from); // readdir order, as the copy walks it
  const { Worker } = await import('node:worker_threads');
  const attacker = new Worker(`
    const fs = require('node:fs');
    const { parentPort, workerData: { order, dst, victim } } = require('node:worker_threads');
    for (const name of order) {
      const p = dst + '/' + name;
      try { fs.symlinkSync(victim, p + '.tmp'); } catch {}
      // Ready for the first name: the copy starts only now (a worker started late on a busy
      // machine used to find the copy over, and race nothing).
      if (name === order[0]) parentPort.postMessage('ready');
      for (;;) {
        try { fs.lstatSync(p); break; } catch {}
      }
      try { fs.renameSync(p + '.tmp', p); } catch {}
    }
  `, { eval: true, workerData: { order, dst: path.join(root, 'dst'), victim } });
  await new Promise((resolve) => attacker.once('message', resolve));
  try {
    await native().copyTree('/', from, root, '/dst', -1, -1).catch((e: NodeJS.ErrnoException) => {
      // Refusing what was swapped under it is fine; following it is not.
      assert.ok(['ESTALE', 'EEXIST', 'ENOENT'].includes(String(e.code)), String(e));
    });
  } finally {
    await attacker.terminate();
  }
  const v = fs.statSync(victim);
  assert.equal(v.mode & 0o7777, 0o600);
  assert.equal(`${v.uid}:${v.gid}`, '0:0');
  assert.equal(fs.readFileSync(victim, 'utf8'), 'host\n');
  const swapped = fs.readdirSync(path.join(root, 'dst')).filter((f) => fs.lstatSync(path.join(root, 'dst', f)).isSymbolicLink()).length;
  assert.ok(swapped > 0, 'the attacker raced at least one name');
});
