// The native extractor against archives the tests shape byte by byte, and against umoci.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyLayerFile, type WhiteoutMode } from '../../lib/layer';
import { MNT_DETACH, MS, native } from '../../lib/native';
import { multiLayerImage, umociUnpack } from '../helpers/fixtures';
import { describeTree, treeDiff } from '../helpers/tree';
import { gzip, tar, type TarEntry } from '../helpers/tar';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-layer-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

let seq = 0;
/** A sentinel outside every layer dir: no test may ever change it. */
const outside = path.join(work, 'outside');
fs.mkdirSync(outside);
fs.writeFileSync(path.join(outside, 'victim'), 'untouched\n');

async function apply(entries: TarEntry[] | Buffer, opts: { whiteouts?: WhiteoutMode; into?: string; diffId?: string; mediaType?: string } = {}) {
  const n = ++seq;
  const file = path.join(work, `layer${n}.tar`);
  fs.writeFileSync(file, Buffer.isBuffer(entries) ? entries : tar(entries));
  const dir = opts.into ?? path.join(work, `d${n}`, 'root');
  fs.mkdirSync(dir, { recursive: true });
  const r = await applyLayerFile(file, dir, { whiteouts: opts.whiteouts ?? 'overlay', diffId: opts.diffId, mediaType: opts.mediaType });
  return { dir, r, file };
}

function assertOutsideUntouched(): void {
  assert.deepEqual(fs.readdirSync(outside), ['victim']);
  assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'untouched\n');
}

describe('entry types', () => {
  test('files, dirs, links, devices, fifos with modes, owners and times', async () => {
    const { dir, r } = await apply([
      { name: 'etc/', type: 'dir', mode: 0o755, mtime: 1_500_000_000 },
      { name: 'etc/file', data: 'hello\n', mode: 0o640, uid: 1000, gid: 1001, mtime: 1_500_000_100 },
      { name: 'bin/su', data: 'x', mode: 0o4755 },
      { name: 'tmp/', type: 'dir', mode: 0o1777 },
      { name: 'etc/link', type: 'symlink', linkname: 'file', uid: 7, gid: 8 },
      { name: 'etc/hard', type: 'hardlink', linkname: 'etc/file' },
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop9', type: 'block', devmajor: 7, devminor: 9, mode: 0o660 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]);
    assert.equal(r.entries, 9);
    const f = fs.lstatSync(path.join(dir, 'etc/file'));
    assert.equal(fs.readFileSync(path.join(dir, 'etc/file'), 'utf8'), 'hello\n');
    assert.equal(f.mode & 0o7777, 0o640);
    assert.equal(f.uid, 1000);
    assert.equal(f.gid, 1001);
    assert.equal(Math.floor(f.mtimeMs / 1000), 1_500_000_100);
    assert.equal(fs.lstatSync(path.join(dir, 'bin/su')).mode & 0o7777, 0o4755);
    assert.equal(fs.lstatSync(path.join(dir, 'tmp')).mode & 0o7777, 0o1777);
    // The directory's time is set after its contents were written.
    assert.equal(Math.floor(fs.lstatSync(path.join(dir, 'etc')).mtimeMs / 1000), 1_500_000_000);
    assert.equal(fs.readlinkSync(path.join(dir, 'etc/link')), 'file');
    assert.equal(fs.lstatSync(path.join(dir, 'etc/link')).uid, 7);
    assert.equal(fs.lstatSync(path.join(dir, 'etc/hard')).ino, f.ino);
    const nul = fs.lstatSync(path.join(dir, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.ok(fs.lstatSync(path.join(dir, 'dev/loop9')).isBlockDevice());
    assert.ok(fs.lstatSync(path.join(dir, 'run/fifo')).isFIFO());
  });

  test('PAX and GNU long names, long link names, PAX xattrs and sub-second mtime', async () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(80)}/${'f'.repeat(120)}`;
    const gnuLong = `${'g'.repeat(150)}/file`;
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const { dir } = await apply([
      { name: 'paxname', data: 'pax', pax: { path: long, mtime: '1600000000.123456789' } },
      { name: '././@LongLink', type: 'L', data: `${gnuLong}\0` },
      { name: 'truncated-name', data: 'gnu' },
      { name: 'lnk', type: 'symlink', linkname: 'x', pax: { linkpath: `/${'t'.repeat(200)}` } },
      { name: 'capped', data: '#!/bin/sh\n', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.note': 'hi' } },
    ]);
    assert.equal(fs.readFileSync(path.join(dir, long), 'utf8'), 'pax');
    const ns = fs.statSync(path.join(dir, long), { bigint: true }).mtimeNs;
    assert.equal(ns, 1600000000123456789n);
    assert.equal(fs.readFileSync(path.join(dir, gnuLong), 'utf8'), 'gnu');
    assert.equal(fs.readlinkSync(path.join(dir, 'lnk')), `/${'t'.repeat(200)}`);
    const xattr = (name: string): string => execFileSync('getfattr', ['--absolute-names', '-e', 'hex', '-n', name, path.join(dir, 'capped')]).toString();
    assert.match(xattr('security.capability'), /0x0100000200200000/);
    assert.match(xattr('user.note'), /0x6869/);
  });

  test('gzip and zstd streams, with the diff_id checked', async () => {
    const raw = tar([{ name: 'a', data: 'A' }]);
    const diffId = `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`;
    const g = await apply(gzip(raw), { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', diffId });
    assert.equal(g.r.diffId, diffId);
    assert.equal(g.r.size, raw.length);
    const zfile = path.join(work, 'z.tar');
    fs.writeFileSync(zfile, raw);
    execFileSync('zstd', ['-q', '-f', zfile, '-o', `${zfile}.zst`]);
    const z = await apply(fs.readFileSync(`${zfile}.zst`), { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', diffId });
    assert.equal(fs.readFileSync(path.join(z.dir, 'a'), 'utf8'), 'A');
    // Sniffed when no media type is given (docker-archive layers have none).
    await apply(gzip(raw), { diffId });
    await assert.rejects(apply(gzip(raw), { diffId: `sha256:${'0'.repeat(64)}` }), { code: 'EDIGEST', message: /diff_id mismatch.*sha256:0{64}/ });
  });
});

describe('whiteouts', () => {
  test('overlay form: .wh.NAME becomes a 0/0 char device, .wh..wh..opq the opaque xattr', async () => {
    const { dir } = await apply([
      { name: 'etc/.wh.passwd' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', data: 'n' },
    ]);
    const wh = fs.lstatSync(path.join(dir, 'etc/passwd'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'etc/.wh.passwd')));
    const opq = execFileSync('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', path.join(dir, 'var/cache')]).toString();
    assert.match(opq, /trusted.overlay.opaque="y"/);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'var/cache')), ['new']);
  });

  test('delete form: whiteouts remove lower files; opaque keeps only this layer\'s entries', async () => {
    const base = await apply([
      { name: 'etc/passwd', data: 'root' },
      { name: 'etc/group', data: 'g' },
      { name: 'var/cache/old1', data: '1' },
      { name: 'var/cache/sub/old2', data: '2' },
    ], { whiteouts: 'delete' });
    await apply([
      { name: 'var/cache/new', data: 'n' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'etc/.wh.passwd' },
      { name: 'etc/.wh.missing' },
    ], { whiteouts: 'delete', into: base.dir });
    assert.deepEqual(fs.readdirSync(path.join(base.dir, 'etc')), ['group']);
    assert.deepEqual(fs.readdirSync(path.join(base.dir, 'var/cache')), ['new']);
  });

  for (const bad of ['.wh..', '.wh...', 'dir/.wh..']) {
    test(`whiteout of . or .. is refused: ${bad}`, async () => {
      await assert.rejects(apply([{ name: 'dir/', type: 'dir' }, { name: bad }]), { code: 'EBADLAYER', message: new RegExp(`'${bad.replace(/\./g, '\\.')}'`) });
    });
  }
});

describe('no write leaves the layer', () => {
  const rel = (): string => path.relative('/', outside);

  test('.. that climbs out is refused, naming the entry', async () => {
    await assert.rejects(apply([{ name: '../../../../../../../../tmp/evil', data: 'x' }]), { code: 'EBADLAYER', message: /'\.\.\/\.\.\/.*evil'.*escapes/ });
    assertOutsideUntouched();
  });

  test('absolute names land inside the layer', async () => {
    const { dir } = await apply([{ name: `${outside}/victim`, data: 'overwritten' }]);
    assert.equal(fs.readFileSync(path.join(dir, rel(), 'victim'), 'utf8'), 'overwritten');
    assertOutsideUntouched();
  });

  test('a symlink to / (or up with ..) then a write through it stays inside', async () => {
    const { dir } = await apply([
      { name: 'abs', type: 'symlink', linkname: '/' },
      { name: `abs/${rel()}/victim`, data: 'pwned' },
      { name: 'up', type: 'symlink', linkname: '../../../../../../../../..' },
      { name: `up/${rel()}/victim2`, data: 'pwned' },
      { name: 'deep', type: 'symlink', linkname: `${outside}` },
      { name: 'deep/victim3', data: 'pwned' },
    ]);
    assertOutsideUntouched();
    assert.equal(fs.readFileSync(path.join(dir, rel(), 'victim'), 'utf8'), 'pwned');
    assert.equal(fs.readFileSync(path.join(dir, rel(), 'victim3'), 'utf8'), 'pwned');
  });

  test('symlinks left by a lower layer resolve inside the root (vfs / delete mode)', async () => {
    const base = await apply([
      { name: 'etc', type: 'symlink', linkname: outside },
      { name: 'lib', type: 'symlink', linkname: '/usr/lib' },
      { name: 'usr/lib/', type: 'dir' },
    ], { whiteouts: 'delete' });
    await assert.rejects(apply([{ name: 'etc/victim', data: 'pwned' }], { whiteouts: 'delete', into: base.dir }), { code: 'EBADLAYER', message: /dangling symlink/ });
    await apply([{ name: 'lib/libc.so', data: 'elf' }], { whiteouts: 'delete', into: base.dir });
    assert.equal(fs.readFileSync(path.join(base.dir, 'usr/lib/libc.so'), 'utf8'), 'elf');
    assertOutsideUntouched();
  });

  test('hardlinks whose target escapes are refused; links to outward symlinks stay links', async () => {
    await assert.rejects(apply([{ name: 'h', type: 'hardlink', linkname: '../../../../../../../etc/passwd' }]), { code: 'EBADLAYER', message: /'h'.*escapes/ });
    const { dir } = await apply([
      { name: 'sym', type: 'symlink', linkname: `${outside}/victim` },
      { name: 'hard', type: 'hardlink', linkname: 'sym' },
      { name: 'hard', data: 'replaced' },
    ]);
    assert.ok(fs.lstatSync(path.join(dir, 'sym')).isSymbolicLink());
    assert.equal(fs.readFileSync(path.join(dir, 'hard'), 'utf8'), 'replaced');
    await assert.rejects(apply([{ name: 'viasym', type: 'symlink', linkname: outside }, { name: 'h2', type: 'hardlink', linkname: 'viasym/victim' }]), { code: 'EBADLAYER', message: /'h2'/ });
    assertOutsideUntouched();
  });

  test('a "." entry that is a symlink is refused', async () => {
    await assert.rejects(apply([{ name: './', type: 'symlink', linkname: '/' }]), { code: 'EBADLAYER', message: /root of a layer must be a directory/ });
    await assert.rejects(apply([{ name: '/', type: 'symlink', linkname: outside }]), { code: 'EBADLAYER' });
  });
});

describe('invalid archives', () => {
  test('truncated stream names the last entry', async () => {
    const full = tar([{ name: 'first', data: 'x' }, { name: 'second', data: 'y'.repeat(5000) }], { end: false });
    await assert.rejects(apply(full.subarray(0, 1024 + 1000)), { code: 'EBADLAYER', message: /truncated.*'second'/ });
    await assert.rejects(apply(full), { code: 'EBADLAYER', message: /no end-of-archive marker/ });
  });

  test('corrupt gzip, bad checksum, absurd size', async () => {
    const gz = gzip(tar([{ name: 'a', data: 'a'.repeat(100_000) }]));
    gz[gz.length >> 1] ^= 0xff;
    await assert.rejects(apply(gz, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }), { code: 'EBADLAYER', message: /gzip/ });
    await assert.rejects(apply([{ name: 'ok', data: 'x' }, { name: 'bad', data: 'x', badChecksum: true }]), { code: 'EBADLAYER', message: /checksum.*'ok'/ });
    const huge = Buffer.alloc(12, 0);
    huge[0] = 0x80;
    huge.fill(0xff, 4);
    await assert.rejects(apply([{ name: 'huge', data: '', sizeField: huge }]), { code: 'EBADLAYER', message: /'huge'.*(size|numeric)/ });
  });
});

describe('equal to umoci unpack', () => {
  interface Manifest { layers: Array<{ digest: string; mediaType: string }>; config: { digest: string } }
  function image(layout: string): { layers: Array<{ file: string; mediaType: string; diffId: string }> } {
    const blob = (d: string): string => path.join(layout, 'blobs', 'sha256', d.split(':')[1]);
    const idx = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const m = JSON.parse(fs.readFileSync(blob(idx.manifests[0].digest), 'utf8')) as Manifest;
    const cfg = JSON.parse(fs.readFileSync(blob(m.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
    return { layers: m.layers.map((l, i) => ({ file: blob(l.digest), mediaType: l.mediaType, diffId: cfg.rootfs.diff_ids[i] })) };
  }

  function assertSameTree(ours: string, theirs: string): void {
    const a = describeTree(ours, { xattrs: true });
    const b = describeTree(theirs, { xattrs: true });
    assert.deepEqual(treeDiff(a, b, ['ours', 'umoci']), []);
    assert.ok(a.size > 100, `a real tree was compared (${a.size} entries)`);
  }

  test('flat (delete) application of every layer equals umoci unpack', async () => {
    const fx = await multiLayerImage();
    const dest = path.join(work, 'umoci-flat');
    const rootfs = umociUnpack(fx, dest);
    const flat = path.join(work, 'flat');
    fs.mkdirSync(flat);
    for (const l of image(fx.layout).layers) await applyLayerFile(l.file, flat, { whiteouts: 'delete', mediaType: l.mediaType, diffId: l.diffId });
    fs.chmodSync(flat, fs.statSync(rootfs).mode & 0o7777);
    fs.utimesSync(flat, fs.statSync(rootfs).atime, fs.statSync(rootfs).mtime);
    assertSameTree(flat, rootfs);
  });

  test('overlay application, mounted, shows the same tree as umoci unpack', async () => {
    const fx = await multiLayerImage();
    const rootfs = umociUnpack(fx, path.join(work, 'umoci-ovl'));
    const layers = image(fx.layout).layers;
    const dirs: string[] = [];
    for (const [i, l] of layers.entries()) {
      const d = path.join(work, 'ovl', `l${i}`);
      fs.mkdirSync(d, { recursive: true });
      await applyLayerFile(l.file, d, { whiteouts: 'overlay', mediaType: l.mediaType, diffId: l.diffId });
      dirs.push(d);
    }
    const merged = path.join(work, 'ovl', 'merged');
    fs.mkdirSync(merged);
    native().mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${dirs.reverse().join(':')}`);
    try {
      // A layer that lacks an entry for a parent directory gets one created (0755, now),
      // as docker's and containerd's extractors do, and overlayfs shows the upper-most
      // copy's times: directory mtimes can differ from umoci's single tree, nothing else.
      const noDirTimes = (m: Map<string, string>): Map<string, string> =>
        new Map([...m].map(([k, v]) => [k, v.startsWith('40') ? v.split(' ').slice(0, 2).join(' ') : v]));
      const a = noDirTimes(describeTree(merged, { xattrs: true }));
      const b = noDirTimes(describeTree(rootfs, { xattrs: true }));
      assert.deepEqual(treeDiff(a, b, ['ours', 'umoci']), []);
    } finally {
      native().umount(merged, MNT_DETACH);
    }
  });
});
