// The native extractor against archives the tests shape byte by byte, and against umoci.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyLayerFile, type WhiteoutMode } from '../../lib/layer';
import { MNT_DETACH, MS, native } from '../../lib/native';
import { multiLayerImage, umociUnpack } from '../helpers/fixtures';
import { describeTree, treeDiff } from '../helpers/tree';
import { gzip, octal, tar, type TarEntry } from '../helpers/tar';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-layer-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

let seq = 0;
/** A sentinel outside every layer dir: no test may ever change it. */
const outside = path.join(work, 'outside');
fs.mkdirSync(outside);
fs.writeFileSync(path.join(outside, 'victim'), 'untouched\n');

async function apply(entries: TarEntry[] | Buffer, opts: { whiteouts?: WhiteoutMode; into?: string; diffId?: string; mediaType?: string; lowers?: string[] } = {}) {
  const n = ++seq;
  const file = path.join(work, `layer${n}.tar`);
  fs.writeFileSync(file, Buffer.isBuffer(entries) ? entries : tar(entries));
  const dir = opts.into ?? path.join(work, `d${n}`, 'root');
  fs.mkdirSync(dir, { recursive: true });
  const r = await applyLayerFile(file, dir, { whiteouts: opts.whiteouts ?? 'overlay', diffId: opts.diffId, mediaType: opts.mediaType, lowerDirs: opts.lowers });
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
    await assert.rejects(apply(gz, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }), { code: 'EBADLAYER', message: /^failed to apply layer: corrupt gzip stream: [^\n]* entry 'a'\)?$/ });
    const cut = gzip(tar([{ name: 'first', data: 'f' }, { name: 'second', data: crypto.randomBytes(200_000) }]));
    await assert.rejects(apply(cut.subarray(0, cut.length >> 1)), { code: 'EBADLAYER', message: /^failed to apply layer: unexpected end of gzip stream in or after entry 'second'$/ });
    const zfile = path.join(work, 'cut.tar');
    fs.writeFileSync(zfile, tar([{ name: 'zfirst', data: crypto.randomBytes(300_000) }]));
    execFileSync('zstd', ['-q', '-f', zfile, '-o', `${zfile}.zst`]);
    const z = fs.readFileSync(`${zfile}.zst`);
    await assert.rejects(apply(z.subarray(0, z.length - 1000)), { code: 'EBADLAYER', message: /zstd stream.* in or after entry 'zfirst'$/ });
    await assert.rejects(apply([{ name: 'ok', data: 'x' }, { name: 'bad', data: 'x', badChecksum: true }]), { code: 'EBADLAYER', message: /checksum.*'ok'/ });
    const huge = Buffer.alloc(12, 0);
    huge[0] = 0x80;
    huge.fill(0xff, 4);
    await assert.rejects(apply([{ name: 'huge', data: '', sizeField: huge }]), { code: 'EBADLAYER', message: /'huge'.*(size|numeric)/ });
  });
});

describe('malicious headers', () => {
  // Each runs in a layer dir of its own with a sentinel beside it: the layer's parent is
  // exactly what a NUL-truncated ".." would reach.
  async function applyBeside(entries: TarEntry[], whiteouts: WhiteoutMode = 'overlay') {
    const box = path.join(work, `box${++seq}`);
    const dir = path.join(box, 'root');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(box, 0o711);
    fs.writeFileSync(path.join(box, 'sentinel'), 'keep\n');
    const run = apply(entries, { into: dir, whiteouts });
    const untouched = (): void => {
      assert.equal(fs.readFileSync(path.join(box, 'sentinel'), 'utf8'), 'keep\n');
      const st = fs.statSync(box);
      assert.equal(st.mode & 0o7777, 0o711);
      assert.equal(st.uid, 0);
      assert.ok(fs.statSync(dir).isDirectory());
    };
    return { run, untouched };
  }

  const nul = (s: string): Buffer => Buffer.from(s.replace(/@/g, '\0'), 'binary');

  for (const [what, entries] of [
    ['a file named ..\\0x (would delete the layer\'s parent)', [{ name: 'f', data: 'x', pax: { path: nul('..@x') } }]],
    ['a directory named ..\\0 (would chown and chmod the parent)', [{ name: 'd/', type: 'dir', mode: 0o777, uid: 4242, pax: { path: nul('..@') } }]],
    ['a whiteout .wh...\\0 (would hide or delete the parent)', [{ name: 'w', pax: { path: nul('.wh...@') } }]],
    ['a deleting whiteout sub/.wh...\\0', [{ name: 'sub/', type: 'dir' }, { name: 'w', pax: { path: nul('sub/.wh...@') } }]],
  ] as Array<[string, TarEntry[]]>) {
    test(`NUL in a PAX path is refused: ${what}`, async () => {
      for (const mode of ['overlay', 'delete'] as const) {
        const { run, untouched } = await applyBeside(entries, mode);
        await assert.rejects(run, { code: 'EBADLAYER', message: /invalid layer entry '.*\\0.*': NUL in name/ });
        untouched();
      }
    });
  }

  test('NUL in a link name or an xattr name is refused', async () => {
    await assert.rejects(apply([{ name: 'l', type: 'symlink', linkname: 'x', pax: { linkpath: nul('target@junk') } }]), { code: 'EBADLAYER', message: /'l': NUL in link name/ });
    await assert.rejects(apply([{ name: 'h', type: 'hardlink', linkname: 'x', pax: { linkpath: nul('..@') } }]), { code: 'EBADLAYER', message: /'h': NUL in link name/ });
    await assert.rejects(apply([{ name: 'x', data: 'x', pax: { 'SCHILY.xattr.user.a\0b': 'v' } }]), { code: 'EBADLAYER', message: /'x': bad xattr name 'user\.a\\0b'/ });
    // A NUL in an xattr's value is data (file capabilities are binary).
    const { dir } = await apply([{ name: 'v', data: 'x', pax: { 'SCHILY.xattr.user.bin': Buffer.from([0, 1, 0, 2]) } }]);
    assert.match(execFileSync('getfattr', ['--absolute-names', '-e', 'hex', '-n', 'user.bin', path.join(dir, 'v')]).toString(), /0x00010002/);
  });

  test('PAX numbers are strict: garbage, signs and out-of-range values name the entry', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ size: '18446744073709551616' }, /'p': PAX size '18446744073709551616' out of range/],
      [{ size: '99999999999999999999999999' }, /'p': PAX size .* out of range/],
      [{ size: '17592186044417' }, /'p': PAX size .* out of range/],
      [{ size: '-1' }, /'p': PAX size '-1' out of range/],
      [{ size: '1x' }, /'p': PAX size '1x'/],
      [{ uid: 'abc' }, /'p': PAX uid 'abc' out of range/],
      [{ uid: '-1' }, /'p': PAX uid '-1'/],
      [{ uid: '4294967295' }, /'p': PAX uid '4294967295'/],
      [{ gid: ' 5' }, /'p': PAX gid ' 5'/],
      [{ gid: '' }, /'p': PAX gid ''/],
      [{ mtime: '12x' }, /'p': bad PAX mtime '12x'/],
      [{ mtime: '1.2.3' }, /'p': bad PAX mtime/],
      [{ mtime: '99999999999999999999' }, /'p': bad PAX mtime/],
    ];
    for (const [pax, message] of cases) {
      await assert.rejects(apply([{ name: 'p', data: 'x', pax }]), { code: 'EBADLAYER', message }, JSON.stringify(pax));
    }
    const { dir } = await apply([{ name: 'ok', data: 'x', pax: { uid: '4294967294', gid: '7', mtime: '-1.25' } }]);
    const st = fs.lstatSync(path.join(dir, 'ok'), { bigint: true });
    assert.equal(st.uid, 4294967294n);
    assert.equal(st.mtimeNs, -1_250_000_000n);
  });

  test('a metadata record too large to be real names where it was found', async () => {
    await assert.rejects(apply([{ name: 'before', data: 'b' }, { name: 'big', data: 'x', pax: { comment: 'c'.repeat(2 << 20) } }]),
      { code: 'EBADLAYER', message: /invalid layer entry 'PaxHeader' after 'before': metadata record of \d+ bytes is too large/ });
  });

  test('sparse files in every GNU tar format come out with their holes and content; bad maps name the entry', async () => {
    // A file that is mostly holes, with data at the start, in the middle and at the very end.
    const src = path.join(work, 'sparse-src');
    fs.mkdirSync(src);
    const f = path.join(src, 'holes');
    const fd = fs.openSync(f, 'w');
    fs.writeSync(fd, 'head', 0);
    fs.writeSync(fd, crypto.randomBytes(70_000), 0, 70_000, 3 << 20);
    fs.writeSync(fd, 'tail', (9 << 20) - 4);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(src, 'after'), 'aligned\n');
    // Thirty fragments: the old GNU format needs extension blocks for them.
    const many = fs.openSync(path.join(src, 'many'), 'w');
    for (let i = 0; i < 30; i++) fs.writeSync(many, `island ${i}`, i * (256 << 10));
    fs.ftruncateSync(many, 8 << 20);
    fs.closeSync(many);
    const digest = (p: string): string => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    const want = digest(f);
    for (const [format, extra] of [['gnu', []], ['posix', ['--sparse-version=0.0']], ['posix', ['--sparse-version=0.1']], ['posix', ['--sparse-version=1.0']]] as const) {
      const file = path.join(work, `sparse-${format}-${extra.join('')}.tar`);
      execFileSync('tar', ['--sparse', `--format=${format}`, ...extra, '-cf', file, '-C', src, 'holes', 'many', 'after']);
      const { dir } = await apply(fs.readFileSync(file));
      const got = path.join(dir, 'holes');
      const st = fs.statSync(got);
      assert.equal(st.size, 9 << 20, `${format} ${extra}`);
      assert.equal(crypto.createHash('sha256').update(fs.readFileSync(got)).digest('hex'), want, `${format} ${extra}`);
      assert.ok(st.blocks * 512 < 1 << 20, `${format} ${extra}: holes kept (${st.blocks} blocks)`);
      assert.equal(digest(path.join(dir, 'many')), digest(path.join(src, 'many')), `${format} ${extra}`);
      assert.equal(fs.readFileSync(path.join(dir, 'after'), 'utf8'), 'aligned\n');
    }
    const bad: Array<[TarEntry, RegExp]> = [
      [{ name: 'x', data: 'abcd', pax: { 'GNU.sparse.major': '0', 'GNU.sparse.minor': '1', 'GNU.sparse.name': 'overlap', 'GNU.sparse.size': '100', 'GNU.sparse.map': '0,4,2,0' } }, /'overlap': bad GNU sparse map/],
      [{ name: 'x', data: 'abcd', pax: { 'GNU.sparse.major': '0', 'GNU.sparse.minor': '1', 'GNU.sparse.name': 'past-end', 'GNU.sparse.size': '5', 'GNU.sparse.map': '3,4' } }, /'past-end': bad GNU sparse map/],
      [{ name: 'x', data: 'abcd', pax: { 'GNU.sparse.major': '0', 'GNU.sparse.minor': '1', 'GNU.sparse.name': 'short', 'GNU.sparse.size': '100', 'GNU.sparse.map': '0,2' } }, /'short': GNU sparse map does not match the data/],
      [{ name: 'x', data: 'abcd', pax: { 'GNU.sparse.major': '2', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'future' } }, /'x': GNU sparse format 2\.0 is not supported/],
      [{ name: 'x', data: '1\n0\n', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'v1', 'GNU.sparse.realsize': '10' } }, /'v1': bad GNU sparse map/],
    ];
    for (const [e, message] of bad) await assert.rejects(apply([e]), { code: 'EBADLAYER', message });
  });
});

describe('archive framing, as Go\'s archive/tar reads it', () => {
  test('directories, links, devices and fifos carry no data whatever their size field says', async () => {
    // A writer that fills in the size of header-only entries: Go (umoci, containerd) reads
    // the next header right after them, so must we.
    const { dir, r } = await apply([
      { name: 'd/', type: 'dir', sizeField: octal(700, 12) },
      { name: 'd/a', data: 'A' },
      { name: 'l', type: 'symlink', linkname: 'd/a', sizeField: octal(5, 12) },
      { name: 'h', type: 'hardlink', linkname: 'd/a', sizeField: octal(1, 12) },
      { name: 'p', type: 'fifo', sizeField: octal(513, 12) },
      { name: 'c', type: 'char', devmajor: 1, devminor: 3, sizeField: octal(1024, 12) },
      { name: './', type: 'dir', sizeField: octal(3, 12) },
      { name: 'after', data: 'still aligned' },
    ]);
    assert.equal(r.entries, 8);
    assert.equal(fs.readFileSync(path.join(dir, 'after'), 'utf8'), 'still aligned');
    assert.equal(fs.readlinkSync(path.join(dir, 'l')), 'd/a');
    assert.equal(fs.statSync(path.join(dir, 'h')).ino, fs.statSync(path.join(dir, 'd/a')).ino);
    assert.ok(fs.lstatSync(path.join(dir, 'p')).isFIFO());
  });

  test('one zero block at the end is an end; a zero block then a header is corrupt', async () => {
    const { dir } = await apply(tar([{ name: 'one', data: '1' }], { endBlocks: 1 }));
    assert.equal(fs.readFileSync(path.join(dir, 'one'), 'utf8'), '1');
    const bad = Buffer.concat([tar([{ name: 'one', data: '1' }], { end: false }), Buffer.alloc(512), tar([{ name: 'hidden', data: '2' }])]);
    await assert.rejects(apply(bad), { code: 'EBADLAYER', message: /after entry 'one': a header follows a zero block/ });
  });
});

describe('more entry forms', () => {
  test('GNU long link names (type K) for symlinks and hardlinks', async () => {
    const target = `${'t'.repeat(120)}/${'u'.repeat(60)}`;
    const { dir } = await apply([
      { name: `${target}`.slice(0, 99), type: 'dir' },
      { name: '././@LongLink', type: 'L', data: `${target}\0` },
      { name: 'ignored', data: 'long' },
      { name: '././@LongLink', type: 'K', data: `/${target}\0` },
      { name: 'sym', type: 'symlink', linkname: 'short' },
      { name: '././@LongLink', type: 'K', data: `${target}\0` },
      { name: 'hard', type: 'hardlink', linkname: 'short' },
    ]);
    assert.equal(fs.readlinkSync(path.join(dir, 'sym')), `/${target}`);
    assert.equal(fs.readFileSync(path.join(dir, 'hard'), 'utf8'), 'long');
    assert.equal(fs.statSync(path.join(dir, 'hard')).ino, fs.statSync(path.join(dir, target)).ino);
  });

  test('trusted.* xattrs and setgid survive the chown; overlay\'s own xattrs from a layer are dropped', async () => {
    const { dir } = await apply([
      { name: 'shared/', type: 'dir', mode: 0o2775, uid: 1000, gid: 50, pax: { 'SCHILY.xattr.trusted.gocker': 'kept', 'SCHILY.xattr.trusted.overlay.opaque': 'y' } },
      { name: 'shared/tool', data: '#!/bin/sh\n', mode: 0o2755, uid: 1000, gid: 50, pax: { 'SCHILY.xattr.trusted.md5': 'abc', 'SCHILY.xattr.user.overlay.redirect': '/x', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]);
    const d = fs.statSync(path.join(dir, 'shared'));
    assert.equal(d.mode & 0o7777, 0o2775);
    assert.equal(d.gid, 50);
    const f = fs.statSync(path.join(dir, 'shared/tool'));
    assert.equal(f.mode & 0o7777, 0o2755);
    assert.equal(f.uid, 1000);
    const dump = (p: string): string => execFileSync('getfattr', ['--absolute-names', '-d', '-m', '-', path.join(dir, p)]).toString();
    assert.match(dump('shared'), /trusted\.gocker="kept"/);
    assert.doesNotMatch(dump('shared'), /overlay/);
    assert.match(dump('shared/tool'), /trusted\.md5="abc"/);
    assert.doesNotMatch(dump('shared/tool'), /overlay/);
  });

  test('a whiteout under a symlinked parent never deletes through it', async () => {
    const rel = path.relative('/', outside);
    const base = await apply([
      { name: 'esc', type: 'symlink', linkname: outside },
      { name: 'up', type: 'symlink', linkname: '../../../../../../../..' },
      { name: 'keep', data: 'k' },
    ], { whiteouts: 'delete' });
    await apply([
      { name: 'esc/.wh.victim' },
      { name: `up/${rel}/.wh.victim` },
      { name: 'esc/.wh..wh..opq' },
    ], { whiteouts: 'delete', into: base.dir });
    assertOutsideUntouched();
    assert.equal(fs.readlinkSync(path.join(base.dir, 'esc')), outside);
    assert.equal(fs.readFileSync(path.join(base.dir, 'keep'), 'utf8'), 'k');
    // In the overlay form the whiteout lands inside the layer, never outside.
    const { dir } = await apply([{ name: 'esc', type: 'symlink', linkname: outside }, { name: 'esc/.wh.victim' }, { name: `up/${rel}/.wh.victim` }]);
    assertOutsideUntouched();
    assert.ok(fs.lstatSync(path.join(dir, 'up', rel, 'victim')).isCharacterDevice());
  });

  test('overlay form: a parent the layer does not describe takes what the lower layers show, unless they hide it', async () => {
    const l1 = await apply([
      { name: 'a/', type: 'dir', mode: 0o700, uid: 7, gid: 8, mtime: 1_400_000_000, pax: { mtime: '1400000000.5' } },
      { name: 'o/x/', type: 'dir', mode: 0o700, uid: 7 },
      { name: 'w/', type: 'dir', mode: 0o700, uid: 7 },
    ]);
    const l2 = await apply([{ name: 'o/', type: 'dir', mode: 0o755 }, { name: 'o/.wh..wh..opq' }, { name: '.wh.w' }]);
    const f = await apply([{ name: 'a/f', data: 'f' }, { name: 'o/x/f', data: 'f' }, { name: 'w/f', data: 'f' }], { lowers: [l2.dir, l1.dir] });
    const a = fs.statSync(path.join(f.dir, 'a'), { bigint: true });
    assert.equal(a.mode & 0o7777n, 0o700n);
    assert.equal(`${a.uid}:${a.gid}`, '7:8');
    assert.equal(a.mtimeNs, 1_400_000_000_500_000_000n);
    for (const hidden of ['o/x', 'w']) {
      const st = fs.statSync(path.join(f.dir, hidden));
      assert.equal(st.mode & 0o7777, 0o755, hidden);
      assert.equal(st.uid, 0, hidden);
    }
  });

  test('a directory\'s times are its last description\'s (as docker\'s archive.Unpack), not the lower layers\' or an earlier one', async () => {
    const lower = await apply([{ name: 'a/', type: 'dir', mtime: 1_400_000_000 }]);
    const { dir } = await apply([
      { name: 'twice/', type: 'dir', mtime: 1_500_000_000 },
      { name: 'twice/f', data: 'f' },
      { name: 'twice/', type: 'dir', mtime: 1_600_000_000 },
      // Made first for a/f (taking the lower's copy), then described.
      { name: 'a/f', data: 'f' },
      { name: 'a/', type: 'dir', mode: 0o750, mtime: 1_700_000_000 },
    ], { lowers: [lower.dir] });
    assert.equal(fs.statSync(path.join(dir, 'twice')).mtimeMs, 1_600_000_000_000);
    const a = fs.statSync(path.join(dir, 'a'));
    assert.equal(a.mode & 0o7777, 0o750);
    assert.equal(a.mtimeMs, 1_700_000_000_000);
  });

  test('root without CAP_DAC_READ_SEARCH (root in a container, or in a user namespace) applies a layer, directory times and all', () => {
    // Directory times are kept by file handle, and open_by_handle_at takes that capability
    // in the host's user namespace, which euid 0 does not imply: every pull failed there.
    const file = path.join(work, 'nocap.tar');
    fs.writeFileSync(file, tar([
      { name: 'd/', type: 'dir', mtime: 1_500_000_000 },
      { name: 'd/e/', type: 'dir', mtime: 1_400_000_000 },
      { name: 'd/e/f', data: 'f' },
    ]));
    const dir = path.join(work, 'nocap', 'root');
    fs.mkdirSync(dir, { recursive: true });
    const script = `require(${JSON.stringify(path.join(__dirname, '../../lib/layer'))}).applyLayerFile(${JSON.stringify(file)}, ${JSON.stringify(dir)}, { whiteouts: 'overlay' })
      .then(() => {}, (e) => { console.error(e.message); process.exit(1); });`;
    const r = spawnSync('setpriv', ['--bounding-set=-dac_read_search', '--inh-caps=-dac_read_search', '--', process.execPath, '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(path.join(dir, 'd')).mtimeMs, 1_500_000_000_000);
    assert.equal(fs.statSync(path.join(dir, 'd/e')).mtimeMs, 1_400_000_000_000);
    assert.equal(fs.readFileSync(path.join(dir, 'd/e/f'), 'utf8'), 'f');
  });

  test('progress is reported from the worker, in growing byte counts up to the file size', async () => {
    const raw = tar([{ name: 'noise', data: crypto.randomBytes(12 << 20) }, { name: 'more', data: crypto.randomBytes(1 << 20) }]);
    const file = path.join(work, 'progress.tar.gz');
    fs.writeFileSync(file, gzip(raw));
    const dir = path.join(work, 'progress');
    fs.mkdirSync(dir);
    const seen: number[] = [];
    await applyLayerFile(file, dir, { whiteouts: 'overlay', onProgress: (n) => seen.push(n) });
    // The inflating thread runs up to 8 MB ahead of the writer, so early reports coalesce.
    assert.ok(seen.length >= 3, `${seen.length} reports: ${seen.join(',')}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], seen.join(','));
    assert.ok(seen[seen.length - 1] <= fs.statSync(file).size);
    assert.equal(fs.statSync(path.join(dir, 'noise')).size, 12 << 20);
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
      await applyLayerFile(l.file, d, { whiteouts: 'overlay', mediaType: l.mediaType, diffId: l.diffId, lowerDirs: [...dirs].reverse() });
      dirs.push(d);
    }
    const merged = path.join(work, 'ovl', 'merged');
    fs.mkdirSync(merged);
    native().mount('overlay', merged, 'overlay', MS.RDONLY, `lowerdir=${dirs.reverse().join(':')}`);
    try {
      // Directories too, to the nanosecond: one a layer needs but does not describe takes the
      // lower layers' attributes, as overlayfs shows the upper-most copy.
      const a = describeTree(merged, { xattrs: true });
      const b = describeTree(rootfs, { xattrs: true });
      assert.deepEqual(treeDiff(a, b, ['ours', 'umoci']), []);
    } finally {
      native().umount(merged, MNT_DETACH);
    }
  });
});
