// A container's teardown (lib/container/teardown.ts), on every path that runs it: rm -f of a
// running container, run --rm's exit (in the foreground, and the monitor's exit command for
// -d), a run given up after its container was launched, and one given up while it was being
// prepared. Each leaves nothing: no record or directory, runtime directory, cgroup, mount,
// name, lock, veth, port rule or address. And a step that fails does not stop the others:
// the failure is a real one, a mount left in the container's writable layer (which the
// removal refuses to empty rather than take the mounted files with it); the record stays,
// dead, and `rm` finishes once the mount is gone. The exit's part (port rules, cgroup) at the
// exit itself, with no gocker command run after it (run -d, create and start, start -a, an
// OOM kill), and a foreground run doing it itself, with no exit command.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { cgroupDirs } from '../helpers/containerd';
import { leftovers, links } from '../helpers/network';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-teardown-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args], { timeout: 60_000 });
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
// The mounts this file made (the injected failure): unmounted whatever happens.
const mounted = new Set<string>();

before(async () => {
  await importBusybox(roots.args);
});

after(() => {
  for (const m of mounted) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

const lockOf = (id: string): string => path.join(roots.runroot, 'locks', `container-${id}.lock`);

function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
}

/** The default network's bridge and the addresses its IPAM holds. */
function bridge(): { name: string; leases: Record<string, string> } {
  const id = ok(['network', 'inspect', '-f', '{{.Id}}', 'bridge']).trim();
  const name = ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge']).trim();
  const file = path.join(roots.root, 'networks', id, 'ipam.json');
  const leases = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { addresses: Record<string, string> }).addresses : {};
  return { name, leases };
}

/** The veths on the bridge; a namespace's go a moment after its last process. */
async function portsOn(br: string, settle = true): Promise<string[]> {
  const deadline = Date.now() + (settle ? 5000 : 0);
  for (;;) {
    const ports = links().filter((l) => l.master === br).map((l) => l.name);
    if (!ports.length || Date.now() >= deadline) return ports;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the store and the host still have of container id (named name), by kind. */
async function leftOf(id: string, name: string): Promise<string[]> {
  const left: string[] = [];
  for (const d of [path.join(roots.root, 'containers', id), path.join(roots.runroot, 'containers', id)]) if (fs.existsSync(d)) left.push(`dir ${d}`);
  for (const m of [...mountsUnder(roots.root), ...mountsUnder(roots.runroot)]) left.push(`mount ${m}`);
  for (const d of cgroupDirs(`gocker/${id}`)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  if (fs.existsSync(path.join(roots.root, 'names', name))) left.push(`name ${name}`);
  if (fs.existsSync(lockOf(id))) left.push(`lock ${lockOf(id)}`);
  const br = bridge();
  left.push(...Object.entries(br.leases).filter(([, holder]) => holder === id).map(([a]) => `address ${a}`));
  left.push(...(await portsOn(br.name)).map((p) => `veth ${p}`));
  left.push(...leftovers([], [id]));
  return left;
}

const idOf = (name: string): string => ok(['inspect', '-f', '{{.Id}}', name]).trim();

/** The id of the container created under name, from its create event (a run that failed has no other trace). */
function createdAs(name: string): string {
  const lines = fs.readFileSync(path.join(roots.root, 'events', 'events.log'), 'utf8').split('\n').filter(Boolean);
  const ev = lines.map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } })
    .find((e) => e.Type === 'container' && e.Action === 'create' && e.Actor.Attributes.name === name);
  assert.ok(ev, `no create event for ${name}`);
  return ev.Actor.ID;
}

/** The first rm, with busy mounted in the writable layer: it fails, having done all it could. */
async function failsOnce(id: string, busy: string, volume: string): Promise<void> {
  const r = g(['rm', '-fv', id]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`could not remove container ${id}: writable layer and record: .*${busy}`));
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  // The other steps ran: no process, cgroup, runtime directory, veth, port rule or address.
  const left = await leftOf(id, 'td-busy');
  assert.deepEqual(left.filter((l) => !l.startsWith('name ') && !l.startsWith('lock ') && !l.startsWith('dir ') && l !== `mount ${busy}`), []);
  assert.ok(!fs.existsSync(path.join(roots.runroot, 'containers', id)), 'its runtime directory is gone');
  // The mounted files were not touched, and the record is there: the container is dead, by its name still.
  assert.equal(fs.readFileSync(path.join(busy, 'kept'), 'utf8'), 'not the container\'s');
  assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'td-busy']).trim(), 'dead false');
  assert.match(ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^td-busy Dead$/m);
  assert.ok(ok(['volume', 'ls', '-q']).includes(volume), 'its volume is kept while the container is');
  // Not started again, as docker's: what it ran with is gone.
  const started = g(['start', 'td-busy']);
  assert.notEqual(started.status, 0);
  assert.match(started.stderr, /container is marked for removal and cannot be started/);
}

test('a step that fails (a mount left in the writable layer) stops none of the others; the container stays dead, and rm finishes once the mount is gone', async () => {
  const id = ok(['run', '-d', '--name', 'td-busy', '-p', '127.0.0.1::80', '-v', '/data', 'busybox', 'sleep', '600']).trim();
  const volume = ok(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', id]).trim();
  const br = bridge().name;
  assert.equal((await portsOn(br, false)).length, 1, 'the container has its veth');
  assert.ok(leftovers([], [id]).length > 0, 'the container has its port rules');
  // Something mounted in its writable layer: the removal refuses to empty it.
  const busy = path.join(roots.root, 'containers', id, 'upper', 'busy');
  fs.mkdirSync(busy);
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', busy]);
  mounted.add(busy);
  try {
    fs.writeFileSync(path.join(busy, 'kept'), 'not the container\'s');
    await failsOnce(id, busy, volume);
  } finally {
    execFileSync('umount', [busy]);
    mounted.delete(busy);
  }
  // Once the cause is gone, a second rm takes the rest, and the volume with it (-v).
  ok(['rm', '-fv', 'td-busy']);
  assert.deepEqual(await leftOf(id, 'td-busy'), []);
  assert.equal(g(['inspect', 'td-busy']).status, 1);
  assert.equal(ok(['volume', 'ls', '-q']).trim(), '');
  // The name is free again.
  ok(['rm', ok(['create', '--name', 'td-busy', 'busybox', 'true']).trim()]);
});

test('rm -f of a running container leaves nothing', async () => {
  const id = ok(['run', '-d', '--name', 'td-rmf', '-p', '127.0.0.1::80', '--ipc', 'shareable', 'busybox', 'sleep', '600']).trim();
  assert.ok(mountsUnder(path.join(roots.runroot, 'containers', id)).length > 0, 'its /dev/shm is mounted on the host');
  ok(['rm', '-f', id]);
  assert.deepEqual(await leftOf(id, 'td-rmf'), []);
});

test('run --rm leaves nothing once its command exits: in the foreground, and with -d (the monitor\'s exit command)', async () => {
  const cid = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-td-')), 'cid');
  try {
    const r = g(['run', '--rm', '--cidfile', cid, '--name', 'td-fg', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(await leftOf(fs.readFileSync(cid, 'utf8').trim(), 'td-fg'), []);
  } finally {
    fs.rmSync(path.dirname(cid), { recursive: true, force: true });
  }
  const id = ok(['run', '-d', '--rm', '--name', 'td-bg', '-p', '127.0.0.1::80', 'busybox', 'sleep', '0.2']).trim();
  const deadline = Date.now() + 20_000;
  // Until its teardown is over, which its destroy event ends: its directory goes before its
  // name and lock (teardown.ts), and a look between found the lock file there.
  const destroyed = (): boolean => fs.readFileSync(path.join(roots.root, 'events', 'events.log'), 'utf8').split('\n').filter(Boolean)
    .some((l) => { const e = JSON.parse(l) as { Action: string; Actor: { ID: string } }; return e.Action === 'destroy' && e.Actor.ID === id; });
  while (!destroyed() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(await leftOf(id, 'td-bg'), []);
});

test('a container that has exited holds no cgroup once a command has seen the exit, as runc\'s delete leaves none; its start makes it again, with its limits', async () => {
  const cgroups = (id: string): string[] => cgroupDirs(`gocker/${id}`).filter((d) => fs.existsSync(d));
  const made: string[] = [];
  try {
    const fg = ok(['create', '--name', 'td-exit', '--memory', '64m', '--network', 'none', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']).trim();
    made.push(fg);
    assert.ok(cgroups(fg).length > 0, 'a created container has its cgroup');
    for (let run = 1; run <= 2; run++) {
      assert.equal(ok(['start', '-a', 'td-exit']), `${64 * 2 ** 20}\n`, `run ${run}: its limit`);
      // start -a learns the exit from the attach socket; the record from the next command.
      assert.equal(ok(['inspect', '-f', '{{.State.Status}}', fg]), 'exited\n');
      assert.deepEqual(cgroups(fg), [], `run ${run}: exited`);
    }
    // A foreground run records its exit itself; one run with -d, seen by ps.
    ok(['run', '--name', 'td-exit-fg', '--network', 'none', 'busybox', 'true']);
    made.push(ok(['inspect', '-f', '{{.Id}}', 'td-exit-fg']).trim());
    assert.deepEqual(cgroups(made[1]), []);
    const bg = ok(['run', '-d', '--network', 'none', 'busybox', 'true']).trim();
    made.push(bg);
    await until('exited', () => ok(['ps', '-a', '--filter', `id=${bg}`, '--format', '{{.State}}']).trim() === 'exited');
    assert.deepEqual(cgroups(bg), []);
  } finally {
    if (made.length) g(['rm', '-f', ...made]);
  }
});

/** What the kernel holds of container id while it runs: its port rules (by their comment) and cgroup directories. */
const runHeld = (id: string): string[] => [...leftovers([], [id]), ...cgroupDirs(`gocker/${id}`).filter((d) => fs.existsSync(d)).map((d) => `cgroup ${d}`)];

/** Processes of container id's exit command (its monitor, having recorded the exit, became it). */
const exitCommands = (id: string): string[] => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('exit-command.js')) && argv.includes(id);
  } catch {
    return false; // gone meanwhile
  }
});

/**
 * A container that waits for a file in a directory of the host's (gate/go): its exit comes
 * when the test says, not as the test's gocker commands happen to be timed.
 */
function gated(): { args: string[]; open(): void; close(): void; remove(): void } {
  const gate = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-td-gate-'));
  return {
    args: ['-v', `${gate}:/gate`, 'busybox', 'sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.05; done; exit 3'],
    open: () => fs.writeFileSync(path.join(gate, 'go'), ''),
    close: () => fs.rmSync(path.join(gate, 'go'), { force: true }),
    remove: () => fs.rmSync(gate, { recursive: true, force: true }),
  };
}

/** Its exit let happen (open); then, by the kernel's state alone, with no gocker command run, what it held goes. */
async function exitsAndReleases(id: string, how: string, open: () => void): Promise<void> {
  const held = runHeld(id);
  assert.ok(held.some((l) => l.startsWith('nat: ') && l.includes('DNAT')), `${how}: its DNAT rule while it runs (${held.join(', ')})`);
  assert.ok(held.some((l) => l.startsWith('cgroup ')), `${how}: its cgroup while it runs`);
  open();
  await until(`${how}: its port rules and cgroup gone`, () => runHeld(id).length === 0 || runHeld(id).join(', '), 10_000);
  // Its exit command (which took the rules down) is over too, nothing left running of it.
  await until(`${how}: its exit command over`, () => exitCommands(id).length === 0 || exitCommands(id).join(' '), 10_000);
}

test('run -d of a container that exits by itself, no gocker command run after: its port rules and cgroup go at the exit, and inspect has its exit', async () => {
  const gate = gated();
  let id = '';
  try {
    id = ok(['run', '-d', '--name', 'td-self', '-p', '127.0.0.1::80', ...gate.args]).trim();
    await exitsAndReleases(id, 'run -d', gate.open);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}', id]), 'exited 3 false\n');
    assert.notEqual(ok(['inspect', '-f', '{{.State.FinishedAt}}', id]).trim(), '0001-01-01T00:00:00Z');
  } finally {
    if (id) g(['rm', '-f', id]);
    gate.remove();
  }
});

test('create and start, then start -a, of a container that exits by itself: its port rules and cgroup go at each exit, start -a ending with its code', async () => {
  const gate = gated();
  let id = '';
  try {
    id = ok(['create', '--name', 'td-created', '-p', '127.0.0.1::80', ...gate.args]).trim();
    ok(['start', id]);
    await exitsAndReleases(id, 'create, start', gate.open);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 3\n');
    gate.close();
    // start -a learns the exit from the attach socket and records nothing.
    const attached = spawn(process.execPath, [BIN, ...roots.args, 'start', '-a', id], { stdio: 'ignore' });
    const code = new Promise<number | null>((res) => attached.on('exit', res));
    try {
      await until('start -a: its rules and cgroup made again', () => runHeld(id).some((l) => l.includes('DNAT')) && runHeld(id).some((l) => l.startsWith('cgroup ')));
      await exitsAndReleases(id, 'start -a', gate.open);
    } finally {
      attached.kill();
    }
    assert.equal(await code, 3);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 3\n');
  } finally {
    if (id) g(['rm', '-f', id]);
    gate.remove();
  }
});

test('run -d of a container the kernel OOM-kills, without ports (no exit command): its monitor takes the cgroup down at the exit, and inspect has the OOM kill', async () => {
  let id = '';
  try {
    id = ok(['run', '-d', '--name', 'td-oom', '--memory', '64m', '--network', 'none', 'busybox', 'sh', '-c', 'x=$(head -c 300000000 /dev/zero | tr "\\0" a)']).trim();
    await until('its cgroup gone', () => runHeld(id).length === 0 || runHeld(id).join(', '), 20_000);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}', id]), 'exited 137 true\n');
  } finally {
    if (id) g(['rm', '-f', id]);
  }
});

test('a foreground run takes its container\'s rules and cgroup down itself: gone when it returns, and no exit command runs for it', async () => {
  // Every exit command of the commands run here says so in a file, before anything else.
  const spy = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-td-spy-'));
  try {
    fs.writeFileSync(path.join(spy, 'spy.js'), `if ((process.argv[1] || '').endsWith('exit-command.js')) require('fs').appendFileSync(${JSON.stringify(path.join(spy, 'ran'))}, process.argv.join(' ') + '\\n');\n`);
    const env = { ...process.env, NODE_OPTIONS: `--require ${path.join(spy, 'spy.js')}` };
    const r = gocker([...roots.args, 'run', '--name', 'td-fg-ports', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'exit 3'], { env, timeout: 60_000 });
    assert.equal(r.status, 3, r.stderr);
    const id = idOf('td-fg-ports');
    assert.deepEqual(runHeld(id), []);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 3\n');
    // An exit command would have started right after the monitor recorded the exit.
    await new Promise((res) => setTimeout(res, 1000));
    assert.ok(!fs.existsSync(path.join(spy, 'ran')), fs.existsSync(path.join(spy, 'ran')) ? fs.readFileSync(path.join(spy, 'ran'), 'utf8') : '');
    ok(['rm', id]);
  } finally {
    fs.rmSync(spy, { recursive: true, force: true });
  }
});

test('a run that fails leaves nothing: given up after its launch (its monitor refuses the spec), and while being prepared (its name is taken)', async () => {
  const before = new Set(fs.readdirSync(path.join(roots.root, 'containers')));
  // (A --cidfile that cannot be written no longer does: it is refused before the container is made, as docker's CLI refuses it.)
  const r = g(['run', '-d', '--name', 'td-fail', '--device', '/dev/null:/dev/x/', '-p', '127.0.0.1::80', 'busybox', 'sleep', '600']);
  assert.equal(r.status, 125, r.stderr);
  const made = fs.readdirSync(path.join(roots.root, 'containers')).filter((f) => !before.has(f));
  assert.deepEqual(made, [], 'its container is gone');
  assert.deepEqual(await leftOf(createdAs('td-fail'), 'td-fail'), []);
  assert.deepEqual(bridge().leases, {}, 'its address is the network\'s again');
  assert.equal(ok(['ps', '-aq']), '');

  const holder = ok(['create', '--name', 'td-taken', 'busybox', 'true']).trim();
  const taken = g(['run', '--name', 'td-taken', 'busybox', 'true']);
  assert.equal(taken.status, 125, taken.stderr);
  assert.match(taken.stderr, /Conflict/);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'containers')), [holder], 'only the name\'s holder is there');
  assert.equal(idOf('td-taken'), holder);
  ok(['rm', holder]);
  assert.deepEqual(await leftOf(holder, 'td-taken'), []);
});

test('a container\'s lock, for a container with no record: no lock file left for it, no directory made on a store that is gone; a lock file unlinked by its holder is taken afresh by whoever waited for it', async () => {
  const { Runner } = await import('../../lib/container/run');
  const { onContainerExit } = await import('../../lib/container/restart');
  const { Store } = await import('../../lib/store');
  const { StorePaths } = await import('../../lib/store/paths');
  const { acquireLock, tryExclusiveLock } = await import('../../lib/store/atomic');
  const { containerLock } = await import('../../lib/store/records');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-locks-'));
  try {
    const paths = new StorePaths(path.join(dir, 'root'), path.join(dir, 'run'));
    const id = 'a'.repeat(64);
    // The monitor's exit command for a container rm took away (its runtime directory still
    // there): before, the lock file it took stayed, for a container that no longer was.
    fs.mkdirSync(paths.runContainer(id), { recursive: true });
    fs.writeFileSync(path.join(paths.runContainer(id), 'started'), '');
    fs.mkdirSync(paths.locks, { recursive: true });
    await onContainerExit(paths, new Store(paths), id);
    assert.deepEqual(fs.readdirSync(paths.locks), []);
    // A start by full id on a store whose runroot is gone (a test's root removed under a
    // late command): before, the lock made the runroot again.
    fs.rmSync(paths.runroot, { recursive: true });
    fs.mkdirSync(paths.container(id), { recursive: true });
    await assert.rejects(new Runner(paths, new Store(paths)).start(id), { name: 'NoSuchContainerError' });
    assert.equal(fs.existsSync(paths.runroot), false, 'the runroot was made again');
    // Unlinked by its holder (a removal): one waiting on the old file takes the path's new
    // one, which another may hold; before, it had the unlinked file's lock, as if alone.
    fs.mkdirSync(paths.locks, { recursive: true });
    const file = containerLock(paths, id);
    const first = await acquireLock(file);
    let waited: (() => void) | undefined;
    const waiter = acquireLock(file).then((r) => (waited = r));
    await new Promise((r) => setTimeout(r, 30));
    fs.unlinkSync(file);
    const other = tryExclusiveLock(file);
    assert.ok(other, 'the path\'s new file is free');
    first();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(waited, undefined, 'the waiter holds a lock while another holds the path\'s');
    other();
    (await waiter)();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rm -f of a container a foreground run runs: the run ends, recording nothing, and leaves no lock file for it', async () => {
  const run = gockerAsync([...roots.args, 'run', '--network', 'none', '--name', 'td-fg-rm', 'busybox', 'sleep', '30']);
  let id = '';
  let ended = false;
  void run.then(() => (ended = true));
  try {
    await until('running', () => {
      const r = g(['inspect', '-f', '{{.State.Running}} {{.Id}}', 'td-fg-rm']);
      if (r.status === 0 && r.stdout.startsWith('true ')) id = r.stdout.trim().split(' ')[1];
      return id !== '';
    });
    ok(['rm', '-f', 'td-fg-rm']);
    await run;
    // The run's exit took the container's lock again after the removal: acquireLock made its
    // file once more, for a container gone.
    assert.equal(fs.existsSync(lockOf(id)), false, 'lock file left');
    assert.deepEqual(fs.readdirSync(path.join(roots.runroot, 'locks')).filter((f) => f.includes(id)), []);
    assert.equal(fs.existsSync(path.join(roots.root, 'containers', id)), false, 'record made again');
  } finally {
    if (!ended) {
      g(['rm', '-f', 'td-fg-rm']);
      await run;
    }
  }
});
