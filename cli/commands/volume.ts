import type { Argv } from 'yargs';
import { errorLine, GockerError } from '../../lib/errors';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import { VOLUME_HEADER, VOLUME_TABLE, volumeContext } from '../contexts';
import type { VolumeInfo, Volumes } from '../../lib/store/volumes';
import type { GlobalArgs } from '../types';
import { confirm, engine, humanSize, table } from '../util';

// `gocker volume create|ls|inspect|rm|prune`: subcommands of their own, as in docker, whose
// -f is --filter for ls, --format for inspect and --force for rm and prune.

type Args = GlobalArgs & Record<string, unknown>;

/** KEY=VALUE list flags as docker's opts.ConvertKVStringsToMap (a bare KEY is KEY=""). */
function kvMap(values: unknown, flag: string, label = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of ([] as unknown[]).concat(values ?? []).map(String)) {
    const i = raw.indexOf('=');
    const k = i < 0 ? raw : raw.slice(0, i);
    if (label && !k.trim()) throw new GockerError(`invalid argument "${raw}" for "${flag}" flag: invalid label '${raw}': empty name`);
    out[k] = i < 0 ? '' : raw.slice(i + 1);
  }
  return out;
}

/** --filter KEY=VALUE as docker's FilterOpt: keys lower-cased, values kept per key. */
function parseFilters(values: unknown, accepted: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of ([] as unknown[]).concat(values ?? []).map(String)) {
    if (!raw) continue;
    const i = raw.indexOf('=');
    if (i < 0) throw new GockerError('bad format of filter (expected name=value)', { exitCode: 125 });
    const k = raw.slice(0, i).trim().toLowerCase();
    out.set(k, [...(out.get(k) ?? []), raw.slice(i + 1).trim()]);
  }
  for (const k of out.keys()) if (!accepted.includes(k)) throw new GockerError(`invalid filter '${k}'`, { exitCode: 1 });
  return out;
}

/** label=KEY or label=KEY=VALUE, all of them, as docker's MatchKVList. */
function hasLabels(v: VolumeInfo, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    const k = i < 0 ? w : w.slice(0, i);
    return !!v.Labels && k in v.Labels && (i < 0 || v.Labels[k] === w.slice(i + 1));
  });
}

/** name=: any of them, as a regular expression or the whole name (docker's filters.Match). */
function nameMatches(name: string, patterns: string[]): boolean {
  return patterns.some((p) => {
    if (p === name) return true;
    try {
      return new RegExp(p).test(name);
    } catch {
      return false;
    }
  });
}

function boolFilter(key: string, values: string[]): boolean {
  const t = values.some((v) => v === 'true' || v === '1');
  const f = values.some((v) => v === 'false' || v === '0');
  if (t === f || values.some((v) => !['true', '1', 'false', '0'].includes(v))) {
    throw new GockerError(`invalid filter '${key}=[${values.join(' ')}]'`, { exitCode: 1 });
  }
  return t;
}

function create(a: Args, vols: Volumes): Promise<number> {
  if (a.name !== undefined && a.volumeName !== undefined) throw new GockerError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', { exitCode: 1 });
  const name = (a.name ?? a.volumeName) as string | undefined;
  return vols.create(name === undefined ? undefined : String(name), {
    driver: a.driver as string | undefined,
    // As docker's CLI sends them: empty maps when none were given (inspect shows {}).
    labels: kvMap(a.label, '--label', true),
    options: kvMap(a.opt, '--opt'),
  }).then(({ volume }) => {
    process.stdout.write(`${volume.Name}\n`);
    return 0;
  });
}

function list(a: Args, vols: Volumes): number {
  const filters = parseFilters(a.filter, ['dangling', 'name', 'driver', 'label']);
  const dangling = filters.has('dangling') ? boolFilter('dangling', filters.get('dangling')!) : undefined;
  const rows = vols.list().filter((v) =>
    (!filters.has('name') || nameMatches(v.Name, filters.get('name')!)) &&
    (!filters.has('driver') || filters.get('driver')!.includes(v.Driver)) &&
    hasLabels(v, filters.get('label') ?? []) &&
    (dangling === undefined || (vols.users(v.Name).length === 0) === dangling));
  if (a.quiet) {
    process.stdout.write(rows.map((v) => `${v.Name}\n`).join(''));
    return 0;
  }
  const format = lastFlag(a.format as string | string[] | undefined);
  process.stdout.write(formatList(format === undefined || format === 'table' ? VOLUME_TABLE : format, VOLUME_HEADER, rows.map(volumeContext)));
  return 0;
}

function inspect(a: Args, vols: Volumes): number {
  const out: VolumeInfo[] = [];
  let code = 0;
  const format = lastFlag(a.format as string | string[] | undefined);
  const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
  for (const n of ([] as unknown[]).concat(a.volumes ?? []).map(String)) {
    try {
      const v = vols.get(n);
      if (tmpl) process.stdout.write(`${renderInspect(tmpl, v)}\n`);
      else out.push(v);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (!tmpl) process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  return code;
}

async function remove(a: Args, vols: Volumes): Promise<number> {
  let code = 0;
  for (const n of ([] as unknown[]).concat(a.volumes ?? []).map(String)) {
    try {
      await vols.remove(n, !!a.force);
      process.stdout.write(`${n}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}

async function prune(a: Args, vols: Volumes): Promise<number> {
  const filters = parseFilters(a.filter, ['label', 'label!', 'all']);
  let all = !!a.all;
  if (filters.has('all')) {
    if (all) throw new GockerError('conflicting options: cannot specify both --all and --filter all=1', { exitCode: 1 });
    all = boolFilter('all', filters.get('all')!);
  }
  const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.'
    : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  // Cancelled: nothing printed, exit 0, as docker.
  if (!a.force && !(await confirm(`${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
  const without = filters.get('label!') ?? [];
  const r = await vols.prune(all, (v) => hasLabels(v, filters.get('label') ?? []) && !without.some((w) => hasLabels(v, [w])));
  if (r.deleted.length) process.stdout.write(`Deleted Volumes:\n${r.deleted.map((n) => `${n}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}

const part = (builder: (s: Argv<GlobalArgs>) => Argv<GlobalArgs>, fn: (a: Args, v: Volumes) => Promise<number> | number) => ({
  builder,
  handler: (a: Args): Promise<number> | number => fn(a, engine(a).volumes),
});

/** `volume create|ls|inspect|rm|prune`, each a command of its own (cli/commands.ts routes them). */
export const subcommands = {
  create: part((s) => s
    .positional('volumeName', { type: 'string', describe: 'the volume\'s name (a random one when none)' })
    .option('driver', { alias: 'd', type: 'string', describe: 'Specify volume driver name (local)' })
    .option('label', { type: 'string', array: true, describe: 'Set metadata for a volume' })
    .option('opt', { alias: 'o', type: 'string', array: true, describe: 'Set driver specific options (type, device, o)' })
    .option('name', { type: 'string', hidden: true }), create),
  ls: part((s) => s
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display volume names' })
    .option('format', { type: 'string', describe: 'Format output using a Go template' })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Provide filter values (e.g. "dangling=true")' }), list),
  inspect: part((s) => s.option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' }), inspect),
  rm: part((s) => s.option('force', { alias: 'f', type: 'boolean', describe: 'Force the removal of one or more volumes' }), remove),
  prune: part((s) => s
    .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused volumes, not just anonymous ones' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })
    .option('filter', { type: 'string', array: true, describe: 'Provide filter values (e.g. "label=<label>")' }), prune),
};
