// A fast path for `run` and `exec`, the commands whose start time users feel: their flags
// are parsed from the same OPTIONS table the yargs builder declares, without loading yargs
// (about a quarter of the CLI's start-up). Anything unusual — --help, an unknown flag, a
// missing value — returns undefined and yargs parses as usual, with its own messages.
import type { Options } from 'yargs';

/** The global flags, as yargs is given them too (lib/options resolves their defaults). */
export const GLOBAL_OPTIONS: Record<string, Options> = {
  root: { type: 'string' },
  runroot: { type: 'string' },
  'log-level': { type: 'string' },
  'storage-driver': { type: 'string' },
};

/** Go's strconv.ParseBool, as pflag sets a boolean flag's value: undefined where Go errs. */
export function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** A dashed flag's argv key, as yargs-parser makes it of the names cli/ uses. */
export const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function fastParse(args: string[], command: string, positional: string, options: Record<string, Options>): Record<string, unknown> | undefined {
  const long = new Map<string, [string, Options]>();
  const short = new Map<string, [string, Options]>();
  for (const [name, o] of Object.entries({ ...GLOBAL_OPTIONS, ...options })) {
    long.set(name, [name, o]);
    for (const a of ([] as string[]).concat((o.alias as string | string[] | undefined) ?? [])) (a.length === 1 ? short : long).set(a, [name, o]);
  }
  const argv: Record<string, unknown> = { _: [command] };
  const set = (name: string, o: Options, value: string | boolean): void => {
    const key = camel(name);
    if (o.array) argv[key] = [...((argv[key] as unknown[]) ?? []), value];
    else argv[key] = value;
    argv[name] = argv[key];
  };
  // A value docker's CLI refuses as it parses (-e's nameless variable) is the whole CLI's to
  // say (cli/flags.ts).
  const done = (): Record<string, unknown> | undefined => ((argv.env as string[] | undefined)?.some((e) => e.split('=')[0] === '') ? undefined : argv);
  let i = 0;
  let seenCommand = false;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '--version') return undefined;
    if (!seenCommand && a === command) {
      seenCommand = true;
      continue;
    }
    // '--' ends the flags (pflag): the next word is the positional, the rest the command's.
    if (a === '--' && seenCommand) {
      if (i + 1 >= args.length) return undefined;
      argv[positional] = args[i + 1];
      (argv._ as string[]).push(...args.slice(i + 2));
      return done();
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const hit = long.get(eq < 0 ? a.slice(2) : a.slice(2, eq));
      if (!hit) return undefined;
      const [name, o] = hit;
      if (!seenCommand && !(name in GLOBAL_OPTIONS)) return undefined;
      if (o.type === 'boolean') {
        // A value pflag refuses is the whole CLI's to say (cli/flags.ts).
        const b = eq < 0 ? true : parseBool(a.slice(eq + 1));
        if (b === undefined) return undefined;
        set(name, o, b);
      } else if (eq >= 0) {
        set(name, o, a.slice(eq + 1));
      } else {
        if (i + 1 >= args.length) return undefined;
        set(name, o, args[++i]);
      }
    } else if (a.startsWith('-') && a.length > 1 && seenCommand) {
      for (let k = 1; k < a.length; k++) {
        const hit = short.get(a[k]);
        if (!hit) return undefined;
        const [name, o] = hit;
        // As pflag's parseSingleShortArg: -d=VALUE when something follows the '=', a boolean
        // alone true, any other the rest of the group (-m64m, -m= is '=') or the next word.
        let value = a[k + 1] === '=' && k + 2 < a.length ? a.slice(k + 2) : undefined;
        if (o.type === 'boolean') {
          const b = value === undefined ? true : parseBool(value);
          if (b === undefined) return undefined;
          set(name, o, b);
          if (value === undefined) continue;
          break;
        }
        value ??= k + 1 < a.length ? a.slice(k + 1) : args[++i];
        if (value === undefined) return undefined;
        set(name, o, value);
        break;
      }
    } else if (seenCommand) {
      argv[positional] = a;
      (argv._ as string[]).push(...args.slice(i + 1));
      return done();
    } else {
      return undefined;
    }
  }
  return undefined;
}
