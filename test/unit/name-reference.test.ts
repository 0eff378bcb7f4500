import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { familiarRepo, familiarString, parseReference, referenceString } from '../../lib/name';

const D = `sha256:${'a'.repeat(64)}`;

test('docker normalisation', () => {
  const cases: Array<[string, string, string]> = [
    ['alpine', 'docker.io/library/alpine:latest', 'alpine'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine'],
    ['user/app', 'docker.io/user/app:latest', 'user/app'],
    ['docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox'],
    ['docker.io/library/alpine', 'docker.io/library/alpine:latest', 'alpine'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest', 'alpine'],
    ['index.docker.io/x/y', 'docker.io/x/y:latest', 'x/y'],
    ['index.docker.io/x', 'docker.io/library/x:latest', 'x'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app'],
    ['localhost/foo', 'localhost/foo:latest', 'localhost/foo'],
    ['localhost:5000/ns/app:v1', 'localhost:5000/ns/app:v1', 'localhost:5000/ns/app'],
    [`localhost:5000/a/b:t@${D}`, `localhost:5000/a/b:t@${D}`, 'localhost:5000/a/b'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest', '127.0.0.1:5000/busybox'],
    ['[::1]:5000/busybox', '[::1]:5000/busybox:latest', '[::1]:5000/busybox'],
    ['registry.example.com/a/b/c:tag-1.0', 'registry.example.com/a/b/c:tag-1.0', 'registry.example.com/a/b/c'],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, 'alpine'],
    [`host:5000/img:t@${D}`, `host:5000/img:t@${D}`, 'host:5000/img'],
    ['a__b/c-d.e', 'docker.io/a__b/c-d.e:latest', 'a__b/c-d.e'],
    // An upper-case first component is taken for a host (namespaces are lower-case).
    ['Foo/bar', 'Foo/bar:latest', 'Foo/bar'],
    ['alpine:UPPER_tag', 'docker.io/library/alpine:UPPER_tag', 'alpine'],
    [`a:${'t'.repeat(128)}`, `docker.io/library/a:${'t'.repeat(128)}`, 'a'],
    [`x@sha512:${'b'.repeat(128)}`, `docker.io/library/x@sha512:${'b'.repeat(128)}`, 'x'],
  ];
  for (const [input, full, repo] of cases) {
    const r = parseReference(input);
    assert.equal(referenceString(r), full, input);
    assert.equal(familiarRepo(r), repo, input);
  }
  assert.deepEqual(parseReference(`localhost:5000/a/b:t@${D}`), { registry: 'localhost:5000', repository: 'a/b', tag: 't', digest: D });
  assert.deepEqual(parseReference('Foo/bar'), { registry: 'Foo', repository: 'bar', tag: 'latest', digest: undefined });
  assert.equal(parseReference(`alpine@${D}`).tag, undefined);
  assert.equal(familiarString(parseReference('alpine')), 'alpine:latest');
  // The limit counts the path docker stores: library/ included for an official name.
  assert.equal(parseReference('a'.repeat(247)).repository.length, 255);
  assert.equal(parseReference(`registry.example.com/${'a'.repeat(255)}`).repository.length, 255);
});

test('invalid references: docker wording, one line, exit 125', () => {
  const hex = 'f'.repeat(64);
  const cases: Array<[string, string]> = [
    ['', 'invalid reference format'],
    [' alpine', 'invalid reference format'],
    ['alpine ', 'invalid reference format'],
    ['alpine:', 'invalid reference format'],
    ['localhost:5000/a:', 'invalid reference format'],
    ['alpine:bad tag', 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['a/', 'invalid reference format'],
    ['-a', 'invalid reference format'],
    ['a-', 'invalid reference format'],
    ['host:port/x', 'invalid reference format'],
    ['x:-tag', 'invalid reference format'],
    [`a:${'t'.repeat(129)}`, 'invalid reference format'],
    ['alpine@sha256:abc', 'invalid reference format'],
    [`a@sha256:${'g'.repeat(64)}`, 'invalid reference format'],
    [`alpine@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
    [`alpine@sha256:${'a'.repeat(65)}`, 'invalid checksum digest length'],
    [`alpine@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`alpine@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [hex, `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`],
    ['a'.repeat(248), 'repository name must not be more than 255 characters'],
    [`localhost/${'a'.repeat(256)}`, 'repository name must not be more than 255 characters'],
    ['Alpine', 'invalid reference format: repository name (library/Alpine) must be lowercase'],
    ['localhost:5000/App', 'invalid reference format: repository name (App) must be lowercase'],
    ['Foo/Bar', 'invalid reference format: repository name (Bar) must be lowercase'],
    ['foo/Bar:tag', 'invalid reference format: repository name (foo/Bar) must be lowercase'],
    // Upper case beyond ASCII, by Go's strings.ToLower (simple case mapping), as docker sees it.
    ['Éclair', 'invalid reference format: repository name (library/Éclair) must be lowercase'],
    ['ns/\u212a', 'invalid reference format: repository name (ns/\u212a) must be lowercase'],
    ['İ.com/x', 'repository name must be lowercase'], // its lower case, 'i.com/x', is a reference
    ['alpine:\u212a', 'repository name must be lowercase'], // the Kelvin sign's is 'k'
    ['alpine:é', 'invalid reference format'],
    ['a\u0000b', 'invalid reference format'],
  ];
  for (const [s, message] of cases) {
    assert.throws(() => parseReference(s), (e: { code: string; exitCode: number; message: string }) => {
      assert.equal(e.message, message, JSON.stringify(s));
      assert.equal(e.code, 'EINVALREF', s);
      assert.equal(e.exitCode, 125);
      return true;
    }, s);
  }
  // Docker's short form of a Docker Hub path whose first component has a '.' is docker's
  // too, though it reads as a host.
  assert.equal(familiarString(parseReference('docker.io/a.b/c')), 'a.b/c:latest');
  // A 64-hex string with a name in front is an ordinary name.
  assert.equal(parseReference(`ns/${hex}`).repository, `ns/${hex}`);
});
