// Command lines as docker's CLI (cobra over spf13/pflag) reads them, through the whole CLI
// (run's and exec's fast path as well as the other commands' scan): a boolean flag's value
// through strconv.ParseBool, a number flag's through strconv.ParseInt(s, 0, 64), '--' ending
// the flags, a deprecated flag's notice, and the checks docker's CLI makes before it asks the
// daemon (-e's name, -it without a terminal; an empty --name is no name); each refusal in
// docker's words and exit code, with nothing made.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';

const roots = tempRoots('gocker-pflag-');
const g = (args: string[]) => gocker([...roots.args, ...args]);
const names = (): string => g(['ps', '-a', '--format', '{{.Names}}']).stdout;

before(() => importBusybox(roots.args));

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
});

/** args refused as pflag refuses a flag's value: its line, cobra's hint, exit 125, nothing made. */
function refused(args: string[], line: string, command: string): void {
  const before = names();
  const r = g(args);
  assert.equal(r.stderr, `${line}\nSee 'gocker ${command} --help'.\n`, args.join(' '));
  assert.equal(r.stdout, '');
  assert.equal(r.status, 125);
  assert.equal(names(), before);
}

test('a boolean flag takes strconv.ParseBool\'s values after \'=\' and no other; alone it is true and never takes the next word', () => {
  const bool = (v: string, flag: string): string => `invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`;
  refused(['run', '--rm=x', 'busybox', 'true'], bool('x', '--rm'), 'run');
  refused(['run', '--rm=yes', 'busybox', 'true'], bool('yes', '--rm'), 'run');
  refused(['run', '--rm=', 'busybox', 'true'], bool('', '--rm'), 'run');
  refused(['run', '-d=x', 'busybox', 'true'], bool('x', '-d, --detach'), 'run');
  refused(['create', '--init=on', 'busybox'], bool('on', '--init'), 'create');
  refused(['ps', '--all=2'], bool('2', '-a, --all'), 'ps');
  refused(['rm', '-f=yes', 'x'], bool('yes', '-f, --force'), 'rm');

  // T, 1, True: true; F, 0, FALSE: false (the container stays, its name taken).
  for (const [v, i] of [['T', 1], ['1', 2], ['True', 3]] as const) {
    const r = g(['run', `--rm=${v}`, '--name', `rm-${i}`, 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const [v, i] of [['F', 4], ['0', 5], ['FALSE', 6]] as const) {
    const r = g(['run', `--rm=${v}`, '--name', `rm-${i}`, 'busybox', 'true']);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.deepEqual(names().split('\n').filter(Boolean).sort(), ['rm-4', 'rm-5', 'rm-6']);
  // -d=1 detaches: the id, not the command's output.
  const d = g(['run', '-d=1', '--name', 'det', 'busybox', 'echo', 'out']);
  assert.match(d.stdout, /^[0-9a-f]{64}\n$/);

  // `run --rm false busybox`: false is the image, busybox its command.
  const never = g(['run', '--pull', 'never', '--rm', 'false', 'busybox']);
  assert.equal(never.stderr, 'gocker: No such image: false:latest\n');
  assert.equal(never.status, 125);
  assert.equal(g(['rm', '-f', 'rm-4', 'rm-5', 'rm-6', 'det']).status, 0);
});

test('\'--\' ends the flags: what follows is positional, a word starting with \'-\' too; after run\'s image it is the command\'s', () => {
  const rm = g(['rm', '--', '-x']);
  assert.equal(rm.stderr, 'Error response from daemon: No such container: -x\n');
  assert.equal(rm.status, 1);
  const inspect = g(['inspect', '-f', '{{.Id}}', '--', '--all']);
  assert.equal(inspect.stderr, 'Error: No such object: --all\n');
  assert.equal(inspect.status, 1);
  // Before the image: the flags end, the image and its command follow.
  const run = g(['run', '--rm', '--', 'busybox', 'echo', '-n', 'hi']);
  assert.equal(run.stdout, 'hi');
  assert.equal(run.status, 0);
  // After it, '--' is the command's first word, as pflag leaves it with interspersed flags off.
  const after = g(['run', '--rm', 'busybox', '--', 'echo', 'hi']);
  assert.match(after.stderr, /exec: "--": executable file not found in \$PATH/);
  assert.equal(after.status, 127);
  assert.equal(names(), '');
});

test('number flags are pflag\'s int: strconv.ParseInt(s, 0, 64), its errors in docker\'s words', () => {
  const int = (v: string, flag: string, why = 'invalid syntax'): string => `invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": ${why}`;
  refused(['ps', '-n', 'x'], int('x', '-n, --last'), 'ps');
  refused(['ps', '--last=1e3'], int('1e3', '-n, --last'), 'ps');
  refused(['ps', '--last', '1.5'], int('1.5', '-n, --last'), 'ps');
  refused(['ps', '-n', '99999999999999999999'], int('99999999999999999999', '-n, --last', 'value out of range'), 'ps');
  refused(['container', 'ls', '-n='], int('=', '-n, --last'), 'container ls');
  refused(['stop', '-t', 'soon', 'x'], int('soon', '-t, --timeout'), 'stop');
  refused(['stop', '--timeout=1s', 'x'], int('1s', '-t, --timeout'), 'stop');
  refused(['restart', '--time', '2s', 'x'], int('2s', '--time'), 'restart');
  refused(['pull', '--max-concurrent-downloads', 'many', 'busybox'], int('many', '--max-concurrent-downloads'), 'pull');

  // 0x10, 0o2, 0b1, 1_0: Go's prefixes and underscores.
  for (let i = 0; i < 3; i++) assert.equal(g(['create', '--name', `n${i}`, 'busybox', 'true']).status, 0);
  assert.equal(g(['ps', '-a', '-n', '0x2', '--format', '{{.Names}}']).stdout, 'n2\nn1\n');
  assert.equal(g(['ps', '-a', '--last=0b1', '--format', '{{.Names}}']).stdout, 'n2\n');
  assert.equal(g(['ps', '-a', '-n', '0o3', '-q']).stdout.split('\n').filter(Boolean).length, 3);
  assert.equal(g(['stop', '-t', '0x0', 'n0']).stdout, 'n0\n');
  assert.equal(g(['rm', 'n0', 'n1', 'n2']).status, 0);
});

test('-e with no name is refused as docker\'s ValidateEnv refuses it as the flags are read: before the container is looked up or made', () => {
  assert.equal(g(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '60']).status, 0);
  refused(['exec', '-e', '=x', 'ex', 'true'], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x', 'exec');
  refused(['exec', '--env==', 'nosuch', 'true'], 'invalid argument "=" for "-e, --env" flag: invalid environment variable: =', 'exec');
  refused(['container', 'exec', '-e', '', 'ex', 'true'], 'invalid argument "" for "-e, --env" flag: invalid environment variable: ', 'container exec');
  refused(['run', '-e', '=x', 'busybox', 'true'], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x', 'run');
  refused(['create', '-te==1', 'busybox', 'true'], 'invalid argument "=1" for "-e, --env" flag: invalid environment variable: =1', 'create');
  const ok = g(['exec', '-e', 'A=1', '-e', 'B=', 'ex', 'sh', '-c', 'echo "$A[$B]"']);
  assert.equal(ok.stdout, '1[]\n');
  assert.equal(g(['rm', '-f', 'ex']).status, 0);
});

test('run --name= is no name: one is made up, as docker\'s daemon does', () => {
  const r = g(['run', '--name=', '-d', 'busybox', 'true']);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(g(['inspect', '-f', '{{.Name}}', id]).stdout, /^\/[a-z]+_[a-z]+\n$/);
  const c = g(['create', '--name', '', 'busybox', 'true']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(g(['rm', '-f', id, c.stdout.trim()]).status, 0);
});

test('-it with stdin not a terminal: docker\'s "the input device is not a TTY", exit 1, nothing made or run', () => {
  // The --cidfile too: docker's CLI checks the terminal before it makes the file.
  const cidfile = path.join(roots.root, '..', 'notty.cid');
  const run = g(['run', '-it', '--name', 'notty', '--cidfile', cidfile, 'busybox', 'true']);
  assert.equal(run.stderr, 'the input device is not a TTY\n');
  assert.equal(run.stdout, '');
  assert.equal(run.status, 1);
  assert.equal(names(), '');
  assert.equal(fs.existsSync(cidfile), false, 'no cidfile left');
  // -d, -t alone, -i alone: no terminal needed.
  const t = g(['run', '--rm', '-t', 'busybox', 'echo', 'x']);
  assert.equal(t.status, 0, t.stderr);
  assert.equal(g(['run', '-itd', '--name', 'bg', 'busybox', 'sleep', '60']).status, 0);
  const exec = g(['exec', '-it', 'bg', 'touch', '/ran']);
  assert.equal(exec.stderr, 'the input device is not a TTY\n');
  assert.equal(exec.status, 1);
  assert.equal(g(['exec', 'bg', 'test', '-e', '/ran']).status, 1, 'the command did not run');
  assert.equal(g(['exec', '-it', '-d', 'bg', 'true']).status, 0);
  // A missing container is the error said first, as docker's CLI looks it up before.
  const missing = g(['exec', '-it', 'nosuch', 'true']);
  assert.equal(missing.stderr, 'Error response from daemon: No such container: nosuch\n');
  assert.equal(missing.status, 1);
  assert.equal(g(['rm', '-f', 'bg']).status, 0);
});

test('stop and restart: -t is --timeout; --time docker\'s deprecated flag, said so when given, refused with --timeout, not in --help', () => {
  assert.equal(g(['run', '-d', '--name', 'tm', 'busybox', 'sleep', '60']).status, 0);
  const both = g(['stop', '--time', '1', '--timeout', '2', 'tm']);
  assert.equal(both.stderr, 'conflicting options: cannot specify both --timeout and --time\n');
  assert.equal(both.stdout, 'Flag --time has been deprecated, use --timeout instead\n');
  assert.equal(both.status, 1);
  assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'tm']).stdout, 'true\n');
  const old = g(['restart', '--time=0', 'tm']);
  assert.equal(old.stdout, 'Flag --time has been deprecated, use --timeout instead\ntm\n');
  assert.equal(old.stderr, '');
  const stop = g(['stop', '--timeout', '0', 'tm']);
  assert.equal(stop.stdout, 'tm\n');
  assert.equal(g(['inspect', '-f', '{{.State.Running}}', 'tm']).stdout, 'false\n');
  for (const cmd of ['stop', 'restart']) {
    const help = g([cmd, '--help']).stdout;
    assert.match(help, /\n {2}-t, --timeout int +Seconds to wait/);
    assert.doesNotMatch(help, /--time /);
  }
  assert.equal(g(['rm', 'tm']).status, 0);
});
