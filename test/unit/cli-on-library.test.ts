// The CLI is built on the library's public API (lib/index.ts: Gocker, Container and their
// types), as a program using require('gocker') would be: no command reaches into the
// engine's internals (lib/container/*, the store, the image and network packages). What the
// CLI needs and the API lacks is added to the API. Besides lib/index, a few lib modules
// that are pure helpers (no engine state: docker's template and table formatting, time and
// option parsing, the error classes and the log that lib/index re-exports) may be imported
// directly, so that a command that only formats output need not load the engine facade.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// dist/test/unit -> the repository, whose cli/ and lib/ hold the sources.
const REPO = path.join(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'cli');
const LIB = path.join(REPO, 'lib');

/** lib modules any CLI file may import (paths under lib/, without .ts; a directory: all of it). */
const ALLOWED = [
  'index',
  // re-exported by lib/index, and light to load: the error classes, the log's level and sink
  'errors', 'log',
  // pure: Go's text/template, docker's --format tables and inspect templates
  'format/',
  // pure parsers: docker's time and duration forms, the global options, Go's strconv (an
  // int flag's value, as pflag reads it)
  'time', 'options', 'strconv',
];

/**
 * For now, files that still import other lib modules, each with what it imports, to be moved
 * onto the API. A file listed here that no longer needs its entry fails the test too, so that
 * the list only shrinks.
 */
const NOT_YET: Record<string, string[]> = {};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a source names: import ... from, export ... from, import(), require(), import type. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

/** The lib module a CLI file's import names (relative to lib/, no extension), or undefined. */
function libModule(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const rel = path.relative(LIB, path.resolve(path.dirname(file), spec));
  return rel.startsWith('..') ? undefined : rel.split(path.sep).join('/').replace(/\.(js|ts)$/, '');
}

const allowed = (mod: string): boolean => ALLOWED.some((a) => (a.endsWith('/') ? mod.startsWith(a) : mod === a));

test('the CLI imports the engine only through lib/index (and the pure helpers allowed)', () => {
  const found = new Map<string, string[]>();
  for (const file of sources(CLI)) {
    const rel = path.relative(CLI, file).split(path.sep).join('/');
    const mods = new Set(specifiers(fs.readFileSync(file, 'utf8')).map((s) => libModule(file, s)).filter((m): m is string => m !== undefined && !allowed(m)));
    if (mods.size) found.set(rel, [...mods].sort());
  }
  const problems: string[] = [];
  for (const [file, mods] of found) {
    const excused = NOT_YET[file] ?? [];
    for (const m of mods) if (!excused.includes(m)) problems.push(`cli/${file} imports lib/${m}: use lib/index (add what is missing to the API)`);
  }
  for (const [file, mods] of Object.entries(NOT_YET)) {
    for (const m of mods) if (!(found.get(file) ?? []).includes(m)) problems.push(`cli/${file} no longer imports lib/${m}: take it off NOT_YET`);
  }
  assert.deepEqual(problems, []);
});

test('nothing in the CLI imports lib/container/ but the files listed as not moved yet', () => {
  const listed = new Set(Object.keys(NOT_YET).filter((f) => NOT_YET[f].some((m) => m.startsWith('container/'))));
  const offenders = sources(CLI).filter((file) => !listed.has(path.relative(CLI, file).split(path.sep).join('/'))
    && specifiers(fs.readFileSync(file, 'utf8')).some((s) => libModule(file, s)?.startsWith('container/')));
  assert.deepEqual(offenders.map((f) => path.relative(REPO, f)), []);
});
