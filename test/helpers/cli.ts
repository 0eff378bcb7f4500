// Runs the built CLI the way a user does, in a fresh process: gocker() and gockerAsync() run
// dist/cli/gocker.js itself, as the `gocker` command npm installs (through its sh launcher);
// tests that spawn `node dist/cli/gocker.js` directly cover the path without it.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(REPO, 'dist', 'cli', 'gocker.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function gocker(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 120_000, ...opts });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** A private root and runroot for one test file; remove() deletes both. */
export function tempRoots(prefix = 'gocker-test-'): { root: string; runroot: string; args: string[]; remove(): void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const root = path.join(base, 'root');
  const runroot = path.join(base, 'run');
  return {
    root,
    runroot,
    args: ['--root', root, '--runroot', runroot],
    remove: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** Like gocker(), without blocking the event loop: for tests that serve something in-process. */
export function gockerAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(BIN, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
