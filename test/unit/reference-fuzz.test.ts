// The reference parser through lib/name, as every caller reaches it: the inputs the fuzzers
// found (fuzz/reference.cc, `npm run fuzz`, fuzzes the native parser itself), and a
// fast-check property over what that harness cannot see: the strings crossing into the addon
// and back (NULs, lone surrogates, non-ASCII), GockerError as the only refusal, and
// lib/name's own printers (referenceString, familiarString) parsing back to the same reference.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { familiarString, parseReference, referenceString, type Reference } from '../../lib/name';
import { digestProblem, isDigest, splitDigest, validateDigest, DIGEST_HEX_LENGTH } from '../../lib/name/digest';
import { GockerError } from '../../lib/errors';

function wellFormed(input: string): Reference | undefined {
  let ref;
  try {
    ref = parseReference(input);
  } catch (e) {
    assert.ok(e instanceof GockerError, `${JSON.stringify(input)}: ${String(e)}`);
    assert.equal((e as GockerError & { code: string }).code, 'EINVALREF');
    assert.equal((e as GockerError & { exitCode: number }).exitCode, 125);
    return undefined;
  }
  assert.equal(typeof ref.registry, 'string', `${JSON.stringify(input)} parsed without a registry: ${JSON.stringify(ref)}`);
  assert.deepEqual(parseReference(referenceString(ref)), ref);
  return ref;
}

// Found by fast-check's run of the old TypeScript parser: a first component with a '.' that
// is not a valid domain ("docker.io__a") left registry undefined, and referenceString then
// printed "undefined/docker.io__a/0". Now an invalid reference format.
test('a first component that looks like a domain but is not one ("docker.io__a/0")', () => {
  assert.equal(wellFormed('docker.io__a/0'), undefined);
  assert.equal(wellFormed('example.com__x/app:tag'), undefined);
});

const STRICT_DIGEST = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

test('property: any string is refused with a GockerError or parses to a reference that prints and parses back', () => {
  const piece = fc.oneof(
    fc.constantFrom('docker.io', 'index.docker.io', 'localhost', '127.0.0.1', '[::1]', 'library', 'sha256', 'sha384', 'sha512', 'latest', 'İ', 'É', '\u212a'),
    fc.stringMatching(/^[a-z0-9]{1,8}$/),
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.stringMatching(/^[0-9a-fA-F]{0,130}$/),
    fc.constantFrom('/', ':', '@', '.', '..', '-', '_', '__', ':5000', '\0', '\n', ' ', '\ud800', 'A'),
    fc.string({ maxLength: 6, unit: 'binary' }),
  );
  const shaped = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
  const digestish = fc
    .tuple(fc.constantFrom('sha256', 'sha384', 'sha512', 'SHA256', 'sha256+b64', 'md5', ''), fc.constantFrom(':', '', '::'), fc.stringMatching(/^[0-9a-fA-Fg./]{0,130}$/))
    .map(([a, c, h]) => `${a}${c}${h}`);
  const input = fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), shaped, digestish, fc.tuple(shaped, digestish).map(([r, d]) => `${r}@${d}`));
  let parsed = 0;
  fc.assert(fc.property(input, (s) => {
    const ref = wellFormed(s);
    if (ref) {
      parsed++;
      if (ref.digest !== undefined) assert.match(ref.digest, STRICT_DIGEST);
      assert.ok(ref.tag !== undefined || ref.digest !== undefined);
      // Docker's short form is ambiguous for a Docker Hub path that starts like a host
      // ('docker.io/a.b/c' prints as 'a.b/c', as docker prints it): the rest parse back.
      if (ref.registry !== 'docker.io' || !/^(?:[^/]*[.:][^/]*|localhost)\//.test(ref.repository)) {
        assert.deepEqual(parseReference(familiarString(ref)), ref);
      }
    }
    const problem = digestProblem(s);
    assert.equal(problem === undefined, STRICT_DIGEST.test(s), JSON.stringify(s));
    assert.equal(isDigest(s), problem === undefined);
    if (problem === undefined) {
      const { algorithm, hex } = splitDigest(validateDigest(s, 'fuzz'));
      assert.equal(hex.length, DIGEST_HEX_LENGTH[algorithm]);
    } else {
      assert.ok(['invalid checksum digest format', 'invalid checksum digest length', 'unsupported digest algorithm'].includes(problem), problem);
    }
  }), { numRuns: 5000 });
  // The generators reach accepted references too, not only refusals.
  assert.ok(parsed > 100, `only ${parsed} of 5000 inputs parsed`);
});
