import type { Argv } from 'yargs';
import { wait } from '../../lib/container/lifecycle';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('containers', { type: 'string', array: true, demandOption: true });
}

export async function handler(argv: GlobalArgs & { containers: string[] }): Promise<void> {
  const g = engine(argv);
  for (const c of argv.containers) process.stdout.write(`${await wait(g.paths, String(c))}\n`);
}
