// --log-level: the logger's gating and format, and the CLI applying it. Neither needs root
// nor the addon (`version` loads neither).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { log, logEnabled, setLogLevel, setLogSink } from '../../lib/log';
import { parseLogLevel, resolveOptions } from '../../lib/options';

const BIN = path.resolve(__dirname, '..', '..', 'cli', 'gocker.js');

test('levels gate what is written; lines are logfmt with quoted values', () => {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  try {
    setLogLevel('warn');
    log.debug('hidden');
    log.info('hidden too');
    log.warn('shown', { layer: 'sha256:ab', path: '/a b', n: 3 });
    assert.equal(logEnabled('debug'), false);
    setLogLevel('debug');
    log.debug('now "quoted"');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^time="\d{4}-\d\d-\d\dT[\d:.]+Z" level=warning msg="shown" layer=sha256:ab path="\/a b" n=3\n$/);
    assert.match(lines[1], / level=debug msg="now \\"quoted\\""\n$/);
  } finally {
    setLogSink((l) => process.stderr.write(l));
    setLogLevel('warn');
  }
});

test('levels from options and the environment; an unknown one is refused in docker\'s words', () => {
  assert.equal(resolveOptions({}, {}).logLevel, 'warn');
  assert.equal(resolveOptions({}, { GOCKER_LOG_LEVEL: 'info' }).logLevel, 'info');
  assert.equal(resolveOptions({ logLevel: 'error' }, { GOCKER_LOG_LEVEL: 'info' }).logLevel, 'error');
  assert.throws(() => parseLogLevel('loud'), /^GockerError: Unable to parse logging level: loud$/);
  assert.throws(() => resolveOptions({}, { GOCKER_LOG_LEVEL: 'loud' }), /Unable to parse logging level: loud/);
});

test('the CLI: --log-level debug writes debug lines to stderr only; a bad level is docker\'s one line, exit 1', () => {
  const quiet = spawnSync(process.execPath, [BIN, 'version'], { encoding: 'utf8' });
  assert.equal(quiet.status, 0);
  assert.equal(quiet.stderr, '');
  const loud = spawnSync(process.execPath, [BIN, '--log-level', 'debug', 'version'], { encoding: 'utf8' });
  assert.equal(loud.status, 0);
  assert.equal(loud.stdout, quiet.stdout);
  assert.match(loud.stderr, /^time="[^"]+" level=debug msg="command done" ms=\d+ exit=0\n$/);
  const env = spawnSync(process.execPath, [BIN, 'version'], { encoding: 'utf8', env: { ...process.env, GOCKER_LOG_LEVEL: 'debug' } });
  assert.match(env.stderr, /level=debug/);
  // As docker's CLI: checked before any command runs, run included; bare, exit 1.
  for (const [args, env] of [[['--log-level', 'loud', 'version'], {}], [['--log-level=loud', 'run', 'busybox'], {}], [['ps', '--log-level', 'loud'], {}],
    [['version'], { GOCKER_LOG_LEVEL: 'loud' }]] as Array<[string[], NodeJS.ProcessEnv]>) {
    const bad = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(bad.status, 1, args.join(' '));
    assert.equal(bad.stderr, 'Unable to parse logging level: loud\n');
  }
});
