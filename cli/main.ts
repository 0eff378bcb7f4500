// The gocker CLI: parses flags, calls lib/, prints. No engine policy lives here. Started by
// cli/gocker.ts, which loads this module and what it requires as one bundle, code-cached.
import type { Argv, Options } from 'yargs';
import { fastParse } from './fastparse';
import { COMMANDS } from './commands';
import type { CommandModule, GlobalArgs } from './types';
import { errorLine } from '../lib/errors';
import { log, logEnabled, setLogLevel } from '../lib/log';
import { parseLogLevel } from '../lib/options';

function fail(message: string, code = 125): never {
  process.stderr.write(`gocker: ${message}\n`);
  process.exit(code);
}

/** Global flags that take a value, wherever they stand. */
const GLOBAL_VALUE_FLAGS = ['--root', '--runroot', '--log-level', '--storage-driver'];

/**
 * For `run IMAGE CMD...`: inserts '--' after the image so yargs leaves the container's
 * command (and its flags) alone. Unchanged when there is no such command or image.
 */
export function splitPassthrough(args: string[], command: string, options: Record<string, { type?: string; alias?: string | readonly string[] }>): string[] {
  const valueFlags = new Set(GLOBAL_VALUE_FLAGS);
  const known = new Set([...GLOBAL_VALUE_FLAGS, '--help']);
  for (const [name, o] of Object.entries(options)) {
    const names = [`--${name}`, ...([] as string[]).concat(o.alias ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
    for (const n of names) known.add(n);
    if (o.type !== 'boolean') for (const n of names) valueFlags.add(n);
  }
  let i = args.indexOf(command);
  if (i < 0) return args;
  for (i++; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args;
    if (!a.startsWith('-') || a === '-') return [...args.slice(0, i + 1), '--', ...args.slice(i + 1)];
    // Before the image every flag is the command's: an unknown one would otherwise take the
    // image as its value, and yargs would then ask for an image.
    if (a.startsWith('--') && !known.has(a.split('=')[0])) usageError(`unknown flag: ${a.split('=')[0]}`, command);
    if (!a.startsWith('--')) {
      const bad = [...a.slice(1)].find((c) => !known.has(`-${c}`));
      if (bad) usageError(`unknown shorthand flag: '${bad}' in ${a}`, command);
    }
    if (!a.includes('=') && valueFlags.has(a)) i++;
  }
  return args;
}

/** docker's two lines for a command line it cannot parse; exit 125. */
function usageError(message: string, command?: string): never {
  fail(`${message}\nSee 'gocker ${command ? `${command} ` : ''}--help'.`);
}

/**
 * yargs' wording turned into docker's: "Unknown argument: x" is an unknown flag, "Not
 * enough non-option arguments" a missing argument.
 */
function dockerUsage(msg: string, command: string | undefined, word: string | undefined): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    const first = unknown[1].split(', ')[0];
    if (!command && first === word) return `'${word}' is not a gocker command.`;
    return first.length === 1 ? `unknown shorthand flag: '${first}' in -${first}` : `unknown flag: --${first}`;
  }
  const few = /^Not enough non-option arguments: got \d+, need at least (\d+)$/.exec(msg);
  if (few && command) return `"gocker ${command}" requires at least ${few[1]} argument${few[1] === '1' ? '' : 's'}.`;
  return msg;
}

/**
 * Runs one command's handler with the global log level applied; an error becomes one line and
 * its exit code (the stack only at --log-level debug).
 */
async function runHandler(argv: GlobalArgs, handler: () => Promise<number | void> | number | void): Promise<void> {
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

export async function main(args: string[]): Promise<void> {
  const first = args.find((a, i) => !a.startsWith('-') && !GLOBAL_VALUE_FLAGS.includes(args[i - 1] ?? ''));
  // Before the command only global flags stand; an unknown one would take the command as its value.
  for (const a of args.slice(0, first === undefined ? args.length : args.indexOf(first))) {
    if (a === '--version' || a === '-v') {
      // docker --version: one line.
      const { gockerVersion } = require('../lib/version') as typeof import('../lib/version');
      process.stdout.write(`gocker version ${gockerVersion()}\n`);
      return;
    }
    if (a.startsWith('-') && ![...GLOBAL_VALUE_FLAGS, '--help'].includes(a.split('=')[0]) && !GLOBAL_VALUE_FLAGS.some((f) => args[args.indexOf(a) - 1] === f)) {
      usageError(a.startsWith('--') ? `unknown flag: ${a.split('=')[0]}` : `unknown shorthand flag: '${a[1]}' in ${a}`);
    }
  }
  const pass = COMMANDS.find((c) => c.passthrough && c.command.split(' ')[0] === first);
  if (pass) {
    // With the extension: the bundler (cli/bundle.ts) then takes ./commands/*.js, not their maps.
    const mod = require(`./commands/${pass.module}.js`) as CommandModule & { OPTIONS: Record<string, Options> };
    const fast = fastParse(args, first!, pass.command.split(' ')[1].replace(/[<>]/g, ''), mod.OPTIONS);
    if (fast) {
      await runHandler(fast as GlobalArgs, () => mod.handler(fast as never));
      return;
    }
    args = splitPassthrough(args, first!, mod.OPTIONS as Record<string, { type?: string; alias?: string }>);
  }
  // Loaded here, not at the top: the fast path above never needs it.
  const yargs = (require('yargs/yargs') as typeof import('yargs/yargs'));
  let y: Argv<GlobalArgs> = yargs(args)
    .scriptName('gocker')
    .usage('Usage: gocker [OPTIONS] COMMAND')
    .option('root', { type: 'string', describe: 'Root of persistent state (env GOCKER_ROOT)', default: undefined, defaultDescription: '/var/lib/gocker' })
    .option('runroot', { type: 'string', describe: 'Root of runtime state (env GOCKER_RUNROOT)', default: undefined, defaultDescription: '/var/run/gocker' })
    .option('log-level', { type: 'string', describe: 'Logging level: error, warn, info or debug (env GOCKER_LOG_LEVEL)', defaultDescription: 'warn' })
    .option('storage-driver', { type: 'string', describe: 'Storage driver: overlay2 or vfs (env GOCKER_STORAGE_DRIVER)', defaultDescription: 'overlay2' })
    // `--cap-add X IMAGE` must not swallow the image: one value per array flag.
    // --no-trunc is docker's flag, not the negation of a --trunc.
    .parserConfiguration({ 'greedy-arrays': false, 'boolean-negation': false })
    .strict()
    .demandCommand(1, 'a command is required: see gocker --help')
    .recommendCommands()
    .version(false)
    // No -h: `run -h` is --hostname, as in docker.
    .help('help')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) fail(errorLine(err));
      const command = COMMANDS.find((c) => c.command.split(' ')[0] === first || c.aliases?.includes(first ?? ''))?.command.split(' ')[0];
      usageError(dockerUsage(msg, command, first), command);
    }) as Argv<GlobalArgs>;

  for (const entry of COMMANDS) {
    let mod: CommandModule | undefined;
    const load = (): CommandModule => (mod ??= require(`./commands/${entry.module}.js`) as CommandModule);
    y = y.command({
      command: entry.command,
      aliases: entry.aliases,
      describe: entry.describe,
      builder: (sub: Argv<GlobalArgs>) => load().builder(sub),
      handler: (argv) => runHandler(argv, () => load().handler(argv as never)),
    }) as Argv<GlobalArgs>;
  }
  await y.parseAsync();
}

/** The command line's entry: an error that escapes main() is still one line and exit 125. */
export function cli(args: string[]): void {
  main(args).catch((e: unknown) => fail(errorLine(e)));
}
