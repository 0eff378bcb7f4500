// cli/gocker.ts runs the CLI's bundle through a V8 code cache per command. What it must not
// do is run something other than what was built: a cache V8 refuses is made again, and a
// bundle older than the compiled modules is passed over for them, and no cache is read from
// or written to a place that is not the user's own. Nor may two installs sharing one cache
// directory replace each other's caches, and a cache directory it cannot use costs the cache,
// never the command. Works on a copy of dist/ with a cache directory of its own (no root, no
// addon: `--version` needs neither).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** An install of the built package at `to`: dist/, package.json, node_modules. */
function install(to: string): void {
  fs.cpSync(path.join(REPO, 'dist'), path.join(to, 'dist'), { recursive: true, preserveTimestamps: true });
  fs.rmSync(path.join(to, 'dist', 'cli', 'cache'), { recursive: true, force: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(to, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(to, 'node_modules'));
}

function withCopy(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-loader-'));
  const xdg = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = path.join(dir, 'xdg');  // inherited by every spawn below
  try {
    install(dir);
    fn(dir);
  } finally {
    if (xdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = xdg;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const cacheDir = (dir: string) => path.join(dir, 'xdg', 'gocker', 'v8');

const version = (dir: string) => spawnSync(process.execPath, [path.join(dir, 'dist', 'cli', 'gocker.js'), '--version'], { encoding: 'utf8' });
const caches = (dir: string) => {
  try {
    return fs.readdirSync(cacheDir(dir)).sort();
  } catch {
    return [];
  }
};
const bundleHash = (dir: string, name = 'main') => /^\/\/ gocker-bundle ([0-9a-f]{16})\n/.exec(fs.readFileSync(path.join(dir, 'dist', 'cli', `${name}.bundle.js`), 'utf8'))?.[1];
/** A cache's name: bundle, command, install (a hash of its directory), build, Node. */
const cacheName = (command: string, bundle: string, hash: string) => new RegExp(`^${bundle}-${command}-[0-9a-f]{12}-${hash}-${process.version.replace(/\./g, '\\.')}\\.bin$`);
/** The cache files' identities: a file written again is a new inode. */
const identities = (dir: string) => caches(dir).map((f) => {
  const st = fs.statSync(path.join(cacheDir(dir), f));
  return `${f} ${st.ino} ${st.mtimeMs}`;
});

test('the bundle runs, and its first successful run of a command leaves that command\'s cache', () => {
  withCopy((dir) => {
    const hash = bundleHash(dir);
    assert.ok(hash, 'the bundle names itself by its hash');
    const first = version(dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^gocker version \d+\.\d+\.\d+\n$/);
    assert.equal(caches(dir).length, 1);
    assert.match(caches(dir)[0], cacheName('none', 'main', hash));
    assert.equal(fs.statSync(cacheDir(dir)).mode & 0o777, 0o700);
    assert.equal(fs.existsSync(path.join(dir, 'dist', 'cli', 'cache')), false, 'nothing written into the install');
    const again = version(dir);
    assert.equal(again.stdout, first.stdout);
    assert.equal(again.stderr, '');
  });
});

test('a cache directory others may write into is neither read nor written', () => {
  withCopy((dir) => {
    assert.equal(version(dir).status, 0);
    const [name] = caches(dir);
    const file = path.join(cacheDir(dir), name);
    // A planted cache: V8 would reject this one, but a well-formed one would run. Either
    // way it must not be read, nor replaced, from a directory that is not ours alone.
    fs.writeFileSync(file, 'planted');
    fs.chmodSync(cacheDir(dir), 0o777);
    const r = version(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gocker version /);
    assert.equal(fs.readFileSync(file, 'utf8'), 'planted');
    // The same for the gocker directory above it.
    fs.chmodSync(cacheDir(dir), 0o700);
    fs.chmodSync(path.dirname(cacheDir(dir)), 0o775);
    assert.equal(version(dir).status, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), 'planted');
  });
});

test('a cache directory reached through a directory or link others could change is not used', () => {
  withCopy((dir) => {
    // XDG_CACHE_HOME itself writable by others (no sticky bit): they could swap gocker/ for
    // a link of theirs at any time.
    fs.mkdirSync(path.join(dir, 'xdg'), { mode: 0o777 });
    fs.chmodSync(path.join(dir, 'xdg'), 0o777);
    assert.equal(version(dir).status, 0);
    assert.deepEqual(caches(dir), []);
    // A link on the way that another user owns (the target is fine: its owner could change it).
    fs.chmodSync(path.join(dir, 'xdg'), 0o700);
    fs.mkdirSync(path.join(dir, 'real'), { mode: 0o700 });
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'xdg', 'gocker'));
    fs.lchownSync(path.join(dir, 'xdg', 'gocker'), 65534, 65534);
    assert.equal(version(dir).status, 0);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'real')), []);
  });
});

test('the cache directory swapped for a link while a command runs: its exit writes into the directory it checked, not through the link', () => {
  withCopy((dir) => {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    const moved = path.join(dir, 'moved');
    // Runs before gocker's own exit handler (registered first): the swap a user owning the
    // cache's parent could make during a long `run`, `events` or `logs -f`.
    const swap = path.join(dir, 'swap.js');
    fs.writeFileSync(swap, `process.on('exit', () => { require('fs').renameSync(${JSON.stringify(cacheDir(dir))}, ${JSON.stringify(moved)}); require('fs').symlinkSync(${JSON.stringify(elsewhere)}, ${JSON.stringify(cacheDir(dir))}); });\n`);
    fs.mkdirSync(cacheDir(dir), { recursive: true, mode: 0o700 });
    const r = spawnSync(process.execPath, ['-r', swap, path.join(dir, 'dist', 'cli', 'gocker.js'), '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
    assert.equal(fs.readdirSync(moved).length, 1, 'the cache is in the directory checked at start');
  });
});

test('a cache file with another link to it is not read, and is replaced; old directories there are not removed, nor what they hold', () => {
  withCopy((dir) => {
    assert.equal(version(dir).status, 0);
    const [name] = caches(dir);
    const file = path.join(cacheDir(dir), name);
    // Another link: whoever holds it could change what the next run reads.
    const other = path.join(dir, 'other-link');
    fs.linkSync(file, other);
    const before = fs.statSync(file).ino;
    // Something old in the directory that is not a cache file: pruning unlinks files only.
    const old = path.join(cacheDir(dir), 'main-ps-old');
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'keep'), 'x');
    const when = new Date(Date.now() - 40 * 86_400_000);
    fs.utimesSync(old, when, when);
    assert.equal(version(dir).status, 0);
    assert.notEqual(fs.statSync(file).ino, before, 'made again, not read');
    assert.equal(fs.statSync(other).nlink, 1);
    assert.equal(fs.readFileSync(path.join(old, 'keep'), 'utf8'), 'x');
  });
});

test('a cache V8 refuses (here: garbage) is not run, and is made again', () => {
  withCopy((dir) => {
    assert.equal(version(dir).status, 0);
    const [name] = caches(dir);
    const file = path.join(cacheDir(dir), name);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.alloc(good.length, 0x5a));
    const r = version(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gocker version /);
    assert.notDeepEqual(fs.readFileSync(file), Buffer.alloc(good.length, 0x5a));
  });
});

test('a bundle older than the compiled modules (tsc ran alone) is passed over for them', () => {
  withCopy((dir) => {
    const bundle = path.join(dir, 'dist', 'cli', 'main.bundle.js');
    // A bundle that could not run at all: the modules must be what answers.
    fs.writeFileSync(bundle, '// gocker-bundle 0000000000000000\nthrow new Error("stale bundle ran");\n');
    // Older than the compiled main.js, however long ago that was built.
    const past = new Date(fs.statSync(path.join(dir, 'dist', 'cli', 'main.js')).mtimeMs - 3600_000);
    fs.utimesSync(bundle, past, past);
    const r = version(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gocker version /);
    assert.deepEqual(caches(dir), []);
  });
});

test('run and exec start from their own bundle, which hands what it does not take to the whole CLI', () => {
  withCopy((dir) => {
    const bundle = path.join(dir, 'dist', 'cli', 'fast.bundle.js');
    // A stand-in that shows it ran, and gives up on anything with --bogus.
    fs.writeFileSync(bundle, '// gocker-bundle 1111111111111111\nexports.cliFast = (args, otherwise) => args.includes("--bogus") ? otherwise() : process.stdout.write(`fast ${args.join(" ")}\\n`);\n');
    const cli = (args: string[]) => spawnSync(process.execPath, [path.join(dir, 'dist', 'cli', 'gocker.js'), ...args], { encoding: 'utf8' });
    assert.equal(cli(['run', 'busybox', 'true']).stdout, 'fast run busybox true\n');
    assert.equal(cli(['--root', '/x', 'exec', 'c1', 'ls']).stdout, 'fast --root /x exec c1 ls\n');
    const handedOn = cli(['run', '--bogus', 'busybox']);
    assert.equal(handedOn.stderr, "unknown flag: --bogus\nSee 'gocker run --help'.\n");
    assert.equal(handedOn.status, 125);
    assert.match(cli(['--version']).stdout, /^gocker version /);
  });
});

test('the gocker command starts through its sh launcher: Node does not read NODE_EXTRA_CA_CERTS at start, which is handed on', () => {
  withCopy((dir) => {
    const bin = path.join(dir, 'dist', 'cli', 'gocker.js');
    assert.ok((fs.statSync(bin).mode & 0o111) !== 0, 'executable');
    // npm's bin link: a symlink from another directory, found on PATH.
    const binDir = path.join(dir, 'bin');
    fs.mkdirSync(binDir);
    fs.symlinkSync(bin, path.join(binDir, 'gocker'));
    // A file that cannot be read: Node says so at start when it reads it (the control).
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-ca.pem') };
    delete env.GOCKER_EXTRA_CA_CERTS;
    const viaNode = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', env });
    assert.equal(viaNode.status, 0, viaNode.stderr);
    assert.match(viaNode.stderr, /Warning: Ignoring extra certs from/);
    const viaCommand = spawnSync('gocker', ['--version'], { encoding: 'utf8', env });
    assert.equal(viaCommand.status, 0, viaCommand.stderr);
    assert.match(viaCommand.stdout, /^gocker version /);
    assert.equal(viaCommand.stderr, '');
    // Arguments arrive as given, and the variable is there under its new name only.
    fs.writeFileSync(path.join(dir, 'dist', 'cli', 'fast.bundle.js'),
      '// gocker-bundle 2222222222222222\nexports.cliFast = (args) => process.stdout.write(JSON.stringify([args, process.env.GOCKER_EXTRA_CA_CERTS, process.env.NODE_EXTRA_CA_CERTS ?? null]));\n');
    const echo = spawnSync('gocker', ['run', 'a b', '', "c'd", '$HOME', '*'], { encoding: 'utf8', env });
    assert.deepEqual(JSON.parse(echo.stdout), [['run', 'a b', '', "c'd", '$HOME', '*'], env.NODE_EXTRA_CA_CERTS, null]);
    const without = { ...env };
    delete without.NODE_EXTRA_CA_CERTS;
    // (JSON has no undefined: neither variable is set.)
    assert.deepEqual(JSON.parse(spawnSync('gocker', ['run'], { encoding: 'utf8', env: without }).stdout), [['run'], null, null]);
  });
});

/** The install at `dir` as another build of gocker: its main bundle's content and hash changed. */
function rebuild(dir: string, hash: string): void {
  const file = path.join(dir, 'dist', 'cli', 'main.bundle.js');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, `// gocker-bundle ${hash}\n${text.slice(text.indexOf('\n') + 1)}\n// build ${hash}\n`);
}

/** `gocker --version` from the install at `dir`, which must succeed and say nothing else. */
function ok(dir: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): void {
  const r = spawnSync(process.execPath, [path.join(dir, 'dist', 'cli', 'gocker.js'), '--version'], { encoding: 'utf8', ...opts });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^gocker version /);
  assert.equal(r.stderr, '');
}

test('two installs of different builds sharing the cache directory, run in turn, each run from a cache of its own', () => {
  withCopy((dir) => {
    // A second checkout, or a global install beside a local one, at another version.
    const other = path.join(dir, 'other');
    install(other);
    rebuild(other, 'a0a0a0a0a0a0a0a0');
    ok(dir);
    ok(other);
    const made = identities(dir);
    assert.equal(made.length, 2, `one cache each: ${made.join(', ')}`);
    assert.ok(made.some((f) => cacheName('none', 'main', bundleHash(dir)!).test(f.split(' ')[0])), made.join(', '));
    assert.ok(made.some((f) => cacheName('none', 'main', 'a0a0a0a0a0a0a0a0').test(f.split(' ')[0])), made.join(', '));
    for (let i = 0; i < 3; i++) {
      ok(dir);
      ok(other);
      // Neither wrote its cache again: each found its own, and V8 took it.
      assert.deepEqual(identities(dir), made);
    }
  });
});

test("a new build's cache replaces its install's old one at once; other installs' caches and leftovers go only once unused for 30 days", () => {
  withCopy((dir) => {
    const other = path.join(dir, 'other');
    install(other);
    rebuild(other, 'b1b1b1b1b1b1b1b1');
    ok(other);
    const [theirs] = caches(dir);
    ok(dir);
    const [mine] = caches(dir).filter((f) => f !== theirs);
    const d = cacheDir(dir);
    const longAgo = new Date(Date.now() - 31 * 86_400_000);
    const plant = (name: string, when?: Date): void => {
      fs.writeFileSync(path.join(d, name), 'x');
      if (when) fs.utimesSync(path.join(d, name), when, when);
    };
    // This install's cache of this build as another Node made it (nvm), an older gocker's
    // names, and a write a crash cut short.
    const otherNode = mine.replace(`-${process.version}.bin`, '-v18.0.0.bin');
    plant(otherNode);
    plant('version-0123456789abcdef.bin');
    plant('run-4444444444444444.bin', longAgo);
    plant('main-none-000000000000-5555555555555555-v20.0.0.bin.4242.tmp', longAgo);
    rebuild(dir, 'c2c2c2c2c2c2c2c2');
    ok(dir);
    const afterRebuild = caches(dir);
    assert.ok(!afterRebuild.includes(mine), `this install's cache of its old build is gone: ${afterRebuild.join(', ')}`);
    assert.ok(afterRebuild.some((f) => cacheName('none', 'main', 'c2c2c2c2c2c2c2c2').test(f)), afterRebuild.join(', '));
    assert.deepEqual(afterRebuild.filter((f) => !cacheName('none', 'main', 'c2c2c2c2c2c2c2c2').test(f)), [theirs, otherNode, 'version-0123456789abcdef.bin'].sort());
    // Another install's cache, in use but not written for 31 days: its use sets its time.
    fs.utimesSync(path.join(d, theirs), longAgo, longAgo);
    const ino = fs.statSync(path.join(d, theirs)).ino;
    ok(other);
    assert.equal(fs.statSync(path.join(d, theirs)).ino, ino, 'run from, not written again');
    assert.ok(Date.now() - fs.statSync(path.join(d, theirs)).mtimeMs < 60_000, 'its time set by its use');
    rebuild(dir, 'd3d3d3d3d3d3d3d3');
    ok(dir);
    assert.ok(caches(dir).includes(theirs), 'kept while in use');
    // Unused for 31 days: the next cache written prunes it.
    fs.utimesSync(path.join(d, theirs), longAgo, longAgo);
    rebuild(dir, 'e4e4e4e4e4e4e4e4');
    ok(dir);
    assert.ok(!caches(dir).includes(theirs), `pruned: ${caches(dir).join(', ')}`);
  });
});

test('a cache directory or file that cannot be used costs the cache, never the command', () => {
  withCopy((dir) => {
    // The cache directory's place taken by a file.
    fs.mkdirSync(path.dirname(cacheDir(dir)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(cacheDir(dir), 'not a directory');
    ok(dir);
    ok(dir);
    fs.rmSync(cacheDir(dir));
    ok(dir);
    const [name] = caches(dir);
    const file = path.join(cacheDir(dir), name);
    // A cache that cannot be replaced (a directory in its place): no cache, nothing left behind.
    fs.rmSync(file);
    fs.mkdirSync(path.join(file, 'sub'), { recursive: true });
    ok(dir);
    ok(dir);
    assert.deepEqual(caches(dir), [name]);
    assert.ok(fs.statSync(file).isDirectory());
    // An empty cache (a full disk, an older gocker's cut-short write): refused, made again.
    fs.rmSync(file, { recursive: true });
    fs.writeFileSync(file, '');
    ok(dir);
    assert.ok(fs.statSync(file).size > 0);
    // A relative HOME and no XDG_CACHE_HOME: not a cache under the working directory.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: 'home' };
    delete env.XDG_CACHE_HOME;
    const cwd = path.join(dir, 'cwd');
    fs.mkdirSync(cwd);
    ok(dir, { env, cwd });
    assert.deepEqual(fs.readdirSync(cwd), []);
  });
});

test('past 64 MiB in the cache directory, the least recently used caches go first', () => {
  withCopy((dir) => {
    const d = cacheDir(dir);
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(d), 0o700);
    // Caches of installs gone or seldom used (sparse: their size is what counts).
    const plant = (name: string, daysAgo: number): void => {
      fs.writeFileSync(path.join(d, name), '');
      fs.truncateSync(path.join(d, name), 30 * 1024 * 1024);
      const when = new Date(Date.now() - daysAgo * 86_400_000);
      fs.utimesSync(path.join(d, name), when, when);
    };
    plant('main-ps-111111111111-1111111111111111-v20.0.0.bin', 3);
    plant('main-ps-222222222222-2222222222222222-v20.0.0.bin', 2);
    plant('main-ps-333333333333-3333333333333333-v20.0.0.bin', 1);
    ok(dir);
    const left = caches(dir);
    assert.equal(left.length, 3, left.join(', '));
    assert.ok(!left.includes('main-ps-111111111111-1111111111111111-v20.0.0.bin'), left.join(', '));
    assert.ok(left.some((f) => cacheName('none', 'main', bundleHash(dir)!).test(f)), left.join(', '));
  });
});
