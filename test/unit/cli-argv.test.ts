// cli/argv.ts makes a command's argv without yargs; yargs (cli/main.ts' yargsParse) stays
// the reference. For every command in COMMANDS, command lines made from its own recorded
// flags (each flag in each of its forms: long, short, grouped, with '=', repeated; with the
// command's positionals before and after, '--', '-', the global flags before and after) go
// through both, and the direct argv must be yargs' argv, key for key, or the direct path
// must decline (and then yargs parses the line, as before). That it declines only where it
// must is checked by how much it takes: every plain line of every command it can read.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { COMMANDS, nameOf, type CommandEntry } from '../../cli/commands';
import { directArgv } from '../../cli/argv';
import { argCountError, recordBuilder, scanFlags, type CommandSpec, type FlagInfo } from '../../cli/flags';
import { GLOBAL_FLAGS } from '../../cli/help';
import { yargsParse } from '../../cli/main';
import type { CommandModule } from '../../cli/types';

function builderOf(entry: CommandEntry): CommandModule['builder'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const file = require(`../../cli/commands/${entry.module}`) as CommandModule & { subcommands?: Record<string, CommandModule> };
  return (entry.part ? file.subcommands![entry.part] : file).builder;
}

/** yargs' argv for these words, or its refusal as a string. */
async function viaYargs(words: string[], entry: CommandEntry, builder: CommandModule['builder']): Promise<Record<string, unknown> | string> {
  let argv: Record<string, unknown> | undefined;
  try {
    await yargsParse(words, entry, builder, async (a) => {
      argv = a as Record<string, unknown>;
    }, (msg, err) => {
      throw new Error(`yargs refused: ${msg ?? err?.message}`);
    });
  } catch (e) {
    return (e as Error).message;
  }
  return argv ?? 'yargs ran no handler';
}

/**
 * Each way to give f on a command line, as lists of words: its forms (long, short, attached,
 * after '=', repeated, its other names), and with values, each value's kind of its type.
 */
function forms(f: FlagInfo, values: boolean): string[][] {
  const n = `--${f.name}`;
  const s = f.short && `-${f.short}`;
  const out: string[][] = [];
  const value = (v: string): void => {
    out.push([n, v], [`${n}=${v}`]);
    if (s) out.push([s, v], [`${s}${v}`], [`${s}=${v}`]);
  };
  if (f.type === 'boolean') {
    out.push([n], [`${n}=false`], [n, `${n}=false`]);
    if (s) out.push([s], [`${s}=false`], [s, `${s}=false`]);
    if (values) out.push([`${n}=true`], [`${n}=false`, n], [n, n], [`${n}=yes`], [`${n}='true'`], [n, 'true'], [n, 'false']);
  } else if (f.choices) {
    for (const c of [...f.choices, 'bogus']) value(String(c));
  } else if (f.type === 'number') {
    value('5');
    out.push([n, '2', n, '3']);
    if (values) out.push([`${n}=2`, n, '1']);
    if (values) for (const v of ['0', '-3', '1.5', 'abc', '0x10', '1e3', '', ' 7', '"4"']) out.push([n, v], [`${n}=${v}`]);
  } else {
    value('v');
    out.push([n, 'a', n, 'b']);
    if (s) out.push([s, 'a', s, 'b']);
    if (values) out.push([`${n}=a`, n, 'b', n, 'c']);
    if (values) for (const v of ['k=v', '-', '-x', '', '"quoted"', "'q'", '"', '5', '007', 'true', 'a b', '{{.ID}}']) out.push([n, v], [`${n}=${v}`]);
    if (values && f.type === 'array') out.push([`${n}=`, n, 'x'], [n, 'x', `${n}=`]);
  }
  for (const l of f.long) out.push(f.type === 'boolean' ? [`--${l}`] : [`--${l}`, 'w']);
  return out;
}

/**
 * Positionals for the command string's shape: just the required ones, and all with two in a
 * variadic; a positional with choices takes its first.
 */
function positionalSets(command: string, spec: CommandSpec): string[][] {
  const shape = command.split(' ').slice(1);
  const word = (w: string, v: string): string => String(spec.positionalOptions[w.slice(1, -1).replace(/\.\.$/, '')]?.choices?.[0] ?? v);
  const required = shape.filter((w) => w.startsWith('<')).map((w, i) => word(w, `p${i}`));
  const all = shape.flatMap((w, i) => (w.includes('..') ? [`v${i}a`, `v${i}b`] : [word(w, `p${i}`)]));
  return [required, all];
}

/** What the direct path made of a command line, compared with yargs'. */
interface Tally {
  direct: number;
  declined: number;
  /**
   * The words both parsers were given: forms scanFlags makes one (-m5, -m=5, --memory 5)
   * are compared once (yargs' parse of run's builder takes some 40 ms).
   */
  seen: Set<string>;
}

async function check(entry: CommandEntry, spec: CommandSpec, builder: CommandModule['builder'], pre: string[], rest: string[], tally: Tally): Promise<void> {
  const scan = scanFlags([...pre, nameOf(entry), ...rest], pre.length + 1, [...GLOBAL_FLAGS, ...spec.flags], !!entry.passthrough);
  // What main() answers before any argv is made.
  if (scan.error || scan.help || argCountError(entry.command, scan.positionals.length, nameOf(entry))) return;
  const line = `gocker ${[...pre, nameOf(entry), ...rest].map((w) => JSON.stringify(w)).join(' ')}`;
  const key = JSON.stringify([pre, scan.args]);
  if (tally.seen.has(key)) return;
  tally.seen.add(key);
  const direct = directArgv(pre, entry.command, spec, scan.args);
  if (!direct) {
    tally.declined++;
    return;
  }
  tally.direct++;
  const reference = await viaYargs([...pre, nameOf(entry), ...scan.args], entry, builder);
  assert.deepStrictEqual(direct, reference, line);
}

test('every command: the direct argv is yargs\' argv, for each flag in each form, or the direct path declines', async () => {
  const totals: Record<string, Tally> = {};
  for (const entry of COMMANDS) {
    const builder = builderOf(entry);
    const spec = recordBuilder(builder as (y: never) => unknown);
    const tally: Tally = (totals[nameOf(entry)] = { direct: 0, declined: 0, seen: new Set() });
    const [required, all] = positionalSets(entry.command, spec);
    const flags = spec.flags.filter((f) => f.name !== 'help');
    const globals = GLOBAL_FLAGS.filter((f) => f.name !== 'help');
    // Every value's kind once for each type of flag the command has: how a value is read
    // depends on the type, not the flag.
    const typed = new Set<string>();
    for (const f of [...flags, ...globals]) {
      const kind = `${f.type}${f.short ? ' short' : ''}`;
      for (const form of forms(f, !typed.has(kind))) {
        await check(entry, spec, builder, [], [...form, ...required], tally);
        // After run's image a flag is a word of the container's command (the lines below have some).
        if (!entry.passthrough) await check(entry, spec, builder, [], [...all, ...form], tally);
      }
      typed.add(kind);
    }
    // Every flag at once, grouped shorts, positionals in every place, '--', '-', globals.
    const once = flags.flatMap((f) => (f.type === 'boolean' ? [`--${f.name}`] : [`--${f.name}=${f.choices ? String(f.choices[0]) : f.type === 'number' ? '3' : 'x'}`]));
    const shorts = flags.filter((f) => f.short && f.type === 'boolean').map((f) => f.short).join('');
    const valued = flags.find((f) => f.short && f.type !== 'boolean' && !f.choices && f.type !== 'number');
    const lines: Array<[string[], string[]]> = [
      [[], required], [[], all], [[], once.concat(all)], [[], all.concat(once)],
      [[], ['--', ...all]], [[], [...once, '--', ...all]], [[], ['-', ...all.slice(1)]], [[], [...all.slice(0, -1), '-']],
      [[], ['--', '-p', ...all.slice(1)]], [[], ['7', ...all.slice(1)]], [[], [...all.slice(0, -1), '08']],
      [['--root', '/r'], all], [['--root=/r', '--log-level', 'debug'], all], [['--root', '/r', '--root', '/s'], [...all, '--root=/t']],
      [['--root', '-'], all], [['--storage-driver="vfs"'], all], [['-h'], all], [[], [...all, '--runroot', '/x', '--log-level=info']],
    ];
    if (shorts) lines.push([[], [`-${shorts}`, ...all]], [[], [...required, `-${shorts}`]]);
    if (shorts && valued) lines.push([[], [`-${shorts}${valued.short}val`, ...all]], [[], [`-${shorts}${valued.short}`, 'val', ...all]]);
    for (const [pre, rest] of lines) await check(entry, spec, builder, pre, rest, tally);
  }
  // The direct path must read the plain command lines of every command it does not leave to
  // yargs as a whole (spec.unsupported): a check that passes by declining would not count.
  for (const entry of COMMANDS) {
    const spec = recordBuilder(builderOf(entry) as (y: never) => unknown);
    const t = totals[nameOf(entry)];
    if (spec.unsupported.length) {
      assert.equal(t.direct, 0, nameOf(entry));
      continue;
    }
    assert.ok(t.direct > t.declined, `${nameOf(entry)}: ${t.direct} direct, ${t.declined} declined`);
  }
  // Today only network create's .check() is left to yargs.
  assert.deepEqual(COMMANDS.filter((e) => recordBuilder(builderOf(e) as (y: never) => unknown).unsupported.length).map(nameOf), ['network-create']);
});

/** scanFlags' reading of `gocker NAME words` with the command's own flags. */
function scanOf(name: string, words: string[]): ReturnType<typeof scanFlags> {
  const entry = COMMANDS.find((e) => nameOf(e) === name)!;
  const spec = recordBuilder(builderOf(entry) as (y: never) => unknown);
  return scanFlags([name, ...words], 1, [...GLOBAL_FLAGS, ...spec.flags], !!entry.passthrough);
}

test('scanFlags reads values as pflag\'s Value.Set: booleans through strconv.ParseBool, numbers through strconv.ParseInt(s, 0, 64)', () => {
  const bool = (v: string, flag: string): string => `invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`;
  for (const [v, b] of [['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true], ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false]] as const) {
    assert.deepEqual(scanOf('run', [`--rm=${v}`, 'img']).args, [`--rm=${b}`, 'img', '--']);
    assert.deepEqual(scanOf('run', [`-d=${v}`, 'img']).args, [`--detach=${b}`, 'img', '--']);
  }
  for (const v of ['yes', 'no', 'on', '', ' true', 'tRUE', '2']) {
    assert.equal(scanOf('run', [`--rm=${v}`, 'img']).error, bool(v, '--rm'));
    assert.equal(scanOf('ps', [`-a=${v}`]).error, v === '' ? "unknown shorthand flag: '=' in -=" : bool(v, '-a, --all'));
  }
  // A value that needs quoting is shown as Go's %q shows it.
  assert.equal(scanOf('run', ['--rm=\t"', 'img']).error, bool('\\t\\"', '--rm'));
  // Alone, a boolean is true and the next word is not its value; in a group, the rest more flags.
  assert.deepEqual(scanOf('run', ['--rm', 'false', 'img']).positionals, ['false', 'img']);
  assert.deepEqual(scanOf('run', ['-it=false', 'img']).args, ['--interactive=true', '--tty=false', 'img', '--']);
  assert.deepEqual(scanOf('rm', ['-f', 'false']).args, ['--force=true', 'false']);
  assert.equal(scanOf('run', ['-d=', 'img']).error, "unknown shorthand flag: '=' in -=");
  assert.equal(scanOf('run', ['---rm', 'img']).error, 'bad flag syntax: ---rm');
  assert.equal(scanOf('run', ['--=x', 'img']).error, 'bad flag syntax: --=x');
  assert.equal(scanOf('ps', ['--help=false']).help, false);
  assert.equal(scanOf('ps', ['--help=1']).help, true);

  const int = (v: string, flag: string, why = 'invalid syntax'): string => `invalid argument ${JSON.stringify(v)} for "${flag}" flag: strconv.ParseInt: parsing ${JSON.stringify(v)}: ${why}`;
  for (const [v, n] of [['10', '10'], ['-1', '-1'], ['+3', '3'], ['0x10', '16'], ['0X1f', '31'], ['010', '8'], ['0o17', '15'], ['0b101', '5'], ['1_000', '1000'], ['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '-9223372036854775808']]) {
    assert.deepEqual(scanOf('ps', ['-n', v]).args, [`--last=${n}`], v);
    assert.deepEqual(scanOf('stop', [`-t${v}`, 'c']).args, [`--timeout=${n}`, 'c'], v);
  }
  for (const v of ['x', '1e3', '1.5', '', ' 7', '0x', '1__0', '_1', '08', '"4"']) assert.equal(scanOf('ps', ['--last', v]).error, int(v, '-n, --last'), v);
  for (const v of ['9223372036854775808', '-9223372036854775809', '0x10000000000000000']) assert.equal(scanOf('ps', [`--last=${v}`]).error, int(v, '-n, --last', 'value out of range'));
  assert.equal(scanOf('ps', ['-n=']).error, int('=', '-n, --last'));
  assert.equal(scanOf('stop', ['--time', 'x', 'c']).error, int('x', '--time'));
  assert.equal(scanOf('restart', ['-t', '5s', 'c']).error, int('5s', '-t, --timeout'));
});

test('\'--\' ends the flags: the words after it are positionals, and reach the handler as given', async () => {
  const rm = scanOf('rm', ['-f', '--', '-x', '--', 'y']);
  assert.deepEqual(rm.positionals, ['-x', '--', 'y']);
  const entry = (name: string): CommandEntry => COMMANDS.find((e) => nameOf(e) === name)!;
  const argvOf = async (name: string, args: string[]): Promise<Record<string, unknown> | string> => {
    const e = entry(name);
    const spec = recordBuilder(builderOf(e) as (y: never) => unknown);
    const direct = directArgv([], e.command, spec, args);
    const viaY = await viaYargs([name, ...args], e, builderOf(e));
    if (direct) assert.deepStrictEqual(direct, viaY);
    return viaY;
  };
  assert.deepEqual((await argvOf('rm', rm.args) as Record<string, unknown>).containers, ['-x', '--', 'y']);
  assert.deepEqual((await argvOf('rm', scanOf('rm', ['--', '-']).args) as Record<string, unknown>).containers, ['-']);
  // run: the first word after '--' is the image, the rest its command, a second '--' in it.
  const run = scanOf('run', ['--rm', '--', 'img', '--', '-x']);
  assert.deepEqual(run.positionals, ['img', '--', '-x']);
  const argv = await argvOf('run', run.args) as Record<string, unknown>;
  assert.equal(argv.image, 'img');
  assert.deepEqual(argv._, ['run', '--', '-x']);
  const after = await argvOf('run', scanOf('run', ['img', '--', 'echo']).args) as Record<string, unknown>;
  assert.deepEqual([after.image, after._], ['img', ['run', '--', 'echo']]);
  // A bare boolean before the image: `false` is the image, not --rm's value.
  const rmFalse = await argvOf('run', scanOf('run', ['--rm', 'false', 'img']).args) as Record<string, unknown>;
  assert.deepEqual([rmFalse.rm, rmFalse.image, rmFalse._], [true, 'false', ['run', 'img']]);
});
