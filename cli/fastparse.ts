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
  let i = 0;
  let seenCommand = false;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '--version') return undefined;
    if (!seenCommand && a === command) {
      seenCommand = true;
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const hit = long.get(eq < 0 ? a.slice(2) : a.slice(2, eq));
      if (!hit) return undefined;
      const [name, o] = hit;
      if (!seenCommand && !(name in GLOBAL_OPTIONS)) return undefined;
      if (o.type === 'boolean') {
        if (eq >= 0 && !['true', 'false'].includes(a.slice(eq + 1))) return undefined;
        set(name, o, eq < 0 || a.slice(eq + 1) === 'true');
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
        if (o.type === 'boolean') {
          set(name, o, true);
          continue;
        }
        // The rest of the group is the value, after an '=' too (-m=64m), as pflag reads it.
        const rest = a.slice(k + 1).replace(/^=/, '');
        if (rest) set(name, o, rest);
        else if (i + 1 < args.length) set(name, o, args[++i]);
        else return undefined;
        break;
      }
    } else if (seenCommand) {
      argv[positional] = a;
      (argv._ as string[]).push(...args.slice(i + 1));
      return argv;
    } else {
      return undefined;
    }
  }
  return undefined;
}
