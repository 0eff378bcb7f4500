import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .positional('repository', { type: 'string', describe: 'REPOSITORY[:TAG]' })
    .option('message', { alias: 'm', type: 'string', describe: 'Commit message' })
    .option('author', { alias: 'a', type: 'string', describe: 'Author' })
    .option('change', { alias: 'c', type: 'string', array: true, describe: 'Apply Dockerfile instruction to the created image' });
}

export async function handler(argv: GlobalArgs & { container: string; repository?: string; message?: string; author?: string; change?: string[] }): Promise<void> {
  const id = await engine(argv).container(argv.container).commit({ repo: argv.repository, comment: argv.message, author: argv.author, changes: argv.change });
  process.stdout.write(`${id}\n`);
}
