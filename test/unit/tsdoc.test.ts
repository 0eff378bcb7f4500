// Every export of the package (what lib/index.ts gives `require('gocker')` and its types),
// and every public member of the exported classes and interfaces, has TSDoc: the library's
// users read the API in their editors, not in our sources. Read from the sources with the
// TypeScript compiler, as an editor reads them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ts from 'typescript';

// dist/test/unit -> the repository, whose lib/ holds the sources.
const REPO = path.join(__dirname, '..', '..', '..');

test('every export of lib/index.ts, and every public member of its classes and interfaces, has TSDoc', () => {
  const entry = path.join(REPO, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const documented = (s: ts.Symbol): boolean => s.getDocumentationComment(checker).length > 0 || s.getJsDocTags(checker).length > 0;
  const where = (d: ts.Declaration | undefined): string => (d ? path.relative(REPO, d.getSourceFile().fileName) : '?');
  const missing: string[] = [];
  for (const exp of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    if (!documented(sym)) missing.push(`${exp.name} (${where(sym.declarations?.[0])})`);
    if (!(sym.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
    for (const m of checker.getDeclaredTypeOfSymbol(sym).getProperties()) {
      const d = m.declarations?.[0];
      // Node's own types (an Error's message, a stream's methods) are documented there.
      if (!d || d.getSourceFile().fileName.includes('node_modules')) continue;
      if (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || m.name.startsWith('#')) continue;
      if (!documented(m)) missing.push(`${exp.name}.${m.name} (${where(d)})`);
    }
  }
  assert.deepEqual(missing, []);
});

test('Gocker hands out no internal Volumes: its volumes are createVolume, listVolumes, inspectVolume, removeVolume and pruneVolumes', () => {
  // Before: a public getter `volumes` gave the store's Volumes class itself to any caller.
  const entry = path.join(REPO, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const gocker = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!).find((e) => e.name === 'Gocker')!;
  const exposed = checker.getDeclaredTypeOfSymbol(gocker).getProperties().filter((m) => {
    const d = m.declarations?.[0];
    if (!d || ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    return checker.typeToString(checker.getTypeOfSymbolAtLocation(m, d)) === 'Volumes';
  });
  assert.deepEqual(exposed.map((m) => m.name), []);
  assert.ok(['createVolume', 'listVolumes', 'inspectVolume', 'removeVolume', 'pruneVolumes'].every((n) => checker.getDeclaredTypeOfSymbol(gocker).getProperty(n)));
});

test('nothing internal is reachable from the package\'s types: every class or interface of lib/ that an export\'s public members name is exported too', () => {
  // Before: Gocker.store and Gocker.paths handed the store's Store and StorePaths to any caller.
  const entry = path.join(REPO, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const exported = new Set<ts.Symbol>();
  const roots: ts.Symbol[] = [];
  for (const exp of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    exported.add(sym);
    roots.push(sym);
  }
  const inLib = (s: ts.Symbol): boolean => !!s.declarations?.some((d) => !d.getSourceFile().fileName.includes('node_modules') && d.getSourceFile().fileName.startsWith(path.join(REPO, 'lib')));
  const hidden = (d: ts.Declaration): boolean => !!(ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) || ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal');
  const leaks = new Set<string>();
  const seen = new Set<ts.Type>();
  const visitType = (t: ts.Type, via: string): void => {
    if (seen.has(t)) return;
    seen.add(t);
    const s = t.aliasSymbol ?? t.getSymbol();
    if (s && inLib(s) && s.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface) && !exported.has(s)) leaks.add(`${checker.typeToString(t)} (through ${via})`);
    if (t.isUnionOrIntersection()) for (const u of t.types) visitType(u, via);
    for (const a of checker.getTypeArguments(t as ts.TypeReference) ?? []) visitType(a, via);
    for (const a of t.aliasTypeArguments ?? []) visitType(a, via);
    // Only lib's own shapes are walked into: Node's and TypeScript's are not ours to hide.
    if (s && !inLib(s) && !(t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Anonymous)) return;
    visitMembers(t, via);
  };
  const visitSignature = (sig: ts.Signature, via: string): void => {
    for (const p of sig.getParameters()) visitType(checker.getTypeOfSymbol(p), via);
    visitType(sig.getReturnType(), via);
  };
  const visitMembers = (t: ts.Type, via: string): void => {
    for (const m of t.getProperties()) {
      const d = m.declarations?.[0];
      if (!d || hidden(d) || m.name.startsWith('#')) continue;
      visitType(checker.getTypeOfSymbolAtLocation(m, d), `${via}.${m.name}`);
    }
    for (const sig of [...t.getCallSignatures(), ...t.getConstructSignatures()]) {
      if (!sig.declaration || !hidden(sig.declaration)) visitSignature(sig, via);
    }
  };
  for (const sym of roots) {
    if (sym.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) visitMembers(checker.getDeclaredTypeOfSymbol(sym), sym.name);
    if (sym.flags & ts.SymbolFlags.Class) {
      const ctor = checker.getTypeOfSymbol(sym);
      for (const sig of ctor.getConstructSignatures()) if (!sig.declaration || !hidden(sig.declaration)) visitSignature(sig, `new ${sym.name}`);
    }
    if (sym.flags & ts.SymbolFlags.TypeAlias) visitType(checker.getDeclaredTypeOfSymbol(sym), sym.name);
    if (sym.flags & ts.SymbolFlags.Function) for (const sig of checker.getTypeOfSymbol(sym).getCallSignatures()) visitSignature(sig, sym.name);
  }
  assert.deepEqual([...leaks].sort(), []);
});
