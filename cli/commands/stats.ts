import type { Argv } from 'yargs';
import { compileFormat, formatList, lastFlag } from '../../lib/format/formatter';
import { STATS_HEADER, STATS_TABLE, statsContext } from '../contexts';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true })
    .option('no-stream', { type: 'boolean', describe: 'Disable streaming stats and only pull the first result' })
    .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
    .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default shows just running)' })
    .option('format', { type: 'string', describe: "Format output: 'table', 'table TEMPLATE', 'json', or a Go template, e.g. '{{.Name}} {{.CPUPerc}}'" });
}

export async function handler(argv: GlobalArgs & { containers?: string[]; noStream?: boolean; noTrunc?: boolean; all?: boolean; format?: string | string[] }): Promise<void> {
  const g = engine(argv);
  const format = lastFlag(argv.format) || 'table';
  const template = format === 'table' ? STATS_TABLE : format;
  const tmpl = compileFormat(template);
  const named = argv.containers?.length ? argv.containers.map(String) : undefined;
  const recs = named ? named.map((c) => g.inspectContainer(c)) : await g.containers({ all: argv.all });
  // As docker: with --no-stream and nothing to show, nothing at all (not even the header).
  if (argv.noStream && recs.length === 0) return;
  for (;;) {
    // .Container is the name or ID as given, or the ID when listing them all.
    const rows = (await g.containerStats(recs)).map((s, i) => statsContext({ ...s, container: named?.[i] ?? s.id }, { trunc: !argv.noTrunc }));
    process.stdout.write(formatList(template, STATS_HEADER, rows, tmpl));
    if (argv.noStream) return;
    await new Promise((res) => setTimeout(res, 900));
  }
}
