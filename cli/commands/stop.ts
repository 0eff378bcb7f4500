import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('timeout', { alias: 't', type: 'number', defaultDescription: "the container's --stop-timeout, or 10", describe: 'Seconds to wait before killing the container' })
    // docker's --time: a flag of its own, deprecated (said when given), hidden from --help.
    .option('time', { type: 'number', hidden: true, deprecated: 'use --timeout instead', describe: 'Seconds to wait before killing the container (deprecated: use --timeout)' })
    .option('signal', { alias: 's', type: 'string', describe: "Signal to send to the container (default: its --stop-signal, the image's StopSignal, or SIGTERM)" });
}

export async function handler(argv: GlobalArgs & { containers: string[]; timeout?: number; time?: number; signal?: string }): Promise<number> {
  if (argv.time !== undefined && argv.timeout !== undefined) {
    // docker's RunE: bare, exit 1.
    process.stderr.write('conflicting options: cannot specify both --timeout and --time\n');
    return 1;
  }
  const g = engine(argv);
  let code = 0;
  for (const c of argv.containers) {
    try {
      await g.container(String(c)).stop({ timeout: argv.timeout ?? argv.time, stopSignal: argv.signal });
      process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
