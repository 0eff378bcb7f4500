// A command's flags as docker's CLI (cobra over pflag) reads them, before yargs parses: an
// unknown flag is reported wherever it stands, in a group of short flags too (`-itx`), and a
// value-taking flag takes the rest of its group or the next word, as pflag's do, a boolean
// never the next word; a value is read as pflag's Value.Set reads it (strconv.ParseBool,
// strconv.ParseInt), refused in its words; '--' ends the flags. The flags come from the
// command's own yargs builder, run against a recorder.
import type { Options, PositionalOptions } from 'yargs';
import { goQuote } from '../lib/format/quote';
import { ParseIntError, parseInt64 } from '../lib/strconv';
import { parseBool } from './fastparse';

export interface FlagInfo {
  name: string;
  /** the one-letter alias, if any */
  short?: string;
  /** the other long names */
  long: string[];
  type: 'boolean' | 'string' | 'number' | 'array';
  describe?: string;
  default?: unknown;
  hidden?: boolean;
  /** the values yargs accepts, when the builder limits them */
  choices?: readonly unknown[];
  /** a deprecated flag's advice, as pflag says it when the flag is given */
  deprecated?: string;
}

export interface CommandSpec {
  flags: FlagInfo[];
  /** the positionals the builder declares, in order */
  positionals: string[];
  /** what the builder declares for each of them */
  positionalOptions: Record<string, PositionalOptions>;
  /**
   * What the builder asks of yargs beyond the flags and positionals recorded here: methods
   * (check, middleware, ...) and option keys (coerce, nargs, ...) by name. cli/argv.ts leaves
   * a command that has any of them to yargs.
   */
  unsupported: string[];
}

function flagInfo(name: string, o: Options): FlagInfo {
  const aliases = ([] as string[]).concat((o.alias as string | string[] | undefined) ?? []);
  const type = o.type === 'boolean' ? 'boolean' : o.type === 'number' ? 'number' : o.array || o.type === 'array' ? 'array' : 'string';
  return {
    name,
    short: aliases.find((a) => a.length === 1),
    long: aliases.filter((a) => a.length > 1),
    type,
    describe: o.describe as string | undefined,
    default: o.default,
    hidden: o.hidden === true,
    choices: o.choices as readonly unknown[] | undefined,
    deprecated: typeof o.deprecated === 'string' ? o.deprecated : undefined,
  };
}

/** The keys of a flag's and a positional's options that FlagInfo and cli/argv.ts account for. */
const OPTION_KEYS = new Set(['alias', 'type', 'array', 'default', 'describe', 'hidden', 'choices', 'defaultDescription', 'deprecated']);
const POSITIONAL_KEYS = new Set(['type', 'array', 'demandOption', 'describe', 'choices']);

/** What a command's builder declares: run against a stand-in that records every option. */
export function recordBuilder(builder: (y: never) => unknown): CommandSpec {
  const spec: CommandSpec = { flags: [], positionals: [], positionalOptions: {}, unsupported: [] };
  const option = (name: string, o: Options): void => {
    spec.flags.push(flagInfo(name, o));
    for (const k of Object.keys(o)) if (!OPTION_KEYS.has(k)) spec.unsupported.push(`${name}: ${k}`);
    // An untyped flag's value is a number when it looks like one; a list, a list of strings.
    if (!['boolean', 'string', 'number'].includes(o.type as string) || (o.array && o.type !== 'string')) spec.unsupported.push(`${name}: type ${String(o.type)}`);
  };
  const recorder: unknown = new Proxy({}, {
    get: (_t, prop) => (...a: unknown[]) => {
      if (prop === 'option') option(a[0] as string, (a[1] ?? {}) as Options);
      else if (prop === 'options') for (const [n, o] of Object.entries(a[0] as Record<string, Options>)) option(n, o);
      else if (prop === 'positional') {
        const [name, o = {}] = a as [string, PositionalOptions | undefined];
        spec.positionals.push(name);
        spec.positionalOptions[name] = o;
        for (const k of Object.keys(o)) if (!POSITIONAL_KEYS.has(k)) spec.unsupported.push(`${name}: ${k}`);
        if (o.type !== undefined && o.type !== 'string') spec.unsupported.push(`${name}: type ${String(o.type)}`);
      } else spec.unsupported.push(String(prop));
      return recorder;
    },
  });
  builder(recorder as never);
  return spec;
}

export interface ScanResult {
  /** the words that are not flags or flags' values, in order */
  positionals: string[];
  /** --help was among the flags */
  help: boolean;
  /**
   * args[from..] as yargs reads them the way pflag does: each short flag on its own, by its
   * long name, its value after '=' as pflag's Value.Set read it (a boolean's true or false,
   * a number in decimal; yargs would read -m64m as -m -6 -4 -m); with stopAtPositional a
   * '--' after the first positional, so that yargs leaves the rest alone; the words after a
   * '--' given on the command line as positionals, WORD_MARK before any that starts with '-'.
   */
  args: string[];
  /** pflag's words for what it could not parse */
  error?: string;
  /** pflag's notices of deprecated flags given, which cobra prints (on stdout) when all parsed */
  notices: string[];
}

/**
 * Marks a positional that starts with '-' (given after '--': `rm -- -x`) in ScanResult.args,
 * so that yargs, which would take it for a flag, keeps it as a word: main.ts' stdioBack and
 * argv.ts take the mark off. A NUL: no word of a command line holds one.
 */
export const WORD_MARK = '\u0000';
const marked = (w: string): string => (w.startsWith('-') ? `${WORD_MARK}${w}` : w);

/** The flag as pflag names it in a refusal of its value: "-n, --last", "--rm". */
function shownName(f: FlagInfo, used: string): string {
  // A second long name is its own flag in docker (run's hidden --net), named alone.
  if (f.long.includes(used)) return `--${used}`;
  return f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
}

/**
 * A flag's value as pflag's Value.Set takes it, in the form yargs and argv.ts read (a
 * boolean true or false, an int in decimal), or pflag's refusal: a boolean through Go's
 * strconv.ParseBool, a number as pflag's int, strconv.ParseInt(s, 0, 64), a value docker's
 * validator of the flag refuses.
 */
function flagValue(f: FlagInfo, used: string, value: string): { value: string } | { error: string } {
  const refuse = (why: string): { error: string } => ({ error: `invalid argument ${goQuote(value)} for ${goQuote(shownName(f, used))} flag: ${why}` });
  if (f.type === 'boolean') {
    const b = parseBool(value);
    return b === undefined ? refuse(`strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`) : { value: String(b) };
  }
  if (f.type === 'number') {
    try {
      return { value: String(parseInt64(value)) };
    } catch (e) {
      if (!(e instanceof ParseIntError)) throw e;
      return refuse(`strconv.ParseInt: parsing ${goQuote(value)}: ${e.why}`);
    }
  }
  // docker's opts.ValidateEnv, -e's validator (run, create, exec): a variable needs a name.
  if (f.name === 'env' && value.split('=')[0] === '') return refuse(`invalid environment variable: ${value}`);
  return { value };
}

/**
 * Reads args[from..] as pflag does with these flags (and the global ones). With
 * stopAtPositional (run, exec: interspersed flags off), the first positional ends the flags:
 * the rest is the container's command. '--' ends them too, and is not a positional (pflag's
 * parseArgs); after a first positional with stopAtPositional it is one, as every word there.
 */
export function scanFlags(args: string[], from: number, flags: FlagInfo[], stopAtPositional: boolean): ScanResult {
  const long = new Map<string, FlagInfo>();
  const short = new Map<string, FlagInfo>();
  for (const f of flags) {
    for (const n of [f.name, ...f.long]) long.set(n, f);
    if (f.short) short.set(f.short, f);
  }
  // cobra's -h for --help, on every command whose own flags leave the letter free (run's -h is
  // its hostname).
  const help = long.get('help');
  if (help && !short.has('h')) short.set('h', help);
  const out: ScanResult = { positionals: [], help: false, args: [], notices: [] };
  /** f given value: false and out.error when pflag refuses it */
  const give = (f: FlagInfo, used: string, value: string): boolean => {
    const v = flagValue(f, used, value);
    if ('error' in v) {
      out.error = v.error;
      return false;
    }
    if (f.name === 'help') out.help = v.value === 'true';
    if (f.deprecated) out.notices.push(`Flag --${f.name} has been deprecated, ${f.deprecated}`);
    out.args.push(`--${f.name}=${v.value}`);
    return true;
  };
  /** the words from a first positional on: the positional, then the command's, verbatim */
  const rest = (words: string[]): ScanResult => {
    out.positionals.push(...words);
    if (words.length) out.args.push(marked(words[0]), ...(stopAtPositional ? ['--', ...words.slice(1)] : words.slice(1).map(marked)));
    return out;
  };
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return rest(args.slice(i + 1));
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (name === '' || name.startsWith('-')) return { ...out, error: `bad flag syntax: ${a}` };
      const f = long.get(name);
      if (!f) return { ...out, error: `unknown flag: --${name}` };
      // A boolean without '=' is true: it never takes the next word (pflag's NoOptDefVal).
      let value = eq < 0 && f.type === 'boolean' ? 'true' : a.slice(eq + 1);
      if (eq < 0 && f.type !== 'boolean') {
        if (i + 1 >= args.length) return { ...out, error: `flag needs an argument: --${name}` };
        value = args[++i];
      }
      if (!give(f, name, value)) return out;
    } else if (a.startsWith('-') && a !== '-') {
      const group = a.slice(1);
      for (let k = 0; k < group.length; k++) {
        const f = short.get(group[k]);
        // pflag names the group from the letter it stopped at: -itx is 'x' in -x.
        if (!f) return { ...out, error: `unknown shorthand flag: '${group[k]}' in -${group.slice(k)}` };
        // pflag's parseSingleShortArg: -d=VALUE when something follows the '=', a boolean
        // alone true (the rest of the group more flags), any other the rest of the group
        // (-m64m, and -m= is the value '=') or the next word.
        let value: string;
        let last = true;
        if (group[k + 1] === '=' && k + 2 < group.length) value = group.slice(k + 2);
        else if (f.type === 'boolean') {
          value = 'true';
          last = false;
        } else if (k + 1 < group.length) value = group.slice(k + 1);
        else if (i + 1 < args.length) value = args[++i];
        else return { ...out, error: `flag needs an argument: '${group[k]}' in -${group.slice(k)}` };
        if (!give(f, f.name, value)) return out;
        if (last) break;
      }
    } else {
      if (stopAtPositional) return rest(args.slice(i));
      out.positionals.push(a);
      out.args.push(a);
    }
  }
  return out;
}

/**
 * The number of arguments a yargs command string asks for, worded as docker's cobra checks
 * word a wrong count; undefined when n fits.
 */
export function argCountError(command: string, n: number, path: string): string | undefined {
  const words = command.split(' ').slice(1);
  const required = words.filter((w) => w.startsWith('<')).length;
  const optional = words.filter((w) => w.startsWith('[')).length;
  const variadic = words.some((w) => w.includes('..'));
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  const quoted = `"gocker ${path}"`;
  if (!variadic && optional === 0 && n !== required) return required === 0 ? `${quoted} accepts no arguments.` : `${quoted} requires exactly ${plural(required)}.`;
  if (n < required && variadic) return `${quoted} requires at least ${plural(required)}.`;
  if (!variadic && (n < required || n > required + optional)) {
    return required === 0 ? `${quoted} requires at most ${plural(optional)}.` : `${quoted} requires at least ${required} and at most ${plural(required + optional)}.`;
  }
  return undefined;
}
