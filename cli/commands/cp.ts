import type { Argv } from 'yargs';
import { copyFiles } from '../../lib/container/cp';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('src', { type: 'string', demandOption: true, describe: 'CONTAINER:SRC_PATH or a host path' })
    .positional('dest', { type: 'string', demandOption: true, describe: 'CONTAINER:DEST_PATH or a host path' })
    .option('archive', { alias: 'a', type: 'boolean', describe: 'Archive mode (copy all uid/gid information)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output during copy' });
}

export async function handler(argv: GlobalArgs & { src: string; dest: string; archive?: boolean; quiet?: boolean }): Promise<void> {
  const bytes = await copyFiles(engine(argv).paths, String(argv.src), String(argv.dest), { archive: !!argv.archive });
  // docker reports on stderr, so stdout stays clean for scripts.
  if (!argv.quiet) process.stderr.write(`Successfully copied ${humanSize(bytes)} to ${argv.dest}\n`);
}
