import type { Argv } from 'yargs';
import { diffContainer } from '../../lib/container/changes';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('container', { type: 'string', demandOption: true });
}

export function handler(argv: GlobalArgs & { container: string }): void {
  process.stdout.write(diffContainer(engine(argv).store, argv.container).map((c) => `${c.kind} ${c.path}\n`).join(''));
}
