import type { Argv } from 'yargs';
import { listContainers } from '../../lib/container/lifecycle';
import type { ContainerRecord } from '../../lib/container/record';
import { GockerError } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine, humanDuration, table, timeAgo } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'Filter output (status=..., name=...)' });
}

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** docker's STATUS column: "Up 3 seconds", "Exited (0) 5 seconds ago", "Created". */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const s = r.State;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${timeAgo(new Date(s.FinishedAt), now)}`;
  return s.Status.charAt(0).toUpperCase() + s.Status.slice(1);
}

export async function handler(argv: GlobalArgs & { all?: boolean; quiet?: boolean; noTrunc?: boolean; filter?: string[] }): Promise<void> {
  const g = engine(argv);
  const filters = (argv.filter ?? []).map((f) => {
    const i = f.indexOf('=');
    if (i < 0 || !['status', 'name', 'id'].includes(f.slice(0, i))) throw new GockerError(`invalid filter '${f}'`);
    if (f.slice(0, i) === 'status' && !STATUSES.includes(f.slice(i + 1))) throw new GockerError(`invalid filter '${f}'`);
    return [f.slice(0, i), f.slice(i + 1)] as const;
  });
  const rows = (await listContainers(g.paths, !!argv.all || filters.some(([k]) => k === 'status'))).filter((r) => filters.every(([k, v]) =>
    k === 'status' ? r.State.Status === v : k === 'name' ? r.Name.slice(1).includes(v) : r.Id.startsWith(v)));
  if (argv.quiet) {
    process.stdout.write(rows.map((r) => `${argv.noTrunc ? r.Id : r.Id.slice(0, 12)}\n`).join(''));
    return;
  }
  const cmd = (r: ContainerRecord): string => {
    const c = [r.Path, ...r.Args].join(' ');
    return JSON.stringify(argv.noTrunc || c.length <= 20 ? c : `${c.slice(0, 19)}…`);
  };
  process.stdout.write(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    rows.map((r) => [argv.noTrunc ? r.Id : r.Id.slice(0, 12), r.Config.Image, cmd(r), timeAgo(new Date(r.Created)), statusText(r), '', r.Name.slice(1)])));
}
