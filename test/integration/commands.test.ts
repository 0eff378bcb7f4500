// docker's container commands beyond run and stop, against real containers: pause and
// unpause (the v1 freezer and cgroup v2's cgroup.freeze), rename, update, container prune,
// wait --condition, the management forms (`container ls`, `image rm`), and docker's error
// lines and exit codes across the CLI.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-cmds-');
const V2 = { ...process.env, GOCKER_CGROUP_MANAGER: 'v2' };
const g = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => gocker([...roots.args, ...args], opts);
const v2 = (args: string[]) => g(args, { env: V2 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const idOf = (name: string): string => g(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
const state = (name: string, env?: NodeJS.ProcessEnv): string => g(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Paused}}', name], { env }).stdout.trim();

/** The host's cgroup mounts, as gocker's info reports them. */
const cgroups = JSON.parse(gocker(['info', '-f', 'json']).stdout).cgroups as { unifiedMount?: string; hierarchies: Array<{ version: number; mountpoint: string; controllers: string[] }> };
const v1Mount = (controller: string): string | undefined => cgroups.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller))?.mountpoint;

/** Lines a container has logged so far (it prints a counter). */
const logged = (name: string, env?: NodeJS.ProcessEnv): number => g(['logs', name], { env }).stdout.split('\n').filter(Boolean).length;
const COUNTER = ['sh', '-c', 'trap "exit 7" TERM; i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done'];

before(() => importBusybox(roots.args));

after(() => {
  // Containers in the unified hierarchy are removed by the manager that made them.
  const dir = path.join(roots.root, 'containers');
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) v2(['rm', '-f', id]);
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

describe('pause and unpause', () => {
  test('the v1 freezer stops the processes where they stand; ps and inspect say paused; exec, start and rm are refused in docker\'s words', async () => {
    const freezer = v1Mount('freezer');
    assert.ok(freezer, 'this host mounts the v1 freezer');
    const id = g(['run', '-d', '--name', 'pz', 'busybox', ...COUNTER]).stdout.trim();
    await sleep(300);
    const p = g(['pause', 'pz']);
    assert.equal(p.stderr, '');
    assert.equal(p.stdout, 'pz\n');
    assert.equal(fs.readFileSync(path.join(freezer, 'gocker', id, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    const n = logged('pz');
    await sleep(400);
    assert.equal(logged('pz'), n, 'nothing runs while paused');
    assert.equal(state('pz'), 'paused true true');
    assert.match(g(['ps']).stdout, /\sUp [^\n]* \(Paused\)\s+pz\n/);
    assert.equal(g(['ps', '-q', '-f', 'status=paused']).stdout, `${id.slice(0, 12)}\n`);
    // Named as it was given, as dockerd's refusal names it.
    const exec = g(['exec', 'pz', 'true']);
    assert.equal(exec.status, 1);
    assert.equal(exec.stderr, 'Error response from daemon: Container pz is paused, unpause the container before exec\n');
    assert.equal(g(['exec', id.slice(0, 7), 'true']).stderr, `Error response from daemon: Container ${id.slice(0, 7)} is paused, unpause the container before exec\n`);
    const again = g(['pause', 'pz']);
    assert.equal(again.status, 1);
    assert.equal(again.stderr, `Error response from daemon: Container ${id} is already paused\n`);
    const start = g(['start', 'pz']);
    assert.equal(start.status, 1);
    assert.equal(start.stderr, 'Error response from daemon: cannot start a paused container, try unpause instead\nError: failed to start containers: pz\n');
    // With -a (and -i): refused by the attach, which docker's CLI asks for first, by its id.
    for (const flags of [['-a'], ['-ai']]) {
      const attached = g(['start', ...flags, 'pz'], { input: '' });
      assert.equal(attached.status, 1);
      assert.equal(attached.stderr, `Error response from daemon: container ${id} is paused, unpause the container before attach\n`);
    }
    assert.equal(state('pz'), 'paused true true');
    // Each failure on its line, then docker's CLI's list of them (28's words).
    const two = g(['start', 'pz', 'nosuch']);
    assert.equal(two.status, 1);
    assert.equal(two.stderr, 'Error response from daemon: cannot start a paused container, try unpause instead\nError response from daemon: No such container: nosuch\nError: failed to start containers: pz, nosuch\n');
    const rm = g(['rm', 'pz']);
    assert.equal(rm.status, 1);
    assert.equal(rm.stderr, 'Error response from daemon: cannot remove container "/pz": container is paused and must be unpaused first\n');
    const u = g(['unpause', 'pz']);
    assert.equal(u.stdout, 'pz\n');
    assert.equal(u.status, 0);
    assert.equal(fs.readFileSync(path.join(freezer, 'gocker', id, 'freezer.state'), 'utf8').trim(), 'THAWED');
    await sleep(400);
    assert.ok(logged('pz') > n + 2, 'it runs on');
    assert.equal(state('pz'), 'running true false');
    const not = g(['unpause', 'pz']);
    assert.equal(not.status, 1);
    assert.equal(not.stderr, `Error response from daemon: Container ${id} is not paused\n`);
    // Several at once: each name as done, each failure on its own line, exit 1.
    const some = g(['pause', 'pz', 'nosuch']);
    assert.equal(some.stdout, 'pz\n');
    assert.equal(some.stderr, 'Error response from daemon: No such container: nosuch\n');
    assert.equal(some.status, 1);
    assert.equal(g(['container', 'unpause', 'pz']).stdout, 'pz\n');
    const stopped = g(['run', '--name', 'done', 'busybox', 'true']);
    assert.equal(stopped.status, 0);
    const notRunning = g(['pause', 'done']);
    assert.equal(notRunning.status, 1);
    assert.equal(notRunning.stderr, `Error response from daemon: container ${idOf('done')} is not running\n`);
    assert.equal(g(['rm', '-f', 'pz', 'done']).status, 0);
  });

  test('stop, kill and rm -f of a paused container thaw it, as docker does, so that the signal arrives', async () => {
    g(['run', '-d', '--name', 'ps1', 'busybox', ...COUNTER]);
    await sleep(200);
    assert.equal(g(['pause', 'ps1']).status, 0);
    const t = Date.now();
    assert.equal(g(['stop', '-t', '20', 'ps1']).stdout, 'ps1\n');
    assert.ok(Date.now() - t < 10_000, 'the stop signal reached the trap, not the kill after -t');
    assert.equal(g(['wait', 'ps1']).stdout, '7\n');
    // No stop signal of its own: any signal thaws it (this one, to PID 1 without a
    // handler, changes nothing), and SIGKILL ends it.
    assert.equal(g(['start', 'ps1']).status, 0);
    await sleep(200);
    assert.equal(g(['pause', 'ps1']).status, 0);
    assert.equal(g(['kill', '-s', 'USR1', 'ps1']).stdout, 'ps1\n');
    assert.equal(state('ps1'), 'running true false');
    assert.equal(g(['pause', 'ps1']).status, 0);
    assert.equal(g(['kill', 'ps1']).status, 0);
    assert.equal(g(['wait', 'ps1']).stdout, '137\n');
    // With a stop signal of its own: another signal waits, pending, until it is unpaused;
    // the stop signal thaws it.
    assert.equal(g(['commit', '-c', 'STOPSIGNAL SIGUSR2', 'ps1', 'stopsig:1']).status, 0);
    g(['run', '-d', '--name', 'ps2', 'stopsig:1', 'sh', '-c', 'trap "exit 3" USR2; trap "echo usr1 > /tmp/u" USR1; while true; do sleep 0.05; done']);
    await sleep(300);
    assert.equal(g(['pause', 'ps2']).status, 0);
    assert.equal(g(['kill', '-s', 'USR1', 'ps2']).status, 0);
    await sleep(200);
    assert.equal(state('ps2'), 'paused true true');
    assert.equal(g(['unpause', 'ps2']).status, 0);
    await sleep(300);
    assert.equal(g(['exec', 'ps2', 'cat', '/tmp/u']).stdout, 'usr1\n');
    assert.equal(g(['pause', 'ps2']).status, 0);
    assert.equal(g(['stop', 'ps2']).status, 0);
    assert.equal(g(['wait', 'ps2']).stdout, '3\n');
    // rm -f: killed, thawed, removed, cgroups and all.
    const id = g(['run', '-d', '--name', 'rmp', 'busybox', 'sleep', '100']).stdout.trim();
    await sleep(200);
    assert.equal(g(['pause', 'rmp']).status, 0);
    const rm = g(['rm', '-f', 'rmp']);
    assert.equal(rm.stderr, '');
    assert.equal(rm.stdout, 'rmp\n');
    for (const c of ['freezer', 'memory', 'pids']) {
      const m = v1Mount(c);
      if (m) assert.ok(!fs.existsSync(path.join(m, 'gocker', id)), `${c} cgroup removed`);
    }
    assert.equal(g(['ps', '-aq', '-f', 'name=rmp']).stdout, '');
    assert.equal(g(['rm', 'ps1', 'ps2']).status, 0);
    assert.equal(g(['rmi', 'stopsig:1']).status, 0);
  });

  test('a thaw of a cgroup that is gone is no error: the container ended meanwhile and its monitor released the cgroup (rm -f of a paused one); v1 and v2', async () => {
    // Before: rm -f's thaw of a paused container sometimes warned "cannot unpause container
    // ...: ENOENT ... freezer.state": its first write let the killed container end, and the
    // monitor removed the cgroup before the thaw wrote again. Here the cgroup goes outright.
    const { cgroupManager } = await import('../../lib/cgroups');
    const saved = process.env.GOCKER_CGROUP_MANAGER;
    try {
      for (const forced of [undefined, 'v2']) {
        if (forced === undefined) delete process.env.GOCKER_CGROUP_MANAGER;
        else process.env.GOCKER_CGROUP_MANAGER = forced;
        const cg = await cgroupManager().create(`gocker/thaw-gone-${process.pid}`, {});
        try {
          await cg.freeze();
          assert.equal(cg.frozen(), true, `${forced ?? 'v1'}`);
          await cg.thaw();
          assert.equal(cg.frozen(), false, `${forced ?? 'v1'}`);
          await cg.freeze();
        } finally {
          await cg.thaw();
          await cg.destroy();
        }
        assert.deepEqual(cg.dirs().filter((d) => fs.existsSync(d)), [], `${forced ?? 'v1'}`);
        await cg.thaw();
      }
    } finally {
      if (saved === undefined) delete process.env.GOCKER_CGROUP_MANAGER;
      else process.env.GOCKER_CGROUP_MANAGER = saved;
    }
  });

  test('cgroup v2: cgroup.freeze in the unified hierarchy; stop and rm -f of a paused container', async () => {
    // This host is hybrid: GOCKER_CGROUP_MANAGER=v2 puts containers in its real cgroup2
    // mount alone, which runs the v2 driver's freezer for real.
    const unified = cgroups.unifiedMount;
    assert.ok(unified, 'this host has a cgroup2 mount');
    const id = v2(['run', '-d', '--name', 'pv2', 'busybox', ...COUNTER]).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const dir = path.join(unified, 'gocker', id);
    try {
      await sleep(300);
      assert.equal(v2(['pause', 'pv2']).stdout, 'pv2\n');
      assert.equal(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim(), '1');
      assert.match(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
      const n = logged('pv2', V2);
      await sleep(400);
      assert.equal(logged('pv2', V2), n);
      assert.equal(state('pv2', V2), 'paused true true');
      assert.equal(v2(['exec', 'pv2', 'true']).stderr, 'Error response from daemon: Container pv2 is paused, unpause the container before exec\n');
      assert.equal(v2(['unpause', 'pv2']).status, 0);
      assert.match(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
      await sleep(300);
      assert.ok(logged('pv2', V2) > n);
      assert.equal(v2(['pause', 'pv2']).status, 0);
      assert.equal(v2(['stop', 'pv2']).status, 0);
      assert.equal(v2(['wait', 'pv2']).stdout, '7\n');
      assert.equal(v2(['start', 'pv2']).status, 0);
      await sleep(200);
      assert.equal(v2(['pause', 'pv2']).status, 0);
    } finally {
      assert.equal(v2(['rm', '-f', 'pv2']).status, 0);
    }
    assert.ok(!fs.existsSync(dir));
  });
});

test('rename: the name moves (a foreground run keeps it past its exit); a name in use, invalid or the same is refused in docker\'s words', async () => {
  const id1 = g(['run', '-d', '--name', 'r1', 'busybox', 'sleep', '100']).stdout.trim();
  const id2 = g(['run', '-d', '--name', 'r2', 'busybox', 'sleep', '100']).stdout.trim();
  const r = g(['rename', 'r1', 'r3']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, '');
  assert.equal(g(['inspect', '-f', '{{.Name}}', id1]).stdout, '/r3\n');
  assert.equal(g(['inspect', 'r1']).status, 1);
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'names')).filter((n) => n.startsWith('r')).sort(), ['r2', 'r3']);
  const taken = g(['rename', 'r3', 'r2']);
  assert.equal(taken.status, 1);
  assert.equal(taken.stderr, `Error response from daemon: Error when allocating new name: Conflict. The container name "/r2" is already in use by container "${id2}". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named r3\n`);
  const bad = g(['rename', 'r3', 'no good']);
  assert.equal(bad.stderr, 'Error response from daemon: Error when allocating new name: Invalid container name (no good), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named r3\n');
  assert.equal(g(['rename', 'r3', 'r3']).stderr, 'Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named r3\n');
  assert.equal(g(['rename', 'nosuch', 'r9']).stderr, 'Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n');
  assert.equal(g(['inspect', '-f', '{{.Name}}', id1]).stdout, '/r3\n', 'unchanged by the refusals');
  // The old name is free again.
  assert.equal(g(['run', '--rm', '--name', 'r1', 'busybox', 'true']).status, 0);
  // A container running in the foreground, renamed meanwhile: its exit does not undo it.
  const fg = gockerAsync([...roots.args, 'run', '--name', 'fg1', 'busybox', 'sleep', '1']);
  await sleep(500);
  assert.equal(g(['container', 'rename', 'fg1', 'fg2']).status, 0);
  assert.equal((await fg).status, 0);
  assert.equal(g(['inspect', '-f', '{{.Name}} {{.State.Status}}', 'fg2']).stdout, '/fg2 exited\n');
  assert.equal(g(['rm', '-f', 'r2', 'r3', 'fg2']).status, 0);
});

test('update: the running container\'s live cgroup and its record; a stopped one\'s record, applied at its next start', async () => {
  g(['run', '-d', '--name', 'up', '--memory', '64m', 'busybox', 'sleep', '100']);
  await sleep(200);
  const inside = (): string => g(['exec', 'up', 'sh', '-c', 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.shares pids/pids.max | tr "\\n" " "']).stdout;
  assert.equal(inside(), `${64 * 2 ** 20} ${128 * 2 ** 20} -1 1024 max `);
  // Above the memory+swap now in force: the kernel takes it only with swap raised first.
  const u = g(['update', '--memory', '256m', '--memory-swap', '512m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '20', 'up']);
  assert.equal(u.stderr, '');
  assert.equal(u.stdout, 'up\n');
  assert.equal(inside(), `${256 * 2 ** 20} ${512 * 2 ** 20} 50000 512 20 `);
  const host = (): string => g(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{json .HostConfig.PidsLimit}}', 'up']).stdout;
  assert.equal(host(), `${256 * 2 ** 20} ${512 * 2 ** 20} 500000000 512 20\n`);
  const over = g(['update', '--memory', '1g', 'up']);
  assert.equal(over.status, 1);
  assert.equal(over.stderr, `Error response from daemon: Cannot update container ${idOf('up')}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`);
  assert.equal(host(), `${256 * 2 ** 20} ${512 * 2 ** 20} 500000000 512 20\n`, 'a refusal changes nothing');
  // Lowered below what is there, and the pids limit lifted; paused, it is updated too.
  assert.equal(g(['pause', 'up']).status, 0);
  assert.equal(g(['container', 'update', '--memory', '32m', '--memory-swap', '-1', '--pids-limit', '-1', 'up']).stdout, 'up\n');
  assert.equal(g(['unpause', 'up']).status, 0);
  assert.equal(inside(), `${32 * 2 ** 20} 9223372036854771712 50000 512 max `);
  assert.equal(host(), `${32 * 2 ** 20} -1 500000000 512 null\n`);
  for (const [args, stderr, code] of [
    [['--memory', '1k'], 'Error response from daemon: Minimum memory limit allowed is 6MB\n', 1],
    [['--memory', 'x1'], 'invalid argument "x1" for "-m, --memory" flag: strconv.ParseFloat: parsing "x1": invalid syntax\nSee \'gocker update --help\'.\n', 125],
    // int64 flags as pflag reads them (strconv.ParseInt(s, 0, 64)): past int64 never reaches the kernel.
    [['--pids-limit', '9999999999999999999999999999999999999999'], 'invalid argument "9999999999999999999999999999999999999999" for "--pids-limit" flag: strconv.ParseInt: parsing "9999999999999999999999999999999999999999": value out of range\nSee \'gocker update --help\'.\n', 125],
    [['--cpu-shares', '1e3'], 'invalid argument "1e3" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1e3": invalid syntax\nSee \'gocker update --help\'.\n', 125],
    [[], 'you must provide one or more flags when using this command\n', 1],
  ] as Array<[string[], string, number]>) {
    const r = g(['update', ...args, 'up']);
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.status, code, args.join(' '));
  }
  // docker's CLI takes 0x10 as 16, 010 as 8 (pflag's base 0), and underscores between digits.
  assert.equal(g(['update', '--pids-limit', '010', '--cpu-shares', '0x1_00', 'up']).stdout, 'up\n');
  assert.equal(host(), `${32 * 2 ** 20} -1 500000000 256 8\n`);
  const some = g(['update', '--cpu-shares', '100', 'up', 'nosuch']);
  assert.equal(some.stdout, 'up\n');
  assert.equal(some.stderr, 'Error response from daemon: No such container: nosuch\n');
  assert.equal(some.status, 1);
  // Stopped: the record only; the next start makes its cgroup from it.
  const probe = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
  assert.equal(g(['run', '--name', 'us', '--memory', '64m', 'busybox', 'sh', '-c', probe]).stdout, `${64 * 2 ** 20}\nmax\n`);
  assert.equal(g(['update', '--memory', '100m', '--pids-limit', '7', 'us']).stdout, 'us\n');
  assert.equal(g(['start', '-a', 'us']).stdout, `${100 * 2 ** 20}\n7\n`);
  // Created, never started, no limit yet: dockerd (container.UpdateContainer) refuses a
  // memory limit above the memoryswap there (0) unless swap comes with it, on a host that
  // limits swap (this one: memory.memsw.*), as for a running container.
  const uc = g(['create', '--network', 'none', '--name', 'uc', 'busybox', 'sh', '-c', probe]).stdout.trim();
  const refused = g(['update', '-m', '64m', 'uc']);
  assert.equal(refused.stderr, `Error response from daemon: Cannot update container ${uc}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`);
  assert.equal(refused.status, 1);
  // Its start runs with them (before: with those of its create, none).
  assert.equal(g(['update', '-m', '64m', '--memory-swap', '128m', '--pids-limit', '9', 'uc']).stdout, 'uc\n');
  assert.equal(g(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}', 'uc']).stdout, `${64 * 2 ** 20} ${128 * 2 ** 20} 9\n`);
  assert.equal(g(['start', '-a', 'uc']).stdout, `${64 * 2 ** 20}\n9\n`);
  assert.equal(g(['rm', '-f', 'up', 'us', 'uc']).status, 0);
});

test('container prune: stopped containers only, narrowed by until= and label=; docker\'s report', () => {
  assert.equal(g(['commit', '-c', 'LABEL keep=yes', '-c', 'LABEL tier=db', g(['run', '-d', 'busybox', 'true']).stdout.trim(), 'labelled:1']).status, 0);
  removeAllContainers(roots.root, roots.args);
  assert.equal(g(['run', '--name', 'big', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /big']).status, 0);
  const bigId = idOf('big');
  assert.equal(g(['run', '--name', 'lab', 'labelled:1', 'true']).status, 0);
  const labId = idOf('lab');
  const runningId = g(['run', '-d', '--name', 'live', 'busybox', 'sleep', '100']).stdout.trim();
  // Without -f it asks, on stdout as docker does; anything but y keeps everything.
  const asked = g(['container', 'prune'], { input: 'n\n' });
  assert.equal(asked.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
  assert.equal(asked.status, 0);
  assert.equal(g(['container', 'prune', '-f', '--filter', 'until=1h']).stdout, 'Total reclaimed space: 0B\n', 'all were created since');
  assert.equal(g(['container', 'prune', '-f', '--filter', 'label=keep=no']).stdout, 'Total reclaimed space: 0B\n');
  assert.equal(g(['container', 'prune', '-f', '--filter', 'label!=tier=db', '--filter', 'label=keep']).stdout, 'Total reclaimed space: 0B\n');
  const lab = g(['container', 'prune', '-f', '--filter', 'label=keep=yes', '--filter', 'label=tier']);
  assert.match(lab.stdout, new RegExp(`^Deleted Containers:\\n${labId}\\n\\nTotal reclaimed space: \\d+(\\.\\d+)?k?B\\n$`));
  const all = g(['container', 'prune', '--force', '--filter', `until=${new Date(Date.now() + 60_000).toISOString()}`]);
  assert.match(all.stdout, new RegExp(`^Deleted Containers:\\n${bigId}\\n\\nTotal reclaimed space: 30\\d(\\.\\d+)?kB\\n$`));
  assert.equal(g(['ps', '-aq', '--no-trunc']).stdout, `${runningId}\n`, 'the running one stays');
  assert.ok(!fs.existsSync(path.join(roots.root, 'containers', bigId)));
  for (const [filter, stderr, code] of [
    ['bogus=1', "Error response from daemon: invalid filter 'bogus'\n", 1],
    ['until=soon', 'Error response from daemon: failed to parse value as time or duration: "soon"\n', 1],
    ['nokey', 'invalid argument "nokey" for "--filter" flag: bad format of filter (expected name=value)\nSee \'gocker container prune --help\'.\n', 125],
  ] as Array<[string, string, number]>) {
    const r = g(['container', 'prune', '-f', '--filter', filter]);
    assert.equal(r.stderr, stderr, filter);
    assert.equal(r.status, code, filter);
  }
  assert.equal(g(['rm', '-f', 'live']).status, 0);
  assert.equal(g(['rmi', 'labelled:1']).status, 0);
});

test('wait --condition not-running, next-exit, removed', async () => {
  assert.equal(g(['run', '--name', 'w1', 'busybox', 'sh', '-c', 'test -e /ran && exit 5; touch /ran; exit 4']).status, 4);
  assert.equal(g(['wait', 'w1']).stdout, '4\n');
  assert.equal(g(['wait', '--condition', 'not-running', 'w1']).stdout, '4\n');
  // next-exit: not the exit that is there, the one of its next run.
  let settled = false;
  const next = gockerAsync([...roots.args, 'wait', '--condition', 'next-exit', 'w1']).then((r) => {
    settled = true;
    return r;
  });
  await sleep(600);
  assert.equal(settled, false);
  assert.equal(g(['start', 'w1']).status, 0);
  assert.equal((await next).stdout, '5\n');
  // removed: the exit, then the removal (--rm: the monitor's own).
  g(['run', '-d', '--rm', '--name', 'w2', 'busybox', 'sh', '-c', 'sleep 0.5; exit 9']);
  const removed = g(['wait', '--condition', 'removed', 'w2']);
  assert.equal(removed.stdout, '9\n');
  assert.equal(g(['inspect', 'w2']).status, 1);
  const w3 = g(['run', '-d', '--name', 'w3', 'busybox', 'sleep', '100']).stdout.trim();
  const gone = gockerAsync([...roots.args, 'wait', '--condition=removed', w3]);
  await sleep(500);
  assert.equal(g(['rm', '-f', 'w3']).status, 0);
  assert.equal((await gone).stdout, '137\n');
  const bad = g(['wait', '--condition', 'bogus', 'w1']);
  assert.equal(bad.stderr, 'Error response from daemon: invalid condition: "bogus"\n');
  assert.equal(bad.status, 1);
  assert.equal(g(['rm', 'w1']).status, 0);
});

test('management forms run the same commands as the top-level ones', () => {
  assert.equal(g(['container', 'run', '--rm', 'busybox', 'echo', 'hi', '-n']).stdout, 'hi -n\n');
  // A short flag's value after '=', or run together with others, as pflag reads it: through
  // run's fast path and through the whole CLI.
  const limit = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes';
  for (const run of [['run'], ['container', 'run']]) {
    assert.equal(g([...run, '--rm', '-m=64m', 'busybox', 'sh', '-c', limit]).stdout, `${64 * 2 ** 20}\n`, run.join(' '));
    assert.equal(g([...run, '--rm', '-im48m', 'busybox', 'sh', '-c', limit], { input: '' }).stdout, `${48 * 2 ** 20}\n`, run.join(' '));
  }
  const id = g(['container', 'run', '-d', '--name', 'mf', 'busybox', 'sh', '-c', 'echo logged; sleep 100']).stdout.trim();
  for (const ls of [['container', 'ls'], ['container', 'list'], ['container', 'ps']]) assert.equal(g([...ls, '-q', '--no-trunc']).stdout, `${id}\n`, ls.join(' '));
  assert.equal(g(['container', 'exec', 'mf', 'echo', 'in']).stdout, 'in\n');
  assert.equal(g(['container', 'inspect', '-f', '{{.Name}}', 'mf']).stdout, '/mf\n');
  // container inspect is for containers alone, image inspect for images.
  assert.equal(g(['container', 'inspect', 'busybox']).stderr, 'Error response from daemon: No such container: busybox\n');
  assert.equal(g(['image', 'inspect', '-f', '{{len .RepoTags}}', 'busybox']).stdout, '1\n');
  assert.equal(g(['image', 'inspect', 'mf']).status, 1);
  assert.equal(g(['image', 'tag', 'busybox', 'mf-tag:1']).status, 0);
  assert.match(g(['image', 'ls']).stdout, /^mf-tag\s+1\s/m);
  assert.equal(g(['image', 'list', '-q']).stdout, g(['images', '-q']).stdout);
  assert.match(g(['image', 'history', 'mf-tag:1']).stdout, /^IMAGE\s+CREATED/);
  assert.equal(g(['image', 'rm', 'mf-tag:1']).stdout, 'Untagged: mf-tag:1\n');
  assert.equal(g(['image', 'remove', 'nosuch:1']).status, 1);
  assert.equal(g(['container', 'stop', '-t', '1', 'mf']).stdout, 'mf\n');
  assert.equal(g(['container', 'logs', 'mf']).stdout, 'logged\n');
  assert.equal(g(['container', 'wait', 'mf']).stdout, '137\n');
  assert.equal(g(['container', 'rm', 'mf']).stdout, 'mf\n');
  assert.equal(g(['image', 'prune', '-f']).stdout, 'Total reclaimed space: 0B\n');
});

test('one error scheme, docker\'s: the engine\'s refusals as the daemon\'s, the CLI\'s own bare, exit 1; run keeps `gocker:` and 125', async () => {
  // A loopback port nothing listens on.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const garbage = path.join(os.tmpdir(), `gocker-garbage-${process.pid}.tar`);
  fs.writeFileSync(garbage, 'not an archive');
  try {
    const cases: Array<[string[], RegExp, number]> = [
      [['pull', `127.0.0.1:${port}/nope`], /^Error response from daemon: \S.*\n$/, 1],
      [['login', `127.0.0.1:${port}`, '-u', 'x', '-p', 'y'], /^Error response from daemon: \S.*\n$/, 1],
      [['load', '-i', garbage], /^Error response from daemon: load: \S.*\n$/, 1],
      [['load', '-i', `${garbage}.missing`], /^open \S+\.missing: no such file or directory\n$/, 1],
      [['pull', 'Bad:Ref'], /^invalid reference format: repository name \(library\/Bad\) must be lowercase\n$/, 1],
      [['logs', 'nosuch'], /^Error response from daemon: No such container: nosuch\n$/, 1],
      [['stop', 'nosuch'], /^Error response from daemon: No such container: nosuch\n$/, 1],
      [['rmi', 'nosuch:1'], /^Error response from daemon: /, 1],
      [['--storage-driver', 'zfs', 'images'], /^unknown storage driver "zfs" \(supported: overlay2, vfs\)\n$/, 1],
      [['run', '--rm', '--memory', '1k', 'busybox', 'true'], /^gocker: Minimum memory limit allowed is 6MB\n$/, 125],
      [['container', 'run', '--rm', '--memory', '1k', 'busybox', 'true'], /^gocker: Minimum memory limit allowed is 6MB\n$/, 125],
    ];
    for (const [args, stderr, code] of cases) {
      const r = g(args);
      assert.match(r.stderr, stderr, args.join(' '));
      assert.equal(r.status, code, args.join(' '));
    }
  } finally {
    fs.rmSync(garbage, { force: true });
  }
});
