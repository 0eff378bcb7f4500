import type { Argv } from 'yargs';
import { listContainers } from '../../lib/container/lifecycle';
import type { ContainerRecord } from '../../lib/container/record';
import { GockerError } from '../../lib/errors';
import { Template, TemplateExecError } from '../../lib/format/exec';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { DOCKER_FUNCS } from '../../lib/format/funcs';
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
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output (status=..., name=...)' })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{.ID}} {{.Names}}'" });
}

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

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

export async function handler(argv: GlobalArgs & { all?: boolean; quiet?: boolean; noTrunc?: boolean; filter?: string[]; format?: string | string[] }): Promise<void> {
  const g = engine(argv);
  const filters = (argv.filter ?? []).map((f) => {
    const i = f.indexOf('=');
    if (i < 0 || !['status', 'name', 'id'].includes(f.slice(0, i))) throw new GockerError(`invalid filter '${f}'`);
    if (f.slice(0, i) === 'status' && !STATUSES.includes(f.slice(i + 1))) throw new GockerError(`invalid filter '${f}'`);
    return [f.slice(0, i), f.slice(i + 1)] as const;
  });
  const format = lastFlag(argv.format) || undefined;
  if (format !== undefined && argv.quiet) process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  const { size } = format !== undefined ? checkFormat(format) : { size: false };
  const rows = (await listContainers(g.paths, !!argv.all || filters.some(([k]) => k === 'status'))).filter((r) => filters.every(([k, v]) =>
    k === 'status' ? r.State.Status === v : k === 'name' ? r.Name.slice(1).includes(v) : r.Id.startsWith(v)));
  if (argv.quiet) {
    process.stdout.write(rows.map((r) => `${argv.noTrunc ? r.Id : r.Id.slice(0, 12)}\n`).join(''));
    return;
  }
  const template = format === undefined || format === 'table' ? CONTAINER_TABLE : format === 'raw' ? CONTAINER_RAW : format;
  const sizes = size ? (r: ContainerRecord): [number, number] => containerSizes(g, r) : undefined;
  const now = Date.now();
  process.stdout.write(formatList(template, CONTAINER_HEADER, rows.map((r) => containerContext(r, { trunc: !argv.noTrunc, sizes, now }))));
}

/** The writable layer's bytes and, as docker's virtual size, those of the whole root. */
function containerSizes(g: ReturnType<typeof engine>, r: ContainerRecord): [number, number] {
  const { treeSize } = require('../../lib/image/prune') as typeof import('../../lib/image/prune');
  const rw = treeSize(r.GraphDriver.Data.UpperDir);
  const image = g.store.loadImage(r.Image);
  return [rw, rw + (image?.layers.reduce((n, l) => n + l.size, 0) ?? 0)];
}
