// --help in the shape of docker's (cobra's usage template as docker's CLI sets it): a usage
// line, the description, the other names of the command, then its flags as pflag lists them.
import { COMMANDS, MANAGEMENT, commandPaths, entryNamed, nameOf, subcommandsOf, type CommandEntry, type ManagementCommand } from './commands';
import type { FlagInfo } from './flags';

/** The global flags, for the root's help and for every command's flag parsing. */
export const GLOBAL_FLAGS: FlagInfo[] = [
  { name: 'log-level', long: [], type: 'string', describe: 'Logging level: error, warn, info or debug (env GOCKER_LOG_LEVEL)', default: 'warn' },
  { name: 'root', long: [], type: 'string', describe: 'Root of persistent state (env GOCKER_ROOT)', default: '/var/lib/gocker' },
  { name: 'runroot', long: [], type: 'string', describe: 'Root of runtime state (env GOCKER_RUNROOT)', default: '/var/run/gocker' },
  { name: 'storage-driver', long: [], type: 'string', describe: 'Storage driver: overlay2 or vfs (env GOCKER_STORAGE_DRIVER)', default: 'overlay2' },
  { name: 'help', long: [], type: 'boolean', describe: 'Print usage', hidden: true },
];

/** The root's "Common Commands", in docker's order. */
const COMMON = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'search', 'version', 'info'];

const VARNAME: Record<FlagInfo['type'], string> = { boolean: '', string: 'string', number: 'int', array: 'list' };

/** pflag's wrap: text from column i to w, or as a block on the next line when that is too narrow. */
function wrap(i: number, w: number, s: string): string {
  let width = w - i;
  let r = '';
  if (width < 24) {
    i = 16;
    width = w - i;
    r += `\n${' '.repeat(i)}`;
  }
  if (width < 24) return r + s;
  const slop = 5;
  width -= slop;
  const wrapN = (t: string): [string, string] => {
    if (width + slop > t.length) return [t, ''];
    const at = t.slice(0, width).lastIndexOf(' ');
    return at <= 0 ? [t, ''] : [t.slice(0, at), t.slice(at + 1)];
  };
  let [line, rest] = wrapN(s);
  r += line;
  while (rest) {
    [line, rest] = wrapN(rest);
    r += `\n${' '.repeat(i)}${line}`;
  }
  return r;
}

/** pflag's FlagUsagesWrapped: sorted by name, usage aligned three spaces after the longest flag. */
export function flagUsages(flags: FlagInfo[], cols = (process.stdout.columns || 80) - 1): string {
  const rows = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => {
    let left = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    if (VARNAME[f.type]) left += ` ${VARNAME[f.type]}`;
    let usage = f.describe ?? '';
    const d = f.default;
    if (d !== undefined && d !== false && d !== '' && !(Array.isArray(d) && d.length === 0)) usage += typeof d === 'string' ? ` (default ${JSON.stringify(d)})` : ` (default ${String(d)})`;
    return [left, usage];
  });
  const max = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, u]) => `${l}${' '.repeat(max - l.length + 3)}${wrap(max + 3, cols, u)}`).join('\n');
}

function commandRows(rows: Array<[string, string]>): string {
  const pad = Math.max(11, ...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(pad)} ${d}`).join('\n');
}

/** `gocker --help`. */
export function rootHelp(): string {
  const top = COMMANDS.filter((c) => !c.managementOnly);
  const common = COMMON.map((n) => top.find((c) => nameOf(c) === n)).filter((c): c is CommandEntry => !!c);
  const rest = top.filter((c) => !common.includes(c)).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
  return `
Usage:  gocker [OPTIONS] COMMAND

A daemonless, Docker-compatible container engine

Common Commands:
${commandRows(common.map((c) => [nameOf(c), c.describe]))}

Management Commands:
${commandRows(MANAGEMENT.map((m) => [m.name, m.describe]))}

Commands:
${commandRows(rest.map((c) => [nameOf(c), c.describe]))}

Global Options:
${flagUsages([...GLOBAL_FLAGS, { name: 'version', short: 'v', long: [], type: 'boolean', describe: 'Print version information and quit' }])}

Run 'gocker COMMAND --help' for more information on a command.
`;
}

/** `gocker container --help`. */
export function managementHelp(m: ManagementCommand): string {
  const rows = subcommandsOf(m).map((s): [string, string] => [s.name, entryNamed(s.target)!.describe]);
  return `
Usage:  gocker ${m.name} COMMAND

${m.describe}

Commands:
${commandRows(rows)}

Run 'gocker ${m.name} COMMAND --help' for more information on a command.
`;
}

/**
 * docker's usage line: the command's path (`container ls` for `container list` too: the
 * name, not the alias typed), then its arguments.
 */
export function usageLine(entry: CommandEntry, path: string): string {
  const usage = entry.usage ?? derivedUsage(entry);
  return `gocker ${path}${usage.slice(usage.split(' ')[0].length)}`;
}

/** A usage line from the yargs command string, for a command that gives none. */
function derivedUsage(entry: CommandEntry): string {
  const [name, ...words] = entry.command.split(' ');
  const args = words.map((w) => {
    const arg = w.replace(/[<>[\]]|\.\./g, '').toUpperCase();
    const many = w.includes('..');
    if (w.startsWith('<')) return many ? `${arg} [${arg}...]` : arg;
    return many ? `[${arg}...]` : `[${arg}]`;
  });
  return [name, '[OPTIONS]', ...args].join(' ');
}

/** `gocker ps --help`, `gocker container ls --help`. */
export function commandHelp(entry: CommandEntry, path: string, flags: FlagInfo[]): string {
  const paths = commandPaths(entry);
  const aliases = paths.length > 1 ? `\n\nAliases:\n  ${paths.map((p) => `gocker ${p}`).join(', ')}` : '';
  const own = flags.filter((f) => !f.hidden);
  const options = own.length ? `\n\nOptions:\n${flagUsages(own)}` : '';
  return `\nUsage:  ${usageLine(entry, path)}\n\n${entry.describe}${aliases}${options}\n`;
}
