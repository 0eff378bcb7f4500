import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('file', { type: 'string', describe: "a rootfs tarball (plain, gzip or zstd), or '-' for stdin", demandOption: true })
    .positional('reference', { type: 'string', describe: 'REPOSITORY[:TAG] to give the image' })
    .option('change', { alias: 'c', type: 'string', array: true, describe: 'Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)' })
    .option('message', { alias: 'm', type: 'string', describe: 'Set commit message for imported image' });
}

export async function handler(argv: GlobalArgs & { file: string; reference?: string; change?: string[]; message?: string }): Promise<void> {
  let input: NodeJS.ReadableStream;
  if (argv.file === '-') {
    input = process.stdin;
  } else if (/^https?:\/\//i.test(argv.file)) {
    throw new ClientError(`import from a URL is not supported: ${argv.file} (download it, then import the file or '-')`);
  } else {
    if (!fs.existsSync(argv.file)) throw new ClientError(`open ${argv.file}: no such file or directory`);
    input = fs.createReadStream(argv.file);
  }
  const id = await engine(argv).importImage(input, argv.reference, { source: argv.file, changes: argv.change, message: argv.message });
  process.stdout.write(`${id}\n`);
}
