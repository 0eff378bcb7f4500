// require('gocker')'s containers, in this process, against real containers: run, wait, logs,
// exec and the rest of Container, the typed errors, and AbortSignal on the long operations.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  ConflictError, Container, Gocker, GockerError, InvalidOptionError, NoSuchContainerError, NoSuchImageError, NoSuchVolumeError, NotRunningError, RegistryError,
} from '../../lib/index';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('h13lib-lib-');
// The store's own network config (its bridge and subnet), as the CLI's tests give their runs.
process.env.GOCKER_CONFIG = path.join(path.dirname(roots.root), 'netconfig.json');
const g = new Gocker({ root: roots.root, runroot: roots.runroot });
const cli = (args: string[]) => gocker([...roots.args, ...args]);

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

const text = async (r: Readable): Promise<string> => {
  let s = '';
  for await (const chunk of r) s += String(chunk);
  return s;
};

/** A container that runs until removed, removed after f whatever happens. */
async function withSleeper(f: (c: Container) => Promise<void>, opts: Parameters<Gocker['run']>[2] = {}): Promise<void> {
  const c = await g.run('busybox', ['sleep', '300'], { network: 'none', ...opts });
  try {
    await f(c);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

test('run resolves once started; wait says the exit code; logs split stdout and stderr; remove', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'echo out; echo err >&2; exit 7'], { name: 'h13lib-first', labels: { a: 'b' }, env: { GREETING: 'hi there' }, network: 'none' });
  assert.match(c.id, /^[0-9a-f]{64}$/);
  assert.equal(c.name, 'h13lib-first');
  assert.deepEqual(await c.wait(), { exitCode: 7, oomKilled: false });
  assert.equal(await text(c.logs({ stderr: false })), 'out\n');
  assert.equal(await text(c.logs({ stdout: false })), 'err\n');
  assert.match(await text(c.logs({ timestamps: true, stderr: false })), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out\n$/);
  const rec = c.inspect();
  assert.equal(rec.State.Status, 'exited');
  assert.equal(rec.State.ExitCode, 7);
  assert.equal(rec.Config.Labels?.a, 'b');
  assert.ok(rec.Config.Env.includes('GREETING=hi there'));
  // What the CLI sees of it is the same container.
  assert.equal(cli(['inspect', '-f', '{{.State.ExitCode}} {{.Name}}', c.id]).stdout, '7 /h13lib-first\n');
  assert.equal(g.container('h13lib-first').id, c.id);
  assert.deepEqual((await g.containers({ all: true, filters: { name: ['h13lib-first'] } })).map((r) => r.Id), [c.id]);
  assert.deepEqual(await g.containers({ filters: { name: ['h13lib-first'] } }), []);
  await c.remove();
  assert.throws(() => g.container(c.id), NoSuchContainerError);
});

test('a run writes nothing into its caller\'s stdout, adds no signal handler and keeps its working directory', () => {
  const script = `
    const { Gocker } = require('gocker');
    const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
    const cwd = process.cwd();
    const handlers = () => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)).join(',');
    const before = handlers();
    (async () => {
      const c = await g.run('busybox', ['sh', '-c', 'echo to-its-stdout; echo to-its-stderr >&2; exit 4'], { network: 'none' });
      const { exitCode } = await c.wait();
      const p = (await g.run('busybox', ['sleep', '60'], { network: 'none' }));
      const e = p.exec(['echo', 'exec-output']);
      const code = await e.exitCode;
      const out = await new Promise((res) => { let s = ''; e.stdout.on('data', (d) => (s += d)).on('end', () => res(s)); });
      await p.remove({ force: true });
      await c.remove();
      process.stderr.write(JSON.stringify({ exitCode, code, out, same: process.cwd() === cwd, handlers: handlers() === before }));
    })().catch((e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(JSON.parse(r.stderr), { exitCode: 4, code: 0, out: 'exec-output\n', same: true, handlers: true });
});

test('runAttached and execAttached, as the CLI runs them: the container\'s stdio is the process\'s own, signals go where onSignals says', () => {
  const script = `
    const { Gocker, checkRestartFlag } = require('gocker');
    const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
    const handlers = () => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)).join(',');
    const before = handlers();
    const refusal = async (f) => { try { await f(); return 'none'; } catch (e) { return [e.name, e.code, e.option, e.exitCode, e.message].join('|'); } };
    (async () => {
      let created;
      let target = false;
      const ran = await g.runAttached('busybox', ['sh', '-c', 'echo run-out; echo run-err >&2; exit 4'], { network: 'none', rm: true },
        { onCreate: (id) => { created = id; }, onSignals: (t) => { target = typeof t.kill === 'function'; } });
      const missing = await g.runAttached('busybox', ['no-such-command'], { network: 'none', rm: true });
      // A signal through the target: the container's sleep ends with it (128 + 15; init passes it on).
      const killed = await g.runAttached('busybox', ['sleep', '60'], { network: 'none', rm: true, init: true }, { onSignals: (t) => setTimeout(() => t.kill('SIGTERM'), 300) });
      const c = await g.run('busybox', ['sleep', '60'], { network: 'none' });
      const exec = await c.execAttached(['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5'], { env: { A: '1' } });
      const execMissing = await c.execAttached(['no-such-command']);
      const detached = await c.execDetached(['sh', '-c', 'echo later > /tmp/x']);
      const badKeys = await refusal(() => g.runAttached('busybox', ['true'], { network: 'none', tty: true, detachKeys: 'ctrl-1', terminal: { stdout: process.stdout } }));
      const restart = await refusal(() => checkRestartFlag('always', true));
      await c.remove({ force: true });
      process.stderr.write('\\n' + JSON.stringify({
        ran: [ran.exitCode, ran.detached, ran.id === created, !!ran.error], target, missing: [missing.exitCode, missing.error],
        killed: killed.exitCode, exec, execMissing, detached, badKeys, restart, handlers: handlers() === before, unknown: checkRestartFlag('bogus') === undefined,
      }));
    })().catch((e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  // What the containers and commands printed, on this process's own stdout and stderr.
  assert.equal(r.stdout, 'run-out\nexec-out\n');
  const lines = r.stderr.split('\n');
  assert.deepEqual(JSON.parse(lines.pop()!), {
    ran: [4, false, true, false], target: true, missing: [127, 'exec: "no-such-command": executable file not found in $PATH'], killed: 143,
    exec: { exitCode: 5, detached: false }, execMissing: { exitCode: 127, detached: false, error: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH: unknown' },
    detached: { exitCode: 0, detached: true },
    badKeys: 'InvalidOptionError|EINVAL|detachKeys|125|Invalid detach keys (ctrl-1) provided',
    restart: 'GockerError|EUSAGE||125|conflicting options: cannot specify both --restart and --rm', handlers: true, unknown: true,
  });
  assert.deepEqual(lines, ['run-err', 'exec-err', '']);
});

test('oomKilled: allocating past a small memory limit', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'x=$(head -c 300000000 /dev/zero | tr "\\0" a); echo survived'], { memory: '16m', network: 'none' });
  try {
    assert.deepEqual(await c.wait(), { exitCode: 137, signal: 'SIGKILL', oomKilled: true });
    assert.equal(c.inspect().HostConfig.Memory, 16 * 1024 * 1024);
    assert.equal(await text(c.logs()), '');
  } finally {
    await c.remove({ force: true });
  }
});

test('rm: wait still says how it ended once the container has gone', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'exit 3'], { rm: true, network: 'none' });
  assert.equal((await c.wait()).exitCode, 3);
  await until('the --rm container removed', () => !fs.existsSync(path.join(roots.root, 'containers', c.id)), 10_000);
  assert.equal((await c.wait()).exitCode, 3);
});

test('logs follow: the lines as they come, ending at the exit; run attach: the output before it starts', async () => {
  const out = new PassThrough();
  let attached = '';
  out.on('data', (d) => (attached += d));
  const c = await g.run('busybox', ['sh', '-c', 'echo first; sleep 0.3; echo second; sleep 0.3; echo third'], { network: 'none', attach: { stdout: out } });
  try {
    const seen: Array<[string, number]> = [];
    const t0 = Date.now();
    for await (const chunk of c.logs({ follow: true })) seen.push([String(chunk), Date.now() - t0]);
    assert.deepEqual(seen.map(([l]) => l), ['first\n', 'second\n', 'third\n']);
    // As they came, not all at the end.
    assert.ok(seen[2][1] - seen[0][1] >= 400, JSON.stringify(seen));
    assert.equal(c.inspect().State.Running, false);
    assert.deepEqual(await c.attachment!.done, { detached: false, exitCode: 0 });
    assert.equal(attached, 'first\nsecond\nthird\n');
    assert.equal(await text(c.logs({ tail: 1 })), 'third\n');
    assert.equal(await text(c.logs({ since: new Date(Date.now() + 60_000) })), '');
  } finally {
    await c.remove({ force: true });
  }
});

test('exec: stdout, stderr and stdin as streams, the exit code, a tty, a command that cannot run', async () => {
  await withSleeper(async (c) => {
    const p = c.exec(['sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 9'], { stdin: true, env: ['V=1'] });
    p.stdin!.end('hello\n');
    const [code, out, err] = await Promise.all([p.exitCode, text(p.stdout), text(p.stderr)]);
    assert.deepEqual([code, out, err], [9, 'got hello\n', 'oops\n']);

    const t = c.exec(['sh', '-c', 'test -t 1 && echo tty; echo $V'], { tty: true, env: { V: 'from-env' } });
    assert.deepEqual(await Promise.all([t.exitCode, text(t.stdout), text(t.stderr)]), [0, 'tty\r\nfrom-env\r\n', '']);

    // A tty with stdin: the terminal echoes what it is given; the end of stdin ends cat's.
    const typed = c.exec(['cat'], { tty: true, stdin: true });
    typed.stdin!.end('typed\n');
    assert.deepEqual(await Promise.all([typed.exitCode, text(typed.stdout)]), [0, 'typed\r\ntyped\r\n']);

    const missing = c.exec(['/no/such/command']);
    const [mcode, mout, merr] = await Promise.all([missing.exitCode, text(missing.stdout), text(missing.stderr)]);
    assert.equal(mcode, 127);
    assert.equal(mout, '');
    assert.match(merr, /no such file or directory/);

    // stdin written after the command has gone: dropped, no unhandled error.
    const gone = c.exec(['true'], { stdin: true });
    assert.equal(await gone.exitCode, 0);
    gone.stdin!.end('x'.repeat(1 << 20));
    await new Promise((r) => setTimeout(r, 100));

    const quiet = c.exec(['sh', '-c', 'echo x; echo y >&2'], { stdout: false, stderr: false });
    assert.equal(await quiet.exitCode, 0);
    assert.equal(await text(quiet.stdout), '');
  });
});

test('exec: signal ends the command; a stopped container refuses with NotRunningError', async () => {
  await withSleeper(async (c) => {
    const ac = new AbortController();
    const p = c.exec(['sleep', '300'], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    ac.abort();
    assert.equal(await p.exitCode, 143);
    assert.ok(Date.now() - t0 < 5000);
    await c.kill();
    await c.wait();
    const refused = c.exec(['true']);
    await assert.rejects(refused.exitCode, (e: unknown) => e instanceof NotRunningError && e.code === 'ENOTRUNNING' && e.message === `container ${c.id} is not running`);
  });
});

test('wait and logs follow end at once when their signal aborts', async () => {
  await withSleeper(async (c) => {
    const ac = new AbortController();
    const waiting = c.wait({ signal: ac.signal });
    const logs = c.logs({ follow: true, signal: ac.signal });
    const read = text(logs);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    await assert.rejects(read, { name: 'AbortError' });
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(c.inspect().State.Running, true);
    // Aborted before it began: at once too.
    await assert.rejects(c.wait({ signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal((await c.stats({ stream: true, signal: AbortSignal.abort() }).next()).done, true);
  });
});

test('an aborted wait or logs follow leaves nothing behind: the process ends while the container runs on', () => {
  const script = `
    const { Gocker } = require('gocker');
    const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
    (async () => {
      const c = await g.run('busybox', ['sleep', '300'], { network: 'none' });
      process.stdout.write(c.id + '\\n');
      const ac = new AbortController();
      const waited = c.wait({ signal: ac.signal }).catch((e) => e.name);
      const followed = (async () => { for await (const _ of c.logs({ follow: true, signal: ac.signal })) {} })().catch((e) => e.name);
      setTimeout(() => ac.abort(), 300);
      process.stdout.write((await waited) + ' ' + (await followed) + '\\n');
    })();
  `;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 15_000 });
  const [id, names] = r.stdout.split('\n');
  try {
    assert.equal(r.signal, null, 'the process ended on its own');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(names, 'AbortError AbortError');
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(g.container(id).inspect().State.Running, true);
  } finally {
    if (id) cli(['rm', '-f', id]);
  }
});

test('wait with a signal: the exit as it comes, for not-running and next-exit', async () => {
  await withSleeper(async (c) => {
    const ac = new AbortController();
    const notRunning = c.wait({ signal: ac.signal });
    const nextExit = c.wait({ condition: 'next-exit', signal: ac.signal });
    await new Promise((r) => setTimeout(r, 200));
    // (sleep as PID 1 has no SIGTERM handler, and the kernel spares PID 1 what it does not handle.)
    await c.kill('SIGKILL');
    assert.deepEqual(await notRunning, { exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    assert.deepEqual(await nextExit, { exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    // Not running: at once.
    assert.deepEqual(await c.wait({ signal: ac.signal }), { exitCode: 137, signal: 'SIGKILL', oomKilled: false });
  });
});

test('typed errors: a missing container or image, a name in use, a bad option, a running container to remove', async () => {
  assert.throws(() => g.container('h13lib-nope'), (e: unknown) => e instanceof NoSuchContainerError && e instanceof GockerError && e.code === 'ENOCONTAINER' && e.exitCode === 1 && e.message === 'No such container: h13lib-nope');
  await assert.rejects(g.run('h13lib-no-image'), (e: unknown) => e instanceof NoSuchImageError && e.code === 'ENOIMAGE' && e.message === "Unable to find image 'h13lib-no-image' locally");
  await assert.rejects(g.removeImage('h13lib-no-image'), (e: unknown) => e instanceof NoSuchImageError && e.message === 'No such image: h13lib-no-image:latest');
  await assert.rejects(g.run('busybox', ['true'], { memory: 'lots' }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'memory' && e.code === 'EINVAL' && e.message === `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`);
  await assert.rejects(g.run('busybox', ['true'], { memory: 1024 }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'memory' && e.message === 'Minimum memory limit allowed is 6MB');
  await assert.rejects(g.run('busybox', ['true'], { memroy: '64m' } as never), (e: unknown) => e instanceof InvalidOptionError && e.option === 'memroy' && e.message === 'unknown option: memroy');
  await assert.rejects(g.run('busybox', ['true'], { env: ['HOME'] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'env');
  await assert.rejects(g.run('busybox', ['true'], { restart: 'always', rm: true }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'restart' && e.message === 'conflicting options: cannot specify both --restart and --rm');
  await assert.rejects(g.run('busybox', ['true'], { volumes: ['./here:/x'] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'volumes');
  await assert.rejects(g.run('busybox', ['true'], { name: 'no/slash' }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'name');
  await assert.rejects(g.run('busybox', ['true'], { capAdd: ['NOT_A_CAP'] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'capAdd');
  await assert.rejects(g.run('busybox', ['true'], { ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'ulimits');
  await assert.rejects(g.run('busybox', ['true'], { portBindings: { '80/tcp': [{ HostPort: 'x' }] } }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'portBindings');
  // Refused before anything was made.
  assert.deepEqual(await g.containers({ all: true }), []);
  await withSleeper(async (c) => {
    await assert.rejects(g.createContainer('busybox', ['true'], { name: 'h13lib-taken' }), (e: unknown) => e instanceof ConflictError && e.code === 'ECONFLICT' && e.exitCode === 125 &&
      e.message === `Conflict. The container name "/h13lib-taken" is already in use by container "${c.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    await assert.rejects(c.remove(), (e: unknown) => e instanceof ConflictError && e.message === 'cannot remove container "/h13lib-taken": container is running: stop the container before removing or force remove');
    await c.stop({ timeout: 0 });
    await assert.rejects(c.kill(), (e: unknown) => e instanceof NotRunningError && e.message === `cannot kill container: ${c.id}: container ${c.id} is not running`);
  }, { name: 'h13lib-taken' });
  assert.equal(new RegistryError('x', 503, 'UNAVAILABLE', true).code, 'EREGISTRY');
  assert.equal(new RegistryError('x', 503, 'UNAVAILABLE', true).temporary, true);
});

test('create then start; kill, stop, restart, pause, unpause, top, stats, rename, update', async () => {
  const c = await g.createContainer('busybox', ['sh', '-c', 'trap "exit 5" TERM; while true; do sleep 0.1; done'], { network: 'none', stopTimeout: 5 });
  try {
    assert.equal(c.inspect().State.Status, 'created');
    // Created: the cgroup its start runs in takes the limit, not its record alone (before,
    // the start ran with the create's: none).
    await c.update({ pidsLimit: 40 });
    await c.start();
    assert.equal(c.inspect().State.Running, true);
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/gocker/${c.id}/pids.max`, 'utf8').trim(), '40');
    assert.deepEqual(c.top().Titles.slice(0, 2), ['UID', 'PID']);
    assert.ok(c.top().Processes.some((p) => p.join(' ').includes('sleep')));
    const s = await c.stats();
    assert.equal(s.id, c.id);
    assert.ok(s.pids >= 1 && s.memoryUsage > 0);
    const samples = [];
    const ac = new AbortController();
    for await (const one of c.stats({ stream: true, signal: ac.signal })) {
      samples.push(one);
      if (samples.length === 2) ac.abort();
    }
    assert.equal(samples.length, 2);
    await c.pause();
    assert.equal(c.inspect().State.Status, 'paused');
    await assert.rejects(c.pause(), (e: unknown) => e instanceof ConflictError && e.message === `Container ${c.id} is already paused`);
    await assert.rejects(c.exec(['true']).exitCode, (e: unknown) => e instanceof ConflictError && e.message === `Container ${c.id} is paused, unpause the container before exec`);
    // A handle by name: the refusal names it so, as dockerd's names what it was asked for.
    await assert.rejects(g.container(c.name).exec(['true']).exitCode, (e: unknown) => e instanceof ConflictError && e.message === `Container ${c.name} is paused, unpause the container before exec`);
    // start is dockerd's conflict, not a start of one already running; start -a's, its attach's.
    await assert.rejects(c.start(), (e: unknown) => e instanceof ConflictError && e.code === 'ECONFLICT' && e.message === 'cannot start a paused container, try unpause instead');
    await assert.rejects(c.startAttached(), (e: unknown) => e instanceof ConflictError && e.code === 'ECONFLICT' && e.message === `container ${c.id} is paused, unpause the container before attach`);
    assert.equal(c.inspect().State.Status, 'paused');
    await c.unpause();
    assert.equal(c.inspect().State.Status, 'running');
    await assert.rejects(c.unpause(), (e: unknown) => e instanceof ConflictError && e.code === 'ECONFLICT');
    await c.stop();
    assert.deepEqual(await c.wait(), { exitCode: 5, oomKilled: false });
    await c.restart();
    assert.equal(c.inspect().State.Running, true);
    await c.kill('SIGKILL');
    assert.deepEqual(await c.wait(), { exitCode: 137, signal: 'SIGKILL', oomKilled: false });
    await c.rename('h13lib-renamed');
    assert.equal(c.name, 'h13lib-renamed');
    assert.equal(g.container('h13lib-renamed').id, c.id);
    const { warnings } = await c.update({ memory: '32m', memorySwap: -1, pidsLimit: 50, restart: 'on-failure:2' });
    assert.deepEqual(warnings, []);
    const h = c.inspect().HostConfig;
    assert.deepEqual([h.Memory, h.PidsLimit, h.RestartPolicy], [32 * 1024 * 1024, 50, { Name: 'on-failure', MaximumRetryCount: 2 }]);
    await assert.rejects(c.update({ cpus: 'many' }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'cpus');
  } finally {
    await c.remove({ force: true });
  }
});

test('diff, commit, export, getArchive and putArchive as tar streams', async () => {
  await withSleeper(async (c) => {
    const p = c.exec(['sh', '-c', 'mkdir /h13 && echo made > /h13/file && rm /bin/true']);
    assert.equal(await p.exitCode, 0);
    const changes = [];
    for await (const ch of c.diff()) changes.push(`${ch.kind} ${ch.path}`);
    for (const want of ['A /h13', 'A /h13/file', 'C /bin', 'D /bin/true']) assert.ok(changes.includes(want), `${want} in ${changes.join(', ')}`);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h13lib-tar-'));
    try {
      const archive = path.join(tmp, 'out.tar');
      await finished(c.getArchive('/h13').pipe(fs.createWriteStream(archive)));
      assert.equal(spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort().join(' '), 'h13/ h13/file');
      fs.mkdirSync(path.join(tmp, 'in'));
      fs.writeFileSync(path.join(tmp, 'in', 'put.txt'), 'put in\n');
      const tarIn = path.join(tmp, 'in.tar');
      spawnSync('tar', ['-cf', tarIn, '-C', path.join(tmp, 'in'), 'put.txt']);
      assert.ok((await c.putArchive('/h13', fs.createReadStream(tarIn))) > 0);
      const cat = c.exec(['cat', '/h13/put.txt']);
      assert.equal(await text(cat.stdout), 'put in\n');

      const exported = path.join(tmp, 'export.tar');
      await finished(c.export().pipe(fs.createWriteStream(exported)));
      const names = spawnSync('tar', ['-tf', exported], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
      assert.ok(names.includes('h13/file') && names.includes('bin/sh') && !names.includes('bin/true'));
      // Aborted: the stream fails with the reason, and nothing is left mounted.
      const ac = new AbortController();
      const ex = c.export({ signal: ac.signal });
      ac.abort();
      await assert.rejects(text(ex), { name: 'AbortError' });
      await until('the export unmounted', () => !fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(`${c.id}/export-`), 5000);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const id = await c.commit({ repo: 'h13lib/committed:v1', comment: 'from the library', changes: ['CMD ["cat", "/h13/file"]'] });
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((g.inspectImage('h13lib/committed:v1') as { Id: string }).Id, id);
    assert.equal(g.history('h13lib/committed:v1')[0].comment, 'from the library');
    const run = await g.run('h13lib/committed:v1', undefined, { network: 'none' });
    assert.equal((await run.wait()).exitCode, 0);
    assert.equal(await text(run.logs()), 'made\n');
    await run.remove();
  });
});

test('images: tag, history, inspect, save as a stream, remove; prune containers', async () => {
  await g.tag('busybox', 'h13lib/tagged:one');
  assert.equal((g.inspectImage('h13lib/tagged:one') as { Id: string }).Id, (g.inspectImage('busybox') as { Id: string }).Id);
  assert.ok(g.history('busybox').length >= 1);
  const tar = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    g.saveImages(['h13lib/tagged:one']).on('data', (d: Buffer) => chunks.push(d)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h13lib-save-'));
  try {
    fs.writeFileSync(path.join(tmp, 's.tar'), tar);
    assert.match(spawnSync('tar', ['-xOf', path.join(tmp, 's.tar'), 'manifest.json'], { encoding: 'utf8' }).stdout, /"RepoTags":\["h13lib\/tagged:one"\]/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  await assert.rejects(text(g.saveImages(['h13lib/none'])), (e: unknown) => e instanceof NoSuchImageError);
  assert.deepEqual(await g.removeImage('h13lib/tagged:one'), [{ Untagged: 'h13lib/tagged:one' }]);

  const done = await g.run('busybox', ['true'], { network: 'none', labels: { h13lib: 'prune' } });
  await done.wait();
  const kept = await g.run('busybox', ['true'], { network: 'none' });
  await kept.wait();
  const pruned = await g.pruneContainers({ filters: { label: ['h13lib=prune'] } });
  assert.deepEqual(pruned.deleted, [done.id]);
  assert.deepEqual((await g.containers({ all: true })).map((r) => r.Id), [kept.id]);
  await assert.rejects(g.pruneContainers({ filters: { nope: ['x'] } }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'filters');
  await kept.remove();
});

test('images as docker images lists them: filters, a reference pattern, digests; save to a file; system df -v', async () => {
  await g.tag('busybox', 'h5img/rows:one');
  try {
    const id = g.image('busybox')!.id;
    const names = (rows: ReturnType<Gocker['imageRows']>): string[] => rows.map((r) => `${r.repository}:${r.tag}`).sort();
    assert.deepEqual(names(g.imageRows({ reference: 'h5img/*' })), ['h5img/rows:one']);
    assert.deepEqual(names(g.imageRows({ filters: { reference: ['busybox'] } })), ['busybox:latest']);
    assert.deepEqual(names(g.imageRows({ filters: { dangling: ['true'] } })), []);
    // Other tests' images (commits, imports) are in this store too: busybox's rows only.
    assert.ok(g.imageRows({ reference: 'busybox' }).every((r) => r.image.id === id && r.digest === '<none>'));
    assert.throws(() => g.imageRows({ filters: { nope: ['x'] } }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'filters' && e.message === "invalid filter 'nope'");
    assert.throws(() => g.imageRows({ filters: { before: ['h5img/none'] } }), (e: unknown) => e instanceof NoSuchImageError);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'h5img-save-'));
    try {
      await g.saveImagesToFile(['h5img/rows:one'], path.join(tmp, 'out.tar'));
      assert.match(spawnSync('tar', ['-xOf', path.join(tmp, 'out.tar'), 'manifest.json'], { encoding: 'utf8' }).stdout, /"RepoTags":\["h5img\/rows:one"\]/);
      // A failed save leaves nothing behind, not even its temporary file.
      await assert.rejects(g.saveImagesToFile(['h5img/none'], path.join(tmp, 'none.tar')), (e: unknown) => e instanceof NoSuchImageError);
      assert.deepEqual(fs.readdirSync(tmp), ['out.tar']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const u = g.diskUsageVerbose();
    const mine = u.images.find((i) => i.id === id);
    assert.ok(mine && mine.size > 0 && mine.size === (g.inspectImage('busybox') as { Size: number }).Size);
    assert.ok(mine.size <= g.diskUsage().find((r) => r.Type === 'Images')!.Size);
    assert.ok(Array.isArray(u.containers) && Array.isArray(u.volumes));
  } finally {
    await g.removeImage('h5img/rows:one');
  }
});

test('volumes: create, list with docker\'s filters, inspect, remove, prune; typed errors', async () => {
  const named = await g.createVolume('h5img-vol', { labels: { team: 'a' } });
  assert.equal(named.Name, 'h5img-vol');
  assert.deepEqual(named.Labels, { team: 'a' });
  // As docker: creating it again returns the one there, options not applied.
  assert.deepEqual(await g.createVolume('h5img-vol', { labels: { team: 'b' } }), named);
  const anon = await g.createVolume();
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(g.inspectVolume('h5img-vol'), named);
  assert.throws(() => g.inspectVolume('h5img-none'), (e: unknown) => e instanceof NoSuchVolumeError && e.code === 'ENOVOLUME' && e.exitCode === 1);

  const listed = (filters: Record<string, string[]>): string[] => g.listVolumes({ filters }).map((v) => v.Name);
  assert.deepEqual(listed({ label: ['team=a'] }), ['h5img-vol']);
  assert.deepEqual(listed({ name: ['^h5img-'] }), ['h5img-vol']);
  assert.deepEqual(listed({ name: ['^h5img-'], dangling: ['false'] }), []);
  assert.throws(() => g.listVolumes({ filters: { nope: ['1'] } }), (e: unknown) => e instanceof InvalidOptionError && e.message === "invalid filter 'nope'");
  assert.throws(() => g.listVolumes({ filters: { dangling: ['maybe'] } }), (e: unknown) => e instanceof InvalidOptionError && e.message === "invalid filter 'dangling=[maybe]'");

  // In use: ConflictError while a container (running or not) has it.
  const c = await g.createContainer('busybox', ['true'], { network: 'none', volumes: ['h5img-vol:/data'] });
  try {
    await assert.rejects(g.removeVolume('h5img-vol'), (e: unknown) => e instanceof ConflictError && e.exitCode === 1 && /volume is in use/.test((e as Error).message));
  } finally {
    await c.remove();
  }

  // Without all, the anonymous ones only; the check a caller asks before pruning agrees.
  assert.equal(g.volumePruneAll({}), false);
  assert.equal(g.volumePruneAll({ filters: { all: ['1'] } }), true);
  assert.throws(() => g.volumePruneAll({ all: true, filters: { all: ['1'] } }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'all');
  for (const bad of [{ labels: { a: { b: 1 } } }, { options: { type: 'tmpfs', device: 7 } }]) {
    await assert.rejects(g.createVolume('badvalues', bad as never), (e: unknown) => e instanceof InvalidOptionError, JSON.stringify(bad));
  }
  assert.equal((await g.listVolumes()).some((v) => v.Name === 'badvalues'), false, 'nothing made of it');
  // A label filter names a volume's own labels, never the object's prototype (label=toString matched every labelled volume, and prune took them).
  await g.createVolume('protolabel', { labels: { team: 'db' } });
  for (const k of ['toString', 'constructor', '__proto__']) assert.equal((await g.listVolumes({ filters: { label: [k] } })).some((v) => v.Name === 'protolabel'), false, k);
  await g.removeVolume('protolabel');
  assert.throws(() => g.volumePruneAll({ all: 'false' as never }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'all', 'a string is no yes to the wider prune');
  await assert.rejects(g.pruneVolumes({ filters: { dangling: ['true'] } }), (e: unknown) => e instanceof InvalidOptionError && e.message === "invalid filter 'dangling'");
  assert.deepEqual((await g.pruneVolumes({ filters: { label: ['nothing-has-this'] } })).deleted, []);
  const pruned = await g.pruneVolumes();
  assert.ok(pruned.deleted.includes(anon.Name) && !pruned.deleted.includes('h5img-vol'));
  assert.deepEqual((await g.pruneVolumes({ all: true, filters: { 'label!': ['team'] } })).deleted, []);
  await g.removeVolume('h5img-vol');
  await g.removeVolume('h5img-vol', { force: true });
  await assert.rejects(g.removeVolume('h5img-vol'), (e: unknown) => e instanceof NoSuchVolumeError);
  assert.deepEqual(listed({ name: ['^h5img-'] }), []);
});

test('refusals only the store can make are InvalidOptionError naming the option: a network, a user or a group that is not there', async () => {
  await assert.rejects(g.createContainer('busybox', ['true'], { network: 'h1api-no-such-net' }), (e: unknown) =>
    e instanceof InvalidOptionError && e.option === 'network' && e.code === 'EINVAL' && e.message === 'network h1api-no-such-net not found');
  await assert.rejects(g.createContainer('busybox', ['true'], { network: 'none', user: 'h1api-nobody' }), (e: unknown) =>
    e instanceof InvalidOptionError && e.option === 'user' && e.message === 'unable to find user h1api-nobody: no matching entries in passwd file');
  await assert.rejects(g.createContainer('busybox', ['true'], { network: 'none', user: 'root:h1api-nogroup' }), (e: unknown) =>
    e instanceof InvalidOptionError && e.option === 'user' && e.message === 'unable to find group h1api-nogroup: no matching entries in group file');
  // The CLI says them as before.
  const r = cli(['run', '--rm', '--network', 'none', '-u', 'h1api-nobody', 'busybox', 'true']);
  assert.equal(r.status, 125);
  assert.equal(r.stderr, 'gocker: unable to find user h1api-nobody: no matching entries in passwd file\n');
  for (const c of await g.containers({ all: true })) await g.container(c.Id).remove({ force: true });
});

test('stop with a signal: its abort ends the wait for the exit, and no SIGKILL follows', async () => {
  // A command that ignores SIGTERM: stop would wait out its timeout, then SIGKILL it.
  await withSleeper(async (c) => {
    const ac = new AbortController();
    const t0 = Date.now();
    const stopping = c.stop({ timeout: 30, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('h1api: enough')), 300);
    await assert.rejects(stopping, /h1api: enough/);
    assert.ok(Date.now() - t0 < 5000, 'the abort ended the wait');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(c.inspect().State.Running, true, 'no SIGKILL after the abort');
    // Aborted before: nothing is sent at all.
    await assert.rejects(c.stop({ timeout: 0, signal: AbortSignal.abort(new Error('h1api: before')) }), /h1api: before/);
    assert.equal(c.inspect().State.Running, true);
  }, { stopSignal: 'SIGUSR1' });
});

test('logs: a reader that does not read holds the read of the file; logEntries: each line with its stream', async () => {
  const c = await g.run('busybox', ['sh', '-c', 'yes h1api-0123456789abcdefghijklmnopqrstuvwxyz | head -n 300000; echo err >&2'], { network: 'none' });
  try {
    assert.equal((await c.wait()).exitCode, 0);
    const r = c.logs();
    await new Promise((res) => r.once('readable', res));
    const first = r.read() as Buffer;
    await new Promise((res) => setTimeout(res, 500));
    // The whole log is 12 MB of lines: only what a chunk of the file (1 MiB) holds is waiting.
    assert.ok(r.readableLength < 2 << 20, `${r.readableLength} bytes read ahead of the reader`);
    let lines = 0;
    const count = (d: Buffer): void => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    };
    count(first);
    r.on('data', count);
    await finished(r);
    assert.equal(lines, 300001);
    const counts = { stdout: 0, stderr: 0 };
    for await (const batch of c.logEntries({ tail: 2 })) for (const l of batch) counts[l.stream]++;
    assert.deepEqual(counts, { stdout: 1, stderr: 1 });
    let all = 0;
    for await (const batch of c.logEntries()) all += batch.length;
    assert.equal(all, 300001);
  } finally {
    await c.remove({ force: true });
  }
});

test('docker\'s typed values: HostConfig.Mounts, PortBindings and ExposedPorts, a seccomp profile as its JSON', async () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'h13lib-mounts-'));
  try {
    fs.writeFileSync(path.join(host, 'f'), 'from the host\n');
    // mkdir refused with EPERM (1): the profile is data the caller gives, never a file the engine reads.
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
    const c = await g.run('busybox', ['sh', '-c', 'cat /h/f; touch /h/x 2>/dev/null || echo ro; df -k /t | tail -1; mkdir /tmp/d 2>/dev/null || echo nomkdir'], {
      mounts: [
        { Type: 'bind', Source: host, Target: '/h', ReadOnly: true },
        { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 2 << 20, Mode: 0o1777 } },
      ],
      portBindings: { '8080/tcp': [{ HostIp: '127.0.0.1' }] },
      exposedPorts: { '9000/udp': {} },
      securityOpt: [`seccomp=${profile}`],
    });
    assert.deepEqual(await c.wait(), { exitCode: 0, oomKilled: false });
    const out = await text(c.logs());
    assert.match(out, /^from the host\nro\ntmpfs\s+2048\s.*\nnomkdir\n$/);
    const rec = c.inspect();
    assert.deepEqual(rec.HostConfig.Mounts, [
      { Type: 'bind', Source: host, Target: '/h', ReadOnly: true },
      { Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: { SizeBytes: 2 << 20, Mode: 0o1777 } },
    ]);
    assert.deepEqual(rec.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    assert.deepEqual(Object.keys(rec.Config.ExposedPorts ?? {}).sort(), ['8080/tcp', '9000/udp']);
    assert.deepEqual(rec.HostConfig.SecurityOpt, [`seccomp=${profile}`]);
    await c.remove();
    // Docker's CLI syntax is the CLI's: the library takes none of it.
    await assert.rejects(g.run('busybox', ['true'], { mounts: ['type=bind,src=/,dst=/h'] as never }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'mounts');
    await assert.rejects(g.run('busybox', ['true'], { securityOpt: [`seccomp=${path.join(host, 'f')}`] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'securityOpt');
    await assert.rejects(g.run('busybox', ['true'], { mounts: [{ Type: 'bind', Source: path.join(host, 'missing'), Target: '/m' }] }), (e: unknown) => e instanceof InvalidOptionError && e.option === 'mounts'
      && e.message === `invalid mount config for type "bind": bind source path does not exist: ${path.join(host, 'missing')}`);
    assert.deepEqual(await g.containers({ all: true }), []);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('portBindings: a port with no bindings ([] or null) is exposed, not published, as dockerd\'s; publishAll publishes it', async () => {
  const natRules = (id: string): string[] => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`gocker-ctr:${id}`));
  const made: Container[] = [];
  try {
    for (const list of [[], null]) {
      const c = await g.run('busybox', ['sleep', '60'], { portBindings: { '8081/tcp': list } });
      made.push(c);
      const rec = c.inspect();
      assert.deepEqual(rec.NetworkSettings.Ports, { '8081/tcp': null }, JSON.stringify(list));
      assert.deepEqual(rec.HostConfig.PortBindings, { '8081/tcp': list });
      assert.deepEqual(Object.keys(rec.Config.ExposedPorts ?? {}), ['8081/tcp']);
      const port = cli(['port', c.id]);
      assert.equal(port.status, 0, port.stderr);
      assert.equal(port.stdout, '');
      assert.deepEqual(natRules(c.id), []);
    }
    // With publishAll, an empty list gets one binding on any free port of any address.
    const all = await g.run('busybox', ['sleep', '60'], { portBindings: { '8081/tcp': [] }, publishAll: true });
    made.push(all);
    const ports = all.inspect().NetworkSettings.Ports?.['8081/tcp'];
    assert.equal(ports?.length, 1, JSON.stringify(ports));
    assert.equal(ports![0].HostIp, '0.0.0.0');
    assert.ok(Number(ports![0].HostPort) > 0);
    assert.equal(cli(['port', all.id]).stdout, `8081/tcp -> 0.0.0.0:${ports![0].HostPort}\n`);
    // HostConfig keeps the bindings as given, as dockerd's; the port chosen is NetworkSettings' alone.
    assert.deepEqual(all.inspect().HostConfig.PortBindings, { '8081/tcp': [] });
    assert.ok(natRules(all.id).some((l) => l.includes(`--dport ${ports![0].HostPort}`)), natRules(all.id).join('\n'));
  } finally {
    for (const c of made) await c.remove({ force: true }).catch(() => undefined);
  }
});

test('a volume\'s options with a NUL byte (mount(2)\'s source and data) are refused at create, in one line; nothing is made', async () => {
  for (const [options, field] of [[{ type: 'none', o: 'bind', device: '/tmp/a\0b' }, 'device'], [{ type: 'tmpfs', device: 'tmpfs', o: 'size=1m\0,uid=0' }, 'o']] as const) {
    await assert.rejects(g.createVolume('h13lib-nul', { options }), (e: unknown) =>
      e instanceof InvalidOptionError && e.option === 'options' && e.message === `options.${field} must not contain a NUL byte`);
    assert.deepEqual(g.listVolumes({ filters: { name: ['^h13lib-nul$'] } }), []);
  }
});

/** The container directories under the store's root and runroot, its ids as ps -a lists them. */
function leftovers(): { dirs: string[]; ps: string } {
  const dirs = [path.join(roots.root, 'containers'), path.join(roots.runroot, 'containers')].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((e) => path.join(d, e)) : []));
  return { dirs, ps: cli(['ps', '-aq', '--no-trunc']).stdout };
}

/** What a container id still has on the host: its cgroup directories (gocker/ID in each hierarchy) and its mounts. */
function onHost(id: string): string[] {
  const cgroups = fs.readdirSync('/sys/fs/cgroup').flatMap((h) => [path.join('/sys/fs/cgroup', h, 'gocker', id), path.join('/sys/fs/cgroup', 'gocker', id)]).filter((d) => fs.existsSync(d));
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(id));
  return [...new Set([...cgroups, ...mounts])];
}

test('a NUL byte in any string option is refused as that option before anything is made; no container is left', async () => {
  const before = leftovers();
  const cases: Array<[object, string, string]> = [
    [{ labels: { a: 'b\0c' } }, 'labels', 'labels.a must not contain a NUL byte'],
    [{ entrypoint: '/bin/sh\0x' }, 'entrypoint', 'entrypoint must not contain a NUL byte'],
    [{ devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x\0y' }] }, 'devices', 'devices[0].pathInContainer must not contain a NUL byte'],
    [{ devices: [{ pathOnHost: '/dev/null\0x' }] }, 'devices', 'devices[0].pathOnHost must not contain a NUL byte'],
    [{ hostname: 'a\0b' }, 'hostname', 'hostname must not contain a NUL byte'],
  ];
  for (const [opts, option, message] of cases) {
    for (const make of [() => g.createContainer('busybox', ['true'], { network: 'none', ...opts }), () => g.run('busybox', ['true'], { network: 'none', ...opts })]) {
      await assert.rejects(make(), (e: unknown) => e instanceof InvalidOptionError && e.option === option && e.message === message && e.exitCode === 125, JSON.stringify(opts));
    }
  }
  assert.deepEqual(leftovers(), before);
});

test('a spec the monitor refuses (its last defence: a device path not in its clean form) fails the create and run with the field, and removes all of the container', async () => {
  // The engine passes /dev/x/ on (docker's runc cleans it); the monitor refuses it, after the
  // record, the directories and the cgroup were made.
  const before = leftovers();
  const ids: string[] = [];
  const opts: Parameters<Gocker['createContainer']>[2] = { network: 'none', devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x/' }] };
  const refusal = (e: unknown): boolean => {
    assert.ok(e instanceof GockerError, String(e));
    assert.match(e.message, /^invalid spec: linux\.devices\[\d+\]\.path: must name a file in the container, in its clean form, not "\/dev\/x\/"$/);
    assert.ok(!e.message.includes(roots.runroot), 'no path of the runroot in it');
    assert.equal(e.exitCode, 125);
    return true;
  };
  await assert.rejects(g.createContainer('busybox', ['true'], opts, { onCreate: (id) => void ids.push(id) }), refusal);
  assert.equal(ids.length, 1, 'the record was made before the monitor refused it');
  assert.deepEqual(leftovers(), before);
  assert.deepEqual(onHost(ids[0]), []);
  // A detached run, and the CLI's foreground run: the same.
  await assert.rejects(g.run('busybox', ['true'], opts), refusal);
  assert.deepEqual(leftovers(), before);
  const cid = path.join(path.dirname(roots.root), 'cidfile');
  const r = cli(['run', '--network', 'none', '--cidfile', cid, '--device', '/dev/null:/dev/x/', 'busybox', 'true']);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /^gocker: invalid spec: linux\.devices\[\d+\]\.path: must name a file in the container, in its clean form, not "\/dev\/x\/"$/m);
  assert.ok(!r.stderr.includes(`gocker: invalid spec ${roots.runroot}`), r.stderr);
  assert.deepEqual(leftovers(), before);
  if (fs.existsSync(cid)) {
    assert.deepEqual(onHost(fs.readFileSync(cid, 'utf8').trim()), []);
    fs.rmSync(cid);
  }
});

test('a create whose container cannot be made (the kernel refuses a 100-character hostname) leaves nothing; a run leaves it exited with the reason, as docker\'s start', async () => {
  const before = leftovers();
  const ids: string[] = [];
  const opts = { network: 'none', hostname: 'h'.repeat(100) } as const;
  await assert.rejects(g.createContainer('busybox', ['true'], opts, { onCreate: (id) => void ids.push(id) }),
    (e: unknown) => e instanceof GockerError && e.message === 'sethostname: invalid argument' && e.exitCode === 125);
  assert.equal(ids.length, 1);
  assert.deepEqual(leftovers(), before);
  assert.deepEqual(onHost(ids[0]), []);
  const r = cli(['run', '--network', 'none', '--name', 'h13lib-longhost', '--hostname', 'h'.repeat(100), 'busybox', 'true']);
  assert.equal(r.stderr, 'gocker: sethostname: invalid argument\n');
  assert.equal(r.status, 125);
  assert.equal(cli(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}', 'h13lib-longhost']).stdout, 'exited 125 sethostname: invalid argument\n');
  assert.equal(cli(['rm', 'h13lib-longhost']).status, 0);
});

test('startAttached() and attach() refuse what is not a stream before anything starts, as an error the caller can catch', () => {
  // Run in a process of its own: the TypeError this was came from a socket handler, and
  // ended the process that made the call.
  const script = `
    const { Gocker, InvalidOptionError } = require('gocker');
    const g = new Gocker({ root: ${JSON.stringify(roots.root)}, runroot: ${JSON.stringify(roots.runroot)} });
    const refusal = async (p) => { try { await p; return 'resolved'; } catch (e) { return (e instanceof InvalidOptionError ? e.option + ': ' : 'other: ') + e.message; } };
    (async () => {
      const out = {};
      const c = await g.createContainer('busybox', ['echo', 'hi'], { network: 'none' });
      try {
        out.stdout = await refusal(c.startAttached({ stdout: 'notastream' }));
        out.stderr = await refusal(c.startAttached({ stdout: process.stderr, stderr: {} }));
        out.stdin = await refusal(c.startAttached({ stdin: 42 }));
        out.startAttach = await refusal(c.start({ attach: { stdout: 'x' } }));
        out.status = c.inspect().State.Status;
      } finally {
        await c.remove({ force: true });
      }
      const r = await g.run('busybox', ['sleep', '60'], { network: 'none' });
      try {
        out.attach = await refusal(r.attach({ stdout: 'notastream' }));
      } finally {
        await r.remove({ force: true });
      }
      process.stderr.write(JSON.stringify(out));
    })().catch((e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; });
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stderr), {
    stdout: 'stdout: stdout must be a writable stream', stderr: 'stderr: stderr must be a writable stream', stdin: 'stdin: stdin must be a readable stream',
    startAttach: 'stdout: stdout must be a writable stream', status: 'created', attach: 'stdout: stdout must be a writable stream',
  });
});
