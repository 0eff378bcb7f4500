// The fixtures are what every other integration test stands on: check they are what they
// claim (real whiteouts, an opaque dir, 60 layers) using the tools that made them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, busyboxRootfs, manyLayerImage, multiLayerImage, umociUnpack } from '../helpers/fixtures';

interface OciManifest { layers: Array<{ digest: string; mediaType: string }> }

function manifestOf(layout: string): OciManifest {
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const blob = (d: string): string => path.join(layout, 'blobs', 'sha256', d.slice('sha256:'.length));
  return JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8')) as OciManifest;
}

function layerEntries(layout: string, digest: string): string[] {
  const file = path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  return execFileSync('tar', ['-tzf', file]).toString().split('\n').filter(Boolean);
}

test('busybox rootfs runs its shell', async () => {
  const root = await busyboxRootfs();
  const out = execFileSync(path.join(root, 'bin/busybox'), ['sh', '-c', 'echo ok']).toString();
  assert.equal(out, 'ok\n');
  assert.ok(fs.lstatSync(path.join(root, 'bin/sh')).isSymbolicLink());
});

test('busybox image has one layer and Cmd sh', async () => {
  const fx = await busyboxImage();
  assert.equal(manifestOf(fx.layout).layers.length, 1);
  const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--config', fx.ref]).toString()) as { config: { Cmd: string[] } };
  assert.deepEqual(inspect.config.Cmd, ['sh']);
});

test('multi-layer image carries whiteouts and an opaque directory', async () => {
  const fx = await multiLayerImage();
  const layers = manifestOf(fx.layout).layers;
  assert.equal(layers.length, 5);
  const all = layers.map((l) => layerEntries(fx.layout, l.digest));
  assert.ok(all[2].some((e) => e.endsWith('data/.wh.gone')), 'layer 3 whites out data/gone');
  assert.ok(all[2].some((e) => e.endsWith('data/.wh.dir')), 'layer 3 whites out data/dir');
  assert.ok(all[3].includes('data/opaque/.wh..wh..opq'), 'layer 4 makes data/opaque opaque');
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fxt-'));
  try {
    const rootfs = umociUnpack(fx, dest);
    assert.deepEqual(fs.readdirSync(path.join(rootfs, 'data/opaque')), ['new']);
    assert.ok(!fs.existsSync(path.join(rootfs, 'data/gone')));
    assert.ok(fs.statSync(path.join(rootfs, 'data/file-to-dir')).isDirectory());
    assert.ok(fs.statSync(path.join(rootfs, 'data/dir-to-file')).isFile());
    assert.equal(fs.readlinkSync(path.join(rootfs, 'data/link')), '/etc/passwd');
    assert.equal(fs.statSync(path.join(rootfs, 'data/setuid')).mode & 0o7777, 0o4755);
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
});

test('many-layer image has 60 layers', async () => {
  const fx = await manyLayerImage(60);
  assert.equal(manifestOf(fx.layout).layers.length, 60);
});
