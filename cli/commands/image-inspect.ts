import type { Argv } from 'yargs';
import { inspectImage } from '../../lib/image/manage';
import { errorLine } from '../../lib/errors';
import { renderTemplate } from '../../lib/format/template';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' });
}

/** `gocker image inspect`: images only, as docker's. */
export function handler(argv: GlobalArgs & { images: string[]; format?: string }): number {
  const store = engine(argv).store;
  const out: unknown[] = [];
  let code = 0;
  for (const i of argv.images) {
    try {
      const info = inspectImage(store, String(i));
      if (argv.format !== undefined) process.stdout.write(`${renderTemplate(argv.format, info)}\n`);
      else out.push(info);
    } catch (e) {
      process.stderr.write(`Error: ${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (argv.format === undefined) process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
  return code;
}
