// The gocker CLI: parses flags, calls lib/, prints. No engine policy lives here. Started by
// cli/gocker.ts, which loads this module and what it requires as one bundle, code-cached.
import type { Argv, Options } from 'yargs';
import { COMMANDS } from './commands';
import { GLOBAL_VALUE_FLAGS, checkGlobalFlags, commandWord, fail, runHandler, usageError } from './dispatch';
import { fast } from './fast';
import type { CommandModule, GlobalArgs } from './types';
import { errorLine } from '../lib/errors';

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

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A flag that takes one value, given more than once, keeps the last, as docker's flag parser
 * does (`inspect -f X -f Y` formats with Y): yargs makes an array of every repeated flag, which
 * reached handlers that expect a string. Flags declared as arrays (and variadic arguments) stay
 * lists.
 */
export function lastOfRepeated(argv: Record<string, unknown>, y: { getOptions(): { array: string[]; string: string[]; number: string[]; alias: Record<string, string[]> } }): void {
  const o = y.getOptions();
  const names = (keys: string[]): Set<string> => {
    const out = new Set<string>();
    for (const k of keys) for (const n of [k, ...(o.alias[k] ?? [])]) out.add(n).add(camel(n));
    return out;
  };
  // Only what is declared a one-value flag: a variadic argument of a nested command (`volume
  // rm <volumes..>`) is not among the options yargs hands a global middleware, and must stay
  // a list.
  const single = names([...o.string, ...o.number]);
  const lists = names(o.array);
  for (const [k, v] of Object.entries(argv)) if (Array.isArray(v) && single.has(k) && !lists.has(k)) argv[k] = v[v.length - 1];
}

/**
 * A lone '-' (stdin or stdout, as `cp - CTR:/dir` and `cp CTR:/file -` mean it): yargs takes
 * it for a flag without a name, and a positional or a flag's value came out as '' or true. It
 * goes through yargs as this placeholder, and stdioBack puts it back.
 */
const STDIO = '\u0000-';

export function stdioBack(argv: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(argv)) {
    if (v === STDIO) argv[k] = '-';
    else if (Array.isArray(v) && v.includes(STDIO)) argv[k] = v.map((x: unknown) => (x === STDIO ? '-' : x));
  }
}

export async function main(args: string[]): Promise<void> {
  if (await fast(args)) return;
  const first = commandWord(args);
  if (checkGlobalFlags(args, first)) {
    // docker --version: one line.
    const { gockerVersion } = require('../lib/version') as typeof import('../lib/version');
    process.stdout.write(`gocker version ${gockerVersion()}\n`);
    return;
  }
  const pass = COMMANDS.find((c) => c.passthrough && c.command.split(' ')[0] === first);
  if (pass) {
    // With the extension: the bundler (cli/bundle.ts) then takes ./commands/*.js, not their maps.
    const mod = require(`./commands/${pass.module}.js`) as CommandModule & { OPTIONS: Record<string, Options> };
    args = splitPassthrough(args, first!, mod.OPTIONS as Record<string, { type?: string; alias?: string }>);
  }
  // Loaded here, not at the top: run and exec (cli/fast.ts) mostly do without it.
  const yargs = (require('yargs/yargs') as typeof import('yargs/yargs'));
  let y: Argv<GlobalArgs> = yargs(args.map((a) => (a === '-' ? STDIO : a)))
    .scriptName('gocker')
    .usage('Usage: gocker [OPTIONS] COMMAND')
    .option('root', { type: 'string', describe: 'Root of persistent state (env GOCKER_ROOT)', default: undefined, defaultDescription: '/var/lib/gocker' })
    .option('runroot', { type: 'string', describe: 'Root of runtime state (env GOCKER_RUNROOT)', default: undefined, defaultDescription: '/var/run/gocker' })
    .option('log-level', { type: 'string', describe: 'Logging level: error, warn, info or debug (env GOCKER_LOG_LEVEL)', defaultDescription: 'warn' })
    .option('storage-driver', { type: 'string', describe: 'Storage driver: overlay2 or vfs (env GOCKER_STORAGE_DRIVER)', defaultDescription: 'overlay2' })
    // `--cap-add X IMAGE` must not swallow the image: one value per array flag.
    // --no-trunc is docker's flag, not the negation of a --trunc.
    .parserConfiguration({ 'greedy-arrays': false, 'boolean-negation': false })
    // yargs passes itself, at the command's options, as a middleware's second argument (its types omit it).
    .middleware([lastOfRepeated as unknown as (argv: object) => void, stdioBack as (argv: object) => void], true)
    .strict()
    .demandCommand(1, 'a command is required: see gocker --help')
    .recommendCommands()
    .version(false)
    // docker's messages are English whatever LANG says, and dockerUsage reads yargs' English.
    .locale('en')
    // No -h: `run -h` is --hostname, as in docker.
    .help('help')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((rawMsg, err) => {
      if (err) fail(errorLine(err));
      const msg = rawMsg.split(STDIO).join('-');
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
