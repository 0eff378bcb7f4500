import type { Argv } from 'yargs';
import { errorLine, GockerError } from '../../lib/errors';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import { VOLUME_HEADER, VOLUME_TABLE, volumeContext } from '../contexts';
import type { Gocker, VolumeInfo } from '../../lib/index';
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

/**
 * --filter KEY=VALUE as docker's FilterOpt reads them: keys lower-cased, values kept per key.
 * Which keys and values mean anything is the engine's to say, as dockerd's.
 */
function parseFilters(values: unknown): Record<string, string[]> {
  // No prototype: a key such as __proto__ is one more key the engine refuses, not Object's.
  const out = Object.create(null) as Record<string, string[]>;
  for (const raw of ([] as unknown[]).concat(values ?? []).map(String)) {
    if (!raw) continue;
    const i = raw.indexOf('=');
    if (i < 0) throw new GockerError('bad format of filter (expected name=value)', { exitCode: 125 });
    (out[raw.slice(0, i).trim().toLowerCase()] ??= []).push(raw.slice(i + 1).trim());
  }
  return out;
}

function create(a: Args, g: Gocker): Promise<number> {
  if (a.name !== undefined && a.volumeName !== undefined) throw new GockerError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', { exitCode: 1 });
  const name = (a.name ?? a.volumeName) as string | undefined;
  return g.createVolume(name === undefined ? undefined : String(name), {
    driver: a.driver as string | undefined,
    // As docker's CLI sends them: empty maps when none were given (inspect shows {}).
    labels: kvMap(a.label, '--label', true),
    options: kvMap(a.opt, '--opt'),
  }).then((volume) => {
    process.stdout.write(`${volume.Name}\n`);
    return 0;
  });
}

function list(a: Args, g: Gocker): number {
  const rows = g.listVolumes({ filters: parseFilters(a.filter) });
  if (a.quiet) {
    process.stdout.write(rows.map((v) => `${v.Name}\n`).join(''));
    return 0;
  }
  const format = lastFlag(a.format as string | string[] | undefined);
  process.stdout.write(formatList(format === undefined || format === 'table' ? VOLUME_TABLE : format, VOLUME_HEADER, rows.map(volumeContext)));
  return 0;
}

function inspect(a: Args, g: Gocker): number {
  const out: VolumeInfo[] = [];
  let code = 0;
  const format = lastFlag(a.format as string | string[] | undefined);
  const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
  for (const n of ([] as unknown[]).concat(a.volumes ?? []).map(String)) {
    try {
      const v = g.inspectVolume(n);
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

async function remove(a: Args, g: Gocker): Promise<number> {
  let code = 0;
  for (const n of ([] as unknown[]).concat(a.volumes ?? []).map(String)) {
    try {
      await g.removeVolume(n, { force: !!a.force });
      process.stdout.write(`${n}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}

async function prune(a: Args, g: Gocker): Promise<number> {
  const opts = { all: !!a.all, filters: parseFilters(a.filter) };
  // Checked before asking: the question says which volumes go.
  const all = g.volumePruneAll(opts);
  const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.'
    : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  // Cancelled: nothing printed, exit 0, as docker.
  if (!a.force && !(await confirm(`${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
  const r = await g.pruneVolumes(opts);
  if (r.deleted.length) process.stdout.write(`Deleted Volumes:\n${r.deleted.map((n) => `${n}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}

const part = (builder: (s: Argv<GlobalArgs>) => Argv<GlobalArgs>, fn: (a: Args, g: Gocker) => Promise<number> | number) => ({
  builder,
  handler: (a: Args): Promise<number> | number => fn(a, engine(a)),
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
