import type { Argv } from 'yargs';
import { removeImage } from '../../lib/image/manage';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force removal of the image' });
}

export async function handler(argv: GlobalArgs & { images: string[]; force?: boolean }): Promise<number> {
  const store = engine(argv).store;
  let code = 0;
  for (const i of argv.images) {
    try {
      for (const line of await removeImage(store, String(i), !!argv.force)) process.stdout.write(`${line}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
