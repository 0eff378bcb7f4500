// Command lines the CLI cannot parse get docker's wording, two lines (the error, then where
// help is), exit 125, and no stack. None of these reach the engine, so no root is needed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'cli', 'gocker.js');
const gocker = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [BIN, '--root', '/nonexistent/gocker-usage', ...args], { encoding: 'utf8', env });

test('unknown flags, missing arguments and unknown commands, as docker words them', () => {
  const cases: Array<[string[], string]> = [
    [['run', '--bogus', 'busybox', 'true'], "gocker: unknown flag: --bogus\nSee 'gocker run --help'.\n"],
    [['run', '-z', 'busybox'], "gocker: unknown shorthand flag: 'z' in -z\nSee 'gocker run --help'.\n"],
    [['exec', '--bogus', 'c1', 'true'], "gocker: unknown flag: --bogus\nSee 'gocker exec --help'.\n"],
    [['run'], "gocker: \"gocker run\" requires at least 1 argument.\nSee 'gocker run --help'.\n"],
    [['tag', 'x'], "gocker: \"gocker tag\" requires at least 2 arguments.\nSee 'gocker tag --help'.\n"],
    [['images', '--bogus'], "gocker: unknown flag: --bogus\nSee 'gocker images --help'.\n"],
    [['ps', '-z'], "gocker: unknown shorthand flag: 'z' in -z\nSee 'gocker ps --help'.\n"],
    [['nosuch'], "gocker: 'nosuch' is not a gocker command.\nSee 'gocker --help'.\n"],
    [['--bogus', 'info'], "gocker: unknown flag: --bogus\nSee 'gocker --help'.\n"],
  ];
  // docker speaks English whatever the locale; yargs would otherwise translate its messages
  // (German: "Unbekanntes Argument: bogus"), and they would no longer read as docker's.
  for (const env of [process.env, { ...process.env, LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' }]) {
    for (const [args, stderr] of cases) {
      const r = gocker(args, env);
      assert.equal(r.stderr, stderr, `${args.join(' ')} (LC_ALL=${env.LC_ALL ?? ''})`);
      assert.equal(r.status, 125, args.join(' '));
    }
  }
  assert.match(gocker(['--help'], { ...process.env, LC_ALL: 'de_DE.UTF-8' }).stdout, /^Commands:$/m);
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
