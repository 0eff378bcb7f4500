// Command lines the CLI cannot parse get docker's wording and exit codes, with no stack: an
// unknown or incomplete flag (wherever it stands, in a group of short flags too) is the
// message and where help is, exit 125; a wrong number of arguments adds the usage, exit 1;
// an unknown command, exit 1. Management forms (`container ls`) are the same commands, and
// --help has docker's shape. None of these reach the engine, so no root is needed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'cli', 'gocker.js');
const gocker = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [BIN, '--root', '/nonexistent/gocker-usage', ...args], { encoding: 'utf8', env });

test('unknown flags, missing arguments and unknown commands, as docker words them', () => {
  const flag = (m: string, cmd: string): string => `${m}\nSee 'gocker ${cmd}--help'.\n`;
  const cases: Array<[string[], string, number]> = [
    [['run', '--bogus', 'busybox', 'true'], flag('unknown flag: --bogus', 'run '), 125],
    [['run', '-z', 'busybox'], flag("unknown shorthand flag: 'z' in -z", 'run '), 125],
    [['run', '-itz', 'busybox'], flag("unknown shorthand flag: 'z' in -z", 'run '), 125],
    [['exec', '--bogus', 'c1', 'true'], flag('unknown flag: --bogus', 'exec '), 125],
    [['exec', '-itx', 'c1', 'true'], flag("unknown shorthand flag: 'x' in -x", 'exec '), 125],
    [['images', '--bogus'], flag('unknown flag: --bogus', 'images '), 125],
    [['ps', '-z'], flag("unknown shorthand flag: 'z' in -z", 'ps '), 125],
    [['ps', '-aqx'], flag("unknown shorthand flag: 'x' in -x", 'ps '), 125],
    // After the arguments too: every command but run and exec takes flags anywhere.
    [['rm', 'c1', '-fx'], flag("unknown shorthand flag: 'x' in -x", 'rm '), 125],
    [['stop', '-t'], flag("flag needs an argument: 't' in -t", 'stop '), 125],
    [['logs', '--tail'], flag('flag needs an argument: --tail', 'logs '), 125],
    [['container', 'ls', '-z'], flag("unknown shorthand flag: 'z' in -z", 'container ls '), 125],
    [['image', 'ls', '--bogus'], flag('unknown flag: --bogus', 'image ls '), 125],
    [['container', '--bogus'], flag('unknown flag: --bogus', 'container '), 125],
    [['--bogus', 'info'], flag('unknown flag: --bogus', ''), 125],
    // The letter pflag stops at, not the group's first, and the group from it on: -v and -h
    // are the root's own.
    [['-vx'], flag("unknown shorthand flag: 'x' in -x", ''), 125],
    [['-hz', 'ps'], flag("unknown shorthand flag: 'z' in -z", ''), 125],
    [['network', '-hx'], flag("unknown shorthand flag: 'x' in -x", 'network '), 125],
    [['network', 'connect', '-x', 'n', 'c'], flag("unknown shorthand flag: 'x' in -x", 'network connect '), 125],
    [['network', 'disconnect', 'n', 'c', '-fq'], flag("unknown shorthand flag: 'q' in -q", 'network disconnect '), 125],
    [['history', 'img', '-Hz'], flag("unknown shorthand flag: 'z' in -z", 'history '), 125],
    [['ps', '-n'], flag("flag needs an argument: 'n' in -n", 'ps '), 125],
    [['ps', '-an'], flag("flag needs an argument: 'n' in -n", 'ps '), 125],
    [['images', 'busybox', '-x'], flag("unknown shorthand flag: 'x' in -x", 'images '), 125],
    [['cp', '-Lx', 'a', 'b'], flag("unknown shorthand flag: 'x' in -x", 'cp '), 125],
    [['system', 'df', '-vx'], flag("unknown shorthand flag: 'x' in -x", 'system df '), 125],
    [['system', '-x', 'df'], flag("unknown shorthand flag: 'x' in -x", 'system '), 125],
    [['run'], '"gocker run" requires at least 1 argument.\nSee \'gocker run --help\'.\n\nUsage:  gocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n', 1],
    [['tag', 'x'], '"gocker tag" requires exactly 2 arguments.\nSee \'gocker tag --help\'.\n\nUsage:  gocker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n', 1],
    [['container', 'rename', 'x'], '"gocker container rename" requires exactly 2 arguments.\nSee \'gocker container rename --help\'.\n\nUsage:  gocker container rename CONTAINER NEW_NAME\n\nRename a container\n', 1],
    [['ps', 'extra'], '"gocker ps" accepts no arguments.\nSee \'gocker ps --help\'.\n\nUsage:  gocker ps [OPTIONS]\n\nList containers\n', 1],
    [['commit', 'a', 'b', 'c'], '"gocker commit" requires at least 1 and at most 2 arguments.\nSee \'gocker commit --help\'.\n\nUsage:  gocker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\nCreate a new image from a container\'s changes\n', 1],
    [['nosuch'], "gocker: 'nosuch' is not a gocker command.\nSee 'gocker --help'\n", 1],
    // A management-only subcommand has no top-level form.
    [['container-prune'], "gocker: 'container-prune' is not a gocker command.\nSee 'gocker --help'\n", 1],
  ];
  // docker speaks English whatever the locale; yargs would otherwise translate its messages
  // (German: "Unbekanntes Argument: bogus"), and they would no longer read as docker's.
  for (const env of [process.env, { ...process.env, LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' }]) {
    for (const [args, stderr, code] of cases) {
      const r = gocker(args, env);
      assert.equal(r.stderr, stderr, `${args.join(' ')} (LC_ALL=${env.LC_ALL ?? ''})`);
      assert.equal(r.status, code, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
  }
  assert.match(gocker(['--help'], { ...process.env, LC_ALL: 'de_DE.UTF-8' }).stdout, /^Commands:$/m);
});

test('a value-taking short flag takes the rest of its group, as pflag reads it', () => {
  // Read char by char, -m64m was an unknown flag '6'; --help shows the flags were understood.
  for (const args of [['run', '-itm64m', '--help'], ['stop', '-t5', '--help'], ['logs', '-tn5', '--help'], ['run', '-m=64m', '--help']]) {
    const r = gocker(args);
    assert.equal(r.stderr, '', args.join(' '));
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /^\nUsage: {2}gocker \S+ /, args.join(' '));
  }
});

test('-h is --help wherever a command leaves the letter free (run\'s -h is its hostname)', () => {
  for (const args of [['-h'], ['ps', '-h'], ['ps', '-ah'], ['network', '-h'], ['network', 'ls', '-h'], ['images', '-h'], ['exec', '-h']]) {
    const r = gocker(args);
    assert.equal(r.stderr, '', args.join(' '));
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /^\nUsage: {2}gocker /, args.join(' '));
  }
  const run = gocker(['run', '-h']);
  assert.equal(run.stderr, "flag needs an argument: 'h' in -h\nSee 'gocker run --help'.\n");
});

test('--help in docker\'s shape; management forms name the same commands', () => {
  const ls = gocker(['container', 'ls', '--help']);
  assert.equal(ls.status, 0);
  assert.match(ls.stdout, /^\nUsage: {2}gocker container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}gocker container ls, gocker container list, gocker container ps, gocker ps\n\nOptions:\n/);
  // pflag's table: sorted by name, the value's type, usage three spaces after the longest.
  assert.match(ls.stdout, /\n {2}-a, --all {13}Show all containers \(default shows just running\)\n {2}-f, --filter list {5}\S/);
  // The top-level form: the same usage text under its own name, the same aliases.
  const ps = gocker(['ps', '--help']);
  assert.equal(ps.stdout.replace('gocker ps [OPTIONS]', 'gocker container ls [OPTIONS]'), ls.stdout);
  assert.match(gocker(['container', 'list', '--help']).stdout, /^\nUsage: {2}gocker container ls \[OPTIONS\]\n/);
  assert.match(gocker(['image', 'rm', '--help']).stdout, /\nAliases:\n {2}gocker image rm, gocker image remove, gocker rmi\n/);
  const group = gocker(['container', '--help']);
  assert.equal(group.status, 0);
  assert.match(group.stdout, /^\nUsage: {2}gocker container COMMAND\n\nManage containers\n\nCommands:\n/);
  for (const sub of ['ls', 'pause', 'unpause', 'rename', 'update', 'prune', 'wait', 'inspect', 'rm', 'run', 'exec', 'logs']) assert.match(group.stdout, new RegExp(`^ {2}${sub} +\\S`, 'm'), sub);
  assert.match(group.stdout, /\nRun 'gocker container COMMAND --help' for more information on a command\.\n$/);
  const images = gocker(['image', '--help']).stdout;
  for (const sub of ['ls', 'rm', 'tag', 'inspect', 'history', 'prune', 'pull', 'save', 'load', 'import']) assert.match(images, new RegExp(`^ {2}${sub} +\\S`, 'm'), sub);
  // The group alone: its help on stderr, exit 0; a subcommand it lacks: the same, exit 1.
  const bare = gocker(['container']);
  assert.equal(bare.status, 0);
  assert.equal(bare.stderr, group.stdout);
  const nosuch = gocker(['image', 'nosuch']);
  assert.equal(nosuch.status, 1);
  assert.match(nosuch.stderr, /^\nUsage: {2}gocker image COMMAND\n/);
  const root = gocker(['--help']);
  assert.equal(root.status, 0);
  assert.match(root.stdout, /^\nUsage: {2}gocker \[OPTIONS\] COMMAND\n/);
  assert.match(root.stdout, /\nManagement Commands:\n {2}container {3}Manage containers\n {2}image {7}Manage images\n/);
  assert.match(root.stdout, /\nGlobal Options:\n(.*\n)* {6}--root string +Root of persistent state/);
  // No command at all: the help, on stderr.
  const none = spawnSync(process.execPath, [BIN], { encoding: 'utf8' });
  assert.equal(none.status, 0);
  assert.equal(none.stderr, root.stdout);
});

test('flags after the container belong to exec\'s command; --version is one line', () => {
  // Parsed as far as the container (then it is not found): --bogus went to the command.
  const r = gocker(['exec', 'no-such-container', '--bogus', '-z']);
  assert.equal(r.stderr, 'Error response from daemon: No such container: no-such-container\n');
  assert.equal(r.status, 1);
  const v = gocker(['--version']);
  assert.match(v.stdout, /^gocker version \d+\.\d+\.\d+\n$/);
  assert.equal(v.status, 0);
});

test('flags after the image belong to the command; --version is one line', () => {
  // Parsed as far as the image (then it is not found, and not pulled): --bogus went to the command.
  const r = gocker(['run', '--rm', '--pull', 'never', 'no-such-image-here', '--bogus']);
  assert.equal(r.stderr, 'gocker: No such image: no-such-image-here:latest\n');
  assert.equal(r.status, 125);
  const v = gocker(['--version']);
  assert.match(v.stdout, /^gocker version \d+\.\d+\.\d+\n$/);
  assert.equal(v.status, 0);
});
