// Diagnostics on stderr in the logfmt form docker and podman print with --log-level
// (`time="..." level=debug msg="..."`). One level per process: the CLI sets it from
// --log-level / GOCKER_LOG_LEVEL, the library from `new Gocker({ logLevel })`. What a
// command prints for the user never goes through here.
import type { LogLevel } from './options';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

let level: LogLevel = 'warn';
let sink: (line: string) => void = (line) => process.stderr.write(line);

/** The least severe level that is written; below it nothing is (docker's --log-level). */
export function setLogLevel(l: LogLevel): void {
  level = l;
}

export function logLevel(): LogLevel {
  return level;
}

/** Where lines go (default stderr): for library users who keep their own logs, and tests. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

/** True when a line at l would be written: guard costly messages with it. */
export function logEnabled(l: LogLevel): boolean {
  return RANK[l] <= RANK[level];
}

/**
 * Milliseconds since this process started, for debug lines that show where a command's time
 * goes. process.uptime(), not performance.now(): that one loads perf_hooks (0.7 ms a start).
 */
export function sinceStart(): number {
  return Math.round(process.uptime() * 1000);
}

/** logfmt quoting: values with spaces, quotes or '=' are quoted, inner quotes escaped. */
function value(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

function write(l: LogLevel, msg: string, fields: Record<string, unknown>): void {
  if (!logEnabled(l)) return;
  const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${value(v)}`).join('');
  // logrus (docker, podman) names the level 'warning' in its lines.
  sink(`time="${new Date().toISOString()}" level=${l === 'warn' ? 'warning' : l} msg=${JSON.stringify(msg)}${extra}\n`);
}

export const log = {
  error: (msg: string, fields: Record<string, unknown> = {}): void => write('error', msg, fields),
  warn: (msg: string, fields: Record<string, unknown> = {}): void => write('warn', msg, fields),
  info: (msg: string, fields: Record<string, unknown> = {}): void => write('info', msg, fields),
  debug: (msg: string, fields: Record<string, unknown> = {}): void => write('debug', msg, fields),
};
