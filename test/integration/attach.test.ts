// attach, and run -it / start -a through the same socket: the monitor serves a container's
// stdio to every client, the detach keys leave it running, a client that does not read is
// dropped without holding the container up. The CLI runs on a real pty (python3's pty).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-attach-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

// A terminal for the CLI: python3's pty.fork, at rows x cols. Steps: ['w', text] types text a
// key at a time, ['e', text] waits (up to 20 s) until the output holds text, ['s', seconds]
// reads on for a while, ['r', [rows, cols]] resizes the terminal (the CLI gets SIGWINCH). Then it reads until the CLI exits (or 30 s), and says its output and
// exit status on stdout as JSON.
const DRIVER = `
import json, os, pty, select, struct, sys, time, fcntl, termios
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(spec['argv'][0], spec['argv'])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', spec['rows'], spec['cols'], 0, 0))
out = b''
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if not r:
        return True
    try:
        d = os.read(fd, 65536)
    except OSError:
        return False
    out += d
    return bool(d)
alive = True
for kind, arg in spec['steps']:
    if kind == 'w':
        for b in arg.encode():
            os.write(fd, bytes([b]))
            alive = pump(0.03) and alive
    elif kind == 'r':
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', arg[0], arg[1], 0, 0))
    elif kind == 's':
        end = time.time() + arg
        while alive and time.time() < end:
            alive = pump(end - time.time())
    elif kind == 'e':
        end = time.time() + 20
        while alive and arg.encode() not in out and time.time() < end:
            alive = pump(0.1)
end = time.time() + 30
status = None
while time.time() < end:
    if alive:
        alive = pump(0.1)
    got, st = os.waitpid(pid, os.WNOHANG)
    if got == pid:
        status = os.waitstatus_to_exitcode(st)
        while alive:
            alive = pump(0.1) and select.select([fd], [], [], 0)[0] != []
        break
    if not alive:
        time.sleep(0.05)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'out': out.decode('utf8', 'replace'), 'status': status}))
`;

// An attachment to a shell begins with ['w', '\r'], ['e', '# ']: its prompt comes only once
// attached (and the terminal raw: ^Q before would be the terminal's own flow control).
type Step = ['w', string] | ['e', string] | ['s', number] | ['r', [number, number]];

/** The CLI with args on a pty of rows x cols, driven by steps. */
function onTty(args: string[], steps: Step[], rows = 24, cols = 80): { out: string; status: number | null } {
  const spec = { argv: [process.execPath, BIN, ...roots.args, ...args], steps, rows, cols };
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify(spec)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { out: string; status: number | null };
  return { out: res.out.replace(/\r/g, ''), status: res.status };
}

const CTRL_P = '\x10';
const CTRL_Q = '\x11';
const status = (name: string): string => g(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim();

test('attach to a run -itd shell: what is typed runs, the detach keys leave it running, it can be attached again, and its exit code comes back', () => {
  const id = g(['run', '-itd', '--network', 'none', '--name', 'attach-sh', 'busybox', 'sh']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // The socket is root's alone.
  const sock = fs.statSync(path.join(roots.runroot, 'containers', id, 'attach'));
  assert.ok(sock.isSocket());
  assert.equal(sock.mode & 0o777, 0o600);

  const first = onTty(['attach', 'attach-sh'], [['w', '\r'], ['e', '# '], ['w', 'echo typed-$((6*7))\r'], ['e', 'typed-42'], ['w', CTRL_P + CTRL_Q]]);
  assert.match(first.out, /\ntyped-42\n/);
  // docker's attach says the detach as its error.
  assert.match(first.out, /read escape sequence\n$/);
  assert.equal(first.status, 1);
  assert.equal(status('attach-sh'), 'running');

  const again = onTty(['attach', 'attach-sh'], [['w', '\r'], ['e', '# '], ['w', 'echo again-$((1+2))\r'], ['e', 'again-3'], ['w', 'exit 7\r']]);
  assert.match(again.out, /\nagain-3\n/);
  assert.equal(again.status, 7);
  assert.equal(status('attach-sh'), 'exited');
  assert.equal(g(['inspect', '-f', '{{.State.ExitCode}}', 'attach-sh']).stdout.trim(), '7');
  // What was typed and printed while attached is in the log too.
  assert.match(g(['logs', 'attach-sh']).stdout.replace(/\r/g, ''), /typed-42\n[^]*again-3\n/);
});

test('attaching to a stopped or created container is refused as docker refuses it', () => {
  assert.equal(g(['create', '--network', 'none', '--name', 'attach-created', 'busybox', 'true']).status, 0);
  const created = g(['attach', 'attach-created']);
  assert.equal(created.stderr, 'You cannot attach to a stopped container, start it first\n');
  assert.equal(created.status, 1);
  assert.equal(g(['start', 'attach-created']).status, 0);
  assert.equal(g(['wait', 'attach-created']).stdout.trim(), '0');
  const stopped = g(['attach', 'attach-created']);
  assert.equal(stopped.stderr, 'You cannot attach to a stopped container, start it first\n');
  assert.equal(stopped.status, 1);
  const none = g(['attach', 'attach-none']);
  assert.equal(none.stderr, 'Error response from daemon: No such container: attach-none\n');
  assert.equal(none.status, 1);
});

test('--detach-keys: ctrl-x,y detaches (ctrl-p ctrl-q then does not), and keys docker cannot read are refused', () => {
  assert.equal(g(['run', '-itd', '--network', 'none', '--name', 'attach-keys', 'busybox', 'sh']).status, 0);
  const r = onTty(['attach', '--detach-keys', 'ctrl-x,y', 'attach-keys'], [
    ['w', '\r'], ['e', '# '], ['w', CTRL_P + CTRL_Q], ['w', 'echo still-$((2+2))\r'], ['e', 'still-4'], ['w', '\x18y'],
  ]);
  assert.match(r.out, /\nstill-4\n/);
  assert.match(r.out, /read escape sequence\n$/);
  assert.equal(r.status, 1);
  assert.equal(status('attach-keys'), 'running');

  // Its stdin on a pipe: docker's CLI wants a terminal for a tty's keys (--no-stdin does not).
  const piped = g(['attach', 'attach-keys']);
  assert.equal(piped.stderr, 'the input device is not a TTY\n');
  assert.equal(piped.status, 1);
  const bad = onTty(['attach', '--detach-keys', 'ctrl-1', 'attach-keys'], []);
  assert.match(bad.out, /^Error response from daemon: Invalid detach keys \(ctrl-1\) provided\n$/);
  assert.equal(bad.status, 1);
  const badPiped = g(['attach', '--no-stdin', '--detach-keys', 'ctrl-1', 'attach-keys']);
  assert.equal(badPiped.stderr, 'Error response from daemon: Invalid detach keys (ctrl-1) provided\n');
  assert.equal(badPiped.status, 1);
  // run refuses them before it makes anything.
  const before = g(['ps', '-aq']).stdout;
  // On a terminal: without one, -it is refused for that first (cli-pflag.test.ts).
  const run = onTty(['run', '-it', '--detach-keys', 'ab', '--network', 'none', 'busybox', 'true'], []);
  assert.equal(run.out, 'gocker: Invalid detach keys (ab) provided\n');
  assert.equal(run.status, 125);
  assert.equal(g(['ps', '-aq']).stdout, before);
  assert.equal(g(['rm', '-f', 'attach-keys']).status, 0);
});

test('run -it: the terminal\'s size and its changes reach the container; detached with ctrl-p ctrl-q it runs on and can be attached again', () => {
  const r = onTty(['run', '-it', '--network', 'none', '--name', 'attach-run', 'busybox', 'sh'], [
    ['e', '# '], ['w', 'stty size | tr " " x\r'], ['e', '33x101'], ['w', CTRL_P + CTRL_Q],
  ], 33, 101);
  assert.match(r.out, /\n33x101\n/);
  // run says nothing about the detach, and exits 0 (as docker's).
  assert.doesNotMatch(r.out, /escape/);
  assert.equal(r.status, 0);
  assert.equal(status('attach-run'), 'running');
  // Attached from a terminal of another size: the container's is set to it, and follows it.
  const a = onTty(['attach', 'attach-run'], [
    ['w', '\r'], ['e', '# '], ['w', 'stty size | tr " " x\r'], ['e', '40x120'], ['r', [50, 130]], ['s', 0.3], ['w', 'stty size | tr " " x\r'], ['e', '50x130'], ['w', 'exit 3\r'],
  ], 40, 120);
  assert.match(a.out, /\n40x120\n[^]*\n50x130\n/);
  assert.equal(a.status, 3);
  assert.equal(status('attach-run'), 'exited');
});

test('two attachers both see what the container prints', async () => {
  assert.equal(g(['run', '-itd', '--network', 'none', '--name', 'attach-two', 'busybox', 'sh']).status, 0);
  // The second: no stdin, its output on a pipe.
  const second = spawn(BIN, [...roots.args, 'attach', '--no-stdin', 'attach-two'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  second.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
  const secondExit = new Promise<number | null>((resolve) => second.on('exit', (code) => resolve(code)));
  try {
    await sleep(500);
    const first = onTty(['attach', 'attach-two'], [['w', '\r'], ['e', '# '], ['w', 'echo both-$((3*5))\r'], ['e', 'both-15'], ['w', 'exit 4\r']]);
    assert.match(first.out, /\nboth-15\n/);
    assert.equal(first.status, 4);
    // The second sees the same, and the same exit.
    assert.equal(await secondExit, 4);
    assert.match(seen.replace(/\r/g, ''), /\nboth-15\n/);
  } finally {
    second.kill('SIGKILL');
  }
});

test('start -ai of a created container: its terminal from the start, its exit code; start -a of a stopped one without a tty: stdout and stderr apart', () => {
  assert.equal(g(['create', '-it', '--network', 'none', '--name', 'attach-start', 'busybox', 'sh']).status, 0);
  const r = onTty(['start', '-ai', 'attach-start'], [['e', '# '], ['w', 'stty size | tr " " x\r'], ['e', '30x90'], ['w', 'exit 5\r']], 30, 90);
  assert.match(r.out, /\n30x90\n/);
  assert.equal(r.status, 5);
  assert.equal(status('attach-start'), 'exited');

  assert.equal(g(['create', '-i', '--network', 'none', '--name', 'attach-pipe', 'busybox', 'sh', '-c', 'cat; echo err >&2; exit 6']).status, 0);
  for (const input of ['first\n', 'second\n']) {
    // Created, then stopped: the same socket either way, stdin through it to the end.
    const s = spawnSync(BIN, [...roots.args, 'start', '-ai', 'attach-pipe'], { input, encoding: 'utf8', timeout: 60_000 });
    assert.equal(s.stdout, input);
    assert.equal(s.stderr, 'err\n');
    assert.equal(s.status, 6);
  }
});

test('an attacher that does not read is dropped: the container goes on printing and logging', async () => {
  // Rotated small: it prints as fast as it can.
  const id = g(['run', '-d', '--network', 'none', '--log-opt', 'max-size=256k', '--log-opt', 'max-file=2', '--name', 'attach-stuck', 'busybox', 'sh', '-c',
    'i=0; while :; do echo "line $i ................................................................"; i=$((i+1)); done']).stdout.trim();
  // Its stdout a pipe nobody reads: once that is full, the attach process blocks in its write.
  const stuck = spawn(BIN, [...roots.args, 'attach', '--no-stdin', id], { stdio: ['ignore', 'pipe', 'ignore'] });
  stuck.stdout!.pause();
  const counter = (): number => Number(/line (\d+)/.exec(g(['logs', '--tail', '1', id]).stdout)?.[1] ?? -1);
  try {
    await sleep(2000);
    const a = counter();
    await sleep(2000);
    const b = counter();
    // Well past what the monitor holds for a client (1 MiB, about 14000 lines) and the pipes.
    assert.ok(a > 30000, `lines at first: ${a}`);
    assert.ok(b > a + 10000, `lines: ${a}, then ${b}`);
    // The container is still served: a new attacher sees it.
    const fresh = spawn(BIN, [...roots.args, 'attach', '--no-stdin', id], { stdio: ['ignore', 'pipe', 'ignore'] });
    const line = await new Promise<string>((resolve) => fresh.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    fresh.kill('SIGKILL');
    assert.match(line, /line \d+/);
  } finally {
    stuck.kill('SIGKILL');
    g(['rm', '-f', id]);
  }
});

test('--sig-proxy (the default) passes a signal the attach process gets to the container; --sig-proxy=false does not', async () => {
  const trap = 'trap "echo got-int; exit 9" INT; echo ready; while :; do sleep 0.1; done';
  const proxied = g(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', trap]).stdout.trim();
  const plain = g(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', trap]).stdout.trim();
  const attachTo = (args: string[]): { out: () => string; exit: Promise<[number | null, string | null]>; kill: (s: NodeJS.Signals) => void } => {
    const c = spawn(BIN, [...roots.args, 'attach', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    return { out: () => out, exit: new Promise((resolve) => c.on('exit', (code, sig) => resolve([code, sig]))), kill: (s) => c.kill(s) };
  };
  try {
    const a = attachTo([proxied]);
    const b = attachTo(['--sig-proxy=false', plain]);
    // Attached once the CLI has loaded: the trap is set from the start, so a late signal is no loss.
    await sleep(1500);
    a.kill('SIGINT');
    b.kill('SIGINT');
    assert.deepEqual(await a.exit, [9, null]);
    assert.match(a.out(), /got-int\n/);
    assert.deepEqual(await b.exit, [null, 'SIGINT']);
    assert.equal(status(plain), 'running');
  } finally {
    g(['rm', '-f', proxied, plain]);
  }
});

test('exec -it: its terminal through the socket its monitor serves; the detach keys leave the command running, and its exit is recorded when it comes', () => {
  assert.equal(g(['run', '-d', '--network', 'none', '--name', 'attach-exec', 'busybox', 'sleep', '1000']).status, 0);
  const runDir = path.join(roots.runroot, 'containers', g(['inspect', '-f', '{{.Id}}', 'attach-exec']).stdout.trim());
  // Its size from the terminal, what is typed runs, and ctrl-p ctrl-q leaves it: exec says
  // nothing about it and exits 0, as docker's.
  const r = onTty(['exec', '-it', 'attach-exec', 'sh'], [
    ['e', '# '], ['w', 'stty size | tr " " x\r'], ['e', '27x91'], ['w', 'echo $$ > /tmp/exec-sh.pid; echo typed-$((6*7))\r'], ['e', 'typed-42'], ['w', CTRL_P + CTRL_Q],
  ], 27, 91);
  assert.match(r.out, /\n27x91\n[^]*\ntyped-42\n/);
  assert.doesNotMatch(r.out, /escape/);
  assert.equal(r.status, 0);
  // The shell runs on in the container.
  const pid = g(['exec', 'attach-exec', 'cat', '/tmp/exec-sh.pid']).stdout.trim();
  assert.match(pid, /^\d+$/);
  assert.equal(g(['exec', 'attach-exec', 'sh', '-c', `test -d /proc/${pid} && cat /proc/${pid}/comm`]).stdout, 'sh\n');
  // Its end is recorded by its monitor (the CLI is gone), which takes the exec's files away.
  assert.equal(g(['exec', 'attach-exec', 'kill', '-9', pid]).status, 0);
  let dies: string[] = [];
  for (let i = 0; i < 100 && !dies.some((l) => l.includes('exitCode=137')); i++) {
    dies = g(['events', '--since', '1h', '--until', '0s', '--filter', 'event=exec_die', '--filter', 'container=attach-exec']).stdout.trim().split('\n');
    spawnSync('sleep', ['0.1']);
  }
  assert.ok(dies.some((l) => l.includes('exitCode=137')), dies.join('\n'));
  for (let i = 0; i < 50 && fs.readdirSync(runDir).some((f) => f.startsWith('exec-')); i++) spawnSync('sleep', ['0.1']);
  assert.deepEqual(fs.readdirSync(runDir).filter((f) => f.startsWith('exec-')), []);

  // Not detached: the command's exit code, and why one could not start, as before.
  const done = onTty(['exec', '-it', 'attach-exec', 'sh', '-c', 'echo out-$((2+3)); exit 9'], []);
  assert.match(done.out, /out-5\n/);
  assert.equal(done.status, 9);
  const missing = onTty(['exec', '-it', 'attach-exec', 'no-such-command'], []);
  assert.match(missing.out, /executable file not found in \$PATH/);
  assert.equal(missing.status, 127);
  // Other keys, and ones docker cannot read refused before anything runs.
  const keys = onTty(['exec', '-it', '--detach-keys', 'ctrl-x,y', 'attach-exec', 'sh'], [['e', '# '], ['w', CTRL_P + CTRL_Q + 'echo still-$((1+1))\r'], ['e', 'still-2'], ['w', '\x18y']]);
  assert.match(keys.out, /still-2/);
  assert.equal(keys.status, 0);
  const bad = onTty(['exec', '-it', '--detach-keys', 'ctrl-1', 'attach-exec', 'sh'], []);
  assert.match(bad.out, /Invalid detach keys \(ctrl-1\) provided/);
  assert.notEqual(bad.status, 0);
  assert.equal(g(['rm', '-f', 'attach-exec']).status, 0);
});
