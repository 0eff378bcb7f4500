import type { Argv } from 'yargs';
import { imageHistory } from '../../lib/image/manage';
import type { GlobalArgs } from '../types';
import { engine, humanSize, table, timeAgo } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('image', { type: 'string', demandOption: true })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' });
}

export function handler(argv: GlobalArgs & { image: string; noTrunc?: boolean; quiet?: boolean }): void {
  const rows = imageHistory(engine(argv).store, argv.image);
  const id = (s: string): string => (s === '<missing>' || argv.noTrunc ? s : s.slice(7, 19));
  if (argv.quiet) {
    process.stdout.write(rows.map((r) => `${id(r.id)}\n`).join(''));
    return;
  }
  const by = (s: string): string => (argv.noTrunc || s.length <= 45 ? s : `${s.slice(0, 44)}…`);
  process.stdout.write(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
    rows.map((r) => [id(r.id), r.created ? timeAgo(new Date(r.created)) : '', by(r.createdBy), humanSize(r.size), r.comment])));
}
