// Runs the built CLI the way a user does, in a fresh process: gocker() and gockerAsync() run
// dist/cli/gocker.js itself, as the `gocker` command npm installs (through its sh launcher);
// tests that spawn `node dist/cli/gocker.js` directly cover the path without it.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storeBridges, storeNetworkConfig, teardownBridges, useTestNetworkConfig } from './network';

export const REPO = path.resolve(__dirname, '..', '..', '..');

// Every gocker this test process runs uses a bridge and subnets of its own (helpers/network.ts).
useTestNetworkConfig();
export const BIN = path.join(REPO, 'dist', 'cli', 'gocker.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment a command on this store runs with: a store tempRoots() made has a network
 * config of its own beside it, used unless the caller names another config.
 */
function storeEnv(args: string[], env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const base = env ?? process.env;
  const i = args.indexOf('--root');
  if (i < 0 || (base.GOCKER_CONFIG !== undefined && base.GOCKER_CONFIG !== process.env.GOCKER_TEST_NETWORK_CONFIG)) return base;
  const cfg = path.join(path.dirname(args[i + 1]), 'netconfig.json');
  return fs.existsSync(cfg) ? { ...base, GOCKER_CONFIG: cfg } : base;
}

export function gocker(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 120_000, ...opts, env: storeEnv(args, opts.env) });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/**
 * A private root and runroot for one test file; remove() deletes both, and takes down the
 * bridges the store made (its containers must be gone): it throws when anything of them
 * (links, ports, rules) is still on the host after that.
 */
export function tempRoots(prefix = 'gocker-test-'): { root: string; runroot: string; args: string[]; remove(): void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // Its own bridge and subnet: two stores of one test file must not meet at one bridge.
  storeNetworkConfig(path.join(base, 'netconfig.json'));
  const root = path.join(base, 'root');
  const runroot = path.join(base, 'run');
  return {
    root,
    runroot,
    args: ['--root', root, '--runroot', runroot],
    remove: () => {
      const bridges = storeBridges(root);
      fs.rmSync(base, { recursive: true, force: true });
      const left = bridges.length ? teardownBridges(bridges) : [];
      if (left.length) throw new Error(`left on the host by ${root}: ${left.join('; ')}`);
    },
  };
}

/** Like gocker(), without blocking the event loop: for tests that serve something in-process. */
export function gockerAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(BIN, args, { env: storeEnv(args, opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/**
 * The busybox rootfs of test/helpers/fixtures as image NAME (busybox) in the store storeArgs
 * name (--root/--runroot): what most integration files do first.
 */
export async function importBusybox(storeArgs: string[], name = 'busybox'): Promise<void> {
  // Loaded here: fixtures' own imports are only for the files that build images.
  const { busyboxRootfs } = await import('./fixtures');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocker-bb-'));
  try {
    const tarball = path.join(dir, 'busybox.tar');
    const tar = spawnSync('tar', ['--numeric-owner', '-cf', tarball, '-C', await busyboxRootfs(), '.'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    const r = gocker([...storeArgs, 'import', tarball, name]);
    if (r.status !== 0) throw new Error(`gocker import: ${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** rm -f of every container the store under root holds: from the records themselves, so a failing test cannot hide what it left running. */
export function removeAllContainers(root: string, storeArgs: string[]): void {
  const dir = path.join(root, 'containers');
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) gocker([...storeArgs, 'rm', '-f', id]);
}
