import type { Argv } from 'yargs';
import { usageError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { confirm, engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' })
    .option('filter', { type: 'string', array: true, describe: 'Provide filter values (e.g. "until=<timestamp>")' });
}

export async function handler(argv: GlobalArgs & { force?: boolean; filter?: string[] }): Promise<number> {
  const values = (argv.filter ?? []).map(String);
  const bad = values.find((v) => !v.includes('='));
  if (bad !== undefined) usageError(`invalid argument "${bad}" for "--filter" flag: bad format of filter (expected name=value)`, 'container prune');
  if (!argv.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  // Checked by the engine once confirmed, as docker's daemon checks them.
  const filters: Record<string, string[]> = {};
  for (const v of values) (filters[v.slice(0, v.indexOf('='))] ??= []).push(v.slice(v.indexOf('=') + 1));
  const r = await engine(argv).pruneContainers({ filters });
  if (r.deleted.length) process.stdout.write(`Deleted Containers:\n${r.deleted.map((id) => `${id}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes, 4)}\n`);
  return 0;
}
