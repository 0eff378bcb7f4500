// lib is a library: a program that loads it keeps its own signals, working directory, exit
// and environment. Process-wide handlers (docker's sig-proxy), `-e VAR` from the caller's
// environment, --env-file and a relative -v are the CLI's (cli/sigproxy.ts, cli/runflags.ts).
// This keeps them from creeping back into lib: a scan of its sources, comments aside.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

// dist/test/unit -> the repository, whose lib/ holds the sources.
const ROOT = path.join(__dirname, '..', '..', '..');
const LIB = path.join(ROOT, 'lib');

// Calls that change the whole process: its signal handlers, its directory, its end, its umask.
const FORBIDDEN = /\bprocess\.(on|once|addListener|prependListener|prependOnceListener|chdir|exit|umask)\s*\(/;

// The engine's own configuration, read from the environment by name (documented in README):
// nothing of a container's comes from the caller's environment.
const ENV_ALLOWED = new Set([
  'GOCKER_CONFIG', 'DOCKER_CONFIG', 'PATH', 'GOCKER_CGROUP_MANAGER', 'GOCKER_EXTRA_CA_CERTS', 'GOCKER_REGISTRY_TIMEOUT_MS',
]);
// resolveOptions' default: the GOCKER_* settings a Gocker() without options takes (lib/options.ts).
const ENV_WHOLE_ALLOWED = new Map([['lib/options.ts', 'env: NodeJS.ProcessEnv = process.env']]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Each line of code in lib with what it does to the process, as `file:line: text`. */
function offences(): string[] {
  const out: string[] = [];
  for (const file of sources(LIB)) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
      const at = `${rel}:${i + 1}: ${code}`;
      if (FORBIDDEN.test(code)) out.push(at);
      for (const m of code.matchAll(/\bprocess\.env\b(\.(\w+)|\s*\[)?/g)) {
        if (m[2] && ENV_ALLOWED.has(m[2])) continue;
        if (!m[1] && ENV_WHOLE_ALLOWED.get(rel) !== undefined && code.includes(ENV_WHOLE_ALLOWED.get(rel)!)) continue;
        out.push(at);
      }
    });
  }
  return out;
}

test('lib installs no signal handler, changes no directory, never exits, and reads only its own settings from the environment', () => {
  assert.deepEqual(offences(), []);
});

test('the scan sees what it is for', () => {
  // The patterns themselves, on lines such as the ones that were moved out of lib.
  assert.ok(FORBIDDEN.test("for (const s of SIGNALS) process.on(s, this.handler);"));
  assert.ok(FORBIDDEN.test('process.chdir(dir);'));
  assert.ok(!FORBIDDEN.test('child.on(\'exit\', f);'));
  assert.ok([...'e in process.env[e]'.matchAll(/\bprocess\.env\b(\.(\w+)|\s*\[)?/g)].every((m) => !m[2]));
});
