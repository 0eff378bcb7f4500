import type { Argv } from 'yargs';
import { forEachNamed } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('containers', { type: 'string', array: true, demandOption: true });
}

export async function handler(argv: GlobalArgs & { containers: string[] }): Promise<number> {
  const g = engine(argv);
  return forEachNamed(argv.containers, (c) => g.container(c).pause());
}
