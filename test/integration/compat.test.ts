// What docker says where gocker said something else: the words, the prefix and the exit code
// of a refusal as docker's CLI prints them, checked against docker 28's CLI over dockerd (with
// runc as its runtime) and their sources. Against real containers; nothing left behind.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, gockerAsync, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

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

test('exec -w of a directory the container lacks, or of a file: runc\'s chdir refusal, 126 (with -d the daemon\'s, 1), and nothing made; run -w still makes its own', () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // docker 28 over runc: finalizeNamespace's chdir, the cwd named with %q.
  const chdir = (cwd: string, why: string): string =>
    `OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd (${cwd}) set in config.json failed: ${why}: unknown`;
  const cases: Array<[string, string]> = [
    ['/nosuch', chdir('"/nosuch"', 'no such file or directory')],
    ['/nosuch/deeper', chdir('"/nosuch/deeper"', 'no such file or directory')],
    ['/no"such', chdir('"/no\\"such"', 'no such file or directory')],
    ['/etc/passwd', chdir('"/etc/passwd"', 'not a directory')],
    ['/etc/passwd/x', chdir('"/etc/passwd/x"', 'not a directory')],
  ];
  for (const [dir, said] of cases) {
    const r = g(['exec', '-w', dir, id, 'pwd']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [126, '', `${said}\n`], dir);
    const d = g(['exec', '-d', '-w', dir, id, 'pwd']);
    assert.deepEqual([d.status, d.stdout, d.stderr], [1, '', `Error response from daemon: ${said}\n`], `-d ${dir}`);
  }
  // Nothing of the container made for it.
  const made = g(['exec', id, 'sh', '-c', 'for p in /nosuch \'/no"such\' /etc/passwd; do [ -e "$p" ] && echo "$p"; [ -f /etc/passwd ]; done']);
  assert.deepEqual([made.status, made.stdout], [0, '/etc/passwd\n']);
  assert.deepEqual(execFiles(id), []);
  assert.equal(g(['rm', '-f', id]).status, 0);
  // run -w of a directory the image lacks makes it, as docker's does.
  const run = g(['run', '--rm', '--network', 'none', '-w', '/made/here', 'busybox', 'pwd']);
  assert.deepEqual([run.status, run.stdout, run.stderr], [0, '/made/here\n', '']);
});

test('exec of a command that cannot be found names it as runc does, with Go\'s %q: quotes, backslashes, controls and unprintable characters escaped', () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // docker 28 over runc: exec: "a\"b\\c\tdé\u202e": executable file not found in $PATH
  // (inside its OCI runtime wrapper); é printable, kept as it is, U+202E not.
  const unstarted = (why: string): string => `OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown\n`;
  const r = g(['exec', id, 'a"b\\c\tdé\u202e\x01']);
  assert.equal(r.status, 127);
  assert.equal(r.stderr, unstarted('exec: "a\\"b\\\\c\\tdé\\u202e\\x01": executable file not found in $PATH'));
  const abs = g(['exec', id, '/no/su"ch']);
  assert.deepEqual([abs.status, abs.stderr], [127, unstarted('exec: "/no/su\\"ch": no such file or directory')]);
  assert.deepEqual(execFiles(id), []);
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('exec of a command that cannot start: runc\'s error inside docker\'s OCI runtime wrapper, 127 or 126; with -d the daemon\'s refusal of the start, exit 1', () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // docker 28 over dockerd and runc, attached: the runtime's error bare, the exec's exit code
  // 127 (not found) or 126 (not executable); -d: dockerd refuses the start itself.
  const unstarted = (why: string): string => `OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`;
  const cases: Array<[string, number, string]> = [
    ['nosuch', 127, unstarted('exec: "nosuch": executable file not found in $PATH')],
    ['/etc/passwd', 126, unstarted('exec: "/etc/passwd": permission denied')],
  ];
  for (const [command, code, said] of cases) {
    const r = g(['exec', id, command]);
    assert.deepEqual([r.status, r.stdout, r.stderr], [code, '', `${said}\n`], command);
    const d = g(['exec', '-d', id, command]);
    assert.deepEqual([d.status, d.stdout, d.stderr], [1, '', `Error response from daemon: ${said}\n`], `-d ${command}`);
  }
  // A command that runs and exits 127 is its own exit, nothing said.
  const ran = g(['exec', id, 'sh', '-c', 'exit 127']);
  assert.deepEqual([ran.status, ran.stderr], [127, '']);
  assert.deepEqual(execFiles(id), []);
  assert.equal(g(['rm', '-f', id]).status, 0);
});

test('--ulimit with a negative other than -1: taken as go-units takes it, uint64 in the container as dockerd and runc set it; go-units\' words for soft above hard', () => {
  // The hard core limit unlimited in this process, which the CLI inherits, so that 2^64-2 is
  // no raise above it (the engine refuses those); put back after.
  const before = execFileSync('prlimit', ['--pid', String(process.pid), '--core', '--raw', '--noheadings', '-o', 'SOFT,HARD'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('prlimit', ['--pid', String(process.pid), '--core=unlimited:unlimited']);
  try {
    // docker 28 over runc: 36028797018963967 blocks of 512 bytes, RLIM_INFINITY less one's.
    const r = g(['run', '--rm', '--network', 'none', '--ulimit', 'core=-2', 'busybox', 'sh', '-c', 'ulimit -c; ulimit -Hc']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '36028797018963967\n36028797018963967\n', '']);
    const c = g(['create', '--network', 'none', '--ulimit', 'core=-3:-2', 'busybox', 'true']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(g(['inspect', '-f', '{{json .HostConfig.Ulimits}}', c.stdout.trim()]).stdout, '[{"Name":"core","Hard":-2,"Soft":-3}]\n');
    assert.equal(g(['rm', c.stdout.trim()]).status, 0);
  } finally {
    execFileSync('prlimit', ['--pid', String(process.pid), `--core=${before.join(':')}`]);
  }
  const why = (u: string, w: string): string => `gocker: invalid argument "${u}" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: ${w}\n`;
  for (const [u, w] of [['nofile=-1:-2', 'soft: -1 (unlimited), hard: -2'], ['nofile=-1:10', 'soft: -1 (unlimited), hard: 10'], ['core=5:-2', '5 > -2']]) {
    const r = g(['run', '--rm', '--network', 'none', '--ulimit', u, 'busybox', 'true']);
    assert.deepEqual([r.status, r.stderr], [125, why(u, w)], u);
  }
});

test('a name no object has: each command\'s line as docker\'s CLI prints it (its own "Error: No such object" for inspect, the daemon\'s for the rest), exit 1', () => {
  const daemon = (what: string): string => `Error response from daemon: No such ${what}: nosuch\n`;
  // dockerd says the image's reference as it read it, with its tag.
  const image = 'Error response from daemon: No such image: nosuch:latest\n';
  const cases: Array<[string[], string, string | RegExp]> = [
    // docker 28's CLI: system/inspect.go's own error; inspect.Inspect prints the API client's.
    [['inspect', 'nosuch'], '[]\n', 'Error: No such object: nosuch\n'],
    [['inspect', '-f', '{{.Id}}', 'nosuch'], '\n', 'Error: No such object: nosuch\n'],
    [['container', 'inspect', 'nosuch'], '[]\n', daemon('container')],
    [['inspect', '--type', 'container', 'nosuch'], '[]\n', daemon('container')],
    [['image', 'inspect', 'nosuch'], '[]\n', image],
    [['inspect', '--type', 'image', 'nosuch'], '[]\n', image],
    [['rm', 'nosuch'], '', daemon('container')],
    [['stop', 'nosuch'], '', daemon('container')],
    [['start', 'nosuch'], '', `${daemon('container')}Error: failed to start containers: nosuch\n`],
    [['logs', 'nosuch'], '', daemon('container')],
    [['exec', 'nosuch', 'true'], '', daemon('container')],
    [['kill', 'nosuch'], '', daemon('container')],
  ];
  for (const [args, stdout, stderr] of cases) {
    const r = g(args);
    assert.deepEqual([r.status, r.stdout], [1, stdout], args.join(' '));
    if (typeof stderr === 'string') assert.equal(r.stderr, stderr, args.join(' '));
    else assert.match(r.stderr, stderr, args.join(' '));
  }
});

test('an image not here is named as dockerd names it: the reference normalised, :latest added to a bare name (image inspect, inspect --type image, rmi, history, save, tag)', () => {
  const out = path.join(roots.root, 'saved.tar');
  const said = (name: string): string => `Error response from daemon: No such image: ${name}\n`;
  // docker 28 over dockerd: ErrImageDoesNotExist, reference.FamiliarString(TagNameOnly(ref)).
  const cases: Array<[string[], string, string]> = [
    [['image', 'inspect', 'nosuch'], '[]\n', 'nosuch:latest'],
    [['inspect', '--type', 'image', 'nosuch'], '[]\n', 'nosuch:latest'],
    [['rmi', 'nosuch'], '', 'nosuch:latest'],
    [['history', 'nosuch'], '', 'nosuch:latest'],
    [['save', 'nosuch'], '', 'nosuch:latest'],
    [['save', '-o', out, 'busybox', 'nosuch'], '', 'nosuch:latest'],
    [['tag', 'nosuch', 'other'], '', 'nosuch:latest'],
    // docker.io and library/ left out, a tag or a digest kept, a registry's host kept.
    [['image', 'inspect', 'docker.io/library/nosuch'], '[]\n', 'nosuch:latest'],
    [['rmi', 'nosuch:1'], '', 'nosuch:1'],
    [['history', `nosuch@sha256:${'a'.repeat(64)}`], '', `nosuch@sha256:${'a'.repeat(64)}`],
    [['tag', 'localhost:5000/ns/nosuch', 'other'], '', 'localhost:5000/ns/nosuch:latest'],
    // An id is a digest to dockerd; a short one a name like any other.
    [['image', 'inspect', '0'.repeat(64)], '[]\n', `sha256:${'0'.repeat(64)}`],
    [['rmi', 'abcdef0123'], '', 'abcdef0123:latest'],
  ];
  for (const [args, stdout, name] of cases) {
    const r = g(args);
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, stdout, said(name)], args.join(' '));
  }
  assert.ok(!fs.existsSync(out));
  assert.equal(g(['images', '-q', 'other']).stdout, '');
});

test('start -a of a running container attaches to it, as docker\'s does: its output until it exits, its exit code; it is not started again', async () => {
  const id = g(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; echo one; echo two >&2; exit 3']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const attached = gockerAsync([...roots.args, 'start', '-a', id]);
  // Let go once the attachment is there (its attach event): what the container prints before
  // it is no attachment's.
  const deadline = Date.now() + 30_000;
  while (!g(['events', '--since', '0', '--until', '0s', '--filter', `container=${id}`, '--filter', 'event=attach']).stdout.includes(id)) {
    assert.ok(Date.now() < deadline, 'start -a never attached');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(g(['exec', id, 'touch', '/tmp/go']).status, 0);
  const r = await attached;
  assert.deepEqual([r.status, r.stdout, r.stderr], [3, 'one\n', 'two\n']);
  // One start: the run's.
  const starts = g(['events', '--since', '0', '--until', '0s', '--filter', `container=${id}`, '--filter', 'event=start', '--format', '{{.Action}}']).stdout;
  assert.equal(starts, 'start\n');
  assert.equal(g(['rm', id]).status, 0);
});
