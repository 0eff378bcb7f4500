// Restart policies against real containers: docker's refusals, on-failure's count, always,
// stop and kill by the user, the back-off, the hand-off from a foreground run, update
// --restart, and the start after a reboot (the recorded boot id made to differ).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { cgroupDirs } from '../helpers/containerd';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-restart-');
const g = (args: string[], env?: NodeJS.ProcessEnv) => gocker([...roots.args, ...args], { env });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const inspect = (ref: string, f: string): string => g(['inspect', '-f', f, ref]).stdout.trim();

/** The exit commands (restart.ts) alive for container id: they wait out a back-off. */
const restarters = (id: string): number[] =>
  execFileSync('ps', ['-eo', 'pid=,args=']).toString().split('\n').filter((l) => l.includes('exit-command.js') && l.includes(id)).map((l) => Number(l.trim().split(' ')[0]));

/** The times (ms) of a container's events of one action, from the event log. */
function eventTimes(id: string, action: string): number[] {
  const r = g(['events', '--since', '0', '--until', String(Date.now() / 1000 + 1), '--filter', `container=${id}`, '--filter', `event=${action}`, '--format', '{{.TimeNano}}']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((t) => Number(t) / 1e6);
}

// Loaded into every node process of a gocker command by NODE_OPTIONS: holds an exit command
// (only that) at its start until a file `go` is in this file's directory, which it takes,
// or until the directory is gone, at most a minute.
const HOLD = `const fs = require('fs');
if ((process.argv[1] || '').endsWith('exit-command.js')) {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 3000 && fs.existsSync(__dirname); i++) {
    try { fs.unlinkSync(__dirname + '/go'); break; } catch {}
    Atomics.wait(nap, 0, 0, 20);
  }
}
`;

/**
 * Exit commands held at their start, until letGo() lets the next one go: HOLD, loaded by
 * NODE_OPTIONS into the node processes of a command run with env, and so into the exit
 * command of a monitor it starts (run, a start, and the exit command's own restarts).
 * next(id): until the exit command of the container's next exit is there, held (its monitor
 * has recorded the exit and become it).
 */
function heldExitCommands(): { env: NodeJS.ProcessEnv; next(id: string): Promise<void>; letGo(): void; remove(): void } {
  const gate = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-restart-gate-'));
  const seen: number[] = [];
  // A held exit command goes on once the directory is gone.
  const remove = (): void => fs.rmSync(gate, { recursive: true, force: true });
  try {
    fs.writeFileSync(path.join(gate, 'hold.js'), HOLD);
  } catch (e) {
    remove();
    throw e;
  }
  return {
    env: { ...process.env, NODE_OPTIONS: `--require ${path.join(gate, 'hold.js')}` },
    next: (id) => until('the next exit\'s exit command', () => {
      const pid = restarters(id).find((p) => !seen.includes(p));
      if (pid) seen.push(pid);
      return pid !== undefined;
    }),
    letGo: () => fs.writeFileSync(path.join(gate, 'go'), ''),
    remove,
  };
}

before(() => importBusybox(roots.args));

after(async () => {
  removeAllContainers(roots.root, roots.args);
  // An exit command still waiting out a back-off finds its container gone and ends; wait for it.
  for (let i = 0; i < 100 && execFileSync('ps', ['-eo', 'args=']).toString().includes(`exit-command.js --root ${roots.root} `); i++) await sleep(100);
  roots.remove();
});

test('--restart refusals are docker\'s, on run and create, and leave nothing behind', () => {
  for (const cmd of ['run', 'create']) {
    const help = `See 'gocker ${cmd} --help'.\n`;
    const rm = g([cmd, '--restart', 'always', '--rm', 'busybox', 'true']);
    assert.deepEqual([rm.status, rm.stderr], [125, `gocker: conflicting options: cannot specify both --restart and --rm\n${help}`]);
    const unknown = g([cmd, '--restart', 'sometimes', 'busybox', 'true']);
    assert.deepEqual([unknown.status, unknown.stderr], [125, "gocker: invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'\n"]);
    const count = g([cmd, '--restart', 'on-failure:three', 'busybox', 'true']);
    assert.deepEqual([count.status, count.stderr], [125, `gocker: invalid restart policy format: maximum retry count must be an integer\n${help}`]);
    const colon = g([cmd, '--restart', ':3', 'busybox', 'true']);
    assert.deepEqual([colon.status, colon.stderr], [125, `gocker: invalid restart policy format: no policy provided before colon\n${help}`]);
    const negative = g([cmd, '--restart', 'on-failure:-1', 'busybox', 'true']);
    assert.deepEqual([negative.status, negative.stderr], [125, 'gocker: invalid restart policy: maximum retry count cannot be negative\n']);
    for (const p of ['always:2', 'unless-stopped:1', 'no:1']) {
      const r = g([cmd, '--restart', p, 'busybox', 'true']);
      assert.deepEqual([r.status, r.stderr], [125, "gocker: invalid restart policy: maximum retry count can only be used with 'on-failure'\n"], p);
    }
    const both = g([cmd, '--restart', 'always:-2', 'busybox', 'true']);
    assert.equal(both.stderr, "gocker: invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative\n");
  }
  // --rm with no is no conflict, as in docker.
  assert.equal(g(['run', '--rm', '--restart', 'no', '--network', 'none', 'busybox', 'true']).status, 0);
  assert.equal(g(['ps', '-aq']).stdout, '');
});

test('on-failure:2 restarts exactly twice, through start\'s setup (a bridge address each run), and inspect shows it', async () => {
  const id = g(['run', '-d', '--name', 'twice', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; sleep 0.2; exit 3']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await until('two restarts, then exited', () => {
    const s = inspect('twice', '{{.RestartCount}} {{.State.Status}}');
    return (s === '2 exited' && restarters(id).length === 0) || s;
  });
  // No third: the count is spent.
  await sleep(1500);
  assert.equal(inspect('twice', '{{.RestartCount}} {{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}} {{json .HostConfig.RestartPolicy}}'),
    '2 exited false 3 {"Name":"on-failure","MaximumRetryCount":2}');
  assert.equal(eventTimes(id, 'start').length, 3);
  assert.equal(eventTimes(id, 'die').length, 3);
  // Each run was networked as `start` networks it: an address on the store's bridge.
  const addrs = g(['logs', 'twice']).stdout.split('\n').filter((l) => / inet /.test(l));
  assert.equal(addrs.length, 3, g(['logs', 'twice']).stdout);
  assert.equal(g(['rm', 'twice']).status, 0);
});

test('on-failure does not restart after exit 0; always does, and stop ends it for good', async () => {
  const ok = g(['run', '-d', '--name', 'fine', '--network', 'none', '--restart', 'on-failure', 'busybox', 'true']).stdout.trim();
  await until('exited', () => inspect('fine', '{{.State.Status}}') === 'exited');
  await sleep(800);
  assert.equal(inspect('fine', '{{.RestartCount}} {{.State.Status}}'), '0 exited');
  assert.equal(restarters(ok).length, 0);

  const id = g(['run', '-d', '--name', 'again', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'echo ran; sleep 0.3']).stdout.trim();
  await until('two restarts after exit 0', () => Number(inspect('again', '{{.RestartCount}}')) >= 2);
  assert.equal(inspect('again', '{{.State.ExitCode}}'), '0');
  await until('running', () => inspect('again', '{{.State.Status}}') === 'running');
  const stop = g(['stop', 'again']);
  assert.deepEqual([stop.status, stop.stdout], [0, 'again\n']);
  const count = inspect('again', '{{.RestartCount}}');
  await until('no exit command left', () => restarters(id).length === 0, 5000);
  await sleep(800);
  assert.equal(inspect('again', '{{.State.Status}} {{.RestartCount}}'), `exited ${count}`);
  // A start by the user counts from 0 again: 0, then 1 from its next exit on (counted at
  // the exit, as docker counts it), and no more while that exit's command is held.
  const held = heldExitCommands();
  try {
    assert.equal(g(['start', 'again'], held.env).status, 0);
    assert.ok(['0', '1'].includes(inspect('again', '{{.RestartCount}}')), `${count} before`);
    assert.equal(g(['rm', '-f', 'again', 'fine']).status, 0);
  } finally {
    held.remove();
  }
});

test('kill by the user is no exit for the policy; stop during the back-off ends the wait', async () => {
  const id = g(['run', '-d', '--name', 'killed', '--network', 'none', '--restart', 'always', 'busybox', 'sleep', '100']).stdout.trim();
  assert.equal(g(['kill', 'killed']).status, 0);
  await until('exited', () => inspect('killed', '{{.State.Status}}') === 'exited');
  await sleep(800);
  assert.equal(inspect('killed', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}'), 'exited 0 137');
  assert.equal(restarters(id).length, 0);

  // Exits at once, so the back-off grows (100, 200, 400, 800 ms, ...). Each exit's command
  // is held until let go: the fourth exit is caught while restarting, for as long as the test
  // looks (the time a node process takes to start was all it had, and under load rm came
  // after that exit's restart, or in the window before its command marked it restarting).
  const held = heldExitCommands();
  try {
    const flap = g(['run', '-d', '--name', 'flap', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 4'], held.env).stdout.trim();
    for (let n = 1; n <= 3; n++) {
      await held.next(flap);
      held.letGo();
    }
    await held.next(flap);
    assert.match(g(['ps', '--filter', 'name=flap', '--format', '{{.Status}}']).stdout.trim(), /^Restarting \(4\) (Less than a second|\d+ seconds?) ago$/);
    assert.equal(inspect('flap', '{{.State.Restarting}} {{.State.Running}} {{.State.Status}} {{.RestartCount}}'), 'true true restarting 4');
    const rm = g(['rm', 'flap']);
    assert.deepEqual([rm.status, rm.stderr], [1, 'Error response from daemon: cannot remove container "/flap": container is restarting: stop the container before removing or force remove\n']);
    // The sixth exit's back-off is 3.2 s: its command writes it down once it has marked the
    // container restarting, then waits without the lock. A stop then ends the wait.
    for (let n = 4; n <= 5; n++) {
      held.letGo();
      await held.next(flap);
    }
    held.letGo();
    const backoff = path.join(roots.runroot, 'containers', flap, 'restart-backoff');
    await until('waiting out its back-off', () => fs.existsSync(backoff) && fs.readFileSync(backoff, 'utf8') === '3200');
    assert.equal(g(['stop', 'flap']).status, 0);
    assert.equal(inspect('flap', '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}} {{.RestartCount}}'), 'exited false 4 6');
    await until('its exit command gone', () => restarters(flap).length === 0, 10_000);
    assert.equal(inspect('flap', '{{.State.Status}} {{.RestartCount}}'), 'exited 6');
    assert.equal(eventTimes(flap, 'start').length, 6);
  } finally {
    held.remove();
  }
  assert.equal(g(['rm', 'killed', 'flap']).status, 0);
});

test('from its exit on, a container its policy restarts is restarting: rm refuses it and ps and inspect say so, however late its exit command starts; a stop or update --restart no then ends it', async () => {
  // The exit command is a node process, which takes 100 ms and more to start: the record
  // said exited until it had, and rm removed the container (the kill test's rm of "flap"
  // did, under load). Held at its start here for as long as the test looks.
  const held = heldExitCommands();
  try {
    const id = g(['run', '-d', '--name', 'race', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 3'], held.env).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    for (let n = 1; n <= 3; n++) {
      await held.next(id);
      assert.equal(inspect(id, '{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.RestartCount}} {{.State.ExitCode}}'), `restarting true true ${n} 3`, `exit ${n}`);
      const rm = g(['rm', 'race']);
      assert.deepEqual([rm.status, rm.stderr], [1, 'Error response from daemon: cannot remove container "/race": container is restarting: stop the container before removing or force remove\n'], `exit ${n}`);
      assert.match(g(['ps', '--filter', 'name=race', '--format', '{{.Status}}']).stdout, /^Restarting \(3\) /, `exit ${n}`);
      // Let go: it waits out the back-off and starts the container, which exits again.
      held.letGo();
    }
    // A stop in that time wins: the exit command, let go, starts nothing.
    await held.next(id);
    assert.equal(g(['stop', 'race']).status, 0);
    assert.equal(inspect(id, '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}} {{.RestartCount}}'), 'exited false 3 4');
    held.letGo();
    await until('its exit command gone', () => restarters(id).length === 0);
    assert.equal(inspect(id, '{{.State.Status}} {{.RestartCount}}'), 'exited 4');
    // So does `update --restart no` (the record restarting already): nothing starts it again.
    assert.equal(g(['start', 'race'], held.env).status, 0);
    await held.next(id);
    assert.equal(g(['update', '--restart', 'no', 'race']).status, 0);
    held.letGo();
    await until('its exit command gone', () => restarters(id).length === 0);
    assert.equal(inspect(id, '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}'), 'exited false 3');
    assert.equal(eventTimes(id, 'start').length, 5);
    assert.equal(g(['rm', 'race']).status, 0);
  } finally {
    held.remove();
  }
});

/** Whether process pid has an inotify watch set (fs.watch: what wait sleeps on). */
function watching(pid: number): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/fdinfo`).some((fd) => {
      try {
        return /^inotify wd:/m.test(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

test('wait returns at an exit the policy restarts the container from, with its code, as dockerd wakes its waiters when it marks one restarting; rm -f then removes it, restarting or running', async () => {
  const held = heldExitCommands();
  let waiter: ChildProcess | undefined;
  try {
    const id = g(['run', '-d', '--name', 'waited', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 5'], held.env).stdout.trim();
    await held.next(id);
    // Begun while it is restarting: the next exit is what it waits for, as docker's does.
    waiter = spawn(BIN, [...roots.args, 'wait', 'waited'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let status: number | null | undefined;
    waiter.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    waiter.on('close', (code) => (status = code));
    // It looks at the record before it sets its watch: from then on, the next exit is news to it.
    const pid = waiter.pid!;
    await until('wait watching', () => watching(pid) || status !== undefined);
    assert.equal(status, undefined, `wait returned before the next exit: ${out}`);
    held.letGo();
    await held.next(id);
    await until('wait returned', () => status !== undefined);
    assert.deepEqual([status, out], [0, '5\n'], g(['events', '--since', '0', '--until', String(Date.now() / 1000 + 1), '--filter', `container=${id}`, '--format', '{{.Action}} {{.Actor.Attributes.exitCode}} {{.TimeNano}}']).stdout + inspect(id, '{{json .State}}'));
    // rm -f in that time: nothing to kill, removed; the exit command, let go, finds it gone.
    assert.equal(g(['rm', '-f', 'waited']).status, 0);
    held.letGo();
    await until('its exit command gone', () => restarters(id).length === 0);
    assert.equal(g(['ps', '-aq', '--filter', 'name=waited']).stdout, '');
    // rm -f of one that runs: its kill cancels the restart, as docker's (else its exit showed
    // it restarting, and rm -f waited 10 s for an exit to see).
    const running = g(['run', '-d', '--name', 'killed-by-rm', '--network', 'none', '--restart', 'always', 'busybox', 'sleep', '100']).stdout.trim();
    const rm = g(['rm', '-f', 'killed-by-rm']);
    assert.deepEqual([rm.status, rm.stdout, rm.stderr], [0, 'killed-by-rm\n', '']);
    await until('no exit command left', () => restarters(running).length === 0);
    assert.equal(g(['ps', '-aq', '--filter', 'name=killed-by-rm']).stdout, '');
  } finally {
    if (waiter && waiter.exitCode === null && waiter.signalCode === null) waiter.kill();
    held.remove();
  }
});

/** A `logs -f` of ref, its output and exit status as they come. */
function follow(ref: string): { child: ChildProcess; out(): string; status(): number | null | undefined } {
  const child = spawn(BIN, [...roots.args, 'logs', '-f', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let status: number | null | undefined;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.on('close', (code) => (status = code));
  return { child, out: () => out, status: () => status };
}

test('logs -f ends at the exit of the run it follows, as docker\'s (its log driver is closed at every exit), though the policy starts the container again', async () => {
  const held = heldExitCommands();
  const followers: ChildProcess[] = [];
  try {
    // Restarting when the follow looks: the exit command held.
    const id = g(['run', '-d', '--name', 'followed', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'echo run; sleep 1; exit 3'], held.env).stdout.trim();
    const first = follow('followed');
    followers.push(first.child);
    await until('the first line followed', () => first.out() === 'run\n' || first.out());
    await held.next(id);
    await until('logs -f ended at the exit', () => first.status() !== undefined || first.out());
    assert.deepEqual([first.status(), first.out()], [0, 'run\n']);
    held.letGo();
    // Running again when the follow looks: stopped over the exit and the restart, it sees a
    // later start than the one it began in.
    const again = g(['run', '-d', '--name', 'followed-again', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'echo run; sleep 1; exit 3']).stdout.trim();
    const second = follow('followed-again');
    followers.push(second.child);
    await until('the first line followed', () => second.out() === 'run\n' || second.out());
    second.child.kill('SIGSTOP');
    await until('restarted and running', () => inspect(again, '{{.RestartCount}} {{.State.Status}}') === '1 running');
    second.child.kill('SIGCONT');
    await until('logs -f ended at the exit', () => second.status() !== undefined || second.out());
    assert.equal(second.status(), 0);
    assert.match(second.out(), /^run\n(run\n)?$/);
  } finally {
    for (const c of followers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    held.remove();
  }
});

test('the back-off starts at 100 ms and doubles', async () => {
  const id = g(['run', '-d', '--name', 'backoff', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 1']).stdout.trim();
  await until('five restarts', () => Number(inspect('backoff', '{{.RestartCount}}')) >= 5);
  g(['stop', 'backoff']);
  const dies = eventTimes(id, 'die');
  const starts = eventTimes(id, 'start');
  // From each die to the next start: the delay, plus an exit command's and a start's own time.
  const gaps = dies.slice(0, 4).map((d, i) => starts[i + 1] - d);
  for (const [i, gap] of gaps.entries()) assert.ok(gap >= 100 * 2 ** i, `restart ${i + 1} after ${gap} ms, before ${100 * 2 ** i} ms: ${gaps.join(', ')}`);
  // Loosely doubling: what the machine adds to each is about the same.
  assert.ok(gaps[3] - gaps[1] >= 400, `gaps ${gaps.join(', ')}`);
  await until('no exit command left', () => restarters(id).length === 0, 70_000);
  assert.equal(g(['rm', 'backoff']).status, 0);
});

test('between restarts a container holds neither its published port\'s rules nor its cgroup: they go at its exit, and its restart makes them again', async () => {
  const held = heldExitCommands();
  /** Its DNAT rules (by their comment) and cgroup directories, as the kernel has them. */
  const dnat = (id: string): string[] => execFileSync('iptables-save', ['-t', 'nat']).toString().split('\n').filter((l) => l.includes(`gocker-ctr:${id}`) && l.includes('DNAT'));
  const cgroups = (id: string): string[] => cgroupDirs(`gocker/${id}`).filter((d) => fs.existsSync(d));
  try {
    const id = g(['run', '-d', '--name', 'between', '--restart', 'always', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'sleep 0.5; exit 1'], held.env).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const rules = dnat(id);
    assert.equal(rules.length, 1, 'its DNAT rule while it runs');
    assert.ok(cgroups(id).length > 0, 'its cgroup while it runs');
    // Its exit: the monitor has recorded it and become the exit command, held at its start.
    // The cgroup went first, at the exit itself.
    await held.next(id);
    assert.deepEqual(cgroups(id), [], 'its cgroup, with its exit command yet to run');
    // As if it had been restarting for a while: the back-off (doubled from this) long
    // enough to look between the runs.
    fs.writeFileSync(path.join(roots.runroot, 'containers', id, 'restart-backoff'), '1000');
    held.letGo();
    await until('its rules and cgroup gone before the restart', () => (dnat(id).length === 0 && cgroups(id).length === 0) || `${dnat(id).join(', ')} ${cgroups(id).join(', ')}`, 5000);
    assert.equal(inspect('between', '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}'), 'restarting 1 1');
    // The same host port: a restart keeps its mapping (its address may be another).
    const dport = (l: string | undefined): string | undefined => / --dport (\d+) /.exec(l ?? '')?.[1];
    assert.ok(dport(rules[0]), rules[0]);
    await until('its rule (the same port) and cgroup made again by the restart', () => (dport(dnat(id)[0]) === dport(rules[0]) && cgroups(id).length > 0) || `${dnat(id).join(', ')} ${cgroups(id).join(', ')}`, 10_000);
  } finally {
    g(['rm', '-f', 'between']);
    held.remove();
  }
});

test('a foreground run ends with the container\'s code and hands its exit to the policy', async () => {
  const r = g(['run', '--name', 'fg', '--network', 'none', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'echo run; exit 7']);
  assert.deepEqual([r.status, r.stdout], [7, 'run\n']);
  await until('restarted once, then exited', () => {
    const s = inspect('fg', '{{.RestartCount}} {{.State.Status}}');
    return s === '1 exited' || s;
  });
  assert.equal(g(['logs', 'fg']).stdout, 'run\nrun\n');
  assert.equal(g(['rm', 'fg']).status, 0);
});

test('update --restart as docker allows it', async () => {
  const id = g(['create', '--name', 'upd', '--network', 'none', 'busybox', 'sh', '-c', 'exit 2']).stdout.trim();
  const u = g(['update', '--restart', 'on-failure:1', 'upd']);
  assert.deepEqual([u.status, u.stdout], [0, 'upd\n']);
  assert.equal(inspect('upd', '{{json .HostConfig.RestartPolicy}}'), '{"Name":"on-failure","MaximumRetryCount":1}');
  const bad = g(['update', '--restart', 'always:1', 'upd']);
  assert.deepEqual([bad.status, bad.stderr], [1, "Error response from daemon: invalid restart policy: maximum retry count can only be used with 'on-failure'\n"]);
  assert.equal(inspect('upd', '{{json .HostConfig.RestartPolicy}}'), '{"Name":"on-failure","MaximumRetryCount":1}');
  // Created before the update: its start takes the policy the record has now.
  assert.equal(g(['rm', 'upd']).status, 0);
  g(['create', '--name', 'upd2', '--network', 'none', 'busybox', 'sh', '-c', 'exit 2']);
  g(['update', '--restart', 'on-failure:1', 'upd2']);
  g(['start', 'upd2']);
  await until('restarted once', () => inspect('upd2', '{{.RestartCount}} {{.State.Status}}') === '1 exited');
  const rmc = g(['run', '-d', '--rm', '--name', 'upd3', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  const conflict = g(['update', '--restart', 'always', 'upd3']);
  assert.equal(conflict.status, 1);
  assert.equal(conflict.stderr, `Error response from daemon: Cannot update container ${rmc}: Restart policy cannot be updated because AutoRemove is enabled for the container\n`);
  assert.equal(g(['rm', '-f', 'upd2', 'upd3']).status, 0);
  void id;
});

test('update --restart of a running container started without a policy applies to the exit of this run, as docker\'s', async () => {
  // on-failure:1: the exit 3 of the run under way is restarted once, the second exit 3 is not.
  const id = g(['run', '-d', '--name', 'upd-live', '--network', 'none', 'busybox', 'sh', '-c', 'echo ran; sleep 2; exit 3']).stdout.trim();
  const u = g(['update', '--restart', 'on-failure:1', 'upd-live']);
  assert.deepEqual([u.status, u.stderr], [0, '']);
  assert.equal(inspect('upd-live', '{{.State.Status}} {{.RestartCount}}'), 'running 0');
  await until('restarted once, then exited', () => inspect('upd-live', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}') === '1 exited 3', 20_000);
  assert.equal(g(['logs', 'upd-live']).stdout, 'ran\nran\n');
  assert.equal(eventTimes(id, 'start').length, 2);
  // always, given to a running one: its exit 0 brings it back too; a stop ends it.
  g(['run', '-d', '--name', 'upd-always', '--network', 'none', 'busybox', 'sh', '-c', 'sleep 1']);
  assert.equal(g(['update', '--restart', 'always', 'upd-always']).status, 0);
  await until('restarted by always', () => Number(inspect('upd-always', '{{.RestartCount}}')) >= 1, 20_000);
  assert.equal(g(['stop', '-t', '0', 'upd-always']).status, 0);
  // Without a policy (and none given): its exit stays an exit, and no exit command lingers.
  const plain = g(['run', '-d', '--name', 'upd-none', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3']).stdout.trim();
  await until('exited', () => inspect('upd-none', '{{.State.Status}} {{.State.ExitCode}}') === 'exited 3');
  await until('no exit command left', () => restarters(plain).length === 0);
  await sleep(500);
  assert.equal(inspect('upd-none', '{{.RestartCount}} {{.State.Status}}'), '0 exited');
  // And the other way: a policy taken away while it runs no longer restarts this run.
  g(['run', '-d', '--name', 'upd-off', '--network', 'none', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1']);
  assert.equal(g(['update', '--restart', 'no', 'upd-off']).status, 0);
  await until('exited', () => inspect('upd-off', '{{.State.Status}}') === 'exited', 20_000);
  await sleep(800);
  assert.equal(inspect('upd-off', '{{.RestartCount}} {{.State.Status}}'), '0 exited');
  assert.equal(g(['rm', '-f', 'upd-live', 'upd-always', 'upd-none', 'upd-off']).status, 0);
});

test('after a reboot (the recorded boot id differs): always and unless-stopped come back, unless the user stopped an unless-stopped one', async () => {
  const run = (name: string, policy: string): string => g(['run', '-d', '--name', name, '--network', 'none', '--restart', policy, 'busybox', 'sleep', '1000']).stdout.trim();
  const ids = { alwaysStopped: run('rb-always', 'always'), unlessRunning: run('rb-unless', 'unless-stopped'), unlessStopped: run('rb-unless-stopped', 'unless-stopped'), none: run('rb-none', 'no') };
  assert.equal(g(['stop', '-t', '0', 'rb-always', 'rb-unless-stopped']).status, 0);
  // What a reboot does to the ones that ran: monitor and process gone, no exit recorded.
  for (const id of [ids.unlessRunning, ids.none]) {
    const pid = Number(inspect(id, '{{.State.Pid}}'));
    const monitor = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
    for (const p of [monitor, pid]) process.kill(p, 'SIGKILL');
    await until('gone', () => ![monitor, pid].some((p) => fs.existsSync(`/proc/${p}`)), 5000);
  }
  const bootFile = path.join(roots.runroot, 'boot_id');
  assert.equal(fs.readFileSync(bootFile, 'utf8').trim(), fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  fs.writeFileSync(bootFile, '00000000-0000-0000-0000-000000000000\n');
  const ps = g(['ps', '-a', '--filter', 'name=rb-', '--format', '{{.Names}} {{.Status}}']).stdout.split('\n').filter(Boolean).sort();
  assert.equal(ps.length, 4, ps.join('\n'));
  assert.match(ps[0], /^rb-always Up /);
  assert.match(ps[1], /^rb-none Exited \(255\) /);
  assert.match(ps[2], /^rb-unless Up /);
  assert.match(ps[3], /^rb-unless-stopped Exited \(137\) /);
  assert.equal(fs.readFileSync(bootFile, 'utf8').trim(), fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  // Once per boot: stopped again, they stay down on the next command.
  assert.equal(g(['stop', '-t', '0', 'rb-always']).status, 0);
  assert.match(g(['ps', '-a', '--filter', 'name=rb-always', '--format', '{{.Status}}']).stdout, /^Exited/);
  assert.equal(g(['rm', '-f', 'rb-always', 'rb-unless', 'rb-unless-stopped', 'rb-none']).status, 0);
});

test('update of a restarting container records the limits and its next run has them, as dockerd\'s (record only while restarting); pause is refused in docker\'s words', async () => {
  // Restarting: its exit recorded, the exit command held before its back-off, and, since
  // the cgroup goes at each exit, no cgroup until the restart makes it again.
  const held = heldExitCommands();
  try {
    const id = g(['run', '-d', '--name', 'upd-restarting', '--network', 'none', '--restart', 'always', '--pids-limit', '100', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; exit 3'], held.env).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await held.next(id);
    assert.equal(inspect(id, '{{.State.Status}}'), 'restarting');
    const u = g(['update', '--pids-limit', '50', 'upd-restarting']);
    assert.deepEqual([u.status, u.stderr], [0, ''], 'update while restarting');
    assert.equal(inspect(id, '{{.HostConfig.PidsLimit}}'), '50');
    const p = g(['pause', 'upd-restarting']);
    assert.deepEqual([p.status, p.stderr], [1, `Error response from daemon: Container ${id} is restarting, wait until the container is running\n`]);
    held.letGo();
    await until('the next run\'s line', () => g(['logs', id]).stdout.split('\n').filter(Boolean).length >= 2);
    assert.deepEqual(g(['logs', id]).stdout.split('\n').filter(Boolean).slice(0, 2), ['100', '50']);
    assert.equal(g(['rm', '-f', id]).status, 0);
  } finally {
    held.remove();
  }
});
