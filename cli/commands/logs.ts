import type { Argv } from 'yargs';
import type { LogEntry } from '../../lib/index';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow log output' })
    .option('tail', { alias: 'n', type: 'string', describe: 'Number of lines to show from the end of the logs (default "all")' })
    .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' })
    .option('details', { type: 'boolean', describe: 'Show extra details provided to logs' })
    .option('since', { type: 'string', describe: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' })
    .option('until', { type: 'string', describe: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' });
}

type LogsArgs = GlobalArgs & { container: string; follow?: boolean; tail?: string; timestamps?: boolean; details?: boolean; since?: string; until?: string };

export async function handler(argv: LogsArgs): Promise<void> {
  const g = engine(argv);
  const c = g.container(argv.container);
  // Runs of one stream go out in one write: a write per line made a large log slow.
  let pending = '';
  let pendingStream: LogEntry['stream'] = 'stdout';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending) (pendingStream === 'stderr' ? process.stderr : process.stdout).write(pending);
    pending = '';
  };
  const emit = (l: LogEntry): void => {
    if (l.stream !== pendingStream || pending.length > 65536) flush();
    pendingStream = l.stream;
    // --details: the attributes a log driver was given (--log-opt labels/env), none here, so
    // just the space docker's daemon puts after them.
    pending += `${argv.timestamps ? `${l.time} ` : ''}${argv.details ? ' ' : ''}${l.log}`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  // As the daemon: anything but a whole number (such as "all") means every line.
  const tail = argv.tail !== undefined && /^-?\d+$/.test(argv.tail.trim()) ? Number(argv.tail) : undefined;
  // --since and --until as given: the engine reads docker's forms (and refuses others in the same words).
  for await (const batch of c.logEntries({ follow: argv.follow, tail: tail === undefined || tail < 0 ? undefined : tail, since: argv.since || undefined, until: argv.until || undefined })) {
    for (const l of batch) emit(l);
  }
  flush();
}
