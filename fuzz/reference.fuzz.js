// Fuzz target for the reference and digest parsers, over the compiled library (npm run
// build:ts first; fuzz/run.sh runs it). A GockerError is the parser refusing an input,
// which is fine; anything else thrown is a finding: a TypeError or RangeError from inside
// the parser, a reference that does not survive being printed and parsed again, or a
// digest accepted that is not an exact algorithm:hex of its length.
//
// `fuzz(data)` is a Jazzer.js (libFuzzer for Node) target: `npx jazzer fuzz/reference.fuzz.js`
// runs it where Jazzer's shipped binary loads (it needs glibc 2.38; Debian 12 has 2.36, and
// the older Jazzer releases fetch theirs from GitHub at install). Run as a script, as
// fuzz/run.sh does, fast-check drives it instead: generated, not coverage-guided, inputs
// (raw strings and reference-shaped ones built from the grammar's pieces), shrunk to a
// minimal counterexample on failure, for FUZZ_SECONDS, after replaying the seed directories
// named on the command line.
'use strict';
const { parseReference, referenceString, familiarString } = require('../dist/lib/name');
const { validateDigest, splitDigest, DIGEST_HEX_LENGTH } = require('../dist/lib/name/digest');
const { GockerError } = require('../dist/lib/errors');

const STRICT_DIGEST = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

function refused(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GockerError) return undefined;
    throw e;
  }
}

function same(a, b, how) {
  if (a.registry !== b.registry || a.repository !== b.repository || a.tag !== b.tag || a.digest !== b.digest) {
    throw new Error(`${how}: ${JSON.stringify(a)} became ${JSON.stringify(b)}`);
  }
}

module.exports.fuzz = function fuzz(data) {
  const input = data.toString('utf8');

  const ref = refused(() => parseReference(input));
  if (ref) {
    if (ref.digest !== undefined && !STRICT_DIGEST.test(ref.digest)) throw new Error(`digest accepted: ${JSON.stringify(ref.digest)}`);
    if (ref.tag === undefined && ref.digest === undefined) throw new Error(`neither tag nor digest: ${JSON.stringify(input)}`);
    same(ref, parseReference(referenceString(ref)), 'referenceString round trip');
    same(ref, parseReference(familiarString(ref)), 'familiarString round trip');
  }

  const d = refused(() => validateDigest(input, 'fuzz'));
  if (d !== undefined) {
    if (!STRICT_DIGEST.test(d)) throw new Error(`validateDigest accepted ${JSON.stringify(d)}`);
    const { algorithm, hex } = splitDigest(d);
    if (hex.length !== DIGEST_HEX_LENGTH[algorithm]) throw new Error(`splitDigest: ${algorithm} with ${hex.length} hex digits`);
  } else if (STRICT_DIGEST.test(input)) {
    throw new Error(`validateDigest refused a valid digest ${JSON.stringify(input)}`);
  }
};

if (require.main === module) {
  const fs = require('node:fs');
  const path = require('node:path');
  const fc = require('fast-check');
  for (const dir of process.argv.slice(2)) {
    for (const f of fs.readdirSync(dir)) module.exports.fuzz(fs.readFileSync(path.join(dir, f)));
  }
  const seconds = Number(process.env.FUZZ_SECONDS || 60);
  const piece = fc.oneof(
    fc.constantFrom('docker.io', 'index.docker.io', 'localhost', '127.0.0.1', '[::1]', 'library', 'sha256', 'sha384', 'sha512', 'latest'),
    fc.stringMatching(/^[a-z0-9]{1,8}$/),
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.stringMatching(/^[0-9a-fA-F]{0,130}$/),
    fc.constantFrom('/', ':', '@', '.', '..', '-', '_', '__', ':5000', '\0', '\n', ' ', '%2f', 'A'),
    fc.string({ maxLength: 6 }),
  );
  const shaped = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
  const digestish = fc
    .tuple(fc.constantFrom('sha256', 'sha384', 'sha512', 'SHA256', 'sha256+b64', 'md5', ''), fc.constantFrom(':', '', '::'), fc.stringMatching(/^[0-9a-fA-Fg./]{0,130}$/))
    .map(([a, c, h]) => `${a}${c}${h}`);
  const input = fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), shaped, digestish, fc.tuple(shaped, digestish).map(([r, d]) => `${r}@${d}`));
  const started = Date.now();
  let runs = 0;
  while (Date.now() - started < seconds * 1000) {
    fc.assert(fc.property(input, (s) => { module.exports.fuzz(Buffer.from(s, 'utf8')); }), { numRuns: 20000 });
    runs += 20000;
  }
  console.log(`reference/digest parser: ${runs} inputs in ${Math.round((Date.now() - started) / 1000)} s, no failure`);
}
