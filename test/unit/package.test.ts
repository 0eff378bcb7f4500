// What `npm pack` ships: a license that is the one package.json names, and source maps that
// stand on their own (an installed package has dist/ but not the TypeScript it came from, so
// a map naming lib/x.ts must carry that file's text). No root, no addon.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as os from 'node:os';
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

test('the install step names the missing Debian packages before node-gyp starts', () => {
  // A PATH with node and sh but no compiler, make or python3: what a machine without
  // build-essential looks like to the install script.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-preflight-'));
  try {
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const r = spawnSync(path.join(bin, 'node'), [path.join(REPO, 'native', 'preflight.js')], { encoding: 'utf8', env: { PATH: bin } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^gocker: cannot build the native addon: missing make \(build-essential\), g\+\+ \(build-essential\), python3/);
    assert.match(r.stderr, /apt-get install -y make g\+\+ python3\n$/);
    // And on this machine, where the build works, it passes quietly.
    const ok = spawnSync(process.execPath, [path.join(REPO, 'native', 'preflight.js')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr, '');
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
