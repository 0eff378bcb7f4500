// import, load, images, tag, rmi, history, image inspect on a private store.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxRootfs, dockerArchive, multiLayerImage } from '../helpers/fixtures';
import { gocker, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-images-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-imgw-'));
const g = (args: string[], input?: Buffer) => gocker([...roots.args, ...args], input ? { input } : {});
let tarball: string;

before(async () => {
  tarball = path.join(work, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.']);
});

after(() => {
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('import from a file and from stdin (gzip), with -c changes', () => {
  const a = g(['import', tarball, 'rootfs:a']);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const gz = execFileSync('gzip', ['-c', tarball]);
  const b = g(['import', '-c', 'CMD ["echo", "from-cmd"]', '-c', 'ENV A=1', '-', 'rootfs:b'], gz);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(g(['run', '--rm', 'rootfs:b']).stdout, 'from-cmd\n');
  assert.equal(g(['run', '--rm', 'rootfs:b', 'sh', '-c', 'echo $A']).stdout, '1\n');
  // Same files, so the same layer: stored once.
  assert.equal(fs.readdirSync(path.join(roots.root, 'layers')).length, 1);
  const hist = g(['history', 'rootfs:b']).stdout.split('\n');
  assert.match(hist[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(hist[1], /gocker import -\s+\d.*MB\s+Imported from -$/);
  const bad = g(['import', path.join(work, 'missing.tar')]);
  assert.equal(bad.status, 125);
  const notTar = path.join(work, 'not.tar');
  fs.writeFileSync(notTar, 'this is not a tar archive at all'.repeat(40));
  const nt = g(['import', notTar, 'broken:1']);
  assert.equal(nt.status, 125);
  assert.equal(nt.stderr.split('\n').length, 2);
  assert.doesNotMatch(g(['images']).stdout, /broken/);
});

test('load a docker-archive written by skopeo; images lists it; image inspect is docker-shaped', async () => {
  const archive = dockerArchive(await multiLayerImage(), path.join(work, 'multi.tar'), 'example.com/multi:v2');
  const r = g(['load', '-i', archive]);
  assert.equal(r.stdout, 'Loaded image: example.com/multi:v2\n', r.stderr);
  assert.match(g(['images']).stdout, /example\.com\/multi\s+v2\s+[0-9a-f]{12}\s+/);
  const info = JSON.parse(g(['image', 'inspect', 'example.com/multi:v2']).stdout)[0];
  assert.deepEqual(info.RepoTags, ['example.com/multi:v2']);
  assert.equal(info.RootFS.Layers.length, 5);
  assert.equal(info.Os, 'linux');
  assert.deepEqual(info.Config.Cmd, ['sh']);
  assert.equal(g(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', 'example.com/multi:v2']).stdout.trim().split('/')[0], 'linux');
  assert.equal(g(['run', '--rm', 'example.com/multi:v2', 'cat', '/data/dir-to-file']).stdout, 'now a file\n');
});

test('save writes a docker-archive that skopeo reads and load takes back', async () => {
  const out = path.join(work, 'saved.tar');
  assert.equal(g(['save', '-o', out, 'example.com/multi:v2']).status, 0);
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${out}`]).toString());
  assert.equal(inspect.Layers.length, 5);
  assert.equal(inspect.Os, 'linux');
  const other = tempRoots('gocker-images2-');
  try {
    assert.equal(gocker([...other.args, 'load', '-i', out]).stdout, 'Loaded image: example.com/multi:v2\n');
    assert.equal(gocker([...other.args, 'run', '--rm', 'example.com/multi:v2', 'cat', '/data/opaque/new']).stdout, 'new\n');
  } finally {
    other.remove();
  }
  assert.equal(g(['save', '-o', path.join(work, 'x.tar'), 'nosuch:1']).status, 1);
  assert.ok(!fs.existsSync(path.join(work, 'x.tar')));
});

test('tag and rmi: untag, refuse an image a container uses, delete unshared layers', () => {
  assert.equal(g(['tag', 'rootfs:a', 'other/name:x']).status, 0);
  assert.match(g(['images', 'other/name']).stdout, /other\/name\s+x/);
  assert.equal(g(['rmi', 'other/name:x']).stdout, 'Untagged: other/name:x\n');
  assert.equal(g(['run', '--name', 'user', 'rootfs:a', 'true']).status, 0);
  const refused = g(['rmi', 'rootfs:a']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /conflict: unable to remove repository reference "rootfs:a" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
  assert.equal(g(['rm', 'user']).status, 0);
  const layersBefore = fs.readdirSync(path.join(roots.root, 'layers')).length;
  const del = g(['rmi', 'rootfs:a']);
  assert.match(del.stdout, /^Untagged: rootfs:a\nDeleted: sha256:/);
  // rootfs:b shares the same single layer: it stays.
  assert.equal(fs.readdirSync(path.join(roots.root, 'layers')).length, layersBefore);
  assert.equal(g(['rmi', 'rootfs:b']).status, 0);
  assert.equal(fs.readdirSync(path.join(roots.root, 'layers')).length, layersBefore - 1);
  const none = g(['rmi', 'nosuch:image']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /No such image: nosuch:image/);
});
