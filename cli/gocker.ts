#!/usr/bin/env node
// The gocker command. A Node CLI's start goes mostly to finding, reading and compiling its
// JavaScript, and `gocker run`'s start is a benchmark target: so cli/main.ts and all it
// requires are bundled into one file at build time (cli/bundle.ts), and that file is run
// through a V8 code cache, one per command, written by the command's first successful run
// (it holds the functions that run compiled: a cache made before running holds only the
// top level). A missing bundle, or one older than the compiled modules (tsc ran alone),
// means loading the modules one by one, as usual.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

const BUNDLE = path.join(__dirname, 'main.bundle.js');
/** Written by cli/bundle.ts: its first line names the bundle by a hash of its content. */
const BANNER = /^\/\/ gocker-bundle ([0-9a-f]{16})\n/;
/** The global flags that take a value as the next word (as in cli/main.ts). */
const VALUE_FLAGS = new Set(['--root', '--runroot', '--log-level', '--storage-driver']);

type Main = typeof import('./main');

/** The command a cache is kept for: the first word that is not a flag or a flag's value. */
function commandOf(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (VALUE_FLAGS.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return /^[a-z]{1,20}$/.test(args[i]) ? args[i] : 'other';
  }
  return 'none';
}

function loadBundle(args: string[]): Main | undefined {
  let source: string;
  try {
    if (fs.statSync(BUNDLE).mtimeMs < fs.statSync(path.join(__dirname, 'main.js')).mtimeMs) return undefined;
    source = fs.readFileSync(BUNDLE, 'utf8');
  } catch {
    return undefined;
  }
  const hash = BANNER.exec(source)?.[1];
  if (!hash) return undefined;
  // By the bundle's content hash: V8 itself checks only the source's length, and the
  // versions and flags it was made with.
  const cacheFile = path.join(__dirname, 'cache', `${commandOf(args)}-${hash}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run of this command: made at exit */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      if (code !== 0) return; // a failed run compiled the failure's path, not the command's
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* a read-only install: no cache, the same result */
      }
    });
  }
  const mod = { exports: {} as Main };
  // This module's own require: it resolves from this directory, the bundle's.
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, require, mod, BUNDLE, __dirname);
  return mod.exports;
}

const args = process.argv.slice(2);
(loadBundle(args) ?? (require('./main') as Main)).cli(args);
