import type { Argv } from 'yargs';
import { kill } from '../../lib/container/lifecycle';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' });
}

export function handler(argv: GlobalArgs & { containers: string[]; signal: string }): number {
  const g = engine(argv);
  let code = 0;
  for (const c of argv.containers) {
    try {
      kill(g.paths, String(c), argv.signal);
      process.stdout.write(`${c}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
