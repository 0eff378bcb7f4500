// What the start of every command shares, in the run/exec bundle (cli/fast.ts) and the whole
// CLI (cli/main.ts) alike: the global flags before the command, and turning a handler's
// error into docker's line and exit code.
//
// docker's scheme, which every command follows:
// - a command line that cannot be parsed: the message, then where help is, bare; exit 125
//   for a flag, 1 for a wrong number of arguments or an unknown command;
// - run (and create): `gocker: MESSAGE`, exit 125 (126 and 127 for a command that cannot be
//   run), as `docker: ...`;
// - every other command: what the engine refused as `Error response from daemon: MESSAGE`
//   (gocker has no daemon: the engine, lib/, stands where dockerd does), what the CLI refused
//   itself (a file it opens, a flag's value, a terminal on stdout, an engine it cannot open)
//   as the bare message (ClientError); exit 1.
import { engineOptions, type GlobalArgs } from './types';
import { errorLine } from '../lib/errors';
import { log, logEnabled, setLogLevel } from '../lib/log';
import { parseLogLevel, resolveOptions } from '../lib/options';

/** Global flags that take a value, wherever they stand. */
export const GLOBAL_VALUE_FLAGS = ['--root', '--runroot', '--log-level', '--storage-driver'];

/** Commands whose errors are `gocker: MESSAGE`, exit 125, as docker's run and create. */
const RUN_LIKE = new Set(['run', 'create']);

/** An error of the CLI's own (not the engine's): said bare, as docker's CLI says its own. */
export class ClientError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'ClientError';
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** docker's two lines for a command line it cannot parse, bare; exit 125 unless said. */
export function usageError(message: string, command?: string, code = 125): never {
  process.stderr.write(`${message}\nSee 'gocker ${command ? `${command} ` : ''}--help'.\n`);
  process.exit(code);
}

/**
 * An error as `command` reports it (see the scheme above); returns the exit code. The stack
 * only at --log-level debug.
 */
export function report(e: unknown, command: string | undefined): number {
  // The reader of our output went away (`diff | head`): docker's CLI dies of SIGPIPE there,
  // silently, and the shell says 141. Nothing of ours failed.
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE' && err.syscall === 'write') return 141;
  if (logEnabled('debug') && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  const given = (e as { exitCode?: unknown }).exitCode;
  const line = errorLine(e);
  if (command !== undefined && RUN_LIKE.has(command)) {
    process.stderr.write(`gocker: ${line}\n`);
    return typeof given === 'number' ? given : 125;
  }
  process.stderr.write(`${errorText(e)}\n`);
  // 125 is the engine's "refused" for run; every other command exits 1 for it, as docker's.
  return typeof given === 'number' && given !== 125 ? given : 1;
}

/** An error's line outside run: the engine's after docker's prefix for the daemon's, the CLI's bare. */
export function errorText(e: unknown): string {
  // The engine could not be loaded at all: docker's "Cannot connect to the Docker daemon", bare too.
  // A --format template is docker's CLI's own to run, and some requests it refuses before
  // asking (EUSAGE): those errors are said bare too.
  const code = (e as { code?: unknown }).code;
  const client = e instanceof ClientError || code === 'ENATIVE' || code === 'ETEMPLATE' || code === 'EUSAGE';
  return client ? errorLine(e) : `Error response from daemon: ${errorLine(e)}`;
}

/**
 * docker's loop over several containers: each name as given once done, each failure on a
 * line of its own, and the others go on; 1 if any failed.
 */
export async function forEachNamed(names: string[], f: (name: string) => unknown): Promise<number> {
  let code = 0;
  for (const n of names.map(String)) {
    try {
      await f(n);
      process.stdout.write(`${n}\n`);
    } catch (e) {
      process.stderr.write(`${errorText(e)}\n`);
      code = 1;
    }
  }
  return code;
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
    if (a === '-h') continue;
    if (a.startsWith('-') && ![...GLOBAL_VALUE_FLAGS, '--help'].includes(a.split('=')[0]) && !GLOBAL_VALUE_FLAGS.some((f) => args[args.indexOf(a) - 1] === f)) {
      usageError(a.startsWith('--') ? `unknown flag: ${a.split('=')[0]}` : unknownShort(a, ['v', 'h']));
    }
  }
  return false;
}

/**
 * pflag's words for a group of short flags (-vx) with one it does not know: the first such
 * letter, and the group from it on (pflag's parseSingleShortArg names what is left of it).
 */
export function unknownShort(group: string, known: string[]): string {
  const letters = [...group.slice(1)];
  const at = Math.max(0, letters.findIndex((c) => !known.includes(c)));
  return `unknown shorthand flag: '${letters[at]}' in -${letters.slice(at).join('')}`;
}

/**
 * The global flags' values, checked before any command runs, as docker checks --log-level:
 * its words, bare, exit 1.
 */
function checkGlobalValues(argv: GlobalArgs): void {
  try {
    setLogLevel(parseLogLevel(argv.logLevel || process.env.GOCKER_LOG_LEVEL || 'warn'));
    resolveOptions(engineOptions(argv));
  } catch (e) {
    process.stderr.write(`${errorLine(e)}\n`);
    process.exit(1);
  }
}

/**
 * use(stream) when the process first touches process.stdout or process.stderr, before anything
 * can be written to it. Node makes the stream at that first touch, loading its tty or net and
 * stream modules: a few ms of every start, which a run whose output goes from the monitor
 * straight to this process's fds never needs.
 */
function onFirstUse(name: 'stdout' | 'stderr', use: (s: NodeJS.WriteStream) => void): void {
  const node = Object.getOwnPropertyDescriptor(process, name);
  if (!node?.get || !node.configurable) {
    use(process[name]);
    return;
  }
  const make = node.get;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: node.enumerable,
    get() {
      // Node's own getter back (it keeps the stream it made), then the hook, once.
      Object.defineProperty(process, name, node);
      const s = make.call(process) as NodeJS.WriteStream;
      use(s);
      return s;
    },
  });
}

/**
 * Runs one command's handler with the global log level applied; an error becomes docker's
 * line and exit code for that command (report()).
 */
export async function runHandler(argv: GlobalArgs, handler: () => Promise<number | void> | number | void, command?: string): Promise<void> {
  const started = Date.now();
  // A write to a reader that went away (`logs ID | head`) fails as the stream's 'error'
  // event, after the write call returned: reported as report() reports EPIPE (141, silently),
  // not as an unhandled error with its stack.
  for (const name of ['stdout', 'stderr'] as const) onFirstUse(name, (s) => s.on('error', (e) => process.exit(report(e, command))));
  checkGlobalValues(argv);
  await afterReboot(argv);
  try {
    const code = await handler();
    if (typeof code === 'number') process.exitCode = code;
    log.debug('command done', { ms: Date.now() - started, exit: process.exitCode ?? 0 });
  } catch (e) {
    process.exit(report(e, command));
  }
}

/**
 * The first command after a reboot starts the containers whose restart policy says so, as
 * dockerd does when it starts (Gocker.restartAfterBoot); on any other it is two small reads.
 * A store this user cannot reach is the command's own business, said by the command.
 */
async function afterReboot(argv: GlobalArgs): Promise<void> {
  // Required here: lib/index loads little, but a command that fails before this (a bad
  // global flag) need not load it at all.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Gocker } = require('../lib/index') as typeof import('../lib/index');
  try {
    await new Gocker(engineOptions(argv)).restartAfterBoot();
  } catch (e) {
    log.debug(`after a reboot: ${errorLine(e)}`);
  }
}
