// The event log's clock: an event is stamped by the wall clock, so that a read of the log up
// to Date.now(), right after the event was recorded, has it (a library's create+start, then
// events({ until: Date.now() }), lost its 'start' about 9 times in 10 when events were stamped
// by the monotonic clock, which runs ahead of the wall clock in a process that has lived a
// while). Neither root nor the addon's containers: a store of its own in a temp directory.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readEvents, recordEvent, type GockerEvent } from '../../lib/events';
import { StorePaths } from '../../lib/store/paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-events-clock-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const paths = new StorePaths(path.join(dir, 'root'), path.join(dir, 'run'));

test('an event just recorded is in a read up to Date.now(), and events keep their order', async () => {
  // Past the drift a short-lived process starts with: the monotonic clock's lead grows.
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 50; i++) {
    const since = Date.now();
    recordEvent(paths, 'container', 'start', { ID: `c${i}`, Attributes: {} });
    const seen: GockerEvent[] = [];
    for await (const ev of readEvents(paths, { since, until: Date.now(), follow: false, filters: { container: [`c${i}`] } })) seen.push(ev);
    assert.equal(seen.length, 1, `event ${i} left out of a read up to now`);
    assert.ok(seen[0].timeNano <= (Date.now() + 1) * 1e6, 'stamped ahead of the wall clock');
  }
  const all: number[] = [];
  for await (const ev of readEvents(paths, { since: 0, until: Date.now(), follow: false })) all.push(ev.timeNano);
  assert.equal(all.length, 50);
  assert.deepEqual(all, [...all].sort((a, b) => a - b));
});
