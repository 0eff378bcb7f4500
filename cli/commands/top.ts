import type { Argv } from 'yargs';
import { top } from '../../lib/container/top';
import type { GlobalArgs } from '../types';
import { engine, table } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true });
}

export function handler(argv: GlobalArgs & { container: string }): void {
  const r = top(engine(argv).paths, argv.container);
  process.stdout.write(table(r.Titles, r.Processes));
}
