// --detach-keys as docker reads them (moby/term's ToBytes), and docker's refusal.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseDetachKeys } from '../../lib/container/attach';

test('ctrl-<x> for the 32 control characters, case aside; single characters as themselves; "" and none are ctrl-p,ctrl-q', () => {
  assert.deepEqual([...parseDetachKeys(undefined)], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys('')], [0x10, 0x11]);
  assert.deepEqual([...parseDetachKeys('ctrl-x,y')], [0x18, 0x79]);
  assert.deepEqual([...parseDetachKeys('CTRL-A,Ctrl-Z,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [1, 26, 0, 27, 28, 29, 30, 31]);
  assert.deepEqual([...parseDetachKeys('a,b,c')], [0x61, 0x62, 0x63]);
});

test('anything else is docker\'s "Invalid detach keys (...) provided", with the exit code asked for', () => {
  for (const bad of ['ab', 'ctrl-1', 'ctrl-', 'a,,b', 'ctrl-p,', 'é']) {
    assert.throws(() => parseDetachKeys(bad), { message: `Invalid detach keys (${bad}) provided`, exitCode: 1 });
  }
  assert.throws(() => parseDetachKeys('xx', 125), { exitCode: 125 });
});
