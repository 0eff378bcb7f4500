import type { Argv } from 'yargs';
import { find, stop } from '../../lib/container/lifecycle';
import { containerEvent } from '../../lib/events';
import { Runner } from '../../lib/container/run';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('time', { alias: ['t', 'timeout'], type: 'number', defaultDescription: "the container's --stop-timeout, or 10", describe: 'Seconds to wait for stop before killing the container' })
    .option('signal', { alias: 's', type: 'string', describe: "Signal to send to the container (default: its --stop-signal, the image's StopSignal, or SIGTERM)" });
}

export async function handler(argv: GlobalArgs & { containers: string[]; time?: number; signal?: string }): Promise<number> {
  const g = engine(argv);
  const runner = new Runner(g.paths, g.store);
  let code = 0;
  for (const c of argv.containers) {
    try {
      await stop(g.paths, String(c), argv.time, argv.signal);
      const r = await runner.start(String(c));
      if (r.error) throw new Error(r.error);
      containerEvent(g.paths, 'restart', find(g.paths, String(c)));
      process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
