// The engine's packages (the directories of lib/) are layered: store under image, network
// and spec, those under container, container under system. A package that imports one
// built on it makes the two one package in all but name; this keeps that from creeping
// back. Type-only imports count: they tie the packages' designs together as much.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// dist/test/unit -> the repository, whose lib/ holds the sources.
const LIB = path.join(__dirname, '..', '..', '..', 'lib');

/** The package a source file or import target belongs to; undefined for lib's own top-level files. */
function packageOf(file: string): string | undefined {
  const rel = path.relative(LIB, file).split(path.sep);
  if (rel[0] === '..') return undefined;
  if (rel.length > 1) return rel[0];
  // `import '../network'`: the directory's index.
  return fs.existsSync(file) && fs.statSync(file).isDirectory() ? rel[0] : undefined;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** package -> the packages it imports, each with one file that does. */
function packageGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(LIB)) {
    const from = packageOf(file);
    if (!from) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)'(\.[^']*)'/g)) {
      const to = packageOf(path.resolve(path.dirname(file), m[1]));
      if (!to || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, path.relative(LIB, file));
    }
  }
  return graph;
}

/** A cycle through the graph as a list of "a -> b (file)" steps, or undefined. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const [next] of graph.get(n) ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...stack.slice(stack.indexOf(next)), next];
        return loop.slice(1).map((to, i) => `${loop[i]} -> ${to} (${graph.get(loop[i])!.get(to)})`);
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

test('no two packages of lib/ import each other, however indirectly', () => {
  const graph = packageGraph();
  // The walk sees the packages it should: a layout change that hid them would pass vacuously.
  assert.ok(graph.get('container')?.has('image') && graph.get('image')?.has('store'), 'the import graph was not read');
  const cycle = findCycle(graph);
  assert.equal(cycle, undefined, `a package cycle: ${cycle?.join(', ')}`);
});

test('the cycle finder finds a cycle when there is one', () => {
  const graph = new Map([['a', new Map([['b', 'a/x.ts']])], ['b', new Map([['c', 'b/y.ts']])], ['c', new Map([['a', 'c/z.ts']])]]);
  assert.deepEqual(findCycle(graph), ['a -> b (a/x.ts)', 'b -> c (b/y.ts)', 'c -> a (c/z.ts)']);
});
