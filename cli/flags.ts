// A command's flags as docker's CLI (cobra over pflag) reads them, before yargs parses: an
// unknown flag is reported wherever it stands, in a group of short flags too (`-itx`), and a
// value-taking flag takes the rest of its group or the next word, as pflag's do. The flags
// come from the command's own yargs builder, run against a recorder.
import type { Options, PositionalOptions } from 'yargs';

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
  };
}

/** The keys of a flag's and a positional's options that FlagInfo and cli/argv.ts account for. */
const OPTION_KEYS = new Set(['alias', 'type', 'array', 'default', 'describe', 'hidden', 'choices', 'defaultDescription']);
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
   * long name, its value after '=' (yargs would read -m64m as -m -6 -4 -m); with
   * stopAtPositional a '--' after the first positional, so that yargs leaves the rest alone.
   */
  args: string[];
  /** pflag's words for what it could not parse */
  error?: string;
}

/**
 * Reads args[from..] as pflag does with these flags (and the global ones). With
 * stopAtPositional (run, exec: interspersed flags off), the first positional ends the flags:
 * the rest is the container's command.
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
  const out: ScanResult = { positionals: [], help: false, args: [] };
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.positionals.push(...args.slice(i + 1));
      out.args.push(...args.slice(i));
      return out;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const f = long.get(name);
      if (!f) return { ...out, error: `unknown flag: --${name}` };
      if (name === 'help') out.help = true;
      if (f.type !== 'boolean' && eq < 0) {
        if (i + 1 >= args.length) return { ...out, error: `flag needs an argument: --${name}` };
        out.args.push(`--${name}=${args[++i]}`);
      } else {
        out.args.push(a);
      }
    } else if (a.startsWith('-') && a !== '-') {
      const group = a.slice(1);
      for (let k = 0; k < group.length; k++) {
        const f = short.get(group[k]);
        if (!f) return { ...out, error: `unknown shorthand flag: '${group[k]}' in -${group}` };
        if (f.type === 'boolean') {
          if (f.name === 'help') out.help = true;
          // -a=false
          if (group[k + 1] === '=') {
            out.args.push(`--${f.name}=${group.slice(k + 2)}`);
            break;
          }
          out.args.push(`--${f.name}`);
          continue;
        }
        // A value-taking flag takes the rest of the group (-m64m, -m=64m) or the next word.
        let value = group.slice(k + 1).replace(/^=/, '');
        if (k + 1 >= group.length) {
          if (i + 1 >= args.length) return { ...out, error: `flag needs an argument: '${group[k]}' in -${group}` };
          value = args[++i];
        }
        out.args.push(`--${f.name}=${value}`);
        break;
      }
    } else {
      out.positionals.push(a);
      out.args.push(a);
      if (stopAtPositional) {
        out.positionals.push(...args.slice(i + 1));
        out.args.push('--', ...args.slice(i + 1));
        return out;
      }
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
