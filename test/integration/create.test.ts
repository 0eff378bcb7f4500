// create, then start from another process: the monitor makes the container (namespaces,
// mounts, cgroups, the process), reports it with its pid before anything of it runs, and waits
// to be released; and the hook between the two, where networking configures the container's
// network namespace from outside.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { Runner, type NamespacePaths } from '../../lib/container/run';
import { wait } from '../../lib/container/lifecycle';
import { Store } from '../../lib/store';
import { StorePaths } from '../../lib/store/paths';

const roots = tempRoots('gocker-create-');
const g = (args: string[]) => gocker([...roots.args, ...args]);

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

const state = (id: string, f: string): string => path.join(roots.runroot, 'containers', id, f);
const ppid = (pid: number): number => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

/** The cgroup directories of a container in every hierarchy there is. */
function cgroupDirs(id: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const type = f[f.indexOf('-') + 1];
    if (type === 'cgroup' || type === 'cgroup2') out.push(path.join(f[4], 'gocker', id));
  }
  return out;
}

test('create: the container made and waiting, its pid known, nothing of it run; start from another process releases it', () => {
  const c = g(['create', '--name', 'made', 'busybox', 'sh', '-c', 'touch /ran; echo started; echo to-err >&2; exit 7']);
  assert.equal(c.status, 0, c.stderr);
  const id = c.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(g(['ps', '-a']).stdout, /\s+Created\s+made\n/);
  assert.equal(g(['inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'made']).stdout, 'created false\n');
  // Its process: the monitor's child, in a network namespace of its own, not yet the command
  // (still the monitor's program, nothing written in its layer, nothing logged).
  const pid = Number(fs.readFileSync(state(id, 'pid'), 'utf8'));
  const monitor = Number(fs.readFileSync(state(id, 'monitor.pid'), 'utf8'));
  assert.equal(ppid(pid), monitor);
  assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/net`), fs.readlinkSync('/proc/self/ns/net'));
  assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /gocker-monitor/);
  assert.equal(fs.existsSync(path.join(roots.root, 'containers', id, 'upper', 'ran')), false);
  assert.equal(fs.existsSync(state(id, 'started')), false);
  assert.equal(g(['logs', 'made']).stdout, '');
  // A second CLI process releases it.
  const s = g(['start', 'made']);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(s.stdout, 'made\n');
  assert.equal(g(['wait', 'made']).stdout, '7\n');
  const logs = g(['logs', 'made']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'to-err\n');
  assert.ok(fs.existsSync(path.join(roots.root, 'containers', id, 'upper', 'ran')));
  // And it starts again as any stopped container.
  assert.equal(g(['start', 'made']).status, 0);
  assert.equal(g(['wait', 'made']).stdout, '7\n');
  assert.equal(g(['rm', 'made']).status, 0);
});

test('create: the command as given, words that look like numbers too', () => {
  // yargs read the words after the image as numbers where it could: echo 0x10 1e3 ran echo 16 1000.
  const words = ['echo', '0x10', '1e3', '007', '-5', '1.50', '12'];
  const id = g(['create', '--network', 'none', 'busybox', ...words]).stdout.trim();
  try {
    assert.equal(g(['inspect', '-f', '{{json .Config.Cmd}} {{json .Args}}', id]).stdout, `${JSON.stringify(words)} ${JSON.stringify(words.slice(1))}\n`);
  } finally {
    g(['rm', id]);
  }
});

test('start -a of a created container: its output as it comes, its exit code (-i: see attach.test.ts)', () => {
  const id = g(['create', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']).stdout.trim();
  assert.equal(g(['inspect', '-f', '{{.State.Status}}', id]).stdout, 'created\n');
  const a = g(['start', '-a', id]);
  assert.equal(a.status, 3, a.stderr);
  assert.equal(a.stdout, 'out\n');
  assert.equal(a.stderr, 'err\n');
  // --rm: its monitor removed it once it exited.
  for (let n = 0; n < 100 && fs.existsSync(path.join(roots.root, 'containers', id)); n++) execFileSync('sleep', ['0.05']);
  assert.equal(fs.existsSync(path.join(roots.root, 'containers', id)), false);
});

test('create records the streams a start attaches as docker\'s create: stdout and stderr (stdin with -i), or -a\'s, which is no conflict there', () => {
  const attached = (args: string[]): string => {
    const r = g(['create', '--network', 'none', ...args, 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    const out = g(['inspect', '-f', '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}', id]).stdout.trim();
    assert.equal(g(['rm', id]).status, 0);
    return out;
  };
  assert.equal(attached([]), 'false true true');
  assert.equal(attached(['-i']), 'true true true');
  assert.equal(attached(['-a', 'stdout']), 'false true false');
  assert.equal(attached(['-i', '-a', 'STDIN', '-a', 'stderr']), 'true false true');
});

test('rm of a created container (no -f, as docker) leaves nothing: no process, no cgroup, no state', () => {
  const id = g(['create', 'busybox', 'sleep', '100']).stdout.trim();
  const pid = Number(fs.readFileSync(state(id, 'pid'), 'utf8'));
  assert.ok(cgroupDirs(id).some((d) => fs.existsSync(d)));
  const r = g(['rm', id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.existsSync(`/proc/${pid}`), false);
  assert.deepEqual(cgroupDirs(id).filter((d) => fs.existsSync(d)), []);
  assert.equal(fs.existsSync(path.join(roots.runroot, 'containers', id)), false);
  assert.equal(fs.existsSync(path.join(roots.root, 'containers', id)), false);
});

test('create refuses what run refuses, and leaves nothing', () => {
  const before = fs.readdirSync(path.join(roots.root, 'containers'));
  // As run: --pull never refuses an image not at hand in docker's words (missing would pull it).
  const r = g(['create', '--pull', 'never', 'no-such-image']);
  assert.equal(r.status, 125);
  assert.equal(r.stderr, 'gocker: No such image: no-such-image:latest\n');
  const t = g(['create', '--tmpfs', '/t:bogus=1', 'busybox', 'true']);
  assert.equal(t.status, 125);
  assert.match(t.stderr, /unknown option 'bogus=1'/);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'containers')), before);
});

test('a create the monitor never made records no create and no die in the events, only the destroy of its removal, as dockerd; a create that works records its create', async () => {
  const since = (Date.now() / 1000).toFixed(6);
  // The kernel refuses the hostname in the child (no container made), the monitor refuses the
  // device path's form (its spec check): each create fails after its record was made.
  for (const args of [['-h', 'h'.repeat(100)], ['--device', '/dev/null:/dev/x/']]) {
    const r = g(['create', '--network', 'none', ...args, 'busybox', 'true']);
    assert.equal(r.status, 125, r.stderr);
  }
  const ok = g(['create', '--network', 'none', 'busybox', 'true']).stdout.trim();
  await new Promise((res) => setTimeout(res, 20));
  const until = (Date.now() / 1000).toFixed(6);
  const events = g(['events', '--since', since, '--until', until, '--format', '{{.Actor.ID}} {{.Action}}']).stdout.trim().split('\n');
  assert.equal(events.length, 3, events.join('\n'));
  assert.match(events[0], /^[0-9a-f]{64} destroy$/);
  assert.match(events[1], /^[0-9a-f]{64} destroy$/);
  assert.notEqual(events[0], events[1]);
  assert.equal(events[2], `${ok} create`);
  assert.equal(g(['rm', ok]).status, 0);
});

test('--cidfile: made before the container, as docker\'s CLI makes it; a create that fails leaves none, a run whose container was made keeps it', () => {
  const dir = fs.mkdtempSync(path.join(path.dirname(roots.root), 'cid-'));
  try {
    const before = fs.readdirSync(path.join(roots.root, 'containers'));
    // Before: the container was made, then the file's ENOENT (Node's words) took it away.
    const nodir = path.join(dir, 'none', 'cid');
    const r = g(['create', '--network', 'none', '--cidfile', nodir, 'busybox', 'true']);
    assert.equal(r.stderr, `gocker: failed to create the container ID file: open ${nodir}: no such file or directory\n`);
    assert.equal(r.status, 125);
    // Failed creates: refused before the record (an image, a user), and after it (the
    // monitor's spec check, a hostname the kernel refuses). Before: the last two left the
    // file, naming a container that was gone.
    const cid = path.join(dir, 'cid');
    for (const args of [['nosuch-image'], ['--user', 'nosuchuser', 'busybox'], ['--device', '/dev/null:/dev/x/', 'busybox'], ['-h', 'h'.repeat(100), 'busybox']]) {
      const c = g(['create', '--network', 'none', '--cidfile', cid, '--pull', 'never', ...args, 'true']);
      assert.equal(c.status, 125, c.stderr);
      assert.equal(fs.existsSync(cid), false, `${args.join(' ')}: ${c.stderr}`);
    }
    assert.deepEqual(fs.readdirSync(path.join(roots.root, 'containers')), before);
    // A run whose process could not start: the container is there, and its file, as docker's.
    const run = g(['run', '--network', 'none', '--cidfile', cid, 'busybox', 'nosuch']);
    assert.equal(run.status, 127, run.stderr);
    const id = fs.readFileSync(cid, 'utf8');
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(g(['rm', id]).status, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('beforeRelease: called with the pid and namespace paths while nothing of the container has run; what it does in the network namespace, the container sees', async () => {
  const store = new Store(StorePaths.forDriver(roots.root, roots.runroot, 'overlay2'));
  const runner = new Runner(store.paths, store);
  const seen: Array<{ pid: number; ns: NamespacePaths; exe: string }> = [];
  const r = await runner.run({ image: 'busybox', command: ['cat', '/sys/class/net/lo/mtu'], detach: true }, undefined, {
    beforeRelease: (pid, ns) => {
      seen.push({ pid, ns, exe: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
      // What networking will do: configure the container's namespace from outside.
      execFileSync('nsenter', [`--net=${ns.net}`, 'ip', 'link', 'set', 'lo', 'mtu', '1400']);
    },
  });
  assert.equal(r.error, undefined);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0].ns, {
    net: `/proc/${seen[0].pid}/ns/net`, ipc: `/proc/${seen[0].pid}/ns/ipc`, uts: `/proc/${seen[0].pid}/ns/uts`,
    mnt: `/proc/${seen[0].pid}/ns/mnt`, pid: `/proc/${seen[0].pid}/ns/pid`, cgroup: `/proc/${seen[0].pid}/ns/cgroup`,
  });
  assert.match(seen[0].exe, /gocker-monitor/);
  assert.equal(await wait(store.paths, r.id), 0);
  assert.equal(g(['logs', r.id]).stdout, '1400\n');
  // A runner's own hooks hold for every start it makes: a stopped container's start again
  // (a new network namespace, configured anew).
  const calls: number[] = [];
  const again = new Runner(store.paths, store, {
    beforeRelease: (pid, ns) => {
      calls.push(pid);
      execFileSync('nsenter', [`--net=${ns.net}`, 'ip', 'link', 'set', 'lo', 'mtu', '1300']);
    },
  });
  assert.equal((await again.start(r.id)).error, undefined);
  assert.equal(calls.length, 1);
  assert.equal(await wait(store.paths, r.id), 0);
  assert.equal(g(['logs', r.id]).stdout, '1400\n1300\n');
  // A hook that throws stops the start: the container never runs, the error comes back, and
  // nothing of it is left.
  const count = fs.readdirSync(path.join(roots.root, 'containers')).length;
  await assert.rejects(runner.run({ image: 'busybox', command: ['true'], detach: true }, undefined, {
    beforeRelease: () => {
      throw new Error('no network for you');
    },
  }), /no network for you/);
  assert.equal(fs.readdirSync(path.join(roots.root, 'containers')).length, count);
  assert.equal(g(['rm', r.id]).status, 0);
});
