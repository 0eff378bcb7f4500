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

test('an engine\'s logLevel and logSink hold for its own work only, later too; the process\'s are untouched', async () => {
  const { Gocker } = await import('../../lib');
  const { bindLogScope, logLevel } = await import('../../lib/log');
  const os = await import('node:os');
  const fs = await import('node:fs');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-log-'));
  const processLines: string[] = [];
  setLogSink((l) => processLines.push(l));
  try {
    const quiet: string[] = [];
    const loud: string[] = [];
    // Neither engine's level reaches the process's (the CLI's), nor the other engine's.
    const a = new Gocker({ root: path.join(root, 'a'), runroot: path.join(root, 'ra'), logLevel: 'error', logSink: (l) => quiet.push(l) });
    const b = new Gocker({ root: path.join(root, 'b'), runroot: path.join(root, 'rb'), logLevel: 'debug', logSink: (l) => loud.push(l) });
    assert.equal(logLevel(), 'warn');
    assert.ok(a && b);
    // What an engine's method makes (a Container, a stream) keeps the engine's settings when
    // it logs later, outside the method: the same binding the Container class gets.
    class Worker {
      later(): Promise<void> {
        return new Promise((resolve) => setTimeout(() => { log.debug('from a timer'); resolve(); }, 5));
      }
      now(): void {
        log.info('at once');
      }
    }
    const inB = new Worker();
    bindLogScope(inB, { level: 'debug', sink: (l) => loud.push(l) });
    const inA = new Worker();
    bindLogScope(inA, { level: 'error', sink: (l) => quiet.push(l) });
    await Promise.all([inB.later(), inA.later()]);
    inB.now();
    inA.now();
    log.warn('the process\'s');
    assert.equal(loud.length, 2);
    assert.match(loud[0], /level=debug msg="from a timer"/);
    assert.match(loud[1], /level=info msg="at once"/);
    assert.deepEqual(quiet, []);
    assert.equal(processLines.length, 1);
    assert.match(processLines[0], /level=warning msg="the process's"/);
  } finally {
    setLogSink((l) => process.stderr.write(l));
    fs.rmSync(root, { recursive: true, force: true });
  }
});
