// What the start of every command shares, in the run/exec bundle (cli/fast.ts) and the whole
// CLI (cli/main.ts) alike: the global flags before the command, and turning a handler's
// error into one line and its exit code.
import type { GlobalArgs } from './types';
import { errorLine } from '../lib/errors';
import { log, logEnabled, setLogLevel } from '../lib/log';
import { parseLogLevel } from '../lib/options';

/** Global flags that take a value, wherever they stand. */
export const GLOBAL_VALUE_FLAGS = ['--root', '--runroot', '--log-level', '--storage-driver'];

export function fail(message: string, code = 125): never {
  process.stderr.write(`gocker: ${message}\n`);
  process.exit(code);
}

/** docker's two lines for a command line it cannot parse; exit 125. */
export function usageError(message: string, command?: string): never {
  fail(`${message}\nSee 'gocker ${command ? `${command} ` : ''}--help'.`);
}

/** The command: the first word that is not a global flag or a global flag's value. */
export function commandWord(args: string[]): string | undefined {
  return args.find((a, i) => !a.startsWith('-') && !GLOBAL_VALUE_FLAGS.includes(args[i - 1] ?? ''));
}

/**
 * Before the command only global flags stand (an unknown one would take the command as its
 * value): a usage error otherwise. Returns true when one of them asks for the version.
 */
export function checkGlobalFlags(args: string[], first: string | undefined): boolean {
  for (const a of args.slice(0, first === undefined ? args.length : args.indexOf(first))) {
    if (a === '--version' || a === '-v') return true;
    if (a.startsWith('-') && ![...GLOBAL_VALUE_FLAGS, '--help'].includes(a.split('=')[0]) && !GLOBAL_VALUE_FLAGS.some((f) => args[args.indexOf(a) - 1] === f)) {
      usageError(a.startsWith('--') ? `unknown flag: ${a.split('=')[0]}` : `unknown shorthand flag: '${a[1]}' in ${a}`);
    }
  }
  return false;
}

/**
 * Runs one command's handler with the global log level applied; an error becomes one line and
 * its exit code (the stack only at --log-level debug).
 */
export async function runHandler(argv: GlobalArgs, handler: () => Promise<number | void> | number | void): Promise<void> {
  const started = Date.now();
  try {
    setLogLevel(parseLogLevel(argv.logLevel || process.env.GOCKER_LOG_LEVEL || 'warn'));
    const code = await handler();
    if (typeof code === 'number') process.exitCode = code;
    log.debug('command done', { ms: Date.now() - started, exit: process.exitCode ?? 0 });
  } catch (e) {
    const exit = typeof (e as { exitCode?: unknown }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 125;
    if (logEnabled('debug') && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    fail(errorLine(e), exit);
  }
}
