// A container's teardown (lib/container/teardown.ts), on every path that runs it: rm -f of a
// running container, run --rm's exit (in the foreground, and the monitor's exit command for
// -d), a run given up after its container was launched, and one given up while it was being
// prepared. Each leaves nothing: no record or directory, runtime directory, cgroup, mount,
// name, lock, veth, port rule or address. And a step that fails does not stop the others:
// the failure is a real one, a mount left in the container's writable layer (which the
// removal refuses to empty rather than take the mounted files with it); the record stays,
// dead, and `rm` finishes once the mount is gone. The cgroup goes at the exit itself, with no
// gocker command run after it (an OOM kill, still reported).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
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
  while (fs.existsSync(path.join(roots.root, 'containers', id)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
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

test('a run that fails leaves nothing: given up after its launch (its --cidfile cannot be written), and while being prepared (its name is taken)', async () => {
  const before = new Set(fs.readdirSync(path.join(roots.root, 'containers')));
  const r = g(['run', '-d', '--name', 'td-fail', '--cidfile', path.join(roots.root, 'no-such-dir', 'cid'), '-p', '127.0.0.1::80', 'busybox', 'sleep', '600']);
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
