import type { Argv } from 'yargs';
import { find, followLogs, readLogs, type LogLine } from '../../lib/container/lifecycle';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow log output' })
    .option('tail', { alias: 'n', type: 'string', describe: 'Number of lines to show from the end of the logs (or "all")' })
    .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' });
}

export async function handler(argv: GlobalArgs & { container: string; follow?: boolean; tail?: string; timestamps?: boolean }): Promise<void> {
  const g = engine(argv);
  const rec = find(g.paths, argv.container);
  const emit = (l: LogLine): void => {
    const text = argv.timestamps ? `${l.time} ${l.log}` : l.log;
    (l.stream === 'stderr' ? process.stderr : process.stdout).write(text);
  };
  const tail = argv.tail === undefined || argv.tail === 'all' ? undefined : Number(argv.tail);
  const all = readLogs(rec);
  for (const l of readLogs(rec, tail)) emit(l);
  if (argv.follow) await followLogs(g.paths, rec, all.length, emit);
}
