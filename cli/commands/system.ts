import type { Argv } from 'yargs';
import { renderTemplate } from '../../lib/format/template';
import type { GlobalArgs } from '../types';
import { engine, humanSize, table } from '../util';

// `gocker system df` (info and prune have their own commands).
export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('action', { type: 'string', choices: ['df'], demandOption: true })
    .option('format', { type: 'string', describe: "Format output using a Go template, e.g. '{{json .}}'" });
}

export function handler(argv: GlobalArgs & { action: string; format?: string }): number {
  const rows = engine(argv).diskUsage();
  const pct = (part: number, whole: number): string => (whole ? ` (${Math.round((part * 100) / whole)}%)` : '');
  // docker's table and template fields are strings: "0", "1.2MB", "1.2MB (50%)".
  const shown = rows.map((r) => ({
    Type: r.Type,
    TotalCount: String(r.TotalCount),
    Active: String(r.Active),
    Size: humanSize(r.Size),
    Reclaimable: `${humanSize(r.Reclaimable)}${pct(r.Reclaimable, r.Size)}`,
  }));
  if (argv.format !== undefined) {
    for (const r of shown) process.stdout.write(`${renderTemplate(argv.format, r)}\n`);
    return 0;
  }
  process.stdout.write(table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], shown.map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable])));
  return 0;
}
