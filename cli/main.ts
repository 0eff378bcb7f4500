// The gocker CLI: parses flags, calls lib/, prints. No engine policy lives here. Started by
// cli/gocker.ts, which loads this module and what it requires as one bundle, code-cached.
//
// A command line goes through three steps: the route (`container ls` is `ps`, docker's
// management forms), the flags as docker's pflag reads them (cli/flags.ts: unknown flags,
// --help, the number of arguments, all in docker's words), then the values for the one
// command routed to: made straight from the command's declared flags (cli/argv.ts), or,
// for what that leaves alone, parsed by yargs, with yargs' messages.
import type { Argv } from 'yargs';
import { MANAGEMENT, COMMANDS, entryNamed, nameOf, subcommandsOf, type CommandEntry } from './commands';
import { GLOBAL_VALUE_FLAGS, checkGlobalFlags, commandWord, report, runHandler, unknownShort, usageError } from './dispatch';
import { directArgv } from './argv';
import { camel, GLOBAL_OPTIONS } from './fastparse';
import { argCountError, recordBuilder, scanFlags, WORD_MARK } from './flags';
import { GLOBAL_FLAGS, commandHelp, managementHelp, rootHelp, usageLine } from './help';
import type { CommandModule, GlobalArgs } from './types';

interface Route {
  entry: CommandEntry;
  /** as docker's help and messages name it: 'ps', 'container ls' */
  path: string;
  /** where in args the command's words begin, and the index of its last word */
  first: number;
  last: number;
}

/** Prints and exits unless args name a command (or help was asked for, which it prints). */
function route(args: string[]): Route {
  const first = args.findIndex((a, i) => !a.startsWith('-') && !GLOBAL_VALUE_FLAGS.includes(args[i - 1] ?? ''));
  if (first < 0) {
    // As docker: no command shows the help, on stderr unless it was asked for.
    (args.includes('--help') || args.includes('-h') ? process.stdout : process.stderr).write(rootHelp());
    process.exit(0);
  }
  const word = args[first];
  const group = MANAGEMENT.find((m) => m.name === word);
  if (group) {
    const sub = args[first + 1];
    if (sub === undefined || sub === '--help' || sub === '-h') {
      (sub ? process.stdout : process.stderr).write(managementHelp(group));
      process.exit(0);
    }
    if (sub.startsWith('-')) usageError(sub.startsWith('--') ? `unknown flag: ${sub.split('=')[0]}` : unknownShort(sub, ['h']), group.name);
    const s = subcommandsOf(group).find((c) => c.name === sub || c.aliases?.includes(sub));
    if (!s) {
      // docker's answer to a subcommand it does not have: the group's usage, exit 1.
      process.stderr.write(managementHelp(group));
      process.exit(1);
    }
    return { entry: entryNamed(s.target)!, path: `${group.name} ${s.name}`, first, last: first + 1 };
  }
  const entry = COMMANDS.find((c) => !c.managementOnly && (nameOf(c) === word || c.aliases?.includes(word)));
  if (!entry) {
    process.stderr.write(`gocker: '${word}' is not a gocker command.\nSee 'gocker --help'\n`);
    process.exit(1);
  }
  return { entry, path: nameOf(entry), first, last: first };
}

/**
 * yargs' wording turned into docker's, for what cli/flags.ts let through: "Unknown
 * argument: x" is an unknown flag.
 */
function dockerUsage(msg: string): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    const first = unknown[1].split(', ')[0];
    return first.length === 1 ? `unknown shorthand flag: '${first}' in -${first}` : `unknown flag: --${first}`;
  }
  return msg;
}

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
 * goes through yargs marked (WORD_MARK, as scanFlags marks a positional after '--' that
 * starts with '-'), and stdioBack takes the mark off.
 */
const STDIO = `${WORD_MARK}-`;
const unmark = (v: unknown): unknown => (typeof v === 'string' && v.startsWith(WORD_MARK) ? v.slice(WORD_MARK.length) : v);

export function stdioBack(argv: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(argv)) argv[k] = Array.isArray(v) ? v.map(unmark) : unmark(v);
}

/** The commands cli/fast.ts runs without yargs when it can read their command line. */
const FAST = new Set(['run', 'exec']);

export async function main(args: string[]): Promise<void> {
  // Required here, not at the top: fast.ts loads run's and exec's modules (the attach and
  // exec clients, node:net, node:stream), which no other command needs.
  if (FAST.has(commandWord(args)!) && await (require('./fast') as typeof import('./fast')).fast(args)) return;
  if (checkGlobalFlags(args, commandWord(args))) {
    // docker --version: one line.
    const { gockerVersion } = require('../lib/index') as typeof import('../lib/index');
    process.stdout.write(`gocker version ${gockerVersion()}\n`);
    return;
  }
  const r = route(args);
  // With the extension: the bundler (cli/bundle.ts) then takes ./commands/*.js, not their maps.
  const file = require(`./commands/${r.entry.module}.js`) as CommandModule & { subcommands?: Record<string, CommandModule> };
  // A module may hold a management command's subcommands (volume, network): the entry names which.
  const mod = r.entry.part ? file.subcommands![r.entry.part] : file;
  const spec = recordBuilder(mod.builder as (y: never) => unknown);
  const scan = scanFlags(args, r.last + 1, [...GLOBAL_FLAGS, ...spec.flags], !!r.entry.passthrough);
  // `system df` is one command here with its action an argument; docker's help path names both.
  if (scan.error) usageError(scan.error, r.entry.module === 'system' && scan.positionals[0] === 'df' ? 'system df' : r.path);
  // cobra prints pflag's notices once the flags parsed, before help or the command, where
  // docker's CLI sends its output.
  for (const n of scan.notices) process.stdout.write(`${n}\n`);
  if (scan.help) {
    process.stdout.write(commandHelp(r.entry, r.path, spec.flags));
    return;
  }
  const count = argCountError(r.entry.command, scan.positionals.length, r.path);
  if (count) {
    // cobra's argument checks, as docker words them: exit 1, the usage after the hint.
    process.stderr.write(`${count}\nSee 'gocker ${r.path} --help'.\n\nUsage:  ${usageLine(r.entry, r.path)}\n\n${r.entry.describe}\n`);
    process.exit(1);
  }
  const name = nameOf(r.entry);
  const pre = args.slice(0, r.first);
  const argv = directArgv(pre, r.entry.command, spec, scan.args);
  if (argv) {
    // As the yargs path below reports a handler's failure: by the command's own name.
    await runHandler(argv as GlobalArgs, () => mod.handler(argv as never), name).catch((e: unknown) => process.exit(report(e, name)));
    return;
  }
  // The command in its one-word form, its flags as pflag read them (scanFlags).
  await yargsParse([...pre, name, ...scan.args], r.entry, mod.builder, (a) => runHandler(a, () => mod.handler(a as never), name), (msg, err) => {
    if (err) process.exit(report(err, name));
    usageError(dockerUsage(msg), r.path);
  });
}

/**
 * words (the global flags, the command's name, scanFlags' args) through yargs: handler gets
 * the argv yargs makes, fail what yargs refuses (its message, the error a handler threw).
 * Every command line directArgv leaves alone comes here.
 */
export async function yargsParse(words: string[], entry: CommandEntry, builder: CommandModule['builder'], handler: (argv: GlobalArgs) => Promise<void>, fail: (msg: string, err: Error | undefined) => void): Promise<void> {
  // Loaded here, not at the top: most command lines do without it.
  const yargs = (require('yargs/yargs') as typeof import('yargs/yargs'));
  let y: Argv<GlobalArgs> = yargs(words.map((a) => (a === '-' ? STDIO : a)))
    .scriptName('gocker')
    .options(GLOBAL_OPTIONS)
    // `--cap-add X IMAGE` must not swallow the image: one value per array flag.
    // --no-trunc is docker's flag, not the negation of a --trunc. The words after '--'
    // (create's command) stay as given: yargs made 0x10 and 1e3 the numbers 16 and 1000.
    .parserConfiguration({ 'greedy-arrays': false, 'boolean-negation': false, 'parse-positional-numbers': false })
    // yargs passes itself, at the command's options, as a middleware's second argument (its types omit it).
    .middleware([lastOfRepeated as unknown as (argv: object) => void, stdioBack as (argv: object) => void], true)
    .strict()
    .version(false)
    // docker's messages are English whatever LANG says, and dockerUsage reads yargs' English.
    .locale('en')
    // --help was answered before, in docker's shape.
    .help(false)
    .fail((msg, err) => fail(msg?.split(WORD_MARK).join(''), err)) as Argv<GlobalArgs>;
  y = y.command({
    command: entry.command,
    describe: entry.describe,
    builder: (sub: Argv<GlobalArgs>) => builder(sub),
    handler: (argv) => handler(argv),
  }) as Argv<GlobalArgs>;
  await y.parseAsync();
}

/** The command line's entry: an error that escapes main() is still docker's one line. */
export function cli(args: string[]): void {
  main(args).catch((e: unknown) => process.exit(report(e, args.find((a) => !a.startsWith('-')))));
}
