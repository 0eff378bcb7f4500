import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' });
}

export async function handler(argv: GlobalArgs & { images: string[]; output?: string }): Promise<void> {
  if (!argv.output && process.stdout.isTTY) throw new ClientError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  // docker's CLI checks the output path itself, before asking for anything.
  const dir = argv.output && path.dirname(path.resolve(argv.output));
  if (dir && !fs.existsSync(dir)) throw new ClientError(`failed to save image: invalid output path: directory "${dir}" does not exist`);
  const g = engine(argv);
  const names = argv.images.map(String);
  if (argv.output) {
    await g.saveImagesToFile(names, argv.output);
    return;
  }
  const { pipeline } = await import('node:stream/promises');
  // stdout is the process's, not the save's to end.
  await pipeline(g.saveImages(names), process.stdout, { end: false });
}
