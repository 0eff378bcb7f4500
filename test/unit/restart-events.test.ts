// The pure parts of restart policies and events: --restart as docker's CLI and daemon check
// it, docker's restart manager's decision and back-off, the events filters and the default
// line. Neither root nor the addon.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nextBackoff, parseRestartFlag, restartPolicyOf, shouldRestart, validateRestartPolicy, RestartFlagError } from '../../lib/container/restart';
import { eventLine, matchesFilters, parseEventFilters, type GockerEvent } from '../../lib/events';
import type { ContainerRecord } from '../../lib/container/record';

test('--restart: the CLI\'s format, then the daemon\'s policy', () => {
  assert.deepEqual(parseRestartFlag('on-failure:5'), { Name: 'on-failure', MaximumRetryCount: 5 });
  assert.deepEqual(parseRestartFlag('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.deepEqual(restartPolicyOf(undefined, true), { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(restartPolicyOf('', false), { Name: 'no', MaximumRetryCount: 0 });
  assert.deepEqual(restartPolicyOf('no', true), { Name: 'no', MaximumRetryCount: 0 });
  assert.throws(() => parseRestartFlag('on-failure:1.5'), (e: Error) => e instanceof RestartFlagError && e.message === 'invalid restart policy format: maximum retry count must be an integer');
  assert.throws(() => parseRestartFlag(':1'), RestartFlagError);
  assert.throws(() => restartPolicyOf('unless-stopped', true), (e: Error) => e instanceof RestartFlagError && /cannot specify both --restart and --rm/.test(e.message));
  assert.throws(() => validateRestartPolicy({ Name: 'never' as 'no', MaximumRetryCount: 0 }), (e: Error) => !(e instanceof RestartFlagError) && /unknown policy 'never'/.test(e.message));
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 1 }), /can only be used with 'on-failure'$/);
  assert.deepEqual(validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 0 }), { Name: 'on-failure', MaximumRetryCount: 0 });
});

test('the back-off: 100 ms, doubled, at most a minute, and 100 ms again after a run of 10 s', () => {
  const delays: number[] = [];
  let d = 0;
  for (let i = 0; i < 12; i++) delays.push((d = nextBackoff(d, 50)));
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
  assert.equal(nextBackoff(51200, 9999), 60000);
  assert.equal(nextBackoff(51200, 10_000), 100);
});

test('docker\'s ShouldRestart', () => {
  const rec = (Name: string, MaximumRetryCount = 0, RestartCount = 0) => ({ RestartCount, HostConfig: { RestartPolicy: { Name, MaximumRetryCount } } }) as unknown as ContainerRecord;
  assert.equal(shouldRestart(rec('no'), 1, false), false);
  assert.equal(shouldRestart(rec('always'), 0, true), true);
  assert.equal(shouldRestart(rec('unless-stopped'), 0, false), true);
  assert.equal(shouldRestart(rec('unless-stopped'), 1, true), false);
  assert.equal(shouldRestart(rec('on-failure'), 0, false), false);
  assert.equal(shouldRestart(rec('on-failure', 0, 99), 1, false), true);
  assert.equal(shouldRestart(rec('on-failure', 2, 1), 1, false), true);
  assert.equal(shouldRestart(rec('on-failure', 2, 2), 1, false), false);
  assert.equal(shouldRestart({ HostConfig: {} } as unknown as ContainerRecord, 1, false), false);
});

const ev = (over: Partial<GockerEvent> & { attrs?: Record<string, string> } = {}): GockerEvent => ({
  status: 'start', id: 'abc123', from: 'busybox', Type: 'container', Action: 'start',
  Actor: { ID: 'abc123', Attributes: over.attrs ?? { image: 'busybox', name: 'web', tier: 'front' } },
  scope: 'local', time: 1796313600, timeNano: 1796313600123456000, ...over,
});

test('events filters: docker\'s keys, one key\'s values alternatives, all keys required', () => {
  assert.throws(() => parseEventFilters(['colour=red']), /invalid filter 'colour'/);
  assert.throws(() => parseEventFilters(['nope']), /bad format of filter/);
  const f = (...l: string[]) => parseEventFilters(l);
  assert.equal(matchesFilters(ev(), f('container=web')), true);
  assert.equal(matchesFilters(ev(), f('container=abc')), true);
  assert.equal(matchesFilters(ev(), f('container=other', 'container=we')), true);
  assert.equal(matchesFilters(ev(), f('container=web', 'event=die')), false);
  assert.equal(matchesFilters(ev(), f('event=die', 'event=start', 'type=container')), true);
  assert.equal(matchesFilters(ev(), f('label=tier')), true);
  assert.equal(matchesFilters(ev(), f('label=tier=front', 'label=tier=back')), false);
  assert.equal(matchesFilters(ev(), f('image=busybox')), true);
  assert.equal(matchesFilters(ev({ attrs: { image: 'busybox:1.36', name: 'x' } }), f('image=busybox')), true);
  assert.equal(matchesFilters(ev({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:aa', Attributes: { name: 'me/app:v1' } } }), f('image=me/app')), true);
  assert.equal(matchesFilters(ev({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:aa', Attributes: { name: 'me/app:v1' } } }), f('container=sha256')), false);
  assert.equal(matchesFilters(ev(), f('network=n1')), false);
});

test('the default line: RFC3339Nano with nine digits, the attributes by key', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    assert.equal(eventLine(ev()), '2026-12-03T16:00:00.123456000Z container start abc123 (image=busybox, name=web, tier=front)\n');
    assert.equal(eventLine(ev({ attrs: {} })), '2026-12-03T16:00:00.123456000Z container start abc123\n');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});
