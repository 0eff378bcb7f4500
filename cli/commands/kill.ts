import type { Argv } from 'yargs';
import { signalNumber } from '../../lib/index';
import { forEachNamed } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('containers', { type: 'string', array: true, demandOption: true })
    .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' });
}

export async function handler(argv: GlobalArgs & { containers: string[]; signal: string }): Promise<number> {
  const g = engine(argv);
  return forEachNamed(argv.containers, (c) => {
    // The signal before the container, as the engine checks them: a bad one is said for each.
    signalNumber(argv.signal);
    return g.container(c).kill(argv.signal);
  });
}
