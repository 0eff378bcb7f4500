#!/usr/bin/env node
// The gocker command. A Node CLI's start goes mostly to finding, reading and compiling its
// JavaScript, and `gocker run`'s start is a benchmark target: so cli/main.ts and all it
// requires are bundled into one file at build time (cli/bundle.ts), and run and exec
// (cli/fast.ts) into one more, and a bundle is run through a V8 code cache, one per command,
// written by the command's first successful run (it holds the functions that run compiled: a
// cache made before running holds only the top level) into the user's cache directory, not
// the package's own (an install directory is not ours to write at run time, and may be
// shared or read-only). A missing bundle, or one older than
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

/**
 * $XDG_CACHE_HOME/gocker/v8 (or ~/.cache/gocker/v8), made 0700; undefined when it is not this
 * user's alone. A code cache is code that runs as whoever runs gocker (root, mostly): a
 * directory someone else owns or may write into (a HOME kept across sudo, a shared cache) is
 * not read from.
 */
function cacheDir(): string | undefined {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'gocker', 'v8');
  const uid = process.geteuid?.() ?? -1;
  const ours = (p: string): boolean => {
    const st = fs.lstatSync(p);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  };
  try {
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return ours(path.dirname(dir)) && ours(dir) ? dir : undefined;
  } catch {
    return undefined;
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
  // By the bundle's content hash: V8 itself checks only the source's length, and the
  // versions and flags it was made with.
  const dir = cacheDir();
  const cacheFile = dir && path.join(dir, `${command}-${hash}.bin`);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run of this command: made at exit */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      if (code !== 0) return; // a failed run compiled the failure's path, not the command's
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
        // This command's caches of earlier bundles are never read again.
        for (const f of fs.readdirSync(dir)) if (f.startsWith(`${command}-`) && f.endsWith('.bin') && f !== path.basename(cacheFile)) fs.rmSync(path.join(dir, f), { force: true });
      } catch {
        /* a read-only cache directory: no cache, the same result */
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
