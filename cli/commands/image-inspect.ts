import type { Argv } from 'yargs';
import { inspectImage } from '../../lib/image/manage';
import { errorLine } from '../../lib/errors';
import { lastFlag } from '../../lib/format/formatter';
import { inspectTemplate, renderInspect } from '../../lib/format/inspect';
import type { GlobalArgs } from '../types';
import { engine } from '../util';

export function builder(y: Argv<GlobalArgs>) {
  return y
    .positional('images', { type: 'string', array: true, demandOption: true })
    .option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' });
}

/** `gocker image inspect`: images only, as docker's. */
export function handler(argv: GlobalArgs & { images: string[]; format?: string | string[] }): number {
  const format = lastFlag(argv.format) || undefined;
  const tmpl = format === undefined || format === 'json' ? undefined : inspectTemplate(format);
  const store = engine(argv).store;
  const out: unknown[] = [];
  let code = 0;
  let written = false;
  for (const i of argv.images) {
    let info: Record<string, unknown>;
    try {
      info = inspectImage(store, String(i));
    } catch (e) {
      process.stderr.write(`Error: ${errorLine(e)}\n`);
      code = 1;
      continue;
    }
    if (!tmpl) {
      out.push(info);
      continue;
    }
    try {
      process.stdout.write(`${renderInspect(tmpl, info)}\n`);
      written = true;
    } catch (e) {
      process.stderr.write(`${errorLine(e)}\n`);
      code = 1;
    }
  }
  if (!tmpl) process.stdout.write(`${format === 'json' ? JSON.stringify(out) : JSON.stringify(out, null, 4)}\n`);
  else if (!written) process.stdout.write('\n');
  return code;
}
