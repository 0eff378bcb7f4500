// The vfs storage driver: every layer a full tree (its parent's, copied, plus its own
// changes), every container a full copy of its image, no overlay mount anywhere.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dockerArchive, multiLayerImage, umociUnpack } from '../helpers/fixtures';
import { BIN, gocker, tempRoots } from '../helpers/cli';
import { describeTree, treeDiff } from '../helpers/tree';

const roots = tempRoots('gocker-vfs-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-vfsw-'));
const g = (args: string[]) => gocker([...roots.args, '--storage-driver', 'vfs', ...args]);
const vfsRoot = path.join(roots.root, 'vfs');

/** /proc/PID/mountinfo lines: optional fields end at the lone '-', then fstype and source. */
function parseMountinfo(text: string): Array<{ mountPoint: string; root: string; fstype: string; source: string }> {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').filter((l) => /^\d+ \d+ \d+:\d+ /.test(l)).map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-', 6);
    return { root: unescape(f[3]), mountPoint: unescape(f[4]), fstype: f[sep + 1], source: unescape(f[sep + 2]) };
  });
}

before(async () => {
  const archive = dockerArchive(await multiLayerImage(), path.join(work, 'multi.tar'), 'multi:1');
  const r = g(['load', '-i', archive]);
  assert.equal(r.stdout, 'Loaded image: multi:1\n', r.stderr);
});

after(() => {
  for (const id of fs.existsSync(path.join(vfsRoot, 'containers')) ? fs.readdirSync(path.join(vfsRoot, 'containers')) : []) g(['rm', '-f', id]);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('each layer is a full tree; the top one equals umoci unpack; the overlay store is not touched', async () => {
  const top = g(['image', 'inspect', '-f', '{{.GraphDriver.Name}} {{.GraphDriver.Data.Dir}}', 'multi:1']).stdout.trim().split(' ');
  assert.equal(top[0], 'vfs');
  assert.ok(top[1].startsWith(path.join(vfsRoot, 'layers')), top[1]);
  const rootfs = umociUnpack(await multiLayerImage(), path.join(work, 'umoci'));
  assert.deepEqual(treeDiff(describeTree(top[1], { xattrs: true }), describeTree(rootfs, { xattrs: true }), ['vfs', 'umoci']), []);
  // No whiteout device or opaque marker anywhere: deletions were applied.
  assert.equal(execFileSync('find', [path.join(vfsRoot, 'layers'), '-type', 'c']).toString(), '');
  assert.equal(fs.readdirSync(path.join(vfsRoot, 'layers')).length, 5);
  assert.ok(!fs.existsSync(path.join(roots.root, 'images')));
  assert.equal(gocker([...roots.args, 'images', '-q']).stdout, '');
  assert.match(g(['info']).stdout, /Storage Driver: vfs\n/);
});

test('a name that is no UTF-8 is in diff and in the commit, bytes as they were', () => {
  // vfs compares the container's tree with its image's by name: a name that is no UTF-8, read
  // into a string, became U+FFFD, named nothing, and its change was left out of both.
  const made = 'n="$(printf \'r\\377w\')"; echo kept > "/$n"; mkdir /m; echo kept > "/m/$n"';
  const r = g(['run', '--name', 'v2', 'multi:1', 'sh', '-c', made]);
  try {
    assert.equal(r.status, 0, r.stderr);
    const raw = Buffer.from([0x72, 0xff, 0x77]);
    const diff = spawnSync(BIN, [...roots.args, '--storage-driver', 'vfs', 'diff', 'v2']);
    assert.equal(diff.status, 0, String(diff.stderr));
    assert.deepEqual(diff.stdout, Buffer.concat([Buffer.from('C /etc\nA /m\nA /m/'), raw, Buffer.from('\nA /'), raw, Buffer.from('\n')]));
    assert.match(g(['commit', 'v2', 'multi:3']).stdout, /^sha256:[0-9a-f]{64}\n$/);
    const ran = g(['run', '--rm', 'multi:3', 'sh', '-c', 'n="$(printf \'r\\377w\')"; cat "/$n" "/m/$n"']);
    assert.equal(ran.stdout, 'kept\nkept\n', ran.stderr);
  } finally {
    g(['rm', '-f', 'v2']);
    g(['rmi', 'multi:3']);
  }
});

test('run on a copy of the image (bind, not overlay): diff, commit, export, cp, rm', () => {
  const r = g(['run', '--name', 'v1', 'multi:1', 'sh', '-c',
    'cat /proc/self/mountinfo; echo new > /data/added; rm /data/keep; mkdir -p /n/d; echo x > /n/d/f']);
  assert.equal(r.status, 0, r.stderr);
  const rec = JSON.parse(g(['inspect', 'v1']).stdout)[0];
  assert.equal(rec.GraphDriver.Name, 'vfs');
  const rootfs = rec.GraphDriver.Data.UpperDir as string;
  // The container's / is a bind of the copy: the filesystem the copy lives on, not overlay.
  const inside = parseMountinfo(r.stdout).filter((m) => m.mountPoint === '/').pop();
  assert.ok(inside, r.stdout);
  const host = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((m) => rootfs === m.mountPoint || rootfs.startsWith(m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`))
    .sort((x, y) => x.mountPoint.length - y.mountPoint.length).pop()!;
  assert.notEqual(inside.fstype, 'overlay');
  assert.equal(inside.fstype, host.fstype);
  assert.equal(inside.source, host.source);
  assert.equal(fs.readFileSync(path.join(rootfs, 'data', 'added'), 'utf8'), 'new\n');
  // The image's tree is untouched.
  const top = g(['image', 'inspect', '-f', '{{.GraphDriver.Data.Dir}}', 'multi:1']).stdout.trim();
  assert.ok(fs.existsSync(path.join(top, 'data', 'keep')));
  assert.ok(!fs.existsSync(path.join(top, 'data', 'added')));
  assert.equal(g(['diff', 'v1']).stdout, 'C /data\nA /data/added\nD /data/keep\nC /etc\nA /n\nA /n/d\nA /n/d/f\n');
  assert.match(g(['commit', 'v1', 'multi:2']).stdout, /^sha256:[0-9a-f]{64}\n$/);
  // A changed directory keeps the container's time (to the millisecond the stage copies it
  // with), though what changed in it is staged after it.
  const committed = g(['image', 'inspect', '-f', '{{.GraphDriver.Data.Dir}}', 'multi:2']).stdout.trim();
  const drift = fs.statSync(path.join(committed, 'data')).mtimeMs - fs.statSync(path.join(rootfs, 'data')).mtimeMs;
  assert.ok(Math.abs(drift) < 1, `/data of the committed layer is ${drift} ms off the container's`);
  assert.equal(g(['run', '--rm', 'multi:2', 'sh', '-c', 'cat /data/added /n/d/f; ls /data/keep 2>&1; cat /data/dir-to-file']).stdout,
    'new\nx\nls: /data/keep: No such file or directory\nnow a file\n');
  const tarball = path.join(work, 'export.tar');
  assert.equal(g(['export', '-o', tarball, 'v1']).status, 0);
  const names = execFileSync('tar', ['-tf', tarball]).toString().split('\n');
  assert.ok(names.includes('data/added') || names.includes('./data/added'), names.slice(0, 5).join(','));
  assert.equal(g(['cp', '-q', 'v1:/n/d/f', path.join(work, 'f')]).status, 0);
  assert.equal(fs.readFileSync(path.join(work, 'f'), 'utf8'), 'x\n');
  assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(vfsRoot));
  assert.equal(g(['rm', 'v1']).status, 0);
  assert.ok(!fs.existsSync(rootfs));
  // rmi and prune take the copies away like any layer.
  assert.equal(g(['rmi', 'multi:2']).status, 0);
  assert.equal(g(['image', 'prune', '-a', '-f']).status, 0);
  assert.deepEqual(fs.readdirSync(path.join(vfsRoot, 'layers')), []);
});

test('an unknown driver is refused in one line, as docker refuses a bad --log-level', () => {
  const r = gocker([...roots.args, '--storage-driver', 'zfs', 'images']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'unknown storage driver "zfs" (supported: overlay2, vfs)\n');
  const env = gocker([...roots.args, 'run', 'busybox'], { env: { ...process.env, GOCKER_STORAGE_DRIVER: 'zfs' } });
  assert.equal(env.status, 1);
  assert.equal(env.stderr, 'unknown storage driver "zfs" (supported: overlay2, vfs)\n');
});
