import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('container', { type: 'string', demandOption: true })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' });
}

export async function handler(argv: GlobalArgs & { container: string; output?: string }): Promise<void> {
  if (!argv.output && process.stdout.isTTY) throw new ClientError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const out = argv.output ? fs.createWriteStream(argv.output) : process.stdout;
  const c = engine(argv).container(argv.container);
  const { pipeline } = await import('node:stream/promises');
  // stdout is left open, as the tar writer leaves it.
  await pipeline(c.export(), out, { end: out !== process.stdout });
}
