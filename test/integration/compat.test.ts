// What docker says where gocker said something else: the words, the prefix and the exit code
// of a refusal as docker's CLI prints them, checked against docker 28's CLI over dockerd (with
// runc as its runtime) and their sources. Against real containers; nothing left behind.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-compat-');
const g = (args: string[]) => gocker([...roots.args, ...args]);

before(() => importBusybox(roots.args));

after(() => {
  try {
    removeAllContainers(roots.root, roots.args);
  } finally {
    roots.remove();
  }
});

/** The exec files a container's run directory holds: none once an exec is over. */
const execFiles = (id: string): string[] => fs.readdirSync(path.join(roots.runroot, 'containers', id)).filter((f) => f.startsWith('exec-'));

test('exec -w of a relative path: runc\'s refusal in docker\'s one line, 126 (with -d the daemon\'s, 1); -w "" is the container\'s', () => {
  const id = g(['run', '-d', '--network', 'none', '-w', '/tmp', 'busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const refused = 'OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown\n';
  const r = g(['exec', '-w', 'relative/dir', id, 'true']);
  assert.deepEqual([r.status, r.stdout, r.stderr], [126, '', refused]);
  const d = g(['exec', '-d', '-w', 'relative/dir', id, 'true']);
  assert.deepEqual([d.status, d.stdout, d.stderr], [1, '', `Error response from daemon: ${refused}`]);
  // dockerd takes an empty -w as none given: the container's working directory.
  const empty = g(['exec', '-w', '', id, 'pwd']);
  assert.deepEqual([empty.status, empty.stdout, empty.stderr], [0, '/tmp\n', '']);
  assert.deepEqual(execFiles(id), []);
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('exec of a command that cannot be found names it as runc does, with Go\'s %q: quotes, backslashes, controls and unprintable characters escaped', () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // docker 28 over runc: exec: "a\"b\\c\tdé\u202e": executable file not found in $PATH
  // (inside its OCI runtime wrapper); é printable, kept as it is, U+202E not.
  const r = g(['exec', id, 'a"b\\c\tdé\u202e\x01']);
  assert.equal(r.status, 127);
  assert.equal(r.stderr, 'exec: "a\\"b\\\\c\\tdé\\u202e\\x01": executable file not found in $PATH\n');
  const abs = g(['exec', id, '/no/su"ch']);
  assert.deepEqual([abs.status, abs.stderr], [127, 'exec: "/no/su\\"ch": no such file or directory\n']);
  assert.deepEqual(execFiles(id), []);
  assert.equal(g(['rm', '-f', id]).status, 0);
});
