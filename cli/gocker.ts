#!/usr/bin/env node
// The gocker command. A Node CLI's start goes mostly to finding, reading and compiling its
// JavaScript, and `gocker run`'s start is a benchmark target: so cli/main.ts and all it
// requires are bundled into one file at build time (cli/bundle.ts), and run and exec
// (cli/fast.ts) into one more, and a bundle is run through a V8 code cache, one per command,
// bundle and install, written by the command's first successful run (it holds the functions
// that run compiled: a cache made before running holds only the top level) into the user's
// cache directory, not the package's own (an install directory is not ours to write at run
// time, and may be shared or read-only). A missing bundle, or one older than
// the compiled modules (tsc ran alone), means loading the modules one by one, as usual.
// The shebang below is what tsc emits; cli/bundle.ts replaces it with a two-line sh launcher
// that keeps Node from loading NODE_EXTRA_CA_CERTS at start (see LAUNCHER there).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** Written by cli/bundle.ts: a bundle's first line names it by a hash of its content. */
const BANNER = /^\/\/ gocker-bundle ([0-9a-f]{16})\n/;
/** The global flags that take a value as the next word (as in cli/dispatch.ts). */
const VALUE_FLAGS = new Set(['--root', '--runroot', '--log-level', '--storage-driver']);

type Main = typeof import('./main');
type Fast = typeof import('./fast');

/** The command a cache is kept for: the first word that is not a flag or a flag's value. */
function commandOf(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return /^[a-z]{1,20}$/.test(args[i]) ? args[i] : 'other';
  }
  return 'none';
}

/** A path component gocker may trust: this user's or root's, and no one else's to change. */
function trusted(st: fs.Stats, uid: number): boolean {
  if (st.uid !== uid && st.uid !== 0) return false;
  // A sticky directory (/tmp) lets others add entries but not move or remove ours.
  return st.isSymbolicLink() || (st.mode & 0o022) === 0 || (st.isDirectory() && (st.mode & 0o1000) !== 0);
}

/**
 * Every directory from / down to p, as written and as resolved, is trusted (see cacheDir);
 * a missing one is made, 0700, once its parent is.
 */
function trustedPath(p: string, uid: number): boolean {
  let at = '/';
  for (const part of ['', ...p.split('/').filter(Boolean)]) {
    at = path.join(at, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      fs.mkdirSync(at, { mode: 0o700 });
      st = fs.lstatSync(at);
    }
    if (!trusted(st, uid)) return false;
  }
  // A link on the way (trusted for its owner) leads somewhere: that way is checked too.
  at = '/';
  for (const part of fs.realpathSync(p).split('/').filter(Boolean)) {
    at = path.join(at, part);
    if (!trusted(fs.lstatSync(at), uid)) return false;
  }
  return true;
}

/** cacheDir's answer, once a process: null before it is asked. */
let cacheDirOnce: string | null | undefined = null;

/**
 * $XDG_CACHE_HOME/gocker/v8 (or ~/.cache/gocker/v8), made 0700; undefined when it is not this
 * user's alone. A code cache is code that runs as whoever runs gocker (root, mostly), and a
 * cache write or prune is a write or unlink as root: a directory someone else owns or may
 * write into (a HOME kept across sudo, a shared cache) is not used, nor one whose path goes
 * through a directory or link someone else could change (they could swap the directory for
 * a link of theirs while a long command runs, and have its exit write or prune where they
 * chose). The directory is then held open (for the process's life) and used through
 * /proc/self/fd: what is read, written and pruned is in the directory checked.
 */
function cacheDir(): string | undefined {
  if (cacheDirOnce !== null) return cacheDirOnce;
  cacheDirOnce = undefined;
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  // An empty or relative HOME would put it under whatever directory gocker runs in.
  if (!path.isAbsolute(base)) return undefined;
  const uid = process.geteuid?.() ?? -1;
  let fd: number | undefined;
  try {
    const dir = path.join(base, 'gocker', 'v8');
    if (!trustedPath(dir, uid)) return undefined;
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (st.uid !== uid || (st.mode & 0o022) !== 0) throw new Error('not ours alone');
    cacheDirOnce = `/proc/self/fd/${fd}`;
  } catch {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return cacheDirOnce;
}

/** How long another install's cache, or a leftover, is kept after its last use. */
const KEEP_MS = 30 * 86_400_000;
/** At most this much in the cache directory: about eight installs with a cache for every command. */
const KEEP_BYTES = 64 * 1024 * 1024;
/** A cache in use has its time set again at most this often (a write, to read on most runs). */
const TOUCH_MS = 86_400_000;

/**
 * This install's part of a cache's name: 48 bits of FNV-1a of the directory the bundles are
 * in. Two installs (two checkouts, a global and a local one) used to share one name per
 * command, and each run of one found the other's cache stale and replaced it, so neither ever
 * ran from a cache. Not a secret, so not node:crypto, which is not loaded at start.
 */
function installId(dir: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(dir)) h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return (h >> 16n).toString(16).padStart(12, '0');
}

/** The cache's content; undefined when there is none to read. */
function readCache(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined; // first run of this command: made at exit
  }
  try {
    const st = fs.fstatSync(fd);
    // Only a file this user wrote, which no one else may change or holds another link to.
    if (!st.isFile() || st.uid !== (process.geteuid?.() ?? -1) || (st.mode & 0o022) !== 0 || st.nlink !== 1) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    for (let n = 0; n < st.size; ) {
      const got = fs.readSync(fd, data, n, st.size - n, n);
      if (got === 0) return undefined;
      n += got;
    }
    // In use: not another install's old cache to prune (see writeCache). Reading does not say
    // so, as atime is mostly not kept.
    if (Date.now() - st.mtimeMs > TOUCH_MS) {
      try {
        const now = new Date();
        fs.futimesSync(fd, now, now);
      } catch {
        /* a read-only cache: still one to run from */
      }
    }
    return data;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all (a run reading it meanwhile sees the old one or the new
 * one), then prunes: this install's caches of this command and bundle made by this Node for
 * other builds at once (`own` and `node` begin and end their names), as nothing reads them
 * again; anything else only once unused for KEEP_MS, as it may be another install's or
 * another Node's, and in use, or past KEEP_BYTES. Any failure leaves no cache, the same result.
 */
function writeCache(dir: string, name: string, own: string, node: string, data: Buffer): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // Exclusive: never through a link or into a file already there.
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(tmp, { force: true });
    return;
  }
  const now = Date.now();
  const kept: Array<{ p: string; size: number; mtime: number }> = [];
  let total = data.length;
  const remove = (p: string): void => {
    try {
      fs.unlinkSync(p);
    } catch {
      /* gone meanwhile, or not a file: left */
    }
  };
  for (const f of fs.readdirSync(dir)) {
    if (f === name) continue;
    const p = path.join(dir, f);
    try {
      const st = fs.lstatSync(p);
      // Files only, and not followed: a directory or a link there is not a cache of ours.
      if (!st.isFile()) continue;
      if ((f.startsWith(own) && f.endsWith(node)) || now - st.mtimeMs > KEEP_MS) remove(p);
      else {
        kept.push({ p, size: st.size, mtime: st.mtimeMs });
        total += st.size;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  // Installs that come and go (a CI job's checkout, a temporary copy) would each leave theirs
  // for KEEP_MS: past KEEP_BYTES the least recently used go first. An install in use whose
  // cache went makes it again at its next run.
  kept.sort((x, y) => x.mtime - y.mtime);
  for (const k of kept) {
    if (total <= KEEP_BYTES) break;
    remove(k.p);
    total -= k.size;
  }
}

/** dist/cli/<name>.bundle.js through its code cache for this command; undefined: use the modules. */
function loadBundle<T>(name: 'main' | 'fast', command: string): T | undefined {
  const file = path.join(__dirname, `${name}.bundle.js`);
  let source: string;
  try {
    if (fs.statSync(file).mtimeMs < fs.statSync(path.join(__dirname, `${name}.js`)).mtimeMs) return undefined;
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const hash = BANNER.exec(source)?.[1];
  if (!hash) return undefined;
  // One cache per command, bundle, install and build: by the bundle's content hash, as V8
  // itself checks only the source's length, and by Node's version, which V8 does check, so
  // that two Nodes running one install do not replace each other's caches either.
  const dir = cacheDir();
  // The bundle's name first: an older gocker prunes every `<command>-*.bin` but its own when
  // it writes a cache, and there is no `main` or `fast` command to succeed and write one.
  const own = `${name}-${command}-${installId(__dirname)}-`;
  const node = `-${process.version.replace(/[^0-9a-z.]/gi, '')}.bin`;
  const cacheName = `${own}${hash}${node}`;
  const cachedData = dir === undefined ? undefined : readCache(path.join(dir, cacheName));
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (dir !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code !== 0) return; // a failed run compiled the failure's path, not the command's
      try {
        writeCache(dir, cacheName, own, node, script.createCachedData());
      } catch {
        /* a cache directory we cannot write or list: no cache, the same result */
      }
    });
  }
  const mod = { exports: {} as T };
  // This module's own require: it resolves from this directory, the bundle's.
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, require, mod, file, __dirname);
  return mod.exports;
}

const args = process.argv.slice(2);
const command = commandOf(args);
const whole = (): void => (loadBundle<Main>('main', command) ?? (require('./main') as Main)).cli(args);
const fast = command === 'run' || command === 'exec' ? loadBundle<Fast>('fast', command) : undefined;
if (fast) fast.cliFast(args, whole);
else whole();
