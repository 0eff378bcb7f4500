// The exit handoff (lib/container/exit-handoff.ts): a library process that launched a
// container does at its exit what the monitor's exit command would (--rm's removal, the
// restart policy) itself, with no Node started for it; a process gone, killed or done hands
// nothing over, and the exit command does it as before. Real containers; the exit command is
// observed as a process (node .../exit-command.js ... ID), never mocked.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Gocker } from '../../lib/index';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-handoff-');
process.env.GOCKER_CONFIG = path.join(path.dirname(roots.root), 'netconfig.json');
const g = new Gocker({ root: roots.root, runroot: roots.runroot });
const cli = (args: string[]) => gocker([...roots.args, ...args]);

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

const recordThere = (id: string): boolean => fs.existsSync(path.join(roots.root, 'containers', id));

/**
 * Watches /proc, every few ms until stopped, for an exit command of container id (which lives
 * for 100 ms and more: a Node start); resolves with how many distinct such processes it saw.
 */
function exitCommandsOf(id: string): { stop(): Promise<number> } {
  const seen = new Set<string>();
  let going = true;
  const scan = (async () => {
    while (going) {
      for (const pid of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        try {
          const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (argv.some((a) => a.endsWith('exit-command.js')) && argv.includes(id)) seen.add(pid);
        } catch {
          /* gone meanwhile */
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      going = false;
      await scan;
      return seen.size;
    },
  };
}

/** A program on the library (its own process), told to print JSON lines on stdout. */
function program(body: string): string {
  return `
    const { Gocker } = require('gocker');
    const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
    const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
    (async () => { ${body} })().catch((e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; });
  `;
}

test('a --rm container the library runs is removed by the library itself, while it runs: no exit command', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'sleep 0.3'], { rm: true, network: 'none' });
  const watch = exitCommandsOf(c.id);
  try {
    assert.deepEqual(await c.wait(), { exitCode: 0, oomKilled: false });
    await until('the container removed', () => !recordThere(c.id), 20_000);
    // And its monitor gone with it: nothing lingers once the work is done.
    const monitorGone = (): boolean => !fs.existsSync(path.join(roots.runroot, 'containers', c.id));
    await until('its runtime directory gone', monitorGone);
  } finally {
    assert.equal(await watch.stop(), 0, 'an exit command ran');
  }
});

test('two containers and a restart policy, in process: each exit handled once, the restarts counted, no exit command', async () => {
  const a = await g.run('busybox', ['sh', '-c', 'exit 3'], { restart: 'on-failure:2', network: 'none' });
  const b = await g.run('busybox', ['true'], { rm: true, network: 'none' });
  const watches = [exitCommandsOf(a.id), exitCommandsOf(b.id)];
  try {
    await until('on-failure:2 restarted twice and left exited', () => {
      const s = a.inspect();
      return s.RestartCount === 2 && s.State.Status === 'exited';
    }, 30_000);
    // No third run (each exit counted once: a twice-handled exit restarts it again).
    await new Promise((r) => setTimeout(r, 1000));
    const s = a.inspect();
    assert.equal(s.RestartCount, 2);
    assert.equal(s.State.Status, 'exited');
    assert.equal(s.State.ExitCode, 3);
    await until('the --rm one removed', () => !recordThere(b.id));
  } finally {
    const counts = await Promise.all(watches.map((w) => w.stop()));
    await a.remove({ force: true }).catch(() => undefined);
    assert.deepEqual(counts, [0, 0], 'exit commands ran');
  }
});

test('the program killed (SIGKILL) before its containers exit: the exit command removes the --rm one and restarts the other', async () => {
  const child = spawn(process.execPath, ['-e', program(`
    const rm = await g.run('busybox', ['sh', '-c', 'sleep 3'], { rm: true, network: 'none' });
    const again = await g.run('busybox', ['sh', '-c', 'sleep 3; exit 3'], { restart: 'on-failure:1', network: 'none' });
    say({ rm: rm.id, again: again.id });
    setInterval(() => {}, 1000);
  `)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const ended = new Promise((r) => child.on('exit', r));
  let ids: { rm: string; again: string } | undefined;
  try {
    await until('the program\'s containers started', () => out.includes('\n') || (child.exitCode !== null && `exited: ${err}`), 60_000);
    ids = JSON.parse(out) as { rm: string; again: string };
  } finally {
    child.kill('SIGKILL');
    await ended;
  }
  try {
    assert.equal(cli(['inspect', '-f', '{{.State.Running}}', ids.rm]).stdout, 'true\n', 'killed after its containers exited: the test proves nothing');
    await until('the --rm container removed', () => !recordThere(ids!.rm), 30_000);
    await until('the other restarted once and exited', () => {
      const r = cli(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', ids!.again]).stdout;
      return r === '1 exited\n' || r;
    }, 30_000);
  } finally {
    cli(['rm', '-f', ids.again]);
  }
});

test('a program done with its work ends though its container runs on (nothing held), and the exit command removes it', async () => {
  const r = spawnSync(process.execPath, ['-e', program(`
    const c = await g.run('busybox', ['sh', '-c', 'sleep 3'], { rm: true, network: 'none' });
    say({ id: c.id });
  `)], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { id } = JSON.parse(r.stdout) as { id: string };
  try {
    // Ended while the container runs: its event loop was not held for the exit.
    assert.equal(cli(['inspect', '-f', '{{.State.Running}}', id]).stdout, 'true\n');
    await until('the container removed by the exit command', () => !recordThere(id), 30_000);
  } finally {
    cli(['rm', '-f', id]);
  }
});

test('rm -f by the CLI while the library waits for the exit: removed once, nothing left, no error', async () => {
  const c = await g.run('busybox', ['sleep', '30'], { rm: true, network: 'none' });
  const r = cli(['rm', '-f', c.id]);
  assert.equal(r.status, 0, r.stderr);
  await until('its runtime directory gone', () => !fs.existsSync(path.join(roots.runroot, 'containers', c.id)));
  assert.equal(recordThere(c.id), false);
});

test('a program that does not answer in time (its event loop held up): the exit command does the work, and the program never does it too', async () => {
  const child = spawn(process.execPath, ['-e', program(`
    const c = await g.run('busybox', ['sh', '-c', 'sleep 0.5'], { rm: true, network: 'none' });
    say({ id: c.id });
    // Held up past the monitor's wait for an answer (2 s), with the offer waiting unread.
    const until = Date.now() + 4500;
    while (Date.now() < until);
    // Then around long enough to read the offer, find the monitor gone on, and stay out of it.
    await new Promise((r) => setTimeout(r, 1500));
    say({ done: true });
  `)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const ended = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let id = '';
  let watch: { stop(): Promise<number> } | undefined;
  try {
    await until('the program\'s container started', () => out.includes('\n') || (child.exitCode !== null && `exited: ${err}`), 60_000);
    id = (JSON.parse(out.split('\n')[0]) as { id: string }).id;
    watch = exitCommandsOf(id);
    assert.equal(await ended, 0, err);
    assert.equal(err, '');
    assert.match(out, /"done":true/);
    await until('the container removed', () => !recordThere(id), 30_000);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    const seen = watch ? await watch.stop() : 0;
    if (id) cli(['rm', '-f', id]);
    assert.equal(seen, 1, 'the exit command, once');
  }
});

test('a program that waits for its --rm container and then ends: the removal is its own, done before it goes', () => {
  const r = spawnSync(process.execPath, ['-e', program(`
    const c = await g.run('busybox', ['sh', '-c', 'sleep 0.5'], { rm: true, network: 'none' });
    say({ id: c.id, exit: await c.wait() });
  `)], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { id, exit } = JSON.parse(r.stdout) as { id: string; exit: unknown };
  assert.deepEqual(exit, { exitCode: 0, oomKilled: false });
  // Gone when the program has ended: it did the removal (an exit command, a Node started at
  // the program's end, would still be at it).
  const left = recordThere(id);
  if (left) cli(['rm', '-f', id]);
  assert.equal(left, false, 'removed after the program ended, not by it');
});

test('fds: the container\'s process has no socket of the handoff, the monitor\'s end and the library\'s are close-on-exec', async () => {
  const c = await g.run('busybox', ['sleep', '30'], { rm: true, network: 'none' });
  try {
    const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', c.id, 'monitor.pid'), 'utf8'));
    const sockets = (pid: number): Array<{ fd: string; cloexec: boolean }> => fs.readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      let link = '';
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return [];
      }
      if (!link.startsWith('socket:')) return [];
      const flags = parseInt(/^flags:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1], 8);
      return [{ fd, cloexec: (flags & 0o2000000) !== 0 }];
    });
    const spec = JSON.parse(fs.readFileSync(path.join(roots.runroot, 'containers', c.id, 'config.json'), 'utf8')) as { annotations: Record<string, string> };
    const handoffFd = spec.annotations['io.gocker.launch.exit-handoff-fd'];
    assert.ok(handoffFd, 'no handoff given to the monitor');
    assert.deepEqual(sockets(monitor).filter((s) => s.fd === handoffFd), [{ fd: handoffFd, cloexec: true }]);
    assert.deepEqual(sockets(c.inspect().State.Pid), []);
    assert.deepEqual(sockets(process.pid).filter((s) => !s.cloexec), []);
  } finally {
    await c.remove({ force: true });
  }
});

test('a published port\'s rules go at the exit, taken down by the library itself, with no exit command', async () => {
  const dnat = (id: string): string[] => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`gocker-ctr:${id}`) && l.includes('DNAT'));
  const c = await g.run('busybox', ['sh', '-c', 'sleep 1'], { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } });
  const watch = exitCommandsOf(c.id);
  try {
    assert.equal(dnat(c.id).length, 1, 'its DNAT rule while it runs');
    await until('its rule gone at the exit', () => dnat(c.id).length === 0 || dnat(c.id).join(', '), 20_000);
    await until('its monitor gone', () => !fs.existsSync(path.join(roots.runroot, 'containers', c.id, 'monitor.pid')) || !fs.existsSync(`/proc/${fs.readFileSync(path.join(roots.runroot, 'containers', c.id, 'monitor.pid'), 'utf8').trim()}`));
    assert.equal(c.inspect().State.Status, 'exited');
  } finally {
    const seen = await watch.stop();
    await c.remove({ force: true });
    assert.equal(seen, 0, 'an exit command ran');
  }
});

test('rm -f by the CLI while the library waits out a restart\'s back-off: removed, no restart after, nothing left', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'exit 1'], { restart: 'always', network: 'none' });
  await until('restarted a few times', () => (c.inspect().RestartCount ?? 0) >= 3);
  const r = cli(['rm', '-f', c.id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(recordThere(c.id), false);
  // Nothing made again by a restart that was under way (the back-off is 800 ms by now).
  await new Promise((res) => setTimeout(res, 2000));
  assert.equal(recordThere(c.id), false);
  await until('its runtime directory gone', () => !fs.existsSync(path.join(roots.runroot, 'containers', c.id)));
});
