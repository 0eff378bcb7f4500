import type { Argv } from 'yargs';
import type { ContainerRecord } from '../../lib/index';
import { GockerError } from '../../lib/errors';
import { Template, TemplateExecError } from '../../lib/format/exec';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { DOCKER_FUNCS } from '../../lib/format/funcs';
import { usageError } from '../dispatch';
import { TemplateSyntaxError } from '../../lib/format/parse';
import { CONTAINER_HEADER, CONTAINER_RAW, CONTAINER_TABLE, containerContext } from '../contexts';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export { statusText } from '../contexts';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output based on conditions provided' })
    .option('last', { alias: 'n', type: 'number', describe: 'Show n last created containers (includes all states)' })
    .option('latest', { alias: 'l', type: 'boolean', describe: 'Show the latest created container (includes all states)' })
    .option('size', { alias: 's', type: 'boolean', describe: 'Display total file sizes' })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{.ID}} {{.Names}}'" });
}

/** A container with nothing in it: docker runs a --format template on one before listing. */
const EMPTY = {
  Id: '', Name: '', Created: '1970-01-01T00:00:00Z', Path: '', Args: [], Image: '',
  State: { Status: '', Running: false, StartedAt: '', FinishedAt: '', ExitCode: 0 },
  Config: { Image: '', Labels: {} }, Mounts: [], NetworkSettings: { Networks: {} },
} as unknown as ContainerRecord;

/**
 * As docker's ps: the template is parsed and tried on an empty container first (errors say
 * "failed to parse template" / "failed to execute template"); whether it reads .Size
 * decides whether sizes are computed.
 */
function checkFormat(format: string): { size: boolean } {
  let t: Template;
  try {
    t = new Template(format, DOCKER_FUNCS);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw new GockerError(`failed to parse template: ${e.message}`, { exitCode: 1, code: 'ETEMPLATE' });
    throw e;
  }
  let size = false;
  try {
    t.execute(containerContext(EMPTY, { trunc: true, onSize: () => { size = true; } }));
  } catch (e) {
    if (e instanceof TemplateExecError) throw new GockerError(`failed to execute template: ${e.message}`, { exitCode: 1, code: 'ETEMPLATE' });
    throw e;
  }
  return { size };
}

type Args = GlobalArgs & {
  all?: boolean; quiet?: boolean; noTrunc?: boolean; filter?: string[]; format?: string | string[]; last?: number; latest?: boolean; size?: boolean;
};

export async function handler(argv: Args): Promise<void> {
  const g = engine(argv);
  const bad = (argv.filter ?? []).find((f) => !String(f).includes('='));
  if (bad !== undefined) usageError(`invalid argument "${bad}" for "-f, --filter" flag: bad format of filter (expected name=value)`, 'ps');
  const filters: Record<string, string[]> = {};
  for (const f of (argv.filter ?? []).map(String)) (filters[f.slice(0, f.indexOf('='))] ??= []).push(f.slice(f.indexOf('=') + 1));
  // docker's -n and -l: the newest containers, in any state, after the filters.
  const limit = argv.latest ? 1 : argv.last !== undefined && argv.last > 0 ? Math.floor(argv.last) : undefined;
  // Listed (and the filters checked) before the format is: a bad filter is said first.
  const listed = await g.containers({ all: !!argv.all || limit !== undefined, filters });
  const format = lastFlag(argv.format) || undefined;
  if (format !== undefined && argv.quiet) process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  const size = (format !== undefined && checkFormat(format).size) || !!argv.size;
  const rows = listed.slice(0, limit);
  if (argv.quiet) {
    process.stdout.write(rows.map((r) => `${argv.noTrunc ? r.Id : r.Id.slice(0, 12)}\n`).join(''));
    return;
  }
  // -s adds docker's SIZE column (a line of raw) to the default formats.
  const template = format === undefined || format === 'table' ? `${CONTAINER_TABLE}${argv.size ? '\t{{.Size}}' : ''}`
    : format === 'raw' ? `${CONTAINER_RAW}${argv.size ? 'size: {{.Size}}\n' : ''}` : format;
  const sizes = size ? (r: ContainerRecord): [number, number] => {
    const s = g.containerSize(r);
    return [s.SizeRw, s.SizeRootFs];
  } : undefined;
  const now = Date.now();
  process.stdout.write(formatList(template, CONTAINER_HEADER, rows.map((r) => containerContext(r, { trunc: !argv.noTrunc, sizes, now }))));
}
