#!/usr/bin/env node
// Runs the compiled suite with node's test runner. Unit tests (dist/test/unit) need no
// root, but some load the addon, which `npm ci` builds: the reference and digest parser is
// native (lib/name, and the store's paths through it), and so is user resolution's getxattr.
// Integration tests (dist/test/integration) run as root against real registries, images and
// containers, and are never skipped in CI.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const unitOnly = process.argv.includes('--unit');
const dist = path.join(__dirname, '..', 'dist', 'test');

function collect(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...collect(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

// `node test/run.js [--unit] [FILE...]`: the files named (their .ts sources or compiled .js),
// or every test; a developer runs one file, CI runs them all.
const named = process.argv.slice(2).filter((a) => a !== '--unit').map((a) => {
  const rel = path.relative(path.join(__dirname, '..'), path.resolve(a)).replace(/^dist\//, '').replace(/\.ts$/, '.js');
  const file = path.join(dist, '..', rel);
  if (!fs.existsSync(file)) {
    console.error(`test/run.js: no compiled test ${file}; run \`npm run build:ts\` first`);
    process.exit(1);
  }
  return file;
});
const files = named.length ? named : collect(path.join(dist, 'unit'));
if (!unitOnly && !named.length) {
  if (process.getuid() !== 0) {
    const msg = 'integration tests need root (namespaces, mounts, cgroups)';
    if (process.env.CI) {
      console.error(`test/run.js: ${msg}; CI must run as root`);
      process.exit(1);
    }
    console.error(`test/run.js: ${msg}: running unit tests only`);
  } else {
    files.push(...collect(path.join(dist, 'integration')));
  }
}
if (files.length === 0) {
  console.error('test/run.js: no tests found; run `npm run build:ts` first');
  process.exit(1);
}
// Every test store has a bridge of its own (test/helpers/network.ts); the default one, gocker0,
// appearing during the run is a test or a code path that ignored its config: a failure.
const DEFAULT_BRIDGE = '/sys/class/net/gocker0';
const hadDefaultBridge = fs.existsSync(DEFAULT_BRIDGE);
// Integration tests share the host's mounts and cgroups: one file at a time.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
if (!unitOnly && !hadDefaultBridge && fs.existsSync(DEFAULT_BRIDGE)) {
  console.error('test/run.js: the default bridge gocker0 was made during the run: a test reached the default network config');
  process.exit(1);
}
process.exit(r.status === null ? 1 : r.status);
