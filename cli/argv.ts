// A command's argv made straight from what its builder declares (recordBuilder) and its
// command line as pflag reads it (scanFlags), the same argv yargs makes of them with
// cli/main.ts' configuration: loading yargs and its parse were a fifth of a `ps`'s start.
// It is a mechanism with a way out, not a second parser: whatever the builder asks of yargs
// beyond plain flags and positionals (spec.unsupported), and any word whose reading is
// yargs' own (a number that is not one, a value outside its choices, a quoted value, which
// yargs unquotes), makes directArgv return undefined, and yargs parses that command line as
// before, with its own messages. test/unit/cli-argv.test.ts holds the two to the same argv.
import { camel, GLOBAL_OPTIONS } from './fastparse';
import { WORD_MARK, type CommandSpec, type FlagInfo } from './flags';

/** The names whose camelCase yargs' is (yargs-parser's camelCase differs on others). */
const NAME = /^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/;

/** yargs-parser's looksLikeNumber: a positional it would make a number. */
const looksLikeNumber = (s: string): boolean => /^0x[0-9a-f]+$/i.test(s) || (!/^0[^.]/.test(s) && /^[-]?(?:\d+(?:\.\d*)?|\.\d+)(e[-+]?\d+)?$/.test(s));

/** Values yargs-parser unquotes when given as --name=VALUE. */
const quoted = (s: string): boolean => (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0];

interface Flag {
  info: FlagInfo;
  /** every key yargs sets for it: the name, its aliases, the camelCase of the dashed ones */
  keys: string[];
}

function flagOf(info: FlagInfo): Flag | undefined {
  const names = [info.name, ...info.long];
  if (!names.every((n) => NAME.test(n))) return undefined;
  const keys = [...names, ...(info.short ? [info.short] : [])];
  for (const n of names) if (n.includes('-')) keys.push(camel(n));
  return { info, keys };
}

/**
 * The argv yargs would hand the command's handler for `gocker [pre] NAME words`, where pre
 * are the global flags before the command and words are scanFlags' args; undefined when
 * only yargs can say (see above).
 */
export function directArgv(pre: string[], command: string, spec: CommandSpec, words: string[]): Record<string, unknown> | undefined {
  if (spec.unsupported.length) return undefined;
  const long = new Map<string, Flag>();
  const globals: FlagInfo[] = Object.entries(GLOBAL_OPTIONS).map(([name]) => ({ name, long: [], type: 'string' }));
  for (const info of [...globals, ...spec.flags]) {
    const f = flagOf(info);
    if (!f) return undefined;
    for (const n of [info.name, ...info.long]) long.set(n, f);
  }
  const [name, ...shape] = command.split(' ');
  const argv: Record<string, unknown> = { _: [name], $0: 'gocker' };
  const set = (f: Flag, value: unknown): boolean => {
    // yargs-parser adds a repeated number flag's 1 to what it had (its count flags' rule).
    if (f.info.type === 'number' && f.keys[0] in argv) return false;
    // A list flag collects every value; any other keeps the last (lastOfRepeated in main.ts).
    const v = f.info.type === 'array' ? [...((argv[f.keys[0]] as unknown[] | undefined) ?? []), value] : value;
    for (const k of f.keys) argv[k] = v;
    return true;
  };
  /** --name=value's value as yargs reads it for this flag; undefined: yargs' to read */
  const value = (f: Flag, raw: string): unknown => {
    if (quoted(raw)) return undefined;
    let v: unknown = raw;
    if (f.info.type === 'boolean') v = raw === 'true';
    else if (f.info.type === 'number') v = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : undefined;
    // yargs-parser reads a list flag's empty value as no value when it is the last word.
    else if (f.info.type === 'array' && raw === '') v = undefined;
    if (v !== undefined && f.info.choices && !f.info.choices.includes(v)) return undefined;
    return v;
  };

  // The global flags before the command: `--root DIR` or `--root=DIR` (checkGlobalFlags let
  // only these through, and -h, --help, which yargs reads otherwise).
  for (let i = 0; i < pre.length; i++) {
    const eq = pre[i].indexOf('=');
    const f = pre[i].startsWith('--') ? long.get(pre[i].slice(2, eq < 0 ? undefined : eq)) : undefined;
    if (!f || !(f.info.name in GLOBAL_OPTIONS)) return undefined;
    if (eq >= 0) {
      const v = value(f, pre[i].slice(eq + 1));
      if (v === undefined || !set(f, v)) return undefined;
    } else {
      // yargs takes a next word that starts with '-' for a flag, not this one's value.
      const next = pre[++i];
      if (next === undefined || next.startsWith('-') || !set(f, next)) return undefined;
    }
  }

  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--') {
      // yargs names positionals from the words before '--' only; the words after it are
      // argv._'s, after the command's name (create's command, verbatim).
      (argv._ as string[]).push(...words.slice(i + 1));
      break;
    }
    if (!w.startsWith('--')) {
      positionals.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const f = long.get(w.slice(2, eq < 0 ? undefined : eq));
    if (!f) return undefined;
    if (eq < 0) {
      // scanFlags gives every other flag its value after '='. yargs-parser takes a boolean's
      // next word for its value when it is true or false.
      if (f.info.type !== 'boolean' || words[i + 1] === 'true' || words[i + 1] === 'false' || !set(f, true)) return undefined;
    } else {
      const v = value(f, w.slice(eq + 1));
      if (v === undefined || !set(f, v)) return undefined;
    }
  }

  // Positionals, named by the command string: <required> [optional] [variadic..].
  let next = 0;
  for (const word of shape) {
    const key = word.slice(1, -1).replace(/\.\.$/, '');
    const variadic = word.endsWith('..]') || word.endsWith('..>');
    const o = spec.positionalOptions[key] ?? {};
    // A positional of a flag's name is yargs' to merge.
    if ((!NAME.test(key) && !/^[a-z][a-zA-Z0-9]*$/.test(key)) || long.has(key)) return undefined;
    const given = variadic ? positionals.slice(next) : positionals.slice(next, next + 1);
    next += given.length;
    // Fewer than the command needs before '--': yargs' own message.
    if (!given.length && word.startsWith('<')) return undefined;
    for (const v of given) {
      // yargs parses positionals a second time, as flags' values: a word that starts with
      // '-' is a flag there (scanFlags marks one given after '--'), and an untyped
      // number-like word a number.
      if (v.startsWith('-') && v !== '-') return undefined;
      if (o.type !== 'string' && looksLikeNumber(v)) return undefined;
      if (o.choices && !o.choices.includes(v)) return undefined;
    }
    if (!given.length && !variadic) continue;
    const unmarked = given.map((w) => (w.startsWith(WORD_MARK) ? w.slice(WORD_MARK.length) : w));
    const v = variadic || o.array ? unmarked : unmarked[0];
    argv[key] = v;
    // yargs-parser's aliases: a dashed name's camelCase, a camelCase name's dashed form.
    if (key.includes('-')) argv[camel(key)] = v;
    else if (/[A-Z]/.test(key)) argv[key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] = v;
  }
  if (next < positionals.length) return undefined;

  for (const f of new Set(long.values())) if (f.info.default !== undefined && !(f.keys[0] in argv)) for (const k of f.keys) argv[k] = f.info.default;
  return argv;
}
