// Digests are validated where they enter and before they name a path; registry bodies held
// in memory are bounded. The check is the addon's (lib/name calls it); no root is needed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { digestProblem, isDigest, splitDigest, validateDigest } from '../../lib/name/digest';
import { StorePaths, hexOf } from '../../lib/store/paths';
import { readBodyCapped } from '../../lib/remote/body';

const H = (n: number, c = 'a'): string => c.repeat(n);

test('validateDigest: sha256, sha384, sha512 at their exact lowercase hex length; nothing else', () => {
  for (const ok of [`sha256:${H(64)}`, `sha384:${H(96, 'b')}`, `sha512:${H(128, '0')}`]) {
    assert.equal(validateDigest(ok, 'x'), ok);
    assert.ok(isDigest(ok));
  }
  const bad: Array<[unknown, string]> = [
    ['sha256:../../../etc/passwd', 'invalid checksum digest length'],
    [`sha256:${'../'.repeat(21)}a`, 'invalid checksum digest format'], // 64 characters, not hex
    [`sha256:${H(63)}/`, 'invalid checksum digest format'],
    [`sha256:${H(64, 'A')}`, 'invalid checksum digest format'],
    [`sha256:${H(65)}`, 'invalid checksum digest length'],
    [`sha384:${H(64)}`, 'invalid checksum digest length'],
    [`sha512:${H(96)}`, 'invalid checksum digest length'],
    [`md5:${H(32)}`, 'unsupported digest algorithm'],
    [`SHA256:${H(64)}`, 'invalid checksum digest format'],
    [H(64), 'invalid checksum digest format'],
    [`sha256:${H(64)}\n`, 'invalid checksum digest length'],
    // Lengths in bytes, as go-digest counts them: 32 two-byte characters are 64 bytes.
    [`sha256:${H(32, 'é')}`, 'invalid checksum digest format'],
    [`sha256:${H(64, 'é')}`, 'invalid checksum digest length'],
    [`sha256:${H(63)}\u0000`, 'invalid checksum digest format'],
    ['', 'invalid checksum digest format'],
    [undefined, 'invalid checksum digest format'],
    [{ toString: () => `sha256:${H(64)}` }, 'invalid checksum digest format'],
    [42, 'invalid checksum digest format'],
  ];
  for (const [d, why] of bad) {
    assert.equal(digestProblem(d), why, String(d));
    assert.ok(!isDigest(d));
    assert.throws(() => validateDigest(d, 'load: layer 0'), (e: Error & { exitCode?: number; code?: string }) => {
      assert.ok(e.message.startsWith(`load: layer 0: ${why}`), e.message);
      assert.equal(e.message.split('\n').length, 1);
      assert.equal(e.exitCode, 125);
      assert.equal(e.code, 'EDIGEST');
      return true;
    });
  }
  assert.throws(() => validateDigest(`sha512:${H(128)}`, 'diff_id', { sha256Only: true }), /^GockerError: diff_id: unsupported digest algorithm/);
  // An attacker's long string is cut in the message.
  assert.ok((() => { try { validateDigest(`sha256:${'x'.repeat(10_000)}`, 'w'); } catch (e) { return (e as Error).message.length < 300; } return false; })());
});

test('path helpers refuse anything but a validated digest', () => {
  const p = new StorePaths('/r', '/rr');
  const d = `sha256:${H(64)}`;
  assert.equal(p.blob(d), `/r/blobs/sha256/${H(64)}`);
  assert.equal(p.blob(`sha512:${H(128)}`), `/r/blobs/sha512/${H(128)}`);
  assert.equal(p.blob(`sha384:${H(96)}`), `/r/blobs/sha384/${H(96)}`);
  assert.equal(p.layer(d), `/r/layers/${H(64)}`);
  assert.equal(p.image(d), `/r/images/${H(64)}`);
  assert.equal(hexOf(d), H(64));
  assert.equal(hexOf(H(64)), H(64));
  assert.equal(splitDigest(`sha384:${H(96)}`).algorithm, 'sha384');
  const evil = ['sha256:../../../etc', `sha256:${H(62)}/.`, '../../x', `${H(63)}/`, '', `sha256:${H(64)}/diff/x`, `sha1:${H(40)}`];
  for (const e of evil) {
    assert.throws(() => p.blob(e), /refusing to use/);
    assert.throws(() => p.layer(e), /refusing to use/);
    assert.throws(() => p.image(e), /refusing to use/);
    assert.throws(() => hexOf(e), /refusing to use/);
  }
  // Layers and images are keyed by sha256 alone.
  assert.throws(() => p.layer(`sha512:${H(128)}`), /not a sha256 digest/);
  assert.throws(() => p.image(H(64)), /not a sha256 digest/);
});

function endless(chunk = Buffer.alloc(64 << 10, 0x20)): { stream: ReadableStream<Uint8Array>; sent: () => number; cancelled: () => boolean } {
  let sent = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += chunk.length;
      c.enqueue(new Uint8Array(chunk));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, sent: () => sent, cancelled: () => cancelled };
}

test('readBodyCapped: an endless body fails at the cap, the stream is cancelled', async () => {
  const e = endless();
  await assert.rejects(readBodyCapped(new Response(e.stream), { what: 'manifest for x', max: 1 << 20, stallMs: 5000 }),
    /^RegistryError: manifest for x is larger than 1048576 bytes$/);
  assert.ok(e.sent() <= (1 << 20) + (256 << 10), `read ${e.sent()} bytes`);
  await new Promise((r) => setImmediate(r));
  assert.ok(e.cancelled());
});

test('readBodyCapped: the descriptor size bounds the read, Content-Length over the cap fails before reading', async () => {
  const e = endless(Buffer.alloc(1000, 0x20));
  await assert.rejects(readBodyCapped(new Response(e.stream), { what: 'blob c', max: 1 << 20, expected: 5000, stallMs: 5000 }),
    /blob c is larger than the 5000 bytes its descriptor gives/);
  assert.ok(e.sent() <= 8000);
  const big = endless();
  const res = new Response(big.stream, { headers: { 'content-length': String(64 << 20) } });
  await assert.rejects(readBodyCapped(res, { what: 'config', max: 16 << 20, stallMs: 5000 }), /config is larger than 16777216 bytes \(Content-Length 67108864\)/);
  assert.ok(big.sent() <= 256 << 10);
  // Within bounds: the body as sent.
  const ok = await readBodyCapped(new Response('{"a":1}'), { what: 'x', max: 100, expected: 7, stallMs: 5000 });
  assert.equal(ok.toString(), '{"a":1}');
  // Error bodies are cut, not refused.
  const cut = await readBodyCapped(new Response(endless().stream), { what: 'err', max: 100, truncate: true, stallMs: 5000 });
  assert.equal(cut.length, 100);
});

test('readBodyCapped: a trickle that never ends fails at the deadline', async () => {
  let n = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      await new Promise((r) => setTimeout(r, 20));
      if (++n < 10_000) c.enqueue(new Uint8Array([0x20]));
    },
  });
  const t0 = Date.now();
  await assert.rejects(readBodyCapped(new Response(stream), { what: 'manifest', max: 1 << 20, stallMs: 1000, deadlineMs: 300 }), /manifest: not complete after 300 ms/);
  assert.ok(Date.now() - t0 < 2000);
});
