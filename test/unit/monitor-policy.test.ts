// The monitor's policy without root: build/Release/gocker-monitor-policy-test (from
// test/native/monitor-policy.cc) drives the monitor's own mount, device, rlimit and capability
// code with a recording fake of the system calls under it, and checks every call, in order,
// flags and all. Each of its cases is a test here. The binary is built with the addon (npm
// install, node-gyp rebuild): a missing one fails, never skips.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// dist/test/unit -> the package root
const BIN = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'gocker-monitor-policy-test');

const list = spawnSync(BIN, ['--list'], { encoding: 'utf8' });
const cases = list.status === 0 ? list.stdout.split('\n').filter(Boolean) : [];

test('the monitor policy test is built and lists its cases', () => {
  assert.equal(list.error, undefined, `${BIN}: ${list.error?.message} (run node-gyp rebuild)`);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(cases.length >= 10, cases.join(', '));
});

for (const name of cases) {
  test(`monitor policy: ${name}`, () => {
    const r = spawnSync(BIN, [name], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, `ok ${name}\n`);
  });
}
