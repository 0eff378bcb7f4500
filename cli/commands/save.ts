import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { GockerError } from '../../lib/errors';
import { saveImages } from '../../lib/image/save';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' });
}

export async function handler(argv: GlobalArgs & { images: string[]; output?: string }): Promise<void> {
  if (!argv.output && process.stdout.isTTY) throw new GockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const store = engine(argv).store;
  if (!argv.output) return saveImages(store, argv.images.map(String), process.stdout);
  // Written beside the target and renamed: a failed save leaves no half file.
  const tmp = `${argv.output}.tmp-${process.pid}`;
  try {
    await saveImages(store, argv.images.map(String), fs.createWriteStream(tmp));
    fs.renameSync(tmp, argv.output);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
