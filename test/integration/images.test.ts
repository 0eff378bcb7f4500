// import, load, images, tag, rmi, history, image inspect on a private store.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bigLayerImage, busyboxImage, busyboxRootfs, dockerArchive, multiImageDockerArchive, multiLayerImage, ociArchive, ociLayoutOf, umociUnpack, type OciFixture } from '../helpers/fixtures';
import { BIN, gocker, tempRoots } from '../helpers/cli';
import { pushImage, startRegistry } from '../helpers/registry';

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
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, `open ${path.join(work, 'missing.tar')}: no such file or directory\n`);
  const notTar = path.join(work, 'not.tar');
  fs.writeFileSync(notTar, 'this is not a tar archive at all'.repeat(40));
  const nt = g(['import', notTar, 'broken:1']);
  assert.equal(nt.status, 1);
  assert.match(nt.stderr, /^Error response from daemon: /);
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
    // A second store beside this file's: without a bridge of its own in the config, it keeps
    // off the network (the first store's bridge is not its to share, as with two dockerds).
    assert.equal(gocker([...other.args, 'run', '--rm', '--network', 'none', 'example.com/multi:v2', 'cat', '/data/opaque/new']).stdout, 'new\n');
  } finally {
    other.remove();
  }
  assert.equal(g(['save', '-o', path.join(work, 'x.tar'), 'nosuch:1']).status, 1);
  assert.ok(!fs.existsSync(path.join(work, 'x.tar')));
  assert.deepEqual(fs.readdirSync(work).filter((f) => f.includes('.tmp-')), []);
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
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `Error response from daemon: load: layer ${manifest.layers[0].digest} does not match its digest\n`);
  // A docker-archive whose manifest names a host file: by '..' (our check), or through a
  // symlink the archive carries (the tar package refuses to unpack that link at all).
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['../../../../../../etc/passwd', undefined, /^Error response from daemon: load: config \S+ points outside the archive\n$/],
    ['evil', '../../../../../../../../etc/passwd', /^Error response from daemon: load: not a readable tar archive: .*linkpath escapes extraction directory\n$/],
  ];
  for (const [name, link, want] of cases) {
    const d = fs.mkdtempSync(path.join(work, 'evil-'));
    if (link) fs.symlinkSync(link, path.join(d, name));
    fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify([{ Config: name, RepoTags: ['evil:1'], Layers: [] }]));
    const t = `${d}.tar`;
    execFileSync('tar', ['-cf', t, '-C', d, '.']);
    const e = g(['load', '-i', t]);
    assert.equal(e.status, 1);
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
  assert.equal(asked.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  assert.equal(asked.stderr, '');
  assert.equal(g(['rm', 'holder']).status, 0);
  const pruned = g(['image', 'prune'], Buffer.from('y\n'));
  assert.match(pruned.stdout, new RegExp(`^WARNING! .*\\n.* \\[y/N\\] Deleted Images:\\ndeleted: ${id}\\n(deleted: sha256:[0-9a-f]{64}\\n){5}\\nTotal reclaimed space: \\S+MB\\n$`));
  // rootfs:d is named: dangling prune keeps it; -a takes it, with every layer and blob.
  assert.match(g(['images']).stdout, /rootfs\s+d\s+/);
  const all = g(['image', 'prune', '-a', '-f']);
  assert.match(all.stdout, /^Deleted Images:\nuntagged: rootfs:d\ndeleted: sha256:/);
  assert.deepEqual(fs.readdirSync(blobs), []);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'layers')), []);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'l')), []);
  assert.match(g(['system', 'df']).stdout, /Images\s+0\s+0\s+0B\s+0B\n/);
});

/** What a tree holds under /data, by type: the oracle is umoci's own unpack of the image. */
const DATA_LISTING = "for t in f d l; do echo \"== $t\"; find /data -type $t | sort; done; cat /data/keep /data/opaque/new /data/dir-to-file /data/file-to-dir/now; readlink /data/link";

function umociListing(fx: OciFixture): string {
  const dest = fs.mkdtempSync(path.join(work, 'umoci-'));
  try {
    const rootfs = umociUnpack(fx, path.join(dest, 'bundle'));
    return execFileSync('chroot', [rootfs, '/bin/sh', '-c', DATA_LISTING]).toString();
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
}

test('load: skopeo oci-archive and docker-archive of the multi-layer image run, whiteouts applied as umoci does', async () => {
  const fx = await multiLayerImage();
  const want = umociListing(fx);
  assert.match(want, /== f\n(.*\n)*\/data\/opaque\/new\n/);
  assert.doesNotMatch(want, /\/data\/gone|\/data\/dir\/|old1/);
  const h = tempRoots('gocker-images-load-');
  const hg = (args: string[]) => gocker([...h.args, ...args]);
  try {
    const oci = ociArchive(fx, path.join(work, 'multi-oci.tar'), 'example.com/multi-oci:3');
    assert.equal(hg(['load', '-i', oci]).stdout, 'Loaded image: example.com/multi-oci:3\n');
    const docker = dockerArchive(fx, path.join(work, 'multi-docker.tar'), 'example.com/multi-docker:4');
    assert.equal(hg(['load', '-i', docker]).stdout, 'Loaded image: example.com/multi-docker:4\n');
    for (const img of ['example.com/multi-oci:3', 'example.com/multi-docker:4']) {
      assert.equal(hg(['run', '--rm', '--network', 'none', img, 'true']).status, 0, img);
      const r = hg(['run', '--rm', '--network', 'none', img, 'sh', '-c', DATA_LISTING]);
      assert.equal(r.stdout, want, `${img}: ${r.stderr}`);
    }
    // Same layers either way: stored once.
    assert.equal(hg(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'example.com/multi-oci:3']).stdout,
      hg(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'example.com/multi-docker:4']).stdout);
    assert.equal(fs.readdirSync(path.join(h.root, 'layers')).length, 5);
  } finally {
    h.remove();
  }
});

test('load: a multi-image docker-archive (podman save -m), and an OCI layout with several ref names', async () => {
  const bb = await busyboxImage();
  const big = await bigLayerImage();
  const h = tempRoots('gocker-images-multi-');
  const hg = (args: string[], input?: Buffer) => gocker([...h.args, ...args], input ? { input } : {});
  try {
    const archive = multiImageDockerArchive([[bb, 'example.com/one:1', 'example.com/one:alias'], [big, 'example.com/big:2']]);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json']).toString()) as Array<{ RepoTags: string[] }>;
    assert.equal(manifest.length, 2);
    const r = hg(['load', '-i', archive]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['Loaded image: example.com/big:2', 'Loaded image: example.com/one:1', 'Loaded image: example.com/one:alias']);
    assert.equal(hg(['run', '--rm', '--network', 'none', 'example.com/big:2', 'sh', '-c', 'wc -c < /data/random']).stdout.trim(), String(8 << 20));
    assert.equal(hg(['run', '--rm', '--network', 'none', 'example.com/one:alias', 'true']).status, 0);
    // From stdin too, into an OCI layout that skopeo filled with two images under two names.
    const layout = ociLayoutOf([[bb, 'one'], [big, 'example.com/two:2']], path.join(work, 'two-layout'));
    assert.equal(JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')).manifests.length, 2);
    const t = path.join(work, 'two-layout.tar');
    execFileSync('tar', ['-cf', t, '-C', layout, '.']);
    const l = hg(['load'], fs.readFileSync(t));
    assert.equal(l.stdout, 'Loaded image: localhost/oci-image:one\nLoaded image: example.com/two:2\n', l.stderr);
    assert.equal(hg(['image', 'inspect', '-f', '{{.Id}}', 'example.com/two:2']).stdout, hg(['image', 'inspect', '-f', '{{.Id}}', 'example.com/big:2']).stdout);
    assert.equal(hg(['run', '--rm', '--network', 'none', 'localhost/oci-image:one', 'true']).status, 0);
  } finally {
    h.remove();
  }
});

test('load: a nested multi-platform index picks the host platform, variant included', async () => {
  const fx = await busyboxImage();
  const dir = fs.mkdtempSync(path.join(work, 'nested-'));
  execFileSync('cp', ['-a', `${fx.layout}/.`, dir]);
  const blob = (d: string) => path.join(dir, 'blobs', 'sha256', d.slice(7));
  const put = (obj: unknown): { digest: string; size: number } => {
    const buf = Buffer.from(JSON.stringify(obj));
    const digest = `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;
    fs.writeFileSync(blob(digest), buf);
    return { digest, size: buf.length };
  };
  const top = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0];
  const manifest = JSON.parse(fs.readFileSync(blob(top.digest), 'utf8'));
  const config = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
  const host = ({ x64: ['amd64', undefined], arm64: ['arm64', 'v8'] } as Record<string, [string, string | undefined]>)[process.arch] ?? [process.arch, undefined];
  // One image a platform, each config telling which it is (a label), same layer.
  const variant = (arch: string, v: string | undefined, label: string) => {
    const c = put({ ...config, architecture: arch, ...(v ? { variant: v } : {}), config: { ...config.config, Labels: { which: label } } });
    const m = put({ ...manifest, config: { ...manifest.config, ...c } });
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { os: 'linux', architecture: arch, ...(v ? { variant: v } : {}) } };
  };
  const entries = [
    variant(host[0], host[0] === 'arm64' ? 'v9' : 'v3', 'other-variant'),
    variant('s390x', undefined, 's390x'),
    variant(host[0], host[1], 'host'),
  ];
  const inner = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries });
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...inner, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
  const t = path.join(work, 'nested.tar');
  execFileSync('tar', ['-cf', t, '-C', dir, '.']);
  const h = tempRoots('gocker-images-nested-');
  try {
    const r = gocker([...h.args, 'load', '-i', t]);
    assert.equal(r.stdout, 'Loaded image: localhost/oci-image:multi\n', r.stderr);
    assert.equal(gocker([...h.args, 'image', 'inspect', '-f', '{{.Config.Labels.which}}', 'localhost/oci-image:multi']).stdout, 'host\n');
    assert.equal(gocker([...h.args, 'run', '--rm', '--network', 'none', 'localhost/oci-image:multi', 'true']).status, 0);
    // No entry for this host: a clear error naming what there is, nothing stored.
    fs.writeFileSync(blob(inner.digest), JSON.stringify({ schemaVersion: 2, manifests: [entries[1]] }));
    const only = put({ schemaVersion: 2, manifests: [entries[1]] });
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...only }] }));
    execFileSync('tar', ['-cf', t, '-C', dir, '.']);
    const e = gocker([...h.args, 'load', '-i', t]);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /^Error response from daemon: load: no manifest for linux\/\S+ in the archive \(available: linux\/s390x\)\n$/);
  } finally {
    h.remove();
  }
});

test('images: per-repository digests, digest-only rows, REPOSITORY[:TAG], newest first, -q, --no-trunc; rmi repo@digest', async () => {
  const reg = await startRegistry();
  const h = tempRoots('gocker-images-reg-');
  const hg = (args: string[]) => gocker([...h.args, ...args]);
  try {
    pushImage((await busyboxImage()).ref, reg, 'bb:latest');
    pushImage((await multiLayerImage()).ref, reg, 'multi:1');
    const dM = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/multi:1`]).toString()).Digest as string;
    const p = hg(['pull', `${reg.host}/bb:latest`]);
    assert.equal(p.status, 0, p.stderr);
    const dB = /Digest: (sha256:[0-9a-f]{64})/.exec(p.stdout)![1];
    assert.equal(hg(['pull', `${reg.host}/multi@${dM}`]).status, 0);
    assert.equal(hg(['tag', `${reg.host}/bb`, 'other/bb:x']).status, 0);
    assert.equal(hg(['import', tarball, 'imp:1']).status, 0);
    const idOf = (n: string) => hg(['image', 'inspect', '-f', '{{.Id}}', n]).stdout.trim();
    const [idB, idM, idI] = [`${reg.host}/bb:latest`, `${reg.host}/multi@${dM}`, 'imp:1'].map(idOf);
    const rows = (args: string[]) => hg(['images', ...args]).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/));
    const plain = rows([]);
    assert.deepEqual(plain.map((r) => r.slice(0, 3)).sort(), [
      [`${reg.host}/bb`, 'latest', idB.slice(7, 19)],
      [`${reg.host}/multi`, '<none>', idM.slice(7, 19)],
      ['imp', '1', idI.slice(7, 19)],
      ['other/bb', 'x', idB.slice(7, 19)],
    ].sort());
    // Newest first, as docker: by the image's created time.
    const created = plain.map((r) => Date.parse(hg(['image', 'inspect', '-f', '{{.Created}}', r[2]]).stdout.trim()));
    assert.deepEqual(created, [...created].sort((a, b) => b - a));
    assert.equal(plain[0][0], 'imp');
    const dig = rows(['--digests']);
    assert.deepEqual(dig.map((r) => r.slice(0, 3)).sort(), [
      [`${reg.host}/bb`, 'latest', dB],
      [`${reg.host}/multi`, '<none>', dM],
      ['imp', '1', '<none>'],
      ['other/bb', 'x', '<none>'],
    ].sort());
    assert.deepEqual(rows([`${reg.host}/bb:latest`]).map((r) => r[1]), ['latest']);
    assert.deepEqual(rows([`${reg.host}/bb:nosuch`]), []);
    assert.deepEqual(rows(['other/bb']).map((r) => r[1]), ['x']);
    assert.deepEqual(rows([`${reg.host}/multi`]).map((r) => r[1]), ['<none>']);
    // The argument is a pattern (Go's path.Match), as docker's reference filter: against
    // repo:tag or repo; an image with no matching name is not listed.
    assert.deepEqual(rows(['other/*']).map((r) => r.slice(0, 2)), [['other/bb', 'x']]);
    assert.deepEqual(rows(['*/bb:?atest']).map((r) => r.slice(0, 2)), [[`${reg.host}/bb`, 'latest']]);
    assert.deepEqual(rows(['im[a-p]']).map((r) => r.slice(0, 2)), [['imp', '1']]);
    assert.deepEqual(rows(['*']).map((r) => r[0]), ['imp']);
    assert.deepEqual(rows(['Bad:Name']), []);
    const badPattern = hg(['images', 'imp[']);
    assert.equal(badPattern.status, 1);
    assert.equal(badPattern.stderr, 'Error response from daemon: syntax error in pattern\n');
    const q = hg(['images', '-q']).stdout.trim().split('\n');
    assert.deepEqual(q.sort(), [idB, idM, idI].map((i) => i.slice(7, 19)).sort());
    assert.deepEqual(hg(['images', '-q', '--no-trunc']).stdout.trim().split('\n').sort(), [idB, idM, idI].sort());
    assert.ok(rows(['--no-trunc']).every((r) => /^sha256:[0-9a-f]{64}$/.test(r[2])));
    // rmi by digest removes that digest reference, never the tag the image also has.
    assert.equal(hg(['pull', `${reg.host}/bb@${dB}`]).status, 0);
    const u = hg(['rmi', `${reg.host}/bb@${dB}`]);
    assert.equal(u.stdout, `Untagged: ${reg.host}/bb@${dB}\n`, u.stderr);
    assert.deepEqual(rows(['--digests', `${reg.host}/bb`]).map((r) => r.slice(0, 3)), [[`${reg.host}/bb`, 'latest', '<none>']]);
    assert.equal(hg(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${reg.host}/bb`]).stdout, '[]\n');
    const m = hg(['rmi', `${reg.host}/multi@${dM}`]);
    assert.match(m.stdout, new RegExp(`^Untagged: ${reg.host}/multi@${dM}\\nDeleted: ${idM}\\n`));
    assert.equal(hg(['image', 'inspect', idM]).status, 1);
    assert.equal(hg(['rmi', `${reg.host}/bb:latest`]).stdout, `Untagged: ${reg.host}/bb:latest\n`);
    assert.equal(idOf('other/bb:x'), idB);
  } finally {
    h.remove();
    await reg.stop();
  }
});

test('save: one archive entry an image however many names, to stdout when not a terminal, refused on a terminal', () => {
  const h = tempRoots('gocker-images-save-');
  const hg = (args: string[]) => gocker([...h.args, ...args], { encoding: 'buffer' as BufferEncoding, maxBuffer: 64 << 20 });
  try {
    assert.equal(gocker([...h.args, 'import', tarball, 'sv:a']).status, 0);
    assert.equal(gocker([...h.args, 'import', '-c', 'CMD ["true"]', tarball, 'sv:b']).status, 0);
    assert.equal(gocker([...h.args, 'tag', 'sv:a', 'sv:alias']).status, 0);
    const r = spawnSync(process.execPath, [BIN, ...h.args, 'save', 'sv:a', 'sv:alias', 'sv:b'], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.toString());
    const file = path.join(work, 'stdout-save.tar');
    fs.writeFileSync(file, r.stdout);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString()) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(manifest.map((m) => m.RepoTags), [['sv:a', 'sv:alias'], ['sv:b']]);
    const other = tempRoots('gocker-images-save2-');
    try {
      const l = gocker([...other.args, 'load', '-i', file]);
      assert.equal(l.stdout, 'Loaded image: sv:a\nLoaded image: sv:alias\nLoaded image: sv:b\n', l.stderr);
      assert.equal(gocker([...other.args, 'run', '--rm', '--network', 'none', 'sv:b']).status, 0);
    } finally {
      other.remove();
    }
    // stdout a terminal (script(1) gives the command a pty): docker's refusal, nothing written.
    const cmd = [process.execPath, BIN, ...h.args, 'save', 'sv:a'].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(tty.status, 1);
    assert.equal(tty.stdout.replace(/\r/g, ''), 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n');
    // -o into a directory that does not exist: a clear error, no temp file left.
    const bad = hg(['save', '-o', path.join(work, 'no', 'such', 'x.tar'), 'sv:a']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.toString(), `failed to save image: invalid output path: directory "${path.join(work, 'no', 'such')}" does not exist\n`);
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.includes('.tmp-')), []);
  } finally {
    h.remove();
  }
});

test('import: -c takes the Dockerfile instructions docker import does, -m the comment; a URL is refused', () => {
  const h = tempRoots('gocker-images-import-');
  const hg = (args: string[]) => gocker([...h.args, ...args]);
  try {
    const changes = [
      'ENTRYPOINT ["/bin/sh", "-c"]', 'CMD ["echo $GREETING from $(pwd) as $(id -u)"]',
      'ENV GREETING="hello world" OTHER=2', 'ENV OLD style value', 'EXPOSE 80 53/udp 8000-8001',
      'USER 1000', 'WORKDIR /tmp', 'LABEL a=1 "b c"="d e"', 'STOPSIGNAL SIGINT', 'VOLUME ["/data", "/logs"]', 'VOLUME /cache',
    ];
    const r = hg(['import', '-m', 'my message', ...changes.flatMap((c) => ['-c', c]), tarball, 'chg:1']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(hg(['image', 'inspect', 'chg:1']).stdout)[0];
    assert.deepEqual(info.Config.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(info.Config.Env, ['GREETING=hello world', 'OTHER=2', 'OLD=style value']);
    assert.deepEqual(Object.keys(info.Config.ExposedPorts).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp']);
    assert.equal(info.Config.User, '1000');
    assert.equal(info.Config.WorkingDir, '/tmp');
    assert.deepEqual(info.Config.Labels, { a: '1', 'b c': 'd e' });
    assert.equal(info.Config.StopSignal, 'SIGINT');
    assert.deepEqual(Object.keys(info.Config.Volumes).sort(), ['/cache', '/data', '/logs']);
    assert.equal(info.Comment, 'my message');
    assert.equal(hg(['run', '--rm', '--network', 'none', 'chg:1']).stdout, 'hello world from /tmp as 1000\n');
    assert.match(hg(['history', 'chg:1']).stdout, /my message\n$/);
    for (const [c, msg] of [['FROM alpine', 'FROM is not a valid change command'], ['EXPOSE 70000', 'invalid range format for --expose: 70000'], ['ENV A', 'ENV must have two arguments']]) {
      const e = hg(['import', '-c', c, tarball, 'bad:1']);
      assert.equal(e.status, 1, c);
      assert.equal(e.stderr, `Error response from daemon: ${msg}\n`);
    }
    const url = hg(['import', 'http://127.0.0.1:1/rootfs.tar', 'url:1']);
    assert.equal(url.status, 1);
    assert.equal(url.stderr, "import from a URL is not supported: http://127.0.0.1:1/rootfs.tar (download it, then import the file or '-')\n");
    assert.doesNotMatch(hg(['images']).stdout, /bad|url/);
  } finally {
    h.remove();
  }
});

test('a reference docker refuses is refused before any lookup, in docker\'s words: 125 for run, 1 for the image commands', () => {
  assert.equal(g(['import', tarball, 'refs:1']).status, 0);
  const containers = (): string[] => (fs.existsSync(path.join(roots.root, 'containers')) ? fs.readdirSync(path.join(roots.root, 'containers')) : []);
  const before = { containers: containers(), images: g(['images', '-q', '--no-trunc']).stdout };
  const upper = 'invalid reference format: repository name (library/Upper) must be lowercase';
  const notTag = (s: string, why: string): string => `error parsing reference: "${s}" is not a valid repository/tag: ${why}\n`;
  const out = path.join(work, 'refs.tar');
  const cases: Array<[string[], string, number]> = [
    // Until now these said "Unable to find image ... locally", as if the name could exist.
    [['run', 'Upper', 'true'], `gocker: ${upper}\n`, 125],
    [['run', '--rm', 'upper/Case:1', 'true'], 'gocker: invalid reference format: repository name (upper/Case) must be lowercase\n', 125],
    [['run', 'bad::ref'], 'gocker: invalid reference format\n', 125],
    [['tag', 'Upper', 'x'], notTag('Upper', upper), 1],
    [['tag', 'refs:1', 'Upper'], notTag('Upper', upper), 1],
    [['tag', 'refs:1', 'a'.repeat(64)], notTag('a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`), 1],
    [['rmi', 'Upper'], `Error response from daemon: ${upper}\n`, 1],
    [['image', 'inspect', 'Upper'], `Error response from daemon: ${upper}\n`, 1],
    [['history', 'Upper'], `Error response from daemon: ${upper}\n`, 1],
    [['save', '-o', out, 'refs:1', 'Upper'], `Error response from daemon: ${upper}\n`, 1],
    // docker inspect tries a container, then an image: a name that is neither is no object.
    [['inspect', 'Upper'], 'Error: No such object: Upper\n', 1],
  ];
  for (const [args, stderr, status] of cases) {
    const r = g(args);
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.status, status, args.join(' '));
  }
  assert.ok(!fs.existsSync(out));
  assert.deepEqual(containers(), before.containers);
  assert.equal(g(['images', '-q', '--no-trunc']).stdout, before.images);
  // An id is no reference: not found, never refused.
  const id = g(['run', '--pull', 'never', `sha256:${'0'.repeat(64)}`, 'true']);
  assert.equal(id.stderr, `gocker: No such image: sha256:${'0'.repeat(64)}\n`);
  assert.equal(id.status, 125);
  assert.equal(g(['rmi', 'refs:1']).status, 0);
});
