// What a container, its image or a local user can do to the processes that serve it: the
// monitor (its relay of the container's output), the exit command of a restart policy, and
// gocker-runtime given a hostile bundle.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-secproc-');
const g = (args: string[], timeout = 120_000) => gocker([...roots.args, ...args], { timeout });

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

// A background process outside the container's pid namespace outlives its command and can
// hold its stdout open, writing as fast as the monitor reads. The monitor reads what the
// command left for a moment, then kills what is left in the cgroup and records the exit:
// before, it read on for ever, `wait` never returned, `rm -f` could not remove the container
// ("no exit seen") and its log filled the disk.
for (const tty of [false, true]) {
  test(`a leftover writing on does not keep the exit from being recorded (--pid host${tty ? ', -t' : ''})`, () => {
    const name = `secproc-drain${tty ? '-t' : ''}`;
    const r = g(['run', '-d', ...(tty ? ['-t'] : []), '--name', name, '--pid', 'host', '--network', 'none', '--log-opt', 'max-size=1m',
      'busybox', 'sh', '-c', 'yes & yes & yes & sleep 1; exit 3']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const w = g(['wait', name], 30_000);
      assert.equal(w.signal, null, 'wait did not return within 30 s');
      assert.equal(w.stdout.trim(), '3', w.stderr);
      // The leftover was killed with the rest of the cgroup.
      const top = g(['inspect', '--format', '{{.State.Status}} {{.State.Pid}}', name]);
      assert.equal(top.stdout.trim(), 'exited 0', top.stderr);
    } finally {
      g(['rm', '-f', name], 60_000);
    }
  });
}
