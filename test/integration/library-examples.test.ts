// examples/ run as a user runs them (node examples/NAME.js, require('gocker') resolving to the
// built package), against a store of their own with the busybox image; README shows them as
// they are.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { until } from '../helpers/wait';

const roots = tempRoots('h13lib-ex-');

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

function example(name: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'examples', name)], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GOCKER_ROOT: roots.root, GOCKER_RUNROOT: roots.runroot, GOCKER_CONFIG: path.join(path.dirname(roots.root), 'netconfig.json') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const left = (): string => gocker([...roots.args, 'ps', '-a', '-q']).stdout;

test('run-and-wait.js: the output from the log, then the exit code; nothing left', () => {
  const r = example('run-and-wait.js');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  // stdout and stderr are two pipes: the log may have them in either order.
  assert.deepEqual(lines.slice(0, 2).map((l) => l.replace(/[0-9a-f]{12}$/, 'ID')).sort(), ['hello from ID', 'to stderr']);
  assert.deepEqual(lines.slice(2), ['exit code 3, OOM-killed: false', '']);
  assert.equal(left(), '');
});

test('logs-follow.js: each line as it comes, the follow ending at the exit', async () => {
  const r = example('logs-follow.js');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '> line 1\n> line 2\n> line 3\ndone, exit code 0\n');
  // rm: removed by its monitor's exit command, which may still be at it.
  await until('the rm container removed', () => left() === '' || left(), 10_000);
});

test('exec.js: stdin in, stdout and stderr out, the exit code', () => {
  const r = example('exec.js');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'HELLO FROM EXEC\nexit code 5\n');
  assert.equal(r.stderr, 'done\n');
  assert.equal(left(), '');
});

test('an example against a store without the image: the typed error', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'examples', 'exec.js'), 'h13lib-missing'], {
    cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, GOCKER_ROOT: roots.root, GOCKER_RUNROOT: roots.runroot },
  });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "NoSuchImageError (ENOIMAGE): Unable to find image 'h13lib-missing' locally\n");
});

test('README\'s Library section shows every example as it is', () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const names = fs.readdirSync(path.join(REPO, 'examples')).filter((n) => n.endsWith('.js')).sort();
  assert.deepEqual(names, ['exec.js', 'logs-follow.js', 'run-and-wait.js']);
  for (const n of names) assert.ok(readme.includes(`\`examples/${n}\`:\n\n\`\`\`js\n${fs.readFileSync(path.join(REPO, 'examples', n), 'utf8')}\`\`\`\n`), `README shows examples/${n} as it is`);
});
