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
