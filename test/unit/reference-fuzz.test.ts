// Inputs the reference fuzzer (fuzz/reference.fuzz.js, `npm run fuzz`) found: each must be
// refused with a GockerError or parse to a reference that survives printing and parsing.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseReference, referenceString } from '../../lib/name';
import { GockerError } from '../../lib/errors';

function wellFormed(input: string): void {
  let ref;
  try {
    ref = parseReference(input);
  } catch (e) {
    assert.ok(e instanceof GockerError, `${input}: ${String(e)}`);
    return;
  }
  assert.equal(typeof ref.registry, 'string', `${JSON.stringify(input)} parsed without a registry: ${JSON.stringify(ref)}`);
  assert.deepEqual(parseReference(referenceString(ref)), ref);
}

// Found by fast-check's run of fuzz/reference.fuzz.js: a first component with a '.' that is
// not a valid domain ("docker.io__a") left registry undefined, and referenceString then
// printed "undefined/docker.io__a/0". Now an invalid reference format.
test('a first component that looks like a domain but is not one ("docker.io__a/0")', () => {
  wellFormed('docker.io__a/0');
  wellFormed('example.com__x/app:tag');
});
