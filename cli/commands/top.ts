import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine, table } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true });
}

export function handler(argv: GlobalArgs & { container: string }): void {
  const r = engine(argv).container(argv.container).top();
  process.stdout.write(table(r.Titles, r.Processes));
}
