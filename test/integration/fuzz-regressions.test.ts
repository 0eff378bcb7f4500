// The tar reader against inputs found by fuzzing it (fuzz/tar.cc, `npm run fuzz`) and against
// the bounds it must keep whatever the archive says: each input here once crashed it, hung
// it, or made it hold memory in proportion to what a compressed stream can claim.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';
import { gzip, octal, tar } from '../helpers/tar';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fuzzreg-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

let seq = 0;
/** Applies a gzip layer and returns how long the reader took to give its answer. */
async function applyGz(archive: Buffer): Promise<{ ms: number; result: Promise<unknown> }> {
  const n = ++seq;
  const file = path.join(work, `l${n}.tar.gz`);
  fs.writeFileSync(file, gzip(archive));
  const dir = path.join(work, `d${n}`);
  fs.mkdirSync(dir);
  const t = Date.now();
  const result = native().extractLayer(file, dir, 'gzip', 'overlay');
  await result.catch(() => undefined);
  return { ms: Date.now() - t, result };
}

describe('sparse maps are bounded like PAX records (Go CVE-2022-2879 class)', () => {
  // Millions of fragments, valid and in order: a few hundred kilobytes of gzip. Before the
  // bound the reader kept the whole map (tens of MB here, without limit in general) and then
  // wrote millions of one-byte fragments.
  const entries = 1_000_000;

  test('PAX 1.0: a map of millions of entries in the data fails at once', async () => {
    const lines: string[] = [String(entries)];
    for (let i = 0; i < entries; i++) lines.push(String(i * 2), '1');
    const map = Buffer.from(`${lines.join('\n')}\n`);
    const mapBlocks = Buffer.concat([map, Buffer.alloc((512 - (map.length % 512)) % 512)]);
    const data = Buffer.concat([mapBlocks, Buffer.alloc(entries, 0x61)]);
    const archive = tar([{
      name: 'GNUSparseFile.0/big',
      data,
      pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'big', 'GNU.sparse.realsize': String(entries * 2) },
    }]);
    const { ms, result } = await applyGz(archive);
    await assert.rejects(result, { code: 'EBADLAYER', message: /'big': GNU sparse map larger than 1048576 bytes/ });
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  test('old GNU format: an endless chain of sparse extension blocks fails at once', async () => {
    // A type 'S' header whose "more extension blocks" flag is set in every block.
    const ext = Buffer.alloc(512);
    for (let i = 0; i < 21; i++) {
      ext.write(octal(i * 2, 12), i * 24);
      ext.write(octal(1, 12), i * 24 + 12);
    }
    ext[504] = 1;
    const blocks = 200_000;  // 100 MB of map, 4.2 million entries
    const head = tar([{ name: 'old', type: 'S', data: '' }], { end: false });
    // The 'S' header: one map entry, the extension flag, the real size; checksum redone.
    head.write(octal(0, 12), 386);
    head.write(octal(1, 12), 398);
    head[482] = 1;
    head.write(octal(blocks * 42 + 2, 12), 483);
    head.fill(' ', 148, 156);
    let sum = 0;
    for (const b of head.subarray(0, 512)) sum += b;
    head.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const archive = Buffer.concat([head, ...Array.from({ length: blocks }, () => ext), Buffer.alloc(1024)]);
    const { ms, result } = await applyGz(archive);
    await assert.rejects(result, { code: 'EBADLAYER', message: /'old': GNU sparse map larger than 1048576 bytes/ });
    assert.ok(ms < 5000, `took ${ms} ms`);
  });
});
