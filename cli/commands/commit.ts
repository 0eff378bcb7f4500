import type { Argv } from 'yargs';
import { commitContainer } from '../../lib/container/changes';
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
  const id = await commitContainer(engine(argv).store, argv.container, argv.repository, { message: argv.message, author: argv.author, changes: argv.change });
  process.stdout.write(`${id}\n`);
}
