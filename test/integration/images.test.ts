// import, load, images, tag, rmi, history, image inspect on a private store.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, busyboxRootfs, dockerArchive, multiLayerImage } from '../helpers/fixtures';
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
  // podman load takes what save writes, several images in one archive, with the same layers
  // (its own store, in a temp dir). Not the multi-layer fixture: umoci writes a whiteout
  // under a path its layer has just made a file, which containers/storage refuses to apply.
  const two = path.join(work, 'two.tar');
  assert.equal(g(['save', '-o', two, 'rootfs:a', 'rootfs:b']).status, 0);
  const pod = fs.mkdtempSync(path.join(work, 'podman-'));
  const podman = (...a: string[]): string => execFileSync('podman', ['--root', path.join(pod, 'root'), '--runroot', path.join(pod, 'run'), '--storage-driver', 'vfs', ...a]).toString();
  const loaded = podman('load', '-i', two);
  assert.match(loaded, /Loaded image: \S*rootfs:a/);
  assert.match(loaded, /Loaded image: \S*rootfs:b/);
  assert.equal(podman('image', 'inspect', '--format', '{{json .Config.Cmd}}', 'rootfs:b').trim(), '["echo","from-cmd"]');
  assert.equal(podman('image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'rootfs:a').trim(),
    g(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'rootfs:a']).stdout.trim());
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

test('load checks what the archive says: layer digests, and names that point outside it', async () => {
  const fx = await busyboxImage();
  // An OCI layout as umoci wrote it loads (skopeo's `oci-archive:` is the same thing, tarred).
  const good = path.join(work, 'layout.tar');
  execFileSync('tar', ['-cf', good, '-C', fx.layout, '.']);
  assert.equal(g(['load', '-i', good]).stdout, `Loaded image: localhost/oci-image:${fx.tag}\n`);
  assert.equal(g(['rmi', `localhost/oci-image:${fx.tag}`]).status, 0);
  const before = g(['images', '-q']).stdout;
  // One byte of a layer blob changed: refused before anything is stored.
  const bad = fs.mkdtempSync(path.join(work, 'badlayout-'));
  execFileSync('cp', ['-a', `${fx.layout}/.`, bad]);
  const index = JSON.parse(fs.readFileSync(path.join(bad, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(path.join(bad, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  const layer = path.join(bad, 'blobs', 'sha256', manifest.layers[0].digest.slice(7));
  const bytes = fs.readFileSync(layer);
  bytes[bytes.length - 30] ^= 0xff;
  fs.writeFileSync(layer, bytes);
  const badTar = path.join(work, 'bad-layout.tar');
  execFileSync('tar', ['-cf', badTar, '-C', bad, '.']);
  const r = g(['load', '-i', badTar]);
  assert.equal(r.status, 125);
  assert.equal(r.stderr, `gocker: load: layer ${manifest.layers[0].digest} does not match its digest\n`);
  // A docker-archive whose manifest names a host file: by '..' (our check), or through a
  // symlink the archive carries (the tar package refuses to unpack that link at all).
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['../../../../../../etc/passwd', undefined, /^gocker: load: config \S+ points outside the archive\n$/],
    ['evil', '../../../../../../../../etc/passwd', /^gocker: load: not a readable tar archive: .*linkpath escapes extraction directory\n$/],
  ];
  for (const [name, link, want] of cases) {
    const d = fs.mkdtempSync(path.join(work, 'evil-'));
    if (link) fs.symlinkSync(link, path.join(d, name));
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: name, RepoTags: ['evil:1'], Layers: [] }]));
    const t = `${d}.tar`;
    execFileSync('tar', ['-cf', t, '-C', d, '.']);
    const e = g(['load', '-i', t]);
    assert.equal(e.status, 125);
    assert.match(e.stderr, want);
  }
  assert.equal(g(['images', '-q']).stdout, before);
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

test('rmi -f of an image a container uses leaves it dangling; image prune and system df; no blob left behind', () => {
  const blobs = path.join(roots.root, 'blobs', 'sha256');
  const id = g(['image', 'inspect', '-f', '{{.Id}}', 'example.com/multi:v2']).stdout.trim();
  assert.equal(g(['import', tarball, 'rootfs:d']).status, 0);
  assert.equal(g(['run', '--name', 'holder', 'example.com/multi:v2', 'true']).status, 0);
  assert.equal(g(['rmi', '-f', 'example.com/multi:v2']).stdout, 'Untagged: example.com/multi:v2\n');
  assert.match(g(['images']).stdout, new RegExp(`<none>\\s+<none>\\s+${id.slice(7, 19)}`));
  assert.equal(g(['images', '-q', '--filter', 'dangling=true']).stdout, `${id.slice(7, 19)}\n`);
  const df = g(['system', 'df']).stdout.split('\n');
  assert.match(df[0], /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
  assert.match(df[1], /^Images\s+2\s+1\s+\S+MB\s+\S+MB \(\d+%\)$/);
  assert.match(df[2], /^Containers\s+1\s+0\s+/);
  const dfJson = g(['system', 'df', '--format', '{{json .}}']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(dfJson.map((r) => r.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  // The container still needs it: nothing to prune, and its files are all there.
  assert.equal(g(['image', 'prune', '-f']).stdout, 'Total reclaimed space: 0B\n');
  assert.equal(g(['start', '-a', 'holder']).status, 0);
  // Without -f, prune asks; anything but y keeps everything.
  const asked = g(['image', 'prune'], Buffer.from('n\n'));
  assert.match(asked.stderr, /WARNING! This will remove all dangling images\.\nAre you sure you want to continue\? \[y\/N\]/);
  assert.equal(asked.stdout, '');
  assert.equal(g(['rm', 'holder']).status, 0);
  const pruned = g(['image', 'prune'], Buffer.from('y\n'));
  assert.match(pruned.stdout, new RegExp(`^Deleted Images:\\ndeleted: ${id}\\n(deleted: sha256:[0-9a-f]{64}\\n){5}\\nTotal reclaimed space: \\S+MB\\n$`));
  // rootfs:d is named: dangling prune keeps it; -a takes it, with every layer and blob.
  assert.match(g(['images']).stdout, /rootfs\s+d\s+/);
  const all = g(['image', 'prune', '-a', '-f']);
  assert.match(all.stdout, /^Deleted Images:\nuntagged: rootfs:d\ndeleted: sha256:/);
  assert.deepEqual(fs.readdirSync(blobs), []);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'layers')), []);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'l')), []);
  assert.match(g(['system', 'df']).stdout, /Images\s+0\s+0\s+0B\s+0B\n/);
});
