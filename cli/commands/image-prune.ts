import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { confirm, engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused images, not just dangling ones' })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' });
}

export async function handler(argv: GlobalArgs & { all?: boolean; force?: boolean }): Promise<number> {
  const what = argv.all ? 'all images without at least one container associated to them' : 'all dangling images';
  if (!argv.force && !(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
  const r = await engine(argv).pruneImages({ all: !!argv.all });
  const lines = [...r.untagged.map((t) => `untagged: ${t}`), ...r.images.map((i) => `deleted: ${i}`), ...r.layers.map((l) => `deleted: ${l}`)];
  if (lines.length) process.stdout.write(`Deleted Images:\n${lines.join('\n')}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.bytes)}\n`);
  return 0;
}
