// run and exec go through the library's API (lib/index) from their own bundle
// (dist/cli/fast.bundle.js), which leaves out the modules the facade loads only for other
// methods (cli/bundle.ts FAST_EXTERNAL) and would require them from dist/lib. Such a module
// would come with its own copies of the error classes and the log, so neither command may
// reach one: here both run, in their usual forms and failing, with a hook that records what
// the process loads.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, REPO, gocker, importBusybox, removeAllContainers, tempRoots } from '../helpers/cli';
import { FAST_EXTERNAL } from '../../cli/bundle';

const roots = tempRoots('gocker-fastbundle-');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-fastbundle-w-'));
const g = (args: string[]) => gocker([...roots.args, ...args]);

// Preloaded with --require: the scripts cli/gocker.ts compiles (the bundle it runs), and at
// exit the files of dist/ that Node's require loaded, as JSON in $FAST_BUNDLE_TRACE.
const HOOK = `
const vm = require('node:vm');
const fs = require('node:fs');
const scripts = [];
const Script = vm.Script;
vm.Script = function (source, opts) { scripts.push(opts && opts.filename); return new Script(source, opts); };
process.on('exit', () => {
  const dist = ${JSON.stringify(path.join(REPO, 'dist') + path.sep)};
  const loaded = Object.keys(require.cache).filter((f) => f.startsWith(dist)).map((f) => f.slice(dist.length));
  fs.writeFileSync(process.env.FAST_BUNDLE_TRACE, JSON.stringify({ scripts, loaded }));
});
`;
const hook = path.join(work, 'hook.js');

/** The command run as `node --require hook gocker.js ...`: its result, and what it loaded. */
function traced(args: string[]): { status: number | null; stderr: string; scripts: string[]; loaded: string[] } {
  const trace = path.join(work, 'trace.json');
  fs.rmSync(trace, { force: true });
  const cfg = path.join(path.dirname(roots.root), 'netconfig.json');
  const r = spawnSync(process.execPath, ['--require', hook, BIN, ...roots.args, ...args], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, GOCKER_CONFIG: cfg, FAST_BUNDLE_TRACE: trace },
  });
  const t = JSON.parse(fs.readFileSync(trace, 'utf8')) as { scripts: string[]; loaded: string[] };
  return { status: r.status, stderr: r.stderr, scripts: t.scripts.map((s) => path.basename(s)), loaded: t.loaded };
}

before(async () => {
  fs.writeFileSync(hook, HOOK);
  await importBusybox(roots.args);
  const d = g(['run', '-d', '--name', 'fb', '--network', 'none', 'busybox', 'sleep', '1000']);
  assert.equal(d.status, 0, d.stderr);
});

after(() => {
  removeAllContainers(roots.root, roots.args);
  roots.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

test('every module the fast bundle leaves out is one tsc built', () => {
  for (const m of FAST_EXTERNAL) assert.ok(fs.existsSync(path.join(REPO, 'dist', 'lib', `${m}.js`)), `dist/lib/${m}.js`);
  const bundle = fs.readFileSync(path.join(REPO, 'dist', 'cli', 'fast.bundle.js'), 'utf8');
  // Left out, not inlined: the bundle requires each from dist/lib.
  for (const m of FAST_EXTERNAL) assert.ok(bundle.includes(`require("../lib/${m}.js")`), `fast.bundle.js requires ../lib/${m}.js`);
});

test('run and exec, as they succeed and as they fail, load nothing from dist/lib: all they run is in their bundle', () => {
  const cases: Array<[string[], number]> = [
    [['run', '--rm', '--network', 'none', 'busybox', 'true'], 0],
    [['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'], 3],
    [['run', '-d', '--rm', '--network', 'none', 'busybox', 'true'], 0],
    [['run', '--rm', '--network', 'none', 'busybox', 'no-such-command'], 127],
    [['run', '--rm', '--pull', 'never', 'no-such-image', 'true'], 125],
    [['run', '--rm', '--memory', 'lots', 'busybox', 'true'], 125],
    [['exec', 'fb', 'true'], 0],
    [['exec', '-d', 'fb', 'true'], 0],
    [['exec', 'fb', 'no-such-command'], 127],
    [['exec', 'no-such-container', 'true'], 1],
  ];
  for (const [args, code] of cases) {
    const r = traced(args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual(r.scripts, ['fast.bundle.js'], `${args.join(' ')} ran from the fast bundle`);
    assert.deepEqual(r.loaded, ['cli/gocker.js'], `${args.join(' ')} loaded only the launcher from dist`);
  }
});
