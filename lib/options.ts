// Where gocker keeps its state. Flags win over the environment, which wins over defaults.
import { GockerError } from './errors';

/** Where an engine keeps its state, and how it logs; each unset one comes from the environment, then the default. */
export interface GockerOptions {
  /** persistent state: blobs, layers, images.json, containers (default /var/lib/gocker) */
  root?: string;
  /** state that dies with the machine: pids, sockets, mount points (default /var/run/gocker) */
  runroot?: string;
  /** 'error' | 'warn' | 'info' | 'debug' */
  logLevel?: LogLevel;
  /** where this engine's log lines go (default: stderr), each with its newline */
  logSink?: (line: string) => void;
  /**
   * 'overlay2' (default): layers as overlayfs lowers, a container gets an upper dir.
   * 'vfs': docker's fallback where overlay cannot be mounted: every layer is a full copy of
   * its parent plus its changes, a container a full copy of its image. Each driver keeps
   * its own images and containers (under ROOT/vfs for vfs), as docker does.
   */
  storageDriver?: StorageDriver;
  /**
   * true (default): a container this engine launches hands its exit to this process while it
   * lives (--rm's removal, the restart policy, the exit recorded, done here rather than by a
   * Node process started for each exit: lib/container/exit-handoff.ts); once the process has
   * gone, the container's monitor does it as before. false: always the monitor's exit
   * command, for a program that ends as soon as its command is done (the CLI).
   */
  exitHandoff?: boolean;
}

/** How images and containers are laid out on disk. */
export type StorageDriver = 'overlay2' | 'vfs';
export const STORAGE_DRIVERS: readonly StorageDriver[] = ['overlay2', 'vfs'];

/** How much the engine writes to its log, least first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** GockerOptions with every one settled: what an engine uses. */
export interface ResolvedOptions {
  /** --root, GOCKER_ROOT, or /var/lib/gocker */
  root: string;
  /** --runroot, GOCKER_RUNROOT, or /var/run/gocker */
  runroot: string;
  /** --log-level, GOCKER_LOG_LEVEL, or 'warn' */
  logLevel: LogLevel;
  /** --storage-driver, GOCKER_STORAGE_DRIVER, or 'overlay2' */
  storageDriver: StorageDriver;
  /** exitHandoff, true unless false */
  exitHandoff: boolean;
}

export const DEFAULT_ROOT = '/var/lib/gocker';
export const DEFAULT_RUNROOT = '/var/run/gocker';

export function resolveOptions(opts: GockerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  return {
    root: opts.root || env.GOCKER_ROOT || DEFAULT_ROOT,
    runroot: opts.runroot || env.GOCKER_RUNROOT || DEFAULT_RUNROOT,
    logLevel: parseLogLevel(opts.logLevel || env.GOCKER_LOG_LEVEL || 'warn'),
    storageDriver: storageDriver(opts.storageDriver || env.GOCKER_STORAGE_DRIVER || 'overlay2'),
    exitHandoff: opts.exitHandoff !== false,
  };
}

/** docker's wording for a level it does not know. */
export function parseLogLevel(name: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(name)) return name as LogLevel;
  throw new GockerError(`Unable to parse logging level: ${name}`);
}

function storageDriver(name: string): StorageDriver {
  if (name === 'overlay') return 'overlay2';
  if ((STORAGE_DRIVERS as readonly string[]).includes(name)) return name as StorageDriver;
  throw new GockerError(`unknown storage driver "${name}" (supported: ${STORAGE_DRIVERS.join(', ')})`);
}
