// The json-file log as dockerd keeps it: lines split at 16 KiB, rotation by --log-opt, the
// none driver; and what a container that prints without end costs outside its cgroup.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('gocker-logs-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const logFiles = (id: string): string[] => fs.readdirSync(path.join(roots.root, 'containers', id)).filter((f) => f.includes('-json.log')).sort();

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

test('a line without end is logged in 16 KiB pieces, and the monitor stays small whatever the container prints', async () => {
  const id = g(['run', '-d', 'busybox', 'sh', '-c', 'head -c 30000000 /dev/zero | tr "\\0" a; echo; echo done; sleep 100']).stdout.trim();
  const monitorPid = Number(fs.readFileSync(path.join(roots.runroot, 'containers', id, 'monitor.pid'), 'utf8'));
  for (let i = 0; i < 600 && !g(['logs', '--tail', '1', id]).stdout.includes('done'); i++) await sleep(100);
  // What it ever held, not only now: the kernel's high-water mark of its resident memory.
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${monitorPid}/status`, 'utf8'))![1]);
  assert.ok(hwm < 8 * 1024, `the monitor's peak RSS was ${hwm} kB`);
  const lines = fs.readFileSync(path.join(roots.root, 'containers', id, logFiles(id)[0]), 'utf8').trim().split('\n').map((l) => JSON.parse(l).log as string);
  assert.equal(lines.length, Math.ceil(30000001 / 16384) + 1);
  assert.ok(lines.slice(0, -2).every((l) => l.length === 16384 && !l.endsWith('\n')));
  const out = execFileSync(BIN, [...roots.args, 'logs', id], { maxBuffer: 64 << 20 }).toString();
  assert.equal(out, `${'a'.repeat(30000000)}\ndone\n`);
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('--log-opt max-size and max-file rotate as dockerd does; logs reads across the files, -f follows through a rotation', async () => {
  const print = 'i=1; while [ $i -le 300 ]; do echo line$i; i=$((i+1)); done';
  const r = g(['run', '--name', 'rot', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', print]);
  assert.equal(r.status, 0, r.stderr);
  const id = g(['inspect', '-f', '{{.Id}}', 'rot']).stdout.trim();
  assert.deepEqual(logFiles(id), [`${id}-json.log`, `${id}-json.log.1`, `${id}-json.log.2`]);
  for (const f of logFiles(id)) assert.ok(fs.statSync(path.join(roots.root, 'containers', id, f)).size <= 2000);
  const kept = g(['logs', 'rot']).stdout.trim().split('\n');
  assert.ok(kept.length > 40 && kept.length < 100, `${kept.length} lines kept`);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => `line${300 - kept.length + 1 + i}`));
  assert.equal(g(['logs', '--tail', '2', 'rot']).stdout, 'line299\nline300\n');
  assert.equal(g(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'rot']).stdout, '{"Type":"json-file","Config":{"max-file":"3","max-size":"2k"}}\n');
  // One file: truncated when full.
  assert.equal(g(['run', '--name', 'one', '--log-opt', 'max-size=1k', 'busybox', 'sh', '-c', print]).status, 0);
  const one = g(['inspect', '-f', '{{.Id}}', 'one']).stdout.trim();
  assert.deepEqual(logFiles(one), [`${one}-json.log`]);
  assert.match(g(['logs', 'one']).stdout, /line300\n$/);

  // Followed while it rotates: every line, once, in order.
  const id2 = g(['run', '-d', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=50', 'busybox', 'sh', '-c',
    'i=1; while [ $i -le 150 ]; do echo line$i; i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.05; done']).stdout.trim();
  const f = spawn(BIN, [...roots.args, 'logs', '-f', id2], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  f.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  assert.equal(await new Promise((resolve) => f.on('exit', resolve)), 0);
  assert.ok(logFiles(id2).length > 5);
  assert.deepEqual(out.trim().split('\n'), Array.from({ length: 150 }, (_, i) => `line${i + 1}`));
});

test('-f of a log that rotates while its history is read, the reader slower than the writer: every line once, in order', async () => {
  // 12 MB in 64 KiB files (none dropped), followed once 3 MB are there: more than logs reads
  // ahead of a reader that has stopped, so the history is read while files rotate under it.
  // Before, the rotated files were opened by name one after another, then the current one:
  // a rotation in between skipped a file or read one twice.
  const N = 120_000;
  const pad = 'x'.repeat(80);
  const id = g(['run', '-d', '--network', 'none', '--log-opt', 'max-size=64k', '--log-opt', 'max-file=400', 'busybox', 'sh', '-c',
    `i=1; while [ $i -le ${N} ]; do echo "line$i ${pad}"; i=$((i+1)); done`]).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  try {
    await until('3 MB logged', () => logFiles(id).length >= 48, 60_000);
    const f = spawn(BIN, [...roots.args, 'logs', '-f', id], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    let paused = false;
    f.stdout!.on('data', (d: Buffer) => {
      chunks.push(d);
      if (paused) return;
      paused = true;
      // The reader stops for a while: the pipe fills, logs stops reading, the writer goes on.
      f.stdout!.pause();
      setTimeout(() => f.stdout!.resume(), 2000);
    });
    assert.equal(await new Promise((resolve) => f.on('exit', resolve)), 0);
    const lines = Buffer.concat(chunks).toString().trim().split('\n');
    const wrong = lines.findIndex((l, i) => l !== `line${i + 1} ${pad}`);
    assert.equal(wrong, -1, `line ${wrong + 1}: ${lines[wrong]?.slice(0, 12)}`);
    assert.equal(lines.length, N);
  } finally {
    g(['rm', '-f', id]);
  }
});

test('logs into a reader that goes away (| head): 141 as for SIGPIPE, and nothing on stderr (before: an unhandled EPIPE, with its stack)', async () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'i=1; while [ $i -le 50000 ]; do echo "line$i xxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done']).stdout.trim();
  try {
    await until('exited', () => g(['inspect', '-f', '{{.State.Status}}', id]).stdout.trim() === 'exited');
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$@" logs "$ID" | head -1', 'bash', BIN, ...roots.args], { encoding: 'utf8', env: { ...process.env, ID: id } });
    assert.deepEqual([r.status, r.stdout, r.stderr], [141, 'line1 xxxxxxxxxxxxxxxxxxxx\n', '']);
  } finally {
    g(['rm', '-f', id]);
  }
});

test('--log-driver none keeps no log, and logs says so; bad drivers and options are refused before anything is made', () => {
  const id = g(['run', '-d', '--log-driver', 'none', 'busybox', 'echo', 'hi']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.deepEqual(logFiles(id), []);
  const logs = g(['logs', id]);
  assert.equal(logs.status, 1);
  assert.equal(logs.stderr, 'Error response from daemon: configured logging driver does not support reading\n');
  // A foreground run still shows its output.
  assert.equal(g(['run', '--rm', '--log-driver', 'none', 'busybox', 'echo', 'hi']).stdout, 'hi\n');
  const before = fs.readdirSync(path.join(roots.root, 'containers')).length;
  for (const [args, message] of [
    [['--log-driver', 'syslog'], "logger: no log driver named 'syslog' is registered"],
    [['--log-opt', 'max-size=0'], 'max-size must be a positive number'],
    [['--log-opt', 'max-size=lots'], "invalid size: 'lots'"],
    [['--log-opt', 'max-file=0'], 'max-file cannot be less than 1'],
    [['--log-opt', 'nope=1'], "unknown log opt 'nope' for json-file log driver"],
  ] as Array<[string[], string]>) {
    const r = g(['run', ...args, 'busybox', 'true']);
    assert.equal(r.status, 125);
    assert.equal(r.stderr, `gocker: ${message}\n`);
  }
  assert.equal(fs.readdirSync(path.join(roots.root, 'containers')).length, before);
});
