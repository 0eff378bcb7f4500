import type { Argv } from 'yargs';
import { errorLine } from '../../lib/errors';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('force', { alias: 'f', type: 'boolean', describe: 'Force removal of the image' });
}

export async function handler(argv: GlobalArgs & { images: string[]; force?: boolean }): Promise<number> {
  const g = engine(argv);
  let code = 0;
  for (const i of argv.images) {
    try {
      // docker's lines: "Untagged: name", "Deleted: sha256:...".
      for (const r of await g.removeImage(String(i), { force: argv.force })) process.stdout.write('Untagged' in r ? `Untagged: ${r.Untagged}\n` : `Deleted: ${r.Deleted}\n`);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}
