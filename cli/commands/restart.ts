import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('timeout', { alias: ['t', 'time'], type: 'number', defaultDescription: "the container's --stop-timeout, or 10", describe: 'Seconds to wait for stop before killing the container' })
    .option('signal', { alias: 's', type: 'string', describe: "Signal to send to the container (default: its --stop-signal, the image's StopSignal, or SIGTERM)" });
}

export async function handler(argv: GlobalArgs & { containers: string[]; time?: number; signal?: string }): Promise<number> {
  const g = engine(argv);
  let code = 0;
  for (const c of argv.containers) {
    try {
      await g.container(String(c)).restart({ timeout: argv.time, stopSignal: argv.signal });
      process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
