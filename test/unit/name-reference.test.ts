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
    ['index.docker.io/x/y', 'docker.io/x/y:latest', 'x/y'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app'],
    ['localhost:5000/ns/app:v1', 'localhost:5000/ns/app:v1', 'localhost:5000/ns/app'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest', '127.0.0.1:5000/busybox'],
    ['registry.example.com/a/b/c:tag-1.0', 'registry.example.com/a/b/c:tag-1.0', 'registry.example.com/a/b/c'],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, 'alpine'],
    [`host:5000/img:t@${D}`, `host:5000/img:t@${D}`, 'host:5000/img'],
    ['a__b/c-d.e', 'docker.io/a__b/c-d.e:latest', 'a__b/c-d.e'],
  ];
  for (const [input, full, repo] of cases) {
    const r = parseReference(input);
    assert.equal(referenceString(r), full, input);
    assert.equal(familiarRepo(r), repo, input);
  }
  assert.equal(familiarString(parseReference('alpine')), 'alpine:latest');
});

test('invalid references: one line, docker wording, exit 125', () => {
  const bad = ['', ' alpine', 'alpine:', 'alpine:bad tag', ':tag', 'a//b', '-a', 'a-', 'alpine@sha256:abc', `a@sha256:${'g'.repeat(64)}`, 'host:port/x', 'x:-tag', `${'a'.repeat(256)}`];
  for (const s of bad) {
    assert.throws(() => parseReference(s), (e: { code: string; exitCode: number; message: string }) => {
      assert.equal(e.code, 'EINVALREF', s);
      assert.equal(e.exitCode, 125);
      assert.match(e.message, /^invalid reference format/);
      assert.ok(!e.message.includes('\n'));
      return true;
    }, s);
  }
  assert.throws(() => parseReference('Alpine'), { message: 'invalid reference format: repository name (library/Alpine) must be lowercase' });
  assert.throws(() => parseReference('localhost:5000/App'), { message: 'invalid reference format: repository name (App) must be lowercase' });
});
