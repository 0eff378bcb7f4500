import type { Argv } from 'yargs';
import { formatList, lastFlag } from '../../lib/format/formatter';
import { withGoType } from '../../lib/format/values';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

// `gocker system df` (info and prune have their own commands).
export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('action', { type: 'string', choices: ['df'], demandOption: true })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{json .}}'" });
}

const DF_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_RAW = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';

export function handler(argv: GlobalArgs & { action: string; format?: string | string[] }): number {
  const format = lastFlag(argv.format) || 'table';
  const rows = engine(argv).diskUsage();
  const pct = (part: number, whole: number): string => (whole ? ` (${Math.round((part * 100) / whole)}%)` : '');
  // docker's fields are strings: "0", "1.2MB", "1.2MB (50%)".
  const shown = rows.map((r) => withGoType({
    Type: r.Type,
    TotalCount: String(r.TotalCount),
    Active: String(r.Active),
    Size: humanSize(r.Size),
    Reclaimable: `${humanSize(r.Reclaimable)}${pct(r.Reclaimable, r.Size)}`,
  }, { kind: 'struct', name: '*formatter.diskUsageContext', jsonAsMap: true }));
  process.stdout.write(formatList(format === 'table' ? DF_TABLE : format === 'raw' ? DF_RAW : format, DF_HEADER, shown));
  return 0;
}
