// wait, stop and logs -f learn of an exit from the monitor (its pidfd, the files it writes),
// not by looking every few milliseconds: a waiting CLI sleeps in the kernel until something
// happens, and still sees every kind of end (an exit, a monitor killed with -9, an rm -f, an
// --rm container removed as soon as it exits).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-waitnotify-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

/** The main thread's voluntary context switches: each sleep it wakes from is one. */
function wakeups(pid: number): number {
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function started(args: string[]): { child: ChildProcess; out: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(BIN, [...roots.args, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return { child, out: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout }))) };
}

/**
 * How often the command's main thread woke over 2 s while it waited: polling every 20-50 ms
 * is 40 to 100 wake-ups; sleeping until the exit is next to none.
 */
async function idleWakeups(child: ChildProcess): Promise<number> {
  await sleep(800); // past its start, now asleep in the wait
  const before = wakeups(child.pid!);
  await sleep(2000);
  return wakeups(child.pid!) - before;
}

test('wait sleeps until the container exits, and says its code', async () => {
  const id = g(['run', '-d', 'busybox', 'sh', '-c', 'sleep 4; exit 7']).stdout.trim();
  const w = started(['wait', id]);
  const woke = await idleWakeups(w.child);
  assert.ok(woke < 15, `wait woke ${woke} times in 2 s`);
  const { code, stdout } = await w.out;
  assert.equal(code, 0);
  assert.equal(stdout, '7\n');
  assert.equal(g(['rm', id]).status, 0);
});

test('logs -f sleeps between lines, prints each as it comes and ends with the container', async () => {
  const id = g(['run', '-d', 'busybox', 'sh', '-c', 'echo one; sleep 3; echo two; sleep 1']).stdout.trim();
  const f = started(['logs', '-f', id]);
  const woke = await idleWakeups(f.child);
  assert.ok(woke < 15, `logs -f woke ${woke} times in 2 s`);
  const { code, stdout } = await f.out;
  assert.equal(code, 0);
  assert.equal(stdout, 'one\ntwo\n');
  assert.equal(g(['rm', id]).status, 0);
});

test('stop sleeps through the grace period and returns when the container is gone', async () => {
  // The shell ignores TERM: the stop waits out its 3 s grace, then kills.
  const id = g(['run', '-d', 'busybox', 'sh', '-c', "trap '' TERM; while :; do sleep 1; done"]).stdout.trim();
  const s = started(['stop', '-t', '3', id]);
  const woke = await idleWakeups(s.child);
  assert.ok(woke < 15, `stop woke ${woke} times in 2 s`);
  const { code, stdout } = await s.out;
  assert.equal(code, 0);
  assert.equal(stdout, `${id}\n`);
  assert.equal(g(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]).stdout, 'exited 137\n');
  // A stop that is obeyed returns with the exit, long before its grace is out.
  const id2 = g(['run', '-d', 'busybox', 'sh', '-c', "trap 'exit 0' TERM; while :; do sleep 0.2; done"]).stdout.trim();
  const t0 = Date.now();
  assert.equal(g(['stop', '-t', '30', id2]).status, 0);
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(g(['rm', id, id2]).status, 0);
});

test('a monitor killed with -9 ends a wait and a follow: its pidfd says so, no file does', async () => {
  const id = g(['run', '-d', 'busybox', 'sh', '-c', 'echo hi; sleep 100']).stdout.trim();
  const w = started(['wait', id]);
  const f = started(['logs', '-f', id]);
  await sleep(800);
  const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
  process.kill(monitor, 'SIGKILL');
  const [waited, followed] = await Promise.all([w.out, f.out]);
  assert.equal(waited.stdout, '255\n');
  assert.equal(followed.stdout, 'hi\n');
  // The container's own process went with its pid namespace's init, the monitor's child.
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('rm -f of a running container ends a wait with 137', async () => {
  const id = g(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
  const w = started(['wait', id]);
  await sleep(500);
  assert.equal(g(['rm', '-f', id]).status, 0);
  assert.equal((await w.out).stdout, '137\n');
});

test('an --rm container removed as soon as it exits: wait still says its own exit code, every time', async () => {
  for (let i = 0; i < 5; i++) {
    const id = g(['run', '-d', '--rm', 'busybox', 'sh', '-c', `sleep 0.3; exit ${10 + i}`]).stdout.trim();
    const r = g(['wait', '--condition', 'removed', id]);
    assert.equal(r.stdout, `${10 + i}\n`, r.stderr);
    assert.equal(g(['inspect', id]).status, 1);
  }
});
