// A container whose monitor died (killed -9, no exit recorded) has, in its monitor.pid, a pid
// that may be any process's by now. A local non-root user may run one whose argv is exactly the
// monitor's ([.../gocker-monitor, RUN/config.json]) under that pid: gocker must not take it for
// the monitor (the container would show running for ever, and stop and kill would trust it).
// Here the pid file names such an impostor, run as nobody (uid 65534), a program built here
// with the system's C compiler that only waits; the container shows exited, 255, as a lost
// monitor's.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots, type CliResult } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-imp-');
const g = (args: string[]): CliResult => gocker([...roots.args, ...args]);
const ok = (args: string[]): string => {
  const r = g(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-impw-'));
const WAITER = path.join(work, 'waiter');
let impostor: ChildProcess | undefined;

before(async () => {
  await importBusybox(roots.args);
  fs.writeFileSync(path.join(work, 'waiter.c'), '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n');
  execFileSync('cc', ['-O1', '-o', WAITER, path.join(work, 'waiter.c')]);
  // nobody runs it from here.
  fs.chmodSync(work, 0o755);
});

after(() => {
  if (impostor?.pid !== undefined && impostor.exitCode === null && impostor.signalCode === null) process.kill(impostor.pid, 'SIGKILL');
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number): boolean => fs.existsSync(`/proc/${pid}`);

test('a non-root process imitating a dead monitor under its pid is not the monitor: the container shows exited 255', async () => {
  const id = ok(['run', '-d', 'busybox', 'sleep', '600']).trim();
  const run = path.join(roots.runroot, 'containers', id);
  const monitor = Number(fs.readFileSync(path.join(run, 'monitor.pid'), 'utf8'));
  const pid = Number(ok(['inspect', '-f', '{{.State.Pid}}', id]).trim());
  assert.ok(monitor > 1 && pid > 1);
  // The monitor dies without recording an exit; its container with it (its parent-death signal).
  process.kill(monitor, 'SIGKILL');
  await until('the monitor and its container gone', () => !alive(monitor) && !alive(pid), 10_000);
  // The impostor: the monitor's argv exactly, nobody's.
  const spec = path.join(run, 'config.json');
  assert.ok(fs.existsSync(spec));
  impostor = spawn(WAITER, [spec], { argv0: '/usr/libexec/gocker/gocker-monitor', uid: 65534, gid: 65534, stdio: 'ignore' });
  await until('the impostor running', () => impostor!.pid !== undefined && fs.readFileSync(`/proc/${impostor!.pid}/cmdline`, 'utf8') === `/usr/libexec/gocker/gocker-monitor\0${spec}\0`, 5000);
  assert.match(fs.readFileSync(`/proc/${impostor.pid}/status`, 'utf8'), /^Uid:\s+65534\s/m);
  // As if it had the monitor's recycled pid.
  fs.writeFileSync(path.join(run, 'monitor.pid'), `${impostor.pid}\n`);

  assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Error}}', id]), 'exited false 255 container monitor exited unexpectedly\n');
  assert.equal(ok(['ps', '-q', '--no-trunc']), '');
  // Nothing signalled it: stop of an exited container does nothing.
  ok(['stop', '-t', '1', id]);
  assert.ok(alive(impostor.pid!), 'the impostor was signalled');
  process.kill(impostor.pid!, 'SIGKILL');
  ok(['rm', id]);
});
