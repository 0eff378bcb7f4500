import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { ClientError } from '../dispatch';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .option('input', { alias: 'i', type: 'string', describe: 'Read from tar archive file, instead of STDIN' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the load output' });
}

export async function handler(argv: GlobalArgs & { input?: string; quiet?: boolean }): Promise<void> {
  let input: NodeJS.ReadableStream;
  if (argv.input) {
    if (!fs.existsSync(argv.input)) throw new ClientError(`open ${argv.input}: no such file or directory`);
    input = fs.createReadStream(argv.input);
  } else {
    if (process.stdin.isTTY) throw new ClientError('requested load from stdin, but stdin is empty');
    input = process.stdin;
  }
  const lines = await engine(argv).loadImages(input);
  if (!argv.quiet) process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}
