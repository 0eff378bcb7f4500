// The foundation as a user meets it: the CLI, the addon's errors, info on this host, and the
// package installed into another project.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, REPO, gocker, tempRoots } from '../helpers/cli';
import { native } from '../../lib/native';

const roots = tempRoots();
after(() => roots.remove());

test('native errors are shaped like Node fs errors', () => {
  const n = native();
  assert.throws(() => n.statfs('/nonexistent/gocker'), (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.errno, -2);
    assert.equal(e.syscall, 'statfs');
    assert.equal(e.path, '/nonexistent/gocker');
    assert.equal(e.message, "ENOENT: no such file or directory, statfs '/nonexistent/gocker'");
    return true;
  });
  assert.throws(() => n.umount('/nonexistent/gocker'), { code: 'ENOENT', syscall: 'umount2' });
});

test('removeTree: rm -rf that leaves what a symlink points to, and stops at another filesystem', async () => {
  const n = native();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-rmtree-'));
  const outside = path.join(base, 'outside');
  const tree = path.join(base, 'tree');
  let mounted = false;
  try {
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'host file');
    fs.mkdirSync(path.join(tree, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'a', 'b', 'c', 'f'), 'x');
    fs.mkdirSync(path.join(tree, 'locked'), { mode: 0o000 });
    fs.symlinkSync(outside, path.join(tree, 'a', 'to-outside'));
    fs.symlinkSync(path.join(outside, 'keep'), path.join(tree, 'file-link'));
    await n.removeTree(tree);
    assert.equal(fs.existsSync(tree), false);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'host file');
    await n.removeTree(tree); // gone already: no error, as rm -f

    // A mount inside the tree: refused, and what is on it stays.
    fs.mkdirSync(path.join(tree, 'm'), { recursive: true });
    n.mount('tmpfs', path.join(tree, 'm'), 'tmpfs', 0, 'size=1m');
    mounted = true;
    fs.writeFileSync(path.join(tree, 'm', 'on-tmpfs'), 'y');
    await assert.rejects(n.removeTree(tree), { code: 'EXDEV', syscall: 'rmdir', path: path.join(tree, 'm') });
    assert.equal(fs.readFileSync(path.join(tree, 'm', 'on-tmpfs'), 'utf8'), 'y');
  } finally {
    if (mounted) n.umount(path.join(tree, 'm'));
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('info reports what the host has, read through the addon', () => {
  const r = gocker(['info', '-f', 'json', ...roots.args]);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  // What /proc/mounts says independently of gocker.
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  const rootIsV2 = mounts.some((m) => m[1] === '/sys/fs/cgroup' && m[2] === 'cgroup2');
  const unifiedV2 = mounts.some((m) => m[1] === '/sys/fs/cgroup/unified' && m[2] === 'cgroup2');
  const anyV1 = mounts.some((m) => m[2] === 'cgroup');
  const expected = rootIsV2 ? 'v2' : unifiedV2 ? 'hybrid' : anyV1 ? 'v1' : 'none';
  assert.equal(info.cgroups.mode, expected);
  if (expected === 'hybrid') {
    const memory = info.cgroups.hierarchies.find((h: { controllers: string[] }) => h.controllers.includes('memory'));
    assert.equal(memory.version, 1);
    assert.equal(info.cgroups.unifiedMount, '/sys/fs/cgroup/unified');
  }
  assert.equal(info.kernel.release, os.release());
  assert.equal(info.storage.supported, true, info.storage.error);
  assert.equal(info.storage.dType, true);
  for (const ns of ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup']) assert.equal(info.namespaces[ns].supported, true, ns);
  assert.equal(info.root.path, roots.root);
  assert.equal(info.images, 0);
  // The overlay probe cleans up after itself.
  assert.deepEqual(fs.readdirSync(path.join(roots.root, 'tmp')), []);
  const text = gocker(['info', ...roots.args]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, new RegExp(`Cgroup Version: ${expected}`));
  assert.match(text.stdout, /Storage Driver: overlay2/);
});

test('GOCKER_ROOT is honoured and --root wins over it', () => {
  const viaEnv = JSON.parse(gocker(['info', '-f', 'json'], { env: { ...process.env, GOCKER_ROOT: roots.root, GOCKER_RUNROOT: roots.runroot } }).stdout);
  assert.equal(viaEnv.root.path, roots.root);
  const other = tempRoots();
  try {
    const viaFlag = JSON.parse(gocker(['info', '-f', 'json', ...other.args], { env: { ...process.env, GOCKER_ROOT: roots.root } }).stdout);
    assert.equal(viaFlag.root.path, other.root);
  } finally {
    other.remove();
  }
});

test('bad input: docker\'s lines and exit codes, no stack trace', () => {
  for (const [args, stderr, status] of [
    [['no-such-command'], "gocker: 'no-such-command' is not a gocker command.\nSee 'gocker --help'\n", 1],
    [['info', '--bogus'], "unknown flag: --bogus\nSee 'gocker info --help'.\n", 125],
    [['--log-level', 'loud', 'info'], 'Unable to parse logging level: loud\n', 1],
  ] as Array<[string[], string, number]>) {
    const r = gocker(args);
    assert.equal(r.status, status, args.join(' '));
    assert.equal(r.stderr, stderr);
  }
});

test('--help on every command, in each of its forms, and version', () => {
  const top = gocker(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /info/);
  assert.match(top.stdout, /--root/);
  const { COMMANDS, commandPaths } = require('../../cli/commands') as typeof import('../../cli/commands');
  for (const c of COMMANDS) {
    for (const form of commandPaths(c)) {
      const r = gocker([...form.split(' '), '--help']);
      assert.equal(r.status, 0, `${form} --help: ${r.stderr}`);
      assert.match(r.stdout, /^\nUsage: {2}gocker \S/, form);
      assert.ok(r.stdout.includes(`\n${c.describe}\n`), form);
    }
  }
  const v = gocker(['version', '-f', 'json']);
  assert.equal(JSON.parse(v.stdout).Client.Version, JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
});

test('a missing addon build gives one line that says how to build', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-nobuild-'));
  try {
    fs.cpSync(path.join(REPO, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(copy, 'package.json'));
    fs.copyFileSync(path.join(REPO, 'binding.gyp'), path.join(copy, 'binding.gyp'));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
    const direct = execFileSync(process.execPath, [path.join(copy, 'dist', 'cli', 'gocker.js'), 'info'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.fail(`expected failure, got ${direct}`);
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    if (err.status === undefined) throw e;
    // As docker's CLI without its daemon: bare, exit 1.
    assert.equal(err.status, 1);
    const stderr = String(err.stderr);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /native addon .* is not built: run `npm run build:native`/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('a stale addon build (sources changed since) gives one line that says so and how to rebuild', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-stale-'));
  try {
    for (const d of ['dist', 'native']) fs.cpSync(path.join(REPO, d), path.join(copy, d), { recursive: true });
    for (const f of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(REPO, f), path.join(copy, f));
    fs.mkdirSync(path.join(copy, 'build', 'Release'), { recursive: true });
    for (const f of ['gocker.node', 'gocker-sources.json']) fs.copyFileSync(path.join(REPO, 'build', 'Release', f), path.join(copy, 'build', 'Release', f));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
    const run = () => spawnSync(process.execPath, [path.join(copy, 'dist', 'cli', 'gocker.js'), 'info', ...roots.args], { encoding: 'utf8' });
    // The same sources (copied, so every file's time moved): the build is current.
    const fresh = run();
    assert.equal(fresh.status, 0, fresh.stderr);
    fs.appendFileSync(path.join(copy, 'native', 'sys.cc'), '// edited after the build\n');
    const stale = run();
    assert.equal(stale.status, 1);
    assert.equal(stale.stdout, '');
    assert.equal(stale.stderr.trim().split('\n').length, 1, stale.stderr);
    assert.match(stale.stderr, /^native addon .*gocker\.node is stale \(built from other sources than .*\/native\): run `npm run build:native`/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('the packed package installs into another project: require() and types work', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-consumer-'));
  try {
    const tgz = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: REPO }).toString().trim().split('\n').pop()!;
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tgz)], { cwd: work, stdio: 'pipe' });
    const out = execFileSync(process.execPath, ['-e', `const { Gocker } = require('gocker'); const g = new Gocker({ root: ${JSON.stringify(roots.root)} }); console.log(typeof Gocker, g.version(), g.info().cgroups.mode)`], { cwd: work }).toString();
    assert.match(out, /^function \d+\.\d+\.\d+ (v1|v2|hybrid)\n$/);
    fs.writeFileSync(path.join(work, 'use.ts'), "import { Gocker, type EngineInfo } from 'gocker';\nconst info: EngineInfo = new Gocker().info();\nconst mode: 'v1' | 'v2' | 'hybrid' | 'none' = info.cgroups.mode;\nexport { mode };\n");
    // Type-check the consumer against the installed declarations with our own compiler.
    execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'commonjs', '--types', 'node',
      '--typeRoots', path.join(REPO, 'node_modules', '@types'), 'use.ts'], { cwd: work, stdio: 'pipe' });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
