// Diagnostics on stderr in the logfmt form docker and podman print with --log-level
// (`time="..." level=debug msg="..."`). The CLI sets the process's level from --log-level /
// GOCKER_LOG_LEVEL; a library user's `new Gocker({ logLevel, logSink })` applies to what that
// engine does only (an AsyncLocalStorage scope around its methods), so two engines in one
// program, or a program's own use of the CLI's defaults, do not change each other's. What a
// command prints for the user never goes through here.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel } from './options';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A level and where its lines go. */
export interface LogSettings {
  /** the least severe level written */
  level: LogLevel;
  /** takes each line, newline included */
  sink: (line: string) => void;
}

/** The process's: the CLI's, and what code outside any engine's scope logs with. */
const processSettings: LogSettings = { level: 'warn', sink: (line) => process.stderr.write(line) };
const scope = new AsyncLocalStorage<LogSettings>();

function current(): LogSettings {
  return scope.getStore() ?? processSettings;
}

/** The least severe level that is written outside any engine's scope (the CLI's --log-level). */
export function setLogLevel(l: LogLevel): void {
  processSettings.level = l;
}

/** The level in force here: the engine's whose method is running, or the process's. */
export function logLevel(): LogLevel {
  return current().level;
}

/** Where lines go outside any engine's scope (default stderr): for tests, and the CLI. */
export function setLogSink(fn: (line: string) => void): void {
  processSettings.sink = fn;
}

/** The settings in force here, to hand to an object that will log later (see bindLogScope). */
export function currentLogSettings(): LogSettings {
  return current();
}

/**
 * Makes every method of obj (its class's and their bases', not getters) run with settings in
 * force, and whatever it starts (promises, timers, streams' callbacks) with them too.
 */
export function bindLogScope(obj: object, settings: LogSettings = current()): void {
  const seen = new Set<string>();
  for (let proto = Object.getPrototypeOf(obj); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (!d || typeof d.value !== 'function') continue;
      const method = d.value as (...args: unknown[]) => unknown;
      Object.defineProperty(obj, name, {
        value: (...args: unknown[]) => scope.run(settings, () => method.apply(obj, args)),
        writable: true, configurable: true, enumerable: false,
      });
    }
  }
}

/** True when a line at l would be written: guard costly messages with it. */
export function logEnabled(l: LogLevel): boolean {
  return RANK[l] <= RANK[current().level];
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
  current().sink(`time="${new Date().toISOString()}" level=${l === 'warn' ? 'warning' : l} msg=${JSON.stringify(msg)}${extra}\n`);
}

export const log = {
  error: (msg: string, fields: Record<string, unknown> = {}): void => write('error', msg, fields),
  warn: (msg: string, fields: Record<string, unknown> = {}): void => write('warn', msg, fields),
  info: (msg: string, fields: Record<string, unknown> = {}): void => write('info', msg, fields),
  debug: (msg: string, fields: Record<string, unknown> = {}): void => write('debug', msg, fields),
};
