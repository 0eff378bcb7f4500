import type { Argv } from 'yargs';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { HISTORY_HEADER, HISTORY_TABLE, historyContext } from '../contexts';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('image', { type: 'string', demandOption: true })
    .option('human', { alias: 'H', type: 'boolean', default: true, describe: 'Print sizes and dates in human readable format' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{.ID}} {{.CreatedBy}}'" });
}

export function handler(argv: GlobalArgs & { image: string; noTrunc?: boolean; human?: boolean; quiet?: boolean; format?: string | string[] }): void {
  const rows = engine(argv).history(argv.image);
  const format = lastFlag(argv.format) || 'table';
  // As docker: -q only changes the default table; a template of one's own is used as it is.
  const template = format === 'table' ? (argv.quiet ? '{{.ID}}' : HISTORY_TABLE) : format;
  const now = Date.now();
  process.stdout.write(formatList(template, HISTORY_HEADER, rows.map((r) => historyContext(r, { trunc: !argv.noTrunc, now, human: argv.human !== false }))));
}
