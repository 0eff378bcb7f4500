// Go orders strings by their bytes: fmt prints a map's keys so, and docker sorts `diff`'s
// paths so. localeCompare orders them otherwise (case folded, punctuation weighed apart).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { byCodeUnit } from '../../lib/format/order';
import { Template } from '../../lib/format/exec';

test('strings in Go\'s order, not the locale\'s', () => {
  assert.deepEqual(['a', 'B', '/etc/x', '/etc-old', '/etc', 'é', 'z'].sort(byCodeUnit), ['/etc', '/etc-old', '/etc/x', 'B', 'a', 'z', 'é']);
  assert.deepEqual(['/a/b', '/a-b'].sort(byCodeUnit), ['/a-b', '/a/b']);
  assert.equal(byCodeUnit('x', 'x'), 0);
});

test('a map prints with its keys in byte order, as Go\'s fmt does', () => {
  assert.equal(new Template('{{.Config.Labels}}').execute({ Config: { Labels: { b: '2', a: '1', B: '3', 'a.z': '4' } } }), 'map[B:3 a:1 a.z:4 b:2]');
});
