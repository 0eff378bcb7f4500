// Where gocker keeps its state. Flags win over the environment, which wins over defaults.

export interface GockerOptions {
  /** persistent state: blobs, layers, images.json, containers (default /var/lib/gocker) */
  root?: string;
  /** state that dies with the machine: pids, sockets, mount points (default /var/run/gocker) */
  runroot?: string;
  /** 'error' | 'warn' | 'info' | 'debug' */
  logLevel?: LogLevel;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export interface ResolvedOptions {
  root: string;
  runroot: string;
  logLevel: LogLevel;
}

export const DEFAULT_ROOT = '/var/lib/gocker';
export const DEFAULT_RUNROOT = '/var/run/gocker';

export function resolveOptions(opts: GockerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const level = opts.logLevel ?? (env.GOCKER_LOG_LEVEL as LogLevel | undefined) ?? 'warn';
  return {
    root: opts.root || env.GOCKER_ROOT || DEFAULT_ROOT,
    runroot: opts.runroot || env.GOCKER_RUNROOT || DEFAULT_RUNROOT,
    logLevel: LOG_LEVELS.includes(level) ? level : 'warn',
  };
}
