// What `npm pack` ships: a license that is the one package.json names, and source maps that
// stand on their own (an installed package has dist/ but not the TypeScript it came from, so
// a map naming lib/x.ts must carry that file's text). No root, no addon.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { license: string };
const shipped = (): string[] => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
};

test('the package ships a LICENSE whose text is the license package.json names', () => {
  const files = shipped();
  assert.ok(files.includes('LICENSE'), 'LICENSE is packed');
  assert.equal(pkg.license, 'Apache-2.0');
  assert.match(fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
});

test('every source map in the package carries the sources it names, or names only packed files', () => {
  const files = shipped();
  const packed = new Set(files);
  const maps = files.filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 10, `maps are shipped (${maps.length})`);
  for (const m of maps) {
    const map = JSON.parse(fs.readFileSync(path.join(REPO, m), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
    map.sources.forEach((src, i) => {
      const inPackage = packed.has(path.posix.normalize(path.posix.join(path.posix.dirname(m), src)));
      assert.ok(inPackage || typeof map.sourcesContent?.[i] === 'string', `${m}: ${src} is neither packed nor inlined`);
    });
  }
});
