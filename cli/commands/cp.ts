import type { Argv } from 'yargs';
import type { GlobalArgs } from '../types';
import { engine, humanSize } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('src', { type: 'string', demandOption: true, describe: "CONTAINER:SRC_PATH, a host path, or '-' for a tar archive on stdin" })
    .positional('dest', { type: 'string', demandOption: true, describe: "CONTAINER:DEST_PATH, a host path, or '-' for a tar archive on stdout" })
    .option('archive', { alias: 'a', type: 'boolean', describe: 'Archive mode (copy all uid/gid information)' })
    .option('follow-link', { alias: 'L', type: 'boolean', describe: 'Always follow symbol link in SRC_PATH' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress progress output during copy' });
}

export async function handler(argv: GlobalArgs & { src: string; dest: string; archive?: boolean; followLink?: boolean; quiet?: boolean }): Promise<void> {
  const g = engine(argv);
  // As docker: the archive alone on stdout, nothing said.
  if (argv.dest === '-' && argv.src !== '-') return g.copyOut(String(argv.src), process.stdout, { archive: !!argv.archive, followLink: !!argv.followLink });
  const bytes = argv.src === '-'
    ? await g.copyIn(String(argv.dest), process.stdin)
    : await g.copy(String(argv.src), String(argv.dest), { archive: !!argv.archive, followLink: !!argv.followLink });
  // docker reports on stderr, so stdout stays clean for scripts.
  if (!argv.quiet) process.stderr.write(`Successfully copied ${humanSize(bytes)} to ${argv.dest}\n`);
}
