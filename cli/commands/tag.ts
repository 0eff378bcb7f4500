import type { Argv } from 'yargs';
import { tagImage } from '../../lib/image/manage';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y.positional('source', { type: 'string', demandOption: true }).positional('target', { type: 'string', demandOption: true });
}

export async function handler(argv: GlobalArgs & { source: string; target: string }): Promise<void> {
  await tagImage(engine(argv).store, argv.source, argv.target);
}
