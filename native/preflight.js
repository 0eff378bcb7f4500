#!/usr/bin/env node
// Runs before node-gyp at install: names the Debian package that is missing, instead of
// letting the compiler stop at `zstd.h: No such file or directory` twenty lines into a build log.
'use strict';
const { spawnSync } = require('node:child_process');

const TOOLS = [
  ['make', 'make (build-essential)'],
  ['g++', 'g++ (build-essential)'],
  ['python3', 'python3 (node-gyp runs on it)'],
];
// Each header, as the sources include it, and the Debian 12 package that ships it.
const HEADERS = [
  ['zlib.h', 'zlib1g-dev'],
  ['zstd.h', 'libzstd-dev'],
  ['seccomp.h', 'libseccomp-dev'],
  ['libmnl/libmnl.h', 'libmnl-dev'],
  ['nlohmann/json.hpp', 'nlohmann-json3-dev'],
];

const missing = [];
for (const [tool, pkg] of TOOLS) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) missing.push(pkg);
}
if (missing.length === 0) {
  for (const [header, pkg] of HEADERS) {
    // The compiler's own search path, not a guess at /usr/include: multiarch and
    // cross set-ups put headers elsewhere.
    const r = spawnSync('g++', ['-E', '-x', 'c++', '-o', '/dev/null', '-'], { input: `#include <${header}>\n`, stdio: ['pipe', 'ignore', 'ignore'] });
    if (r.status !== 0) missing.push(pkg);
  }
}
if (missing.length) {
  console.error(`gocker: cannot build the native addon: missing ${missing.join(', ')}`);
  console.error(`gocker: on Debian or Ubuntu: apt-get install -y ${missing.map((m) => m.split(' ')[0]).join(' ')}`);
  process.exit(1);
}
