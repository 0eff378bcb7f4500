import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseChallenge, parseChallenges } from '../../lib/remote/auth';

test('Docker Hub\'s bearer challenge', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
  });
});

test('a quoted scope with commas stays one parameter', () => {
  const c = parseChallenge('Bearer realm="http://127.0.0.1:5001/token",service="reg",scope="repository:a/b:pull,push",error="insufficient_scope"');
  assert.equal(c?.params.scope, 'repository:a/b:pull,push');
  assert.equal(c?.params.error, 'insufficient_scope');
  assert.equal(c?.params.service, 'reg');
});

test('escaped quotes and backslashes inside a quoted string', () => {
  const c = parseChallenge('Basic realm="say \\"hi\\", then \\\\ leave", charset="UTF-8"');
  assert.deepEqual(c, { scheme: 'basic', params: { realm: 'say "hi", then \\ leave', charset: 'UTF-8' } });
});

test('several challenges in one header: Bearer is chosen wherever it is, else Basic', () => {
  const h = 'Basic realm="basic-realm", Bearer realm="https://auth.example/token",service="svc",scope="repository:x:pull"';
  const all = parseChallenges(h);
  assert.deepEqual(all.map((c) => c.scheme), ['basic', 'bearer']);
  assert.deepEqual(all[0].params, { realm: 'basic-realm' });
  assert.deepEqual(parseChallenge(h), { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'svc', scope: 'repository:x:pull' } });
  assert.equal(parseChallenge('Negotiate, Basic realm="r"')?.scheme, 'basic');
  assert.equal(parseChallenge('Negotiate abc123==, Basic realm="r"')?.params.realm, 'r');
  assert.deepEqual(parseChallenges('Negotiate abc123, Basic realm="r"').map((c) => c.scheme), ['negotiate', 'basic']);
});

test('bare token values, odd spacing and case', () => {
  assert.deepEqual(parseChallenge('bearer   Realm = https://a.example/t , service=svc'), {
    scheme: 'bearer',
    params: { realm: 'https://a.example/t', service: 'svc' },
  });
});

test('empty, missing or unterminated headers do not throw', () => {
  assert.equal(parseChallenge(null), undefined);
  assert.equal(parseChallenge(''), undefined);
  assert.deepEqual(parseChallenge('Bearer realm="unterminated'), { scheme: 'bearer', params: { realm: 'unterminated' } });
  assert.deepEqual(parseChallenge('Basic'), { scheme: 'basic', params: {} });
});
